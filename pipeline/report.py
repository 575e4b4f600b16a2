"""The candidate themes as rows (for the terminal and --json) and as a Markdown report."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from qualflow.models import Pseudonym, Replacement, Statement, Suggestion, Theme, Transcript, Withdrawal
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    NOT_SIGNIFICANT,
    current_theme_set,
    current_themes,
    live_transcripts,
    study_participants,
    subcategories_of,
    theme_suggestions,
)
from qualflow.pipeline.deid.patterns import MONTH_NAMES, ZH_NUMERALS
from qualflow.pipeline.deid.pseudonym import NameRedactor
from qualflow.pipeline.deid.typed import TypedRedactor
from qualflow.pipeline.describe import ONE_PARTICIPANT, ONE_PARTICIPANT_WHY, one_participant_themes
from qualflow.pipeline.markdown_text import markdown_text
from qualflow.pipeline.persist import exemplars_among_members, load_key_map
from qualflow.pipeline.place import released
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _theme_row(session: Session, theme: Theme, n_participants: int, one_participant: set[int]) -> dict:
    # Stored quotes are kept among the theme's members after every run and decision, but a study from
    # before that (or a withdrawal since) may hold one from another theme: what is shown is checked again.
    chosen = exemplars_among_members(session, theme)
    exemplars = sorted(session.scalars(select(Statement).where(Statement.id.in_(chosen))),
                       key=lambda s: chosen.index(s.id))
    return {
        "code": theme.code,
        "level": theme.level,
        "question": theme.question,
        "label": theme.label,
        "status": theme.status,
        "keywords": theme.keywords,
        "statements": theme.size,
        "participants": theme.participants,
        "participants_covered": f"{len(theme.participants)} of {n_participants}",
        "single_participant": theme.id in one_participant,
        "cohesion": theme.cohesion,
        "exemplars": [{"statement_id": s.id, "participant": s.participant, "text": s.text} for s in exemplars if s],
    }


def theme_rows(session: Session) -> list[dict]:
    """The current themes in the order of their codes (`current_themes`), each with its subcategories: what
    `qualflow themes --json` prints."""
    n_participants = len(study_participants(session))
    one_participant = one_participant_themes(session, current_themes(session))
    rows = []
    for theme in current_themes(session):
        if theme.level != "theme":
            continue
        row = _theme_row(session, theme, n_participants, one_participant)
        row["subcategories"] = [_theme_row(session, sub, n_participants, one_participant)
                                for sub in subcategories_of(session, theme)]
        rows.append(row)
    return rows


# A date in a file name says when someone was interviewed ("P3_2024-03-12.txt"); beside the rota of a
# small ward that names them. Exported names leave dates out, down to a month with its year.
# The month names and Chinese numerals the text's date patterns know (pipeline/deid/patterns.py).
_MONTH = "(?:" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + ")"
_DAY, _D, _M = r"\d{1,2}(?:st|nd|rd|th)?", r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])"
_YEAR, _ZH_DIGIT, _SEP = r"(?:19|20)\d{2}", rf"[0-9０-９{ZH_NUMERALS}两]", r"[\s_.,-]*"
_DATE_IN_NAME = re.compile("|".join([
    rf"(?<!\d){_YEAR}[-_./]{_M}[-_./]{_D}(?!\d)",  # 2024-03-12, 2024_3_12, 2024.03.12
    # Day first (or month first) takes one separator twice and starts a word, so "P9_12.03.2024" is not read from its 9.
    rf"(?<![0-9a-z]){_D}(?P<sep>[-_.]){_D}(?P=sep)(?:{_YEAR}|\d{{2}})(?!\d)",  # 12.03.2024, 12-03-24
    rf"(?<!\d){_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)",  # 20240312
    rf"(?<![0-9a-z])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2]){_YEAR}(?!\d)",  # 12032024
    rf"(?<!\d){_YEAR}[-.]{_M}(?!\d)",  # 2024-03: a month
    # 2024年3月12日, 3月12日, 二〇二四年三月 (a year alone, 2024年, stays: it names no one's interview)
    rf"(?:{_ZH_DIGIT}{{2,4}}\s*年\s*)?{_ZH_DIGIT}{{1,2}}\s*月(?:\s*{_ZH_DIGIT}{{1,3}}\s*[日号號])?",
    rf"(?<![0-9a-z]){_DAY}{_SEP}{_MONTH}(?![a-z])(?:{_SEP}(?:{_YEAR}|'?\d{{2}})(?!\d))?",  # 12 March 2024
    rf"(?<![a-z]){_MONTH}{_SEP}{_DAY}(?![0-9a-z])(?:{_SEP}{_YEAR}(?!\d))?",  # March 12, 2024; Mar12
    rf"(?<![a-z]){_MONTH}{_SEP}(?:{_YEAR}|'\d{{2}})(?!\d)",  # March 2024, Mar '24
]), re.IGNORECASE)
_EXTENSION = re.compile(r"\.[0-9A-Za-z]{1,5}$")
_SEPARATORS = re.compile(r"(?<=[\s_.,-])[\s_.,-]+")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|（\s*）|【\s*】")
UNDATED_NAME = "interview"  # a file named by its date alone ("2024-03-12.txt")


def _split_extension(name: str) -> tuple[str, str]:
    found = _EXTENSION.search(name)
    return (name[: found.start()], found.group()) if found and found.start() > 0 else (name, "")


def without_dates(name: str) -> str:
    """A file name (or path) with its date-like parts left out, and the separators they leave tidied:
    "P3_2024-03-12.txt" becomes "P3.txt", "2024年3月12日_访谈.txt" "访谈.txt"; a folder that was a date goes."""
    parts = []
    *folders, file_name = name.split("/")
    for part in folders:
        kept = _undated(part)
        if kept:
            parts.append(kept)
    stem, extension = _split_extension(file_name)
    parts.append((_undated(stem) or UNDATED_NAME) + extension)
    return "/".join(parts)


def _undated(part: str) -> str:
    kept, found = _DATE_IN_NAME.subn("", part)
    if not found:
        return part  # names without a date go out exactly as before
    kept = _SEPARATORS.sub("", _EMPTY_BRACKETS.sub("", kept))
    return kept.strip(" _.,-")


class ExportNames:
    """Transcript names as they may leave the study: the key map's identifiers replaced (NameRedactor)
    and dates left out. Leaving dates out can give two files one name (P3's interviews of 12 March and
    2 April are both "P3.txt"): the file that came into the study first keeps it and later ones are
    "P3 (2).txt", "P3 (3).txt", so each export names each transcript the same way every time, and a
    coding of the export imports back onto the right file (pipeline/coding/match.py).

    A name a withdrawn participant's file had stays taken (the withdrawal keeps its hash,
    `withdrawn_export_name_hash`): when the first "P3.txt" goes, the second is still "P3 (2).txt", as in
    exports made before, and no later file is given the name those exports used for the withdrawn one.
    Withdrawals made before qualflow kept these hashes kept none: there the names did shift."""

    def __init__(self, session: Session):
        self._redact = NameRedactor(load_key_map(session))
        self._given: dict[str, str] = {}
        taken: set[str] = set()
        withdrawn = {h for hashes in session.scalars(select(Withdrawal.name_hashes)) for h in hashes or []}
        first_seen = func.min(Transcript.id)
        for source_name, _ in session.execute(select(Transcript.source_name, first_seen)
                                              .group_by(Transcript.source_name).order_by(first_seen)):
            shown = self._undated(source_name)
            stem, extension = _split_extension(shown)
            number = 1
            # Import matches names ignoring case.
            while shown.casefold() in taken or withdrawn_export_name_hash(shown) in withdrawn:
                number += 1
                shown = f"{stem} ({number}){extension}"
            taken.add(shown.casefold())
            self._given[source_name] = shown

    def _undated(self, name: str) -> str:
        return without_dates(self._redact(name))

    def with_dates(self, name: str) -> str:
        """The name exports gave before they left dates out: identifiers replaced, dates kept."""
        return self._redact(name)

    def __call__(self, name: str | None) -> str | None:
        if not name:
            return name
        return self._given.get(name) or self._undated(name)


def withdrawn_export_name_hash(shown: str) -> str:
    """How a withdrawal keeps an export name its files had (`Withdrawal.name_hashes`, beside the hashes of
    their stored names, which a different prefix keeps apart): hashed, as a name may still say something."""
    return hashlib.sha256(f"withdrawn-export-name:{shown.casefold()}".encode()).hexdigest()


def export_names(session: Session) -> ExportNames:
    """Transcript names as they may leave the study: identifiers replaced, dates left out, each unique."""
    return ExportNames(session)


def statement_rows(session: Session, theme: Theme) -> list[dict]:
    """The statements of one theme, each traceable to its transcript and offsets."""
    name = export_names(session)
    return [
        {
            "statement_id": suggestion.statement.id,
            "participant": suggestion.statement.participant,
            "transcript": name(suggestion.statement.transcript.source_name),
            "transcript_id": suggestion.statement.transcript_id,
            "start": suggestion.statement.start,
            "end": suggestion.statement.end,
            "similarity": suggestion.similarity,
            "outlier": suggestion.outlier,
            "weak_fit": suggestion.weak_fit,
            "assignment": suggestion.status,
            "text": suggestion.statement.text,
        }
        for suggestion in theme_suggestions(session, theme)
    ]


ASSIGNMENT_COLUMNS = [
    "statement_id", "unit_id", "document", "participant", "question", "start", "end", "text", "theme_id",
    "theme_label", "parent_theme_id", "parent_theme_label", "parent_theme_status", "similarity", "status", "assignment_status",
    "weak_fit", "outlier",
]


def assignment_rows(session: Session) -> list[dict]:
    """One row per clustered statement in the current theme set: where it is, what it says
    (de-identified), its subcategory and theme, and how well it fits. `status` is the
    subcategory's (or theme's) status, which pipeline/coding reads to leave out rejected and
    merged themes; `assignment_status` is the reviewer's decision on this statement's place
    (suggested or confirmed). Statements in no theme are not here: `export_assignment_rows` adds them.

    A unit's `unit_id` is its id in the units file, to join the export back to that table; `question`
    its survey question (de-identified as it was stored). Both are None for statements cut from
    transcripts. The id is the researcher's and never went through de-identification: a careless
    table's id column may hold a respondent's name or e-mail address, so it leaves the study as typed
    text does (`TypedRedactor`: the key map's identifiers become their placeholders, e-mail addresses,
    phone numbers, ID numbers and dates of birth their kind); ordinary ids ("u1", "R_3kX", "17") are
    exported exactly."""
    rows, cells = [], _statement_cells(session)
    for theme in current_themes(session):
        # A reviewer's split can place statements straight into a top-level theme.
        parent = session.get(Theme, theme.parent_id) if theme.parent_id else None
        # Old transcript versions' rows are "superseded", not active; the live filter says so once more.
        for suggestion in session.scalars(select(Suggestion).join(Statement, Statement.id == Suggestion.statement_id)
                                          .where(Suggestion.theme_id == theme.id,
                                                 Suggestion.status.in_(ACTIVE_ASSIGNMENT),
                                                 Statement.transcript_id.in_(live_transcripts()))
                                          .options(selectinload(Suggestion.statement)
                                                   .selectinload(Statement.transcript),
                                                   selectinload(Suggestion.statement).selectinload(Statement.turn))):
            rows.append(cells(suggestion.statement) | {
                "theme_id": theme.code, "theme_label": theme.label,
                "parent_theme_id": parent.code if parent else None, "parent_theme_label": parent.label if parent else None,
                "parent_theme_status": parent.status if parent else None,
                "similarity": suggestion.similarity, "status": theme.status,
                "assignment_status": suggestion.status, "weak_fit": suggestion.weak_fit,
                "outlier": suggestion.outlier,
            })
    return sorted(rows, key=lambda r: r["statement_id"])


def _statement_cells(session: Session):
    """A function giving a statement's own columns of `ASSIGNMENT_COLUMNS`, as they may leave the study."""
    name, unit_id = export_names(session), TypedRedactor(load_key_map(session))

    def cells(statement: Statement) -> dict:
        meta = (statement.turn.meta if statement.turn else None) or {}
        return {"statement_id": statement.id, "unit_id": unit_id(meta.get("unit_id")) or None,
                "document": name(statement.transcript.source_name), "participant": statement.participant,
                "question": meta.get("question") or None, "start": statement.start, "end": statement.end,
                "text": statement.text}

    return cells


