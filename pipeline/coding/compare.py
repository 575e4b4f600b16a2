"""`qualflow compare`: qualflow's current themes against the imported manual coding.

The common unit is the stored statement that qualflow clusters (`Statement.significant`), for
qualflow against a coder and for the human ceiling alike: interviewer turns, back-channels and
statements too short are left out on both sides, and each comparison says how many there were
and how many of them each coder had coded ("statements_not_units", "coded_statements_left_out").
Character figures stay over the whole text, as NVivo counts them. Codings under qualflow's own
name (an import of qualflow's export) are never a coder. A human code is on a statement when its coded span
and the statement overlap by at least half of the shorter of the two (a highlight inside a
long statement counts, a word grazing a neighbour does not). qualflow's label is the
statement's subcategory or theme (`level`), read through pipeline.report's assignment rows.
Only live transcripts the human coded take part: codings follow an edited file to its new version
(pipeline/coding/carry.py); any still on a replaced version (imported before that existed) are
counted and left out, and the CLI says to import the coding file again. With two or more coders, each is compared with
qualflow, and the first two with each other: the human ceiling.

Each comparison is over the transcripts both sides coded: qualflow against a coder over the
transcripts that coder coded, two coders over the transcripts both coded (a transcript only
one coder coded is not evidence that the other coded nothing in it). Every figure says over
how many transcripts and statements it is computed ("transcripts", "statements"). Two coders
are compared code by code name (they share a codebook); only qualflow's themes are matched
to codes by overlap. With `level` "auto", each comparison with a coder picks qualflow's level
from those same transcripts (`choose_level`) and says which ("level"); the result's "level" is
the first comparison's.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from qualflow.models import Statement, Transcript, Turn
from qualflow.models.coding import ManualCode, ManualCoding
from qualflow.models.queries import live_transcripts
from qualflow.pipeline.coding.agreement import Labelling, compare
from qualflow.pipeline.coding.export_refi import HIDDEN_STATUSES
from qualflow.pipeline.coding.records import is_qualflow_coder
from qualflow.pipeline.report import assignment_rows
from sqlalchemy import select
from sqlalchemy.orm import Session

MIN_OVERLAP = 0.5
LEVELS = ("auto", "theme", "subcategory")
QUALFLOW_LEVELS = ("theme", "subcategory")


def _code_names(session: Session, depth: int | None) -> dict[int, str]:
    """code id -> the name compared: its full path, or its ancestor at `depth` (1 = top)."""
    names = {}
    for code in session.scalars(select(ManualCode)):
        parts = code.path.split(" / ")
        names[code.id] = " / ".join(parts[:depth]) if depth else code.path
    return names


def study_labellings(session: Session, level: str = "auto", depth: int | None = None) -> dict:
    """The statements compared (the units), qualflow's labelling at each level that may be
    compared (both for "auto") and one labelling per human coder.

    The units are the statements qualflow clusters (`Statement.significant`): qualflow cannot
    label any other, so counting them would add automatic agreements (neither side coded an
    interviewer turn) or automatic misses (a human coded a back-channel). Both qualflow against a
    coder and the human ceiling are over these same units. Each coder's codes on the statements
    left out are counted by reason ("left_out"); spans stay whole for the character figures."""
    codings = [c for c in session.scalars(select(ManualCoding).where(
        ManualCoding.start.is_not(None), ManualCoding.transcript_id.in_(live_transcripts())))
        if not is_qualflow_coder(c.coder)]  # an earlier import of qualflow's own export: not a coder
    names = _code_names(session, depth)
    transcript_ids = sorted({c.transcript_id for c in codings})
    every = session.execute(select(Statement, Turn.role).join(Turn, Turn.id == Statement.turn_id)
                            .where(Statement.transcript_id.in_(transcript_ids))
                            .order_by(Statement.transcript_id, Statement.index)).all()
    all_statements = [statement for statement, _ in every]
    lengths = {t.id: len(t.text) for t in session.scalars(select(Transcript).where(Transcript.id.in_(transcript_ids)))}
    coders = _coder_labellings(codings, all_statements, names)

    units = [i for i, statement in enumerate(all_statements) if statement.significant]
    reasons = {i: (statement.transcript_id, why_not_a_unit(statement.excluded_reason, role))
               for i, (statement, role) in enumerate(every) if not statement.significant}
    left_out = {name: [reasons[i] for i, unit in enumerate(coder.units) if unit and i in reasons]
                for name, coder in coders.items()}
    coders = {name: Labelling(name, [coder.units[i] for i in units], coder.spans) for name, coder in coders.items()}
    statements = [all_statements[i] for i in units]

    position_of = {s.id: i for i, s in enumerate(statements)}
    rows = [r for r in assignment_rows(session)
            if r["statement_id"] in position_of and r["status"] not in HIDDEN_STATUSES]

    def group(row: dict, at: str) -> tuple[str, str]:
        # A reviewer's split can place a statement straight into a theme: it has no parent.
        if at == "theme" and row["parent_theme_id"]:
            return row["parent_theme_id"], row["parent_theme_label"]
        return row["theme_id"], row["theme_label"]

    qualflow = {at: Labelling("qualflow", [set() for _ in statements])
                for at in (QUALFLOW_LEVELS if level == "auto" else (level,))}
    for row in rows:
        position = position_of[row["statement_id"]]
        statement = statements[position]
        for at, labelling in qualflow.items():
            label = " ".join(group(row, at))
            labelling.units[position].add(label)
            labelling.spans.setdefault(label, []).append((statement.transcript_id, statement.start, statement.end))
    coded_transcripts: dict[str, set[int]] = defaultdict(set)
    for coding in codings:
        coded_transcripts[coding.coder].add(coding.transcript_id)
    return {"statements": statements, "lengths": lengths, "qualflow": qualflow, "level": level,
            "coders": [coders[name] for name in sorted(coders, key=lambda n: (-_coded(coders[n]), n))],
            "coded_transcripts": dict(coded_transcripts),
            "not_units": list(reasons.values()), "left_out": left_out}


def why_not_a_unit(excluded_reason: str | None, role: str) -> str:
    """Why qualflow does not cluster a statement, in a few words: its stored exclusion reason
    without the detail ("too short (1 content word)" -> "too short"), else its turn's role."""
    if excluded_reason:
        return excluded_reason.split(" (")[0]
    return {"interviewer": "interviewer turn", "other": "other speaker"}.get(role, "not significant")


