"""Data saturation: taking the interviews in order, when did new themes stop appearing?

Two figures. First appearances: a theme (or subcategory) appears in an interview when at least one of
its statements comes from that interview; no new theme appeared after the last interview that brought
one, provided at least one later interview followed and brought none ("confirmed by" counts them). Since
themes are found on all interviews together, broad themes touch nearly every interview, and this point
falls at interview 1 or 2 almost by construction: the sentence then says it means little.

New information (Guest, Namey & Chen 2020, PLoS ONE 15(5): e0232076), the figure to report: over the
codebook's finest codes (subcategories, and themes without any), the codes of the first BASE_SIZE
interviews are the base; a run of RUN_LENGTH interviews adds new information when it brings codes no
earlier interview had. Saturation is reached at the last interview before the first run whose new codes
are at most NEW_INFORMATION_THRESHOLD of the base's: "saturation at 6 interviews, confirmed by 7–8".
It cannot fall inside the base, and needs BASE_SIZE + RUN_LENGTH interviews.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from qualflow.models import Transcript
from qualflow.models.queries import live_transcripts
from qualflow.pipeline.errors import QualflowError
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.report import export_names
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Guest, Namey & Chen's (2020) recommended parameters: a base of 4 interviews, runs of 2, at most 5% new.
BASE_SIZE, RUN_LENGTH, NEW_INFORMATION_THRESHOLD = 4, 2, 0.05
# Header keys (`# date: 2026-03-02` is stored lower-cased in Transcript.meta) that give the interview date.
DATE_KEYS = ("date", "interview date", "interview_date", "interviewed", "日期", "访谈日期", "访谈时间")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def interview_date(transcript: Transcript) -> date | None:
    """The interview date from the transcript's header, if it has a readable year-month-day one."""
    meta = transcript.meta or {}
    for key in DATE_KEYS:
        match = _DATE.search(str(meta.get(key) or ""))
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:  # 2026-02-30: not a date; look no further than a wrong one
                return None
    return None


def read_order_file(path: Path) -> list[str]:
    """One interview per line (file name, file name without extension, or participant id); # comments."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QualflowError(f"cannot read the order file {path}: {error}") from error
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def interview_order(session: Session, order: list[str] | None = None) -> tuple[list[Transcript], str]:
    """The interviews in the order they were held, and how that order was decided."""
    transcripts = list(session.scalars(select(Transcript).where(Transcript.id.in_(live_transcripts()))))
    first = _first_versions(session)
    # Ingest order is the order files first came in: an edited interview keeps its place.
    transcripts.sort(key=lambda t: (first.get(t.id, t.id), t.id))
    if order is not None:
        return _user_order(transcripts, order), "as given in the order file"
    dates = {t.id: interview_date(t) for t in transcripts}
    undated = [t for t in transcripts if dates[t.id] is None]
    if transcripts and not undated:
        # Same-day interviews keep their ingest order.
        return sorted(transcripts, key=lambda t: (dates[t.id], first.get(t.id, t.id))), "interview date"
    reason = f"{len(undated)} of {len(transcripts)} interviews have no date" if undated else "no interviews"
    return transcripts, f"ingest order ({reason})"


def _first_versions(session: Session) -> dict[int, int]:
    """transcript id -> the id of its file's first version (itself for a file never edited)."""
    previous = dict(session.execute(select(Transcript.id, Transcript.previous_version_id)
                                    .where(Transcript.previous_version_id.is_not(None))).all())
    first = {}
    for transcript_id in previous:
        root = transcript_id
        while root in previous:
            root = previous[root]
        first[transcript_id] = root
    return first


def _user_order(transcripts: list[Transcript], order: list[str]) -> list[Transcript]:
    names: dict[str, list[Transcript]] = {}
    for transcript in transcripts:
        keys = {transcript.source_name, Path(transcript.source_name).name, Path(transcript.source_name).stem,
                transcript.participant or ""}
        for key in keys - {""}:
            names.setdefault(key.casefold(), []).append(transcript)
    ordered: list[Transcript] = []
    for entry in order:
        found = names.get(entry.casefold(), [])
        if len(found) != 1:
            problem = "matches no interview" if not found else f"matches {len(found)} interviews"
            raise QualflowError(f"order file: '{entry}' {problem} (use file names, see `qualflow saturation`)")
        if found[0] in ordered:
            raise QualflowError(f"order file: '{entry}' names {found[0].source_name} a second time")
        ordered.append(found[0])
    missing = [t.source_name for t in transcripts if t not in ordered]
    if missing:
        # Placing them anywhere would change the answer, so the researcher decides.
        plural = "s" if len(missing) != 1 else ""
        raise QualflowError(f"order file leaves out {len(missing)} interview{plural}: {', '.join(missing)}")
    return ordered