# `assignment_status` of a statement in no theme: why it is in none.
TAKEN_OUT = "taken-out"  # a reviewer took it out of its theme (or kept it out of a merge); it stays out
RELEASED = "released"  # a reviewer rejected its theme; the next run suggests it into another
NOT_SIGNIFICANT_STATUS = "not-significant"  # a reviewer marked it not significant
UNPLACED = "unplaced"  # no run has placed it yet


def export_assignment_rows(session: Session) -> list[dict]:
    """What `qualflow export assignments` writes: one row per statement the study clusters or a
    reviewer took out of clustering, so that a table joined on `statement_id` loses none. Statements
    in a theme as `assignment_rows` gives them; the others with no theme, and `assignment_status`
    saying why (TAKEN_OUT, RELEASED, NOT_SIGNIFICANT_STATUS, UNPLACED). Statements the selection step
    left out (interviewer turns, back-channel) are not rows: `qualflow statements --excluded` lists them."""
    if current_theme_set(session) is None:
        return []
    rows = assignment_rows(session)
    placed = {r["statement_id"] for r in rows}
    outside = [s for s in session.scalars(
        select(Statement).where(Statement.transcript_id.in_(live_transcripts()),
                                Statement.significant.is_(True) | (Statement.excluded_reason == NOT_SIGNIFICANT))
        .options(selectinload(Statement.transcript), selectinload(Statement.turn)))
        if s.id not in placed]
    released_ids = released(session, [s.id for s in outside if s.significant])
    # Filtered here: an IN list of every statement could pass SQLite's bound-parameter limit.
    taken_out = set(session.scalars(select(Suggestion.statement_id).where(Suggestion.status == "rejected")))
    cells = _statement_cells(session)
    for statement in outside:
        why = (NOT_SIGNIFICANT_STATUS if not statement.significant else RELEASED if statement.id in released_ids
               else TAKEN_OUT if statement.id in taken_out else UNPLACED)
        rows.append(dict.fromkeys(ASSIGNMENT_COLUMNS) | cells(statement) | {"assignment_status": why})
    return sorted(rows, key=lambda r: r["statement_id"])