def _coder_labellings(codings: list[ManualCoding], statements: list[Statement], names: dict[int, str]
                      ) -> dict[str, Labelling]:
    """Each coder's codes on `statements` (the overlap rule) and their spans."""
    by_transcript = defaultdict(list)
    for position, statement in enumerate(statements):
        by_transcript[statement.transcript_id].append((statement.start, statement.end, position))
    coders: dict[str, Labelling] = {}
    for coding in codings:
        if coding.coder not in coders:
            coders[coding.coder] = Labelling(coding.coder, [set() for _ in statements])
        coder = coders[coding.coder]
        code = names[coding.code_id]
        coder.spans.setdefault(code, []).append((coding.transcript_id, coding.start, coding.end))
        for start, end, position in by_transcript[coding.transcript_id]:
            overlap = min(end, coding.end) - max(start, coding.start)
            if overlap > 0 and overlap >= MIN_OVERLAP * min(end - start, coding.end - coding.start):
                coder.units[position].add(code)
    return coders


def codings_on_replaced_versions(session: Session) -> int:
    """Placed codings whose transcript has been replaced by a newer version: left out of the comparison."""
    return len(list(session.scalars(select(ManualCoding.id).where(
        ManualCoding.start.is_not(None), ManualCoding.transcript_id.is_not(None),
        ManualCoding.transcript_id.not_in(live_transcripts())))))


def _coded(labelling: Labelling) -> int:
    return sum(1 for unit in labelling.units if unit)


def choose_level(groups: dict[str, int], codes: int) -> str:
    """The qualflow level whose number of groups is closest to the number of codes (ties: subcategory)."""
    return min(QUALFLOW_LEVELS, key=lambda at: (abs(groups[at] - codes), at))


def _level_for(data: dict, coder: Labelling, transcripts: set[int]) -> str:
    """qualflow's level against `coder`, counted over the transcripts that comparison scores."""
    if data["level"] != "auto":
        return data["level"]
    groups = {at: sum(1 for spans in labelling.spans.values() if any(s[0] in transcripts for s in spans))
              for at, labelling in data["qualflow"].items()}
    # The coder's codes on the compared statements: the number `compare` reports as "codes" (a
    # code only on interviewer turns is none qualflow could group).
    codes = {code for statement, unit in zip(data["statements"], coder.units, strict=True)
             if statement.transcript_id in transcripts for code in unit}
    return choose_level(groups, len(codes))


UNITS = ("statements qualflow clusters (significant statements of live transcripts); interviewer turns and "
         "statements too short or not significant are left out on both sides")
CHARACTERS = ("every character of the compared transcripts, interviewer turns included, as NVivo's coding "
              "comparison counts them")


