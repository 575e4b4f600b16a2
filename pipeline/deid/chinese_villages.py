"""Villages named after a family: a common surname, 家, and a word for a settlement or the land it sits on
(李家庄, 王家屯, 石家营, 赵家堡, 刘家湾, 马家沟): the commonest shape of a village's name in northern and central China.
jieba reads most as a person (李家庄/nr) or not at all (王家屯), and they were missed or taken for people.

Only the ~100 common surnames (lexicon.COMMON_SURNAMES), and the settlement word right after 家; a character
before the surname that makes a word with it (国家, 大家, 专家 are no 国/大/专 family) leaves it. A family's
shop or courtyard (王家店, 张家院) is replaced too: it names the family.
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.chinese_tokens import CJK_WORD, freq
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import COMMON_SURNAMES, with_traditional

_SETTLEMENTS = "".join(sorted(with_traditional(list("庄屯营堡湾沟洼坡岭峪寨坨窝集铺店台岗嘴坪院"))))
_VILLAGE = re.compile(rf"(?:{'|'.join(sorted(COMMON_SURNAMES))})[家][{_SETTLEMENTS}](?:村|子)?")


def village_findings(text: str) -> list[Finding]:
    found = []
    for m in _VILLAGE.finditer(text):
        before = text[m.start() - 1 : m.start()]
        if before and CJK_WORD.match(before) and freq(before + m.group()[0]) > 0:
            continue  # 国家, 大家, 专家: the character before makes a word with the "surname"
        found.append(make(text, m.start(), m.end(), "PLACE", "jieba"))
    return found


def is_village(word: str) -> bool:
    return _VILLAGE.fullmatch(word) is not None
