"""Invented interview corpora for benchmarks/throughput.py, and the growth-exponent fit.

Every interview is generated from (seed, index) alone, so a corpus of 100 is the first 100 of a
corpus of 500 and interview 100 is always the same "new" file for the incremental run. Shape,
like the files in examples/: a `#` header, an interviewer question before each of ~20
participant turns of 1–4 sentences, now and then a back-channel ("Yeah." / "嗯。") or a made-up
name for de-identification to find. Every 4th interview is in Chinese. Sentences are built from
slots, so no two interviews share their text (the header's participant id alone would make them
distinct; the flow deduplicates by content hash).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- English

EN_TOPICS = {
    "workload": ["my caseload", "the paperwork", "the electronic records", "the monthly audit", "the waiting list",
                 "the phone calls in the afternoon", "the risk assessments", "covering for colleagues on leave"],
    "visits": ["the home visits", "the depot injections", "checking the medication at home", "the first visit to a new client",
               "the follow-up calls", "visits after discharge", "rural visits by car"],
    "safety": ["lone working", "the alarm we carry", "sitting nearest the door", "visiting in pairs",
               "the incident forms", "knowing the exits in a flat"],
    "families": ["the families", "carers who are exhausted", "parents who hide the illness", "siblings who stopped visiting",
                 "explaining the diagnosis to relatives", "the family meetings"],
    "stigma": ["the stigma in the neighbourhood", "the way people look at our car", "landlords who refuse our clients",
               "employers who never call back", "jokes about mental health at work"],
    "training": ["the induction training", "supervision", "the courses on risk", "learning from senior nurses",
                 "the shadowing weeks", "training on de-escalation"],
    "burnout": ["the emotional toll", "sleeping badly after a hard visit", "the feeling of never finishing",
                "talking to my partner about work", "taking sick leave", "switching off at the weekend"],
    "agencies": ["working with the police", "the hospital discharge team", "the housing office", "the GP surgeries",
                 "the community centre", "the crisis team at night"],
    "pay": ["the pay", "the career ladder", "the overtime nobody pays", "the bank shifts", "promotion to team leader"],
}
EN_EFFECTS = ["takes up most of my afternoons", "eats into the time I have with people", "shapes how I plan the week",
              "has changed a lot since I started", "is the part nobody sees", "wears you down after a while",
              "matters more than the targets", "depends on who is on shift", "keeps me awake some nights",
              "is better than it was two years ago", "gets worse every winter", "feels like a box-ticking exercise",
              "is what actually keeps people well", "is where the real work happens"]
EN_OPENERS = ["", "", "Honestly, ", "To be fair, ", "I think ", "Most weeks ", "Looking back, ", "On a bad day ",
              "If I'm honest, ", "In my experience ", "For me "]
EN_TAILS = ["", "", "", " since {month}", " when we are short-staffed", " for the {n} people on my list", " in this area",
            " on the late shift", " with the new manager", " after the {m} o'clock meeting", " in the {n} weeks before Christmas",
            " for someone who has been on the list {m} years", " in a team of {m}"]
EN_DETAILS = ["I see about {n} people a week, which is {m} more than last year.",
              "Last {month} it took me {n} hours just to catch up.",
              "One client told me it was the first time anyone had listened for {n} minutes.",
              "We lost {m} colleagues in the last {n} months.",
              "My manager {name} says it will improve, but I have heard that for {m} years.",
              "A woman on my list, {name}, rang me {m} times in one {day}.",
              "It was {name} from the {place} team who finally sorted it out."]
EN_QUESTIONS = ["Can you tell me about {t}?", "How do you feel about {t}?", "What happens with {t} in a normal week?",
                "You mentioned {t}. Could you say more?", "Has {t} changed since you started?"]
EN_BACKCHANNEL = ["Yeah.", "Mm-hmm.", "Right.", "Okay."]
EN_NAMES = ["Sarah Jones", "Tom Baker", "Priya Shah", "Mrs Hart", "Dr Mehra", "Alan Price", "Grace Okafor", "Mark Evans"]
EN_PLACES = ["Hackney", "Leeds", "Riverside", "Northgate", "Bristol"]
MONTHS = ["January", "March", "May", "July", "September", "November"]
ROLES_EN = ["nurse", "social_worker", "support_worker", "team_leader", "psychologist", "peer_worker"]

# ---------------------------------------------------------------- Chinese

ZH_TOPICS = {
    "随访": ["上门随访", "电话随访", "查药数药", "出院后的随访", "新病人的第一次随访"],
    "录系统": ["往系统里录数据", "每个月的考核", "各种表格", "危险性评估", "重复填报"],
    "安全": ["一个人上门", "和民警一起去", "病人情绪激动的时候", "晚上出去随访"],
    "家属": ["家属的配合", "年纪大的父母", "不愿意承认生病的家属", "监护人补贴"],
    "歧视": ["邻居的眼光", "社区里的议论", "找工作被拒", "别人对我们这行的看法"],
    "培训": ["岗前培训", "上级医院的进修", "老同事带教", "案例督导"],
    "压力": ["心理压力", "下班以后还想着病人", "睡不好觉", "想过换工作"],
    "合作": ["居委会", "派出所", "精神专科医院", "村委会", "民政部门"],
    "待遇": ["工资待遇", "职称评定", "加班没有补贴", "晋升的机会"],
}
ZH_EFFECTS = ["占了很多时间", "让人压力很大", "挺重要的", "这几年变化很大", "外人根本看不到", "慢慢就习惯了",
              "比考核指标更要紧", "要看碰到什么样的人", "有时候真的很累", "比刚来的时候好多了", "一到年底就更难"]
ZH_OPENERS = ["", "", "其实", "说实话，", "一般来说，", "我觉得", "有时候", "嗯，", "怎么说呢，"]
ZH_TAILS = ["", "", "", "今年", "最近{n}个月", "从{m}月份开始", "人手不够的时候", "换了领导以后", "在我们这个片区",
            "对{n}岁以上的病人来说", "节假日前后"]
ZH_DETAILS = ["我手上现在有{n}个病人，比去年多了{m}个。", "上个月光补材料就花了{n}个小时。",
              "有个病人跟我说，这是第一次有人听他讲了{n}分钟。", "我们这边{m}年里走了{n}个同事。",
              "{name}跟我说会好起来的，可是这话我听了{m}年了。", "后来还是{place}的{name}帮忙解决的。"]
ZH_QUESTIONS = ["能说说{t}方面的情况吗？", "您怎么看{t}？", "平时{t}一般是怎么做的？", "您刚才提到{t}，能具体讲讲吗？"]
ZH_BACKCHANNEL = ["嗯。", "对对对。", "是的。"]
ZH_NAMES = ["王医生", "小李", "张主任", "老刘", "陈阿姨", "赵护士"]
ZH_PLACES = ["街道", "区医院", "派出所", "居委会"]
ROLES_ZH = ["社区医生", "精防专干", "社工", "护士", "民警联络员"]


def _fill(template: str, rng: random.Random, chinese: bool) -> str:
    return template.format(n=rng.randint(2, 60), m=rng.randint(2, 9), month=rng.choice(MONTHS),
                           day=rng.choice(["day", "week", "weekend"]),
                           name=rng.choice(ZH_NAMES if chinese else EN_NAMES),
                           place=rng.choice(ZH_PLACES if chinese else EN_PLACES))


def _sentence(topic: str, rng: random.Random, chinese: bool) -> str:
    if rng.random() < 0.25:
        return _fill(rng.choice(ZH_DETAILS if chinese else EN_DETAILS), rng, chinese)
    if chinese:
        tail = _fill(rng.choice(ZH_TAILS), rng, chinese)
        tail += "，" if tail else ""
        return f"{tail}{rng.choice(ZH_OPENERS)}{topic}{rng.choice(ZH_EFFECTS)}。"
    tail = _fill(rng.choice(EN_TAILS), rng, chinese)
    sentence = f"{rng.choice(EN_OPENERS)}{topic} {rng.choice(EN_EFFECTS)}{tail}."
    return sentence[0].upper() + sentence[1:]


def generate_interview(index: int, seed: int = 0) -> tuple[str, str]:
    """(file name, text) of interview number `index` (0-based; participant P{index + 1})."""
    rng = random.Random(f"qualflow-throughput:{seed}:{index}")
    chinese = index % 4 == 3
    participant = f"P{index + 1}"
    topics = ZH_TOPICS if chinese else EN_TOPICS
    if chinese:
        role = rng.choice(ROLES_ZH)
        lines = ["# 访谈（虚构，用于性能测试）", f"# participant: {participant}", "# language: zh", ""]
        asker, answerer = "访谈者：", "受访者："
    else:
        role = rng.choice(ROLES_EN)
        lines = ["# invented interview for the throughput benchmark", f"# participant: {participant}",
                 "# language: en", ""]
        asker, answerer = "Interviewer: ", f"{participant}: "
    for _ in range(rng.randint(18, 22)):
        theme = rng.choice(list(topics))
        topic = rng.choice(topics[theme])
        question = rng.choice(ZH_QUESTIONS if chinese else EN_QUESTIONS).format(t=topic)
        lines += [asker + question, ""]
        if rng.random() < 0.1:  # a back-channel, which selection must exclude
            lines += [answerer + rng.choice(ZH_BACKCHANNEL if chinese else EN_BACKCHANNEL), ""]
            continue
        sentences = [_sentence(rng.choice(topics[theme]), rng, chinese) for _ in range(rng.randint(1, 4))]
        lines += [answerer + ("" if chinese else " ").join(sentences), ""]
    prefix = "zh" if chinese else "en"
    return f"{prefix}_p{index + 1}_{role}.txt", "\n".join(lines)


def write_corpus(folder: Path, n: int, seed: int = 0, start: int = 0) -> list[Path]:
    """Write interviews start … start+n-1 into `folder` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(start, start + n):
        name, text = generate_interview(index, seed)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def fit_exponent(sizes: list[float], seconds: list[float]) -> tuple[float, float]:
    """Least-squares fit of log(seconds) = log(c) + k·log(size); returns (k, c)."""
    if len(sizes) < 2:
        return float("nan"), float("nan")
    k, log_c = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float)), 1)
    return float(k), float(np.exp(log_c))