def compare_study(session: Session, level: str = "auto", depth: int | None = None) -> dict:
    """Every comparison as one JSON-ready dict, with disagreement examples for the report."""
    data = study_labellings(session, level, depth)
    result = {"level": data["level"], "code_depth": f"depth {depth}" if depth else "as coded",
              "units": UNITS, "characters": CHARACTERS, "comparisons": [], "human_ceiling": None,
              "codings_on_replaced_versions": codings_on_replaced_versions(session),
              "qualflow_codings_ignored": qualflow_codings_ignored(session),
              "coders_not_compared": coders_without_placed_codings(session)}
    if not data["coders"]:
        return result
    coded = data["coded_transcripts"]
    for coder in data["coders"]:
        level = _level_for(data, coder, coded[coder.name])
        figures, reference, candidate, statements = _compare_over(data, coder, data["qualflow"][level],
                                                                  coded[coder.name])
        figures["level"] = level
        figures["examples"] = _examples(figures, reference, candidate, statements)
        result["comparisons"].append(figures)
    result["level"] = result["comparisons"][0]["level"]
    if len(data["coders"]) >= 2:
        first, second = data["coders"][:2]
        ceiling = _compare_over(data, first, second, coded[first.name] & coded[second.name], same_codebook=True)[0]
        ceiling["examples"] = []
        result["human_ceiling"] = ceiling
    return result


def qualflow_codings_ignored(session: Session) -> int:
    """Imported codings by qualflow's own user (its exports, imported back): they are qualflow's
    themes, never compared as a human coder (it would agree with itself and could take a human's
    place in the human ceiling)."""
    return sum(1 for coder in session.scalars(select(ManualCoding.coder)) if is_qualflow_coder(coder))


def coders_without_placed_codings(session: Session) -> list[dict]:
    """Coders none of whose spans found a place in a live transcript: no comparison can include
    them, so they are named rather than silently missing."""
    spans: dict[str, int] = defaultdict(int)
    placed: set[str] = set()
    live = set(session.scalars(live_transcripts()))
    for coder, start, transcript_id in session.execute(select(ManualCoding.coder, ManualCoding.start,
                                                              ManualCoding.transcript_id)):
        if is_qualflow_coder(coder):
            continue
        spans[coder] += 1
        if start is not None and transcript_id in live:
            placed.add(coder)
    return [{"coder": coder, "spans": n} for coder, n in sorted(spans.items()) if coder not in placed]


def _left_out(reasons: list[tuple[int, str]], transcripts: set[int]) -> dict:
    """How many statements of `transcripts` are in `reasons`, and why."""
    counts = Counter(reason for transcript_id, reason in reasons if transcript_id in transcripts)
    return {"statements": sum(counts.values()), "by_reason": dict(sorted(counts.items()))}


def _within(labelling: Labelling, positions: list[int], transcripts: set[int]) -> Labelling:
    """`labelling` on the statements at `positions` and the spans in `transcripts` only."""
    spans = {label: kept for label, found in labelling.spans.items()
             if (kept := [span for span in found if span[0] in transcripts])}
    return Labelling(labelling.name, [labelling.units[i] for i in positions], spans)


def _compare_over(data: dict, reference: Labelling, candidate: Labelling, transcripts: set[int],
                  same_codebook: bool = False) -> tuple[dict, Labelling, Labelling, list]:
    """`compare` over the statements and characters of `transcripts` only, saying how many."""
    positions = [i for i, statement in enumerate(data["statements"]) if statement.transcript_id in transcripts]
    lengths = {t: n for t, n in data["lengths"].items() if t in transcripts}
    reference, candidate = _within(reference, positions, transcripts), _within(candidate, positions, transcripts)
    figures = compare(reference, candidate, lengths, same_codebook=same_codebook)
    coders = [name for name in (figures["reference"], figures["candidate"]) if name in data["left_out"]]
    figures = {"reference": figures.pop("reference"), "candidate": figures.pop("candidate"),
               "transcripts": len(transcripts), **figures,
               "statements_not_units": _left_out(data["not_units"], transcripts),
               "coded_statements_left_out": {name: _left_out(data["left_out"][name], transcripts) for name in coders}}
    return figures, reference, candidate, [data["statements"][i] for i in positions]


def _examples(figures: dict, reference: Labelling, candidate: Labelling, statements: list, per_code: int = 2) -> list:
    """Statements the two sides disagree on, per code: coded but put elsewhere (missed) and
    put in the matched label but not coded (extra). Text is the stored, de-identified text."""
    examples = []
    for row in figures["per_code"]:
        code, label = row["code"], row["matched_label"]
        missed = [i for i, unit in enumerate(reference.units) if code in unit and label not in candidate.units[i]]
        extra = [i for i, unit in enumerate(candidate.units) if label and label in unit
                 and code not in reference.units[i]]
        for kind, chosen in (("coded, not in the matched theme", missed), ("in the matched theme, not coded", extra)):
            for i in chosen[:per_code]:
                statement = statements[i]
                examples.append({"code": code, "matched_label": label, "kind": kind,
                                 "statement_id": statement.id, "participant": statement.participant,
                                 "qualflow_label": ", ".join(sorted(candidate.units[i])) or None,
                                 "human_codes": ", ".join(sorted(reference.units[i])) or None,
                                 "text": statement.text})
    return examples