def _saturation_point(new_counts: list[int]) -> dict:
    """After which interview nothing new appeared, and how many later interviews confirmed it."""
    bringing = [position for position, new in enumerate(new_counts, start=1) if new]
    if not bringing:
        return {"after_interview": None, "confirmed_by": 0, "reached": False}
    last = bringing[-1]
    later = len(new_counts) - last
    return {"after_interview": last, "confirmed_by": later, "reached": later > 0}


def saturation(session: Session, order: list[str] | None = None, confirmed_only: bool = False) -> dict:
    """For each interview in order: the themes and subcategories that appear for the first time."""
    transcripts, basis = interview_order(session, order)
    codebook = live_codebook(session, confirmed_only)
    themes_in: dict[int, set[str]] = {}
    subcategories_in: dict[int, set[str]] = {}
    finest_codes_in: dict[int, set[str]] = {}
    for placement in codebook.placements:
        transcript_id = placement.statement.transcript_id
        themes_in.setdefault(transcript_id, set()).add(placement.theme.code)
        if placement.subcategory is not None:
            subcategories_in.setdefault(transcript_id, set()).add(placement.subcategory.code)
        finest_codes_in.setdefault(transcript_id, set()).add((placement.subcategory or placement.theme).code)
    seen_themes: set[str] = set()
    seen_subcategories: set[str] = set()
    export_name = export_names(session)
    steps = []
    for position, transcript in enumerate(transcripts, start=1):
        new_themes = themes_in.get(transcript.id, set()) - seen_themes
        new_subcategories = subcategories_in.get(transcript.id, set()) - seen_subcategories
        seen_themes |= new_themes
        seen_subcategories |= new_subcategories
        found_on = interview_date(transcript)
        steps.append({
            "position": position, "transcript_id": transcript.id, "interview": export_name(transcript.source_name),
            "participant": transcript.participant, "date": found_on.isoformat() if found_on else None,
            "new_themes": sorted(new_themes, key=_code_order), "new_subcategories": sorted(new_subcategories,
                                                                                             key=_code_order),
            "themes_so_far": len(seen_themes), "subcategories_so_far": len(seen_subcategories),
        })
    return {
        "order": basis,
        "survey_tables": _survey_tables(session, transcripts),
        "codebook": "confirmed themes only" if confirmed_only else "confirmed and candidate themes",
        "interviews": steps,
        "themes": len(codebook.themes),
        "subcategories": sum(len(subs) for subs in codebook.subcategories.values()),
        "themes_saturation": _saturation_point([len(s["new_themes"]) for s in steps]),
        "subcategories_saturation": _saturation_point([len(s["new_subcategories"]) for s in steps]),
        "new_information": new_information([finest_codes_in.get(t.id, set()) for t in transcripts]),
    }


# What a shared report says about when interviews were held. An interview's date beside its participant code
# names them to anyone who knows the rota; so does its month in a small study. The span of the whole study
# is what a methods section reports (SRQR item 10: start and stop dates of data collection). The saturation
# table lists interviews in date order, so the first and the last of them fall in the span's end months: each
# end month must hold at least `smallest` dated interviews, so that knowing someone was interviewed in that
# month leaves that many positions (privacy audit of 2026-11-27: the one April interview was P8's). Where an
# end month holds fewer, the span is given in years, under the same rule, or not at all.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def data_collection(steps: list[dict], smallest: int) -> dict | None:
    """The months (else the years) of the first and last dated interviews, each held by at least `smallest`
    dated interviews, or None."""
    dated = sorted(step["date"] for step in steps if step.get("date"))
    counts = {"dated_interviews": len(dated), "interviews": len(steps)}
    for unit, width in (("month", 7), ("year", 4)):
        if not dated:
            break
        held = Counter(date[:width] for date in dated)
        first, last = dated[0][:width], dated[-1][:width]
        if held[first] >= smallest and held[last] >= smallest:
            return {f"first_{unit}": first, f"last_{unit}": last, **counts}
    return None


def data_collection_sentence(span: dict | None) -> str:
    """"Interviews took place between March and June 2024." (months), "… in 2024." (years), or ""."""
    if span is None:
        return ""
    if "first_month" in span:
        first, last = (_month_name(span[key]) for key in ("first_month", "last_month"))
        if first == last:
            when = f"in {first}"
        elif span["first_month"][:4] == span["last_month"][:4]:
            when = f"between {first.split()[0]} and {last}"
        else:
            when = f"between {first} and {last}"
    else:
        first, last = span["first_year"], span["last_year"]
        when = f"in {first}" if first == last else f"between {first} and {last}"
    undated = span["interviews"] - span["dated_interviews"]
    gap = f" ({undated} of {span['interviews']} interviews give no date)" if undated else ""
    return f"Interviews took place {when}{gap}."


def _month_name(year_month: str) -> str:
    year, month = year_month.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def without_interview_dates(result: dict) -> dict:
    """The saturation result with each interview's date left out; order and counts are unchanged."""
    return result | {"interviews": [{k: v for k, v in step.items() if k != "date"} for step in result["interviews"]]}