def statement_list(session: Session, significant: bool) -> list[dict]:
    """Statements with their place in the transcripts; excluded ones carry the reason."""
    rows = session.scalars(
        select(Statement).where(Statement.significant.is_(significant),
                                Statement.transcript_id.in_(live_transcripts()))
        .options(selectinload(Statement.transcript)).order_by(Statement.transcript_id, Statement.index)
    )
    name = export_names(session)
    return [
        {
            "statement_id": s.id, "participant": s.participant, "transcript": name(s.transcript.source_name),
            "transcript_id": s.transcript_id, "start": s.start, "end": s.end, "reason": s.excluded_reason,
            "text": s.text,
        }
        for s in rows
    ]


def deidentification_rows(session: Session) -> list[dict]:
    """Each placeholder with the original it replaced, how it was found, and where."""
    originals = {p.placeholder: (p.kind, p.real) for p in session.scalars(select(Pseudonym))}
    grouped: dict[str, dict] = {}
    rows = session.execute(
        select(Replacement.placeholder, Replacement.found_by, Transcript.source_name)
        .join(Transcript, Transcript.id == Replacement.transcript_id)
        .where(Transcript.id.in_(live_transcripts()))
        .order_by(Replacement.id)
    )
    for placeholder, found_by, source_name in rows:
        kind, real = originals.get(placeholder, ("?", "?"))
        entry = grouped.setdefault(placeholder, {"placeholder": placeholder, "kind": kind, "original": real,
                                                 "found_by": [], "occurrences": 0, "transcripts": []})
        entry["occurrences"] += 1
        if found_by not in entry["found_by"]:
            entry["found_by"].append(found_by)
        if source_name not in entry["transcripts"]:
            entry["transcripts"].append(source_name)
    # Key-map entries with no place in the current text still replaced something a reader could see.
    for placeholder, (kind, real) in originals.items():
        grouped.setdefault(placeholder, {
            "placeholder": placeholder, "kind": kind, "original": real, "occurrences": 0, "transcripts": [],
            "found_by": ["outside the text: a participant id, file name or survey question (or an earlier version)"]})
    return sorted(grouped.values(), key=lambda e: (e["kind"], _placeholder_number(e["placeholder"])))


