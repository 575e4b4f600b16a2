"""Written Cantonese as the encoder reads it best: its commonest function words in Standard Written Chinese.

Hong Kong (and Guangzhou, Malaysian) transcripts are often written in Cantonese: 佢哋唔理質素，淨係睇數字 for
他們不管品質，只看數字. The encoders were trained on Mandarin; with USE such a pair had a cosine of 0.49, and
an audit's Hong Kong interview formed a theme of its own although it spoke of what the others did. Only
for the vectors, like the Simplified form (pipeline.embed.text_to_embed): the text is stored, shown and
quoted as written.

The table holds Cantonese function words and common verbs with one Mandarin sense, written in Simplified
script as OpenCC's t2s leaves them (嗰 becomes 𠮶, 係 becomes 系). It is used only on a text holding at least
one character of `CANTONESE_ONLY`, characters Mandarin does not write, so Mandarin text is never touched
(系 alone stays: 关系, 系统). Measured (USE, 2026-11-27) on 8 sentence pairs written after the table was
fixed and never used to change it: mean cosine to the Mandarin sentence 0.690 -> 0.857, higher on 7 of 8.
Words of work, home and time (返工, 放工, 攰, 成日, 返屋企 …) were added on 2026-11-27, and 攰 and the particles
㗎 and 喎 mark a text as Cantonese: those pairs 0.863 -> 0.907 (0.64 -> 0.91 and 0.89 -> 0.98 on the two holding
them, which suggested the words, so no longer held out; the rest unchanged), 6 pairs written for the other new
words 0.746 -> 0.911. A change of the table changes the vectors of the statements it rewrites: the mark of the
form embedded (embed.cache.SIMPLIFIED_FORM_MARK) changes with it, so a study embeds them again, once.
"""

from __future__ import annotations

import re

CANTONESE_ONLY = re.compile("[哋唔嘅咗佢喺啲嘢冇嗰𠮶攞畀諗谂搵揾瞓啱嚟噉咩乜攰㗎喎㖞]")
TO_MANDARIN = {
    "我哋": "我们", "你哋": "你们", "佢哋": "他们", "净系": "只是", "但系": "但是", "都系": "都是", "唔系": "不是",
    "就系": "就是", "真系": "真是", "系咪": "是不是", "点样": "怎样", "点解": "为什么", "乜嘢": "什么",
    "边个": "谁", "而家": "现在", "呢个": "这个", "呢啲": "这些", "嗰啲": "那些", "𠮶啲": "那些", "嗰个": "那个",
    "𠮶个": "那个", "唔该": "谢谢", "做嘢": "工作",
    # Work, home and time, said all the time (2026-11-27): 返工 / 放工 were read as 返 + 工.
    "返工": "上班", "放工": "下班", "收工": "下班", "返屋企": "回家", "屋企": "家", "成日": "总是", "琴日": "昨天",
    "听日": "明天", "钟意": "喜欢", "边度": "哪里", "几多": "多少", "仲要": "还要", "仲有": "还有",
    "冇": "没有", "唔": "不", "嘅": "的", "咗": "了", "佢": "他", "喺": "在", "啲": "些", "嘢": "东西", "睇": "看",
    "嗰": "那", "𠮶": "那", "攞": "拿", "畀": "给", "谂": "想", "諗": "想", "搵": "找", "揾": "找", "瞓": "睡",
    "啱": "对", "咁": "这么", "嚟": "来", "噉": "这样", "咩": "什么", "乜": "什么", "攰": "累",
}
# A word holding a character Mandarin does not write (佢哋, 唔该), and a single character, is Cantonese wherever it
# stands. A word of characters Mandarin writes too (成日, 收工, 边度 …) may be two halves of Mandarin words:
# 完成日期, 回收工作, 周边度假. Those are rewritten only where jieba, knowing them as words as common as their
# Mandarin reading, cuts the sentence into them (jieba's whole-sentence choice: 完成|日期, but 做|几多|个).
_SHARED = {word for word in TO_MANDARIN if len(word) > 1 and not CANTONESE_ONLY.search(word)}
_UNAMBIGUOUS = re.compile("|".join(sorted(map(re.escape, set(TO_MANDARIN) - _SHARED), key=len, reverse=True)))
_tokenizer = None


def _cantonese_aware_tokenizer():
    """A jieba of its own (a study's words, segment.configure_jieba, must not change the vectors), built once."""
    global _tokenizer
    if _tokenizer is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # as segment.py: no 'Building prefix dict' lines
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in _SHARED:
            mandarin = TO_MANDARIN[word]  # 都是, not a dictionary word: as common as the rarer of 都 and 是
            frequency = tokenizer.FREQ.get(mandarin) or min(
                tokenizer.FREQ.get(part) or 1 for part in tokenizer.lcut(mandarin, HMM=False))
            tokenizer.add_word(word, max(frequency, tokenizer.FREQ.get(word) or 0))
        _tokenizer = tokenizer
    return _tokenizer


def as_mandarin(text: str) -> str:
    """`text` (in Simplified script) with Cantonese words in Mandarin, when it is written Cantonese."""
    if not CANTONESE_ONLY.search(text):
        return text
    text = _UNAMBIGUOUS.sub(lambda match: TO_MANDARIN[match.group()], text)
    return "".join(TO_MANDARIN.get(word, word) if word in _SHARED else word
                   for word in _cantonese_aware_tokenizer().cut(text, HMM=False))
