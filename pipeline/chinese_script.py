"""Simplified and Traditional Chinese script, converted with OpenCC: the keyword stop words look
Traditional words up in their Simplified lists (`to_simplified`), and the de-identification lists
add the Traditional forms of their Simplified words (`traditional_forms`, deid/lexicon.py).

Kept apart from pipeline/language.py, which imports spaCy (about 1.5 s), so the word lists load
without it. opencc-python-reimplemented is pure Python with its tables in the wheel; a converter
reads its tables when first asked for (about 0.1 s for Simplified -> Traditional), then is kept.
"""

from __future__ import annotations

from functools import lru_cache

# Traditional -> Taiwan and Hong Kong forms of OpenCC's standard Traditional: 裏 is 裡 in Taiwan,
# 說 is 説 and 峰 is 峯 in Hong Kong. These tables apply to s2t's output, which is what OpenCC's own
# s2tw and s2hk do, so the large Simplified -> Traditional phrase table is read once, not three times.
_REGIONAL_VARIANTS = ("t2tw", "t2hk")


@lru_cache(maxsize=None)
def opencc_converter(config: str):
    """The OpenCC converter for `config` ('t2s', 's2t', 't2tw', …), created once when first asked for."""
    from opencc import OpenCC

    return OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters in `text` as Simplified ones (OpenCC's t2s tables), for looking
    words up in lists written in Simplified; text is stored and shown as written."""
    return opencc_converter("t2s").convert(text)


def traditional_forms(text: str) -> frozenset[str]:
    """`text` in Traditional script as OpenCC writes it: its standard (s2t), Taiwan (s2tw) and Hong
    Kong (s2hk) forms, one to three strings ("东西" has one, 東西; "说" has 說 and 説). Phrases are
    converted as words (干女儿 is 乾女兒, 干事 幹事); a lone character takes its commonest sense."""
    traditional = opencc_converter("s2t").convert(text)
    return frozenset({traditional, *(opencc_converter(config).convert(traditional) for config in _REGIONAL_VARIANTS)})