def _placeholder_number(placeholder: str) -> int:
    digits = "".join(ch for ch in placeholder if ch.isdigit())
    return int(digits) if digits else 0


def fit_summary(session: Session) -> dict:
    """How many clustered statements lay outside every dense cluster, and how many of those fit weakly."""
    theme_set = current_theme_set(session)
    if theme_set is None:
        return {"statements": 0, "placed_by_nearest_theme": 0, "weak_fits": 0, "weak_fit_share": 0.0}
    # Live themes only, as the export counts: a row left in a withdrawn theme places nothing.
    ids = [t.id for t in current_themes(session)]
    rows = session.execute(select(Suggestion.outlier, Suggestion.weak_fit).where(
        Suggestion.theme_id.in_(ids), Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all()
    weak = sum(1 for _, w in rows if w)
    return {"statements": len(rows), "placed_by_nearest_theme": sum(1 for o, _ in rows if o), "weak_fits": weak,
            "weak_fit_share": round(weak / len(rows), 4) if rows else 0.0}


def markdown_report(session: Session, title: str = "qualflow: candidate themes") -> str:
    theme_set = current_theme_set(session)
    rows = theme_rows(session)
    n_participants = len(study_participants(session))
    fit = fit_summary(session)
    created = theme_set.created_at if theme_set else datetime.now(UTC)
    # Counted now, not as the themes were made: a withdrawal deletes statements between runs.
    n_statements = session.scalar(select(func.count()).select_from(Statement).where(
        Statement.significant.is_(True), Statement.transcript_id.in_(live_transcripts()))) if theme_set else 0
    lines = [
        f"# {title}",
        "",
        (f"Suggestions for a researcher to review, not findings. Made {created:%Y-%m-%d %H:%M} UTC "
         f"with encoder `{theme_set.encoder_id if theme_set else '-'}` from "
         f"{n_statements} significant statements by {n_participants} participants: "
         f"{len(rows)} themes, {sum(len(r['subcategories']) for r in rows)} subcategories. "
         f"{fit['placed_by_nearest_theme']} statements lay outside every dense cluster and were placed in the "
         f"nearest subcategory; {fit['weak_fits']} of them ({fit['weak_fit_share']:.0%}) fit weakly "
         f"(`qualflow export assignments` lists them)."),
        "",
        "| code | theme / subcategory | keywords | statements | participants | cohesion |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        for item in [row] + row["subcategories"]:
            name = f"**{_md(item['label'])}**" if item["level"] == "theme" else f"↳ {_md(item['label'])}"
            name += " (confirmed)" if item["status"] == "confirmed" else ""
            lines.append(f"| {item['code']} | {name} | {_md(', '.join(item['keywords'][:6]))} | {item['statements']} "
                         f"| {_covered(item)} | {item['cohesion']:.2f} |")
    for row in rows:
        asked = f" (question: {_md(row['question'])})" if row["question"] else ""
        lines += ["", f"## {row['code']}: {_md(row['label'])}{asked}", ""]
        lines.append(f"Keywords: {_md(', '.join(row['keywords']))}. {row['statements']} statements from "
                     f"{row['participants_covered']} participants ({', '.join(row['participants'])}).{_why(row)}")
        for sub in row["subcategories"]:
            lines += ["", f"### {sub['code']}: {_md(sub['label'])}", "",
                      f"{sub['statements']} statements, {sub['participants_covered']} participants.{_why(sub)}", ""]
            for exemplar in sub["exemplars"]:
                lines.append(f"> {_md(_quote(exemplar['text'], 400))} ({exemplar['participant'] or 'unknown'})")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _covered(row: dict) -> str:
    """"1 of 9 (one participant)" for a theme resting on one participant: the report flags it too."""
    return row["participants_covered"] + (f" ({ONE_PARTICIPANT})" if row["single_participant"] else "")


def _why(row: dict) -> str:
    return f" {ONE_PARTICIPANT_WHY}" if row["single_participant"] else ""


def _md(text: str) -> str:
    return markdown_text(text)