def new_information(codes_per_interview: list[set[str]], base_size: int = BASE_SIZE, run_length: int = RUN_LENGTH,
                    threshold: float = NEW_INFORMATION_THRESHOLD) -> dict:
    """Guest, Namey & Chen's (2020) saturation: each run of `run_length` interviews after the base,
    sliding by one, with the codes it brought that no earlier interview had, as a share of the codes
    of the first `base_size` interviews; saturation at the interview before the first run at or
    under `threshold`."""
    rule = {"unit": "subcategories, and themes without subcategories", "base_size": base_size,
            "run_length": run_length, "threshold": threshold}
    base = set().union(*codes_per_interview[:base_size])
    # The degree of saturation (Guest et al.'s check after the fact): how many of all codes the point had seen.
    result = {**rule, "base_codes": len(base), "codes_in_all": len(set().union(*codes_per_interview)), "runs": [],
              "after_interview": None, "confirmed_by": None, "codes_by_then": None, "reached": False}
    if len(codes_per_interview) < base_size + run_length or not base:
        return result
    for first in range(base_size, len(codes_per_interview) - run_length + 1):  # 0-based: the run's first interview
        earlier = set().union(*codes_per_interview[:first])
        new = set().union(*codes_per_interview[first:first + run_length]) - earlier
        share = len(new) / len(base)
        result["runs"].append({"interviews": [first + 1, first + run_length],
                               "new_codes": sorted(new, key=lambda code: (_code_order(code), code)),
                               "share": round(share, 4)})
        if share <= threshold:
            return {**result, "after_interview": first, "confirmed_by": run_length, "codes_by_then": len(earlier),
                    "reached": True}
    return result


def _survey_tables(session: Session, transcripts: list[Transcript]) -> int:
    """How many of the documents are tables of answers from several respondents (a units file with
    no document column, or one whose documents hold several participants): they are no interviews,
    and have no order in which interviews were held."""
    from qualflow.models import Turn

    tables = [t.id for t in transcripts if t.source_format == "units"]
    if not tables:
        return 0
    speakers = session.execute(select(Turn.transcript_id, func.count(func.distinct(Turn.participant)))
                               .where(Turn.transcript_id.in_(tables)).group_by(Turn.transcript_id)).all()
    return sum(1 for _, n in speakers if n > 1)


def _code_order(code: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", code)]


def saturation_sentence(result: dict) -> str:
    """The result as a methods section would put it: first appearances, a caution when they say
    little, then the new-information figure with the rule it used."""
    point = result["themes_saturation"]
    n = len(result["interviews"])
    if n and result.get("survey_tables") == n:
        return (f"Saturation is not reported: the statements come from {n} table{'s' if n != 1 else ''} of answers "
                "by several respondents each, not from interviews held in an order.")
    if point["after_interview"] is None:
        return f"No themes were found in the {n} interviews."
    if not point["reached"]:
        first = (f"Saturation was not reached: interview {point['after_interview']} of {n}, the last, "
                 "still brought a new theme.")
    else:
        first = (f"No new theme appeared after interview {point['after_interview']} of {n}; "
                 f"{point['confirmed_by']} later interview{'s' if point['confirmed_by'] != 1 else ''} confirmed it.")
        if point["after_interview"] <= 2:
            first += " Caution: this says little, as the themes were found on all interviews together."
    return f"{first} {new_information_sentence(result['new_information'], n)}"


def new_information_sentence(figure: dict, n: int) -> str:
    """The new-information figure in one sentence, naming its rule."""
    rule = (f"New-information saturation (Guest, Namey & Chen 2020: base {figure['base_size']} interviews, runs of "
            f"{figure['run_length']}, at most {figure['threshold']:.0%} new subcategories relative to the base; "
            "a theme without subcategories counts as one)")
    if n < figure["base_size"] + figure["run_length"]:
        return f"{rule}: needs at least {figure['base_size'] + figure['run_length']} interviews, not {n}."
    if not figure["base_codes"]:
        return f"{rule}: not computed, as the base interviews hold no theme."
    if not figure["reached"]:
        return f"{rule}: not reached; every run after the base brought more than {figure['threshold']:.0%}."
    run = figure["runs"][-1]
    new = len(run["new_codes"])
    return (f"{rule}: reached at {figure['after_interview']} of {n} interviews; interviews "
            f"{run['interviews'][0]}–{run['interviews'][1]} brought {new or 'no'} new subcategor"
            f"{'y' if new <= 1 else 'ies'} ({run['share']:.0%} of the base's {figure['base_codes']}); "
            f"{figure['codes_by_then']} of all {figure['codes_in_all']} had appeared by then "
            f"({figure['codes_by_then'] / figure['codes_in_all']:.0%}).")
