"""URLs and social-media handles are identifiers (privacy audit F1): "@johnsmith_rn" and
"https://www.linkedin.com/in/johnsmith-rn" went out in every export, and c-TF-IDF made the handle a
theme label. They become [URL_n] and [HANDLE_n] as e-mail addresses become [EMAIL_n] (in text reviewers
type, those a transcript held, as names), while "@ the hospital", "me @ 5pm", "C++", times, decimals,
"e.g." and file names stay.

Unit tests run lines through the real Deidentifier; the end-to-end test runs the real flow on example
interviews plus one holding every identifier shape the audit found left (F1, F2, F11), then the real
CLI exports, and looks for them in the export, the theme labels and keywords, and the report."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from qualflow.pipeline.deid.typed import redact_typed
from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.turns import parse_turns

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def found(deid, text, language, *kinds):
    return [(f.kind, f.text) for f in deid.find(text, language) if f.kind in kinds]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("You can find me on twitter @johnsmith_rn or at https://www.linkedin.com/in/johnsmith-rn.", "en",
         [("HANDLE", "@johnsmith_rn"), ("URL", "https://www.linkedin.com/in/johnsmith-rn")]),
        ("My website is www.janedoe.co.uk and my blog is https://janedoe.blogspot.com/about.", "en",
         [("URL", "www.janedoe.co.uk"), ("URL", "https://janedoe.blogspot.com/about")]),
        ("Follow me on Instagram @jane.doe or TikTok @janedoe.", "en", [("HANDLE", "@jane.doe"), ("HANDLE", "@janedoe")]),
        ("See janedoe.blogspot.com/about or t.me/janedoe for more.", "en",
         [("URL", "janedoe.blogspot.com/about"), ("URL", "t.me/janedoe")]),
        # A bare domain is taken, an institution's as well: by shape no one can tell it from a person's.
        ("The NHS website nhs.uk has it, and so does my own site janedoe.com.", "en",
         [("URL", "nhs.uk"), ("URL", "janedoe.com")]),
        ("(see https://en.wikipedia.org/wiki/Nursing_(profession)).", "en",
         [("URL", "https://en.wikipedia.org/wiki/Nursing_(profession)")]),
        ("我的网站是www.zhangwei.cn，欢迎访问。", "zh", [("URL", "www.zhangwei.cn")]),
        ("她的推特是@wang_li88，你可以看看。", "zh", [("HANDLE", "@wang_li88")]),
    ],
)
def test_urls_and_handles_are_found(deid, text, language, expected):
    assert found(deid, text, language, "URL", "HANDLE") == expected


@pytest.mark.parametrize(
    "text",
    [
        "I was @ the hospital all day.",
        "Meet me @ 5pm, or @5pm, or @10:30 at the latest.",
        "I learned C++ and C# at college.",
        "It was 3.5 hours, e.g. at 10.30 we broke, i.e. late.",
        "I saved it in notes.docx and report.pdf, then index.html.",
        "We use ASP.NET and Node.js at work, in the U.S. mostly.",
        "I logged.in late; Dr.Smith and St.John were there at 5 a.m.",
    ],
)
def test_words_numbers_and_file_names_are_no_urls_or_handles(deid, text):
    assert found(deid, text, "en", "URL", "HANDLE") == []


def test_an_at_sign_inside_an_email_address_makes_no_handle(deid):
    text = "Email me at jane_doe99@gmail.com or john.smith@nhs.net, not @ work."
    assert found(deid, text, "en", "EMAIL", "URL", "HANDLE") == [
        ("EMAIL", "jane_doe99@gmail.com"), ("EMAIL", "john.smith@nhs.net")]


def test_stored_text_gets_placeholders_and_typed_text_the_key_maps(deid):
    text = "P1: Find me @johnsmith_rn or www.janedoe.co.uk, and @johnsmith_rn again.\n"
    parsed = parse_turns(text, default_participant="P1")
    pseudonyms = Pseudonymiser()
    stored = redact(text, parsed, deid.find(text, "en"), pseudonyms).text
    assert stored == "P1: Find me [HANDLE_1] or [URL_1], and [HANDLE_1] again.\n"
    # What a reviewer types (a memo, a theme name) gets the placeholders of the URLs and handles transcripts
    # held, as it does names; a link the transcripts never held is most often a reference, and stays.
    typed = "Ask @johnsmith_rn (see www.janedoe.co.uk); cf. https://doi.org/10.1000/182"
    assert redact_typed(typed, pseudonyms.new_entries) == "Ask [HANDLE_1] (see [URL_1]); cf. https://doi.org/10.1000/182"


# --- end to end: the real flow, the real exports ------------------------------------------------------------

# Every identifier shape the audit found left in exports: F1 (URLs, handles, WeChat ids), F2 (SSN, NI
# numbers), F11 (Chinese-numeral phones, wx). Each line is a statement of its own.
LEFT_BEFORE = {
    "@johnsmith_rn": "You can find me on twitter @johnsmith_rn or at https://www.linkedin.com/in/johnsmith-rn, "
                     "where I post about night shifts and staffing on the ward.",
    "www.janedoe.co.uk": "My website is www.janedoe.co.uk and my blog is https://janedoe.blogspot.com/about, "
                         "where I write about burnout and the paperwork after every home visit.",
    "@jane.doe": "Follow me on Instagram @jane.doe, I share what the caseload does to nurses on nights.",
    "123-45-6789": "My social security number is 123-45-6789, from when I worked in the States as a nurse.",
    "QQ 12 34 56 C": "My NI number is QQ 12 34 56 C, the payroll office asked for it again this week.",
}
LEFT_BEFORE_ZH = {
    "wangxiaoming88": "我的微信是wangxiaoming88，家属有事都是直接在微信上找我，晚上也找。",
    "zhangwei_1985": "联系我：wx: zhangwei_1985，随访的事情可以在上面说，病人家属也可以加。",
    "一三八一二三四五六七八": "我手机号一三八一二三四五六七八，家属半夜也会打过来，说病人又不吃药了。",
}
# Pieces that would show the identifier even if cut by a tokeniser.
TRACES = ["johnsmith", "linkedin.com", "janedoe", "jane.doe", "123-45-6789", "QQ 12 34 56 C", "wangxiaoming88",
          "zhangwei_1985", "一三八一二三四五六七八"]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    from qualflow.flows.batch import code_interviews

    root = tmp_path_factory.mktemp("urls_handles")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    (inbox / "p9_online.txt").write_text(
        "# participant: P9\n\n" + "".join(f"Interviewer: And then?\n\nP9: {line}\n\n" for line in LEFT_BEFORE.values()),
        encoding="utf-8")
    (inbox / "p10_联系.txt").write_text(
        "# participant: P10\n\n" + "".join(f"访谈者：还有呢？\n\nP10：{line}\n\n" for line in LEFT_BEFORE_ZH.values()),
        encoding="utf-8")
    data = root / "data"
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 6 and not summary.failed
    return data


def cli(data: Path, *arguments: str) -> str:
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*arguments, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_urls_handles_and_id_numbers_leave_no_trace_in_exports_or_theme_labels(study, tmp_path):
    rows = list(csv.DictReader(io.StringIO(cli(study, "export", "assignments", "--format", "csv"))))
    themes = json.loads(cli(study, "themes", "--json"))
    cli(study, "report", "--out", str(tmp_path / "report"))
    places = {
        "assignments export": json.dumps(rows, ensure_ascii=False),
        "theme labels and keywords": json.dumps(
            [[t["label"], t["keywords"], [[s["label"], s["keywords"]] for s in t["subcategories"]]] for t in themes],
            ensure_ascii=False),
        "report.md": (tmp_path / "report" / "report.md").read_text("utf-8"),
    }
    assert [(trace, place) for trace in TRACES for place, text in places.items() if trace in text] == []
    # The statements are exported with placeholders in place of the identifiers, not dropped.
    texts = " ".join(row[next(c for c in rows[0] if c in ("text", "statement"))] for row in rows)
    assert [p for p in ("[HANDLE_", "[URL_", "[ID_", "[PHONE_") if p not in texts] == []
