"""Chinese: the entry point. `chinese_findings` runs the place rules (chinese_places), the organisation
rules (chinese_orgs) and the name rules (chinese_names) over the given regions.
"""

from __future__ import annotations

from qualflow.pipeline.deid.chinese_cities import CITIES
from qualflow.pipeline.deid.chinese_names import (
    person_findings,
    recut_glued_function_characters,
    recut_name_ends_glued_to_verbs,
    spread_title_pairs,
    title_findings,
)
from qualflow.pipeline.deid.chinese_orgs import org_findings
from qualflow.pipeline.deid.chinese_places import consumed, hong_kong_place, place_findings
from qualflow.pipeline.deid.chinese_tokens import Index, tokenize
from qualflow.pipeline.deid.chinese_villages import is_village
from qualflow.pipeline.deid.code_switch import code_switch_findings
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import ZH_ADMIN_WORD_SUFFIXES, ZH_ROAD_WORD_SUFFIXES


def _outside_places(text: str, people: list[Finding], places: list[Finding]) -> list[Finding]:
    """A place suffix beats a surname: 张江镇 and 徐汇区 are a town and a district, though they start with
    a surname and jieba tags them nr. Where jieba cuts the same place otherwise (张江/镇住 "subdue"), the
    "person" that starts it is that place too."""
    named_units = [
        p
        for p in places
        if p.text.endswith(ZH_ADMIN_WORD_SUFFIXES + ZH_ROAD_WORD_SUFFIXES)
        or hong_kong_place(p.text)
        or p.text in CITIES
        or is_village(p.text)
    ]  # 黃大仙 (Wong Tai Sin) is a district, 张家口 a city and 李家庄 a village, though jieba tags them nr
    unit_names = sorted({p.text for p in named_units}, key=len, reverse=True)
    kept = []
    for f in people:
        if any(p.start <= f.start and f.end <= p.end for p in named_units):
            continue
        place = next((name for name in unit_names if text.startswith(name, f.start) and len(name) > len(f.text)), None)
        kept.append(make(text, f.start, f.start + len(place), "PLACE", f.source) if place else f)
    return kept


def _product_named_as_road(person: Finding, index: Index) -> bool:
    """万宝路 in 抽万宝路: jieba tags the brand as a name (nr); what is smoked is no person either."""
    i = index.starts.get(person.start)
    units = ZH_ROAD_WORD_SUFFIXES + ZH_ADMIN_WORD_SUFFIXES
    return i is not None and person.text.endswith(units) and consumed(index.tokens, i)


def chinese_findings(text: str, regions: list[tuple[int, int]]) -> tuple[list[Finding], set[int]]:
    """Findings in the regions, and the token boundaries (for checking propagated matches)."""
    tokens = tokenize(text, regions)
    index = Index(tokens)
    # People are looked for in a cut that parts 和/跟/问… from a name jieba glued them to (和小李/nr);
    # places and organisations keep jieba's own cut. The second recut parts a name's last character from
    # a verb jieba glued it to (小/陈说, 李/明说).
    names = Index(recut_name_ends_glued_to_verbs(recut_glued_function_characters(text, tokens)))
    places = place_findings(text, index)
    people = [f for f in person_findings(text, names) if not _product_named_as_road(f, index)]
    found = _outside_places(text, people, places) + places + org_findings(text, index)
    for lo, hi in regions:
        found += title_findings(text, names, lo, hi)
    found += spread_title_pairs(text, names, regions, found)
    found += code_switch_findings(text, names)  # 表妹 Rachel, Dr 黄, Ah Huat
    boundaries = set(index.starts) | set(index.ends) | set(names.starts) | set(names.ends)
    return found, boundaries
