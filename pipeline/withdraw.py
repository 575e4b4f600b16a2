"""A participant withdraws consent: their words leave the study, and later runs keep them out.

`qualflow withdraw P3` deletes, for every version of every file they speak in:
- a file that is theirs alone (no other participant speaks in it): the whole transcript, its
  turns, statements, replacements, the manual codings on it;
- a file others speak in too (a focus group, a couple): their turns only. Their words in the
  stored text are overwritten in place with spaces (so every other statement's offsets stay
  right), and their statements, replacements and overlapping manual codings are deleted;
- with their statements: assignments, memos on them, and cached vectors no other statement uses;
- in every other memo (on a theme, on someone else's statement), in every theme name and description
  (a reviewer's rename may copy a quote) and in the log's summaries and snapshots, a passage quoting
  them (pipeline/withdraw_memos.py);
- key-map entries (real name -> placeholder) that only the deleted material used.

Themes keep their ids and every reviewer decision; their sizes, participants and exemplar quotes are
recomputed. A theme left with no statement but theirs was described in their words: its suggested name,
description and keywords go (what a reviewer typed stays). The decision log quotes theme names in its
summaries and holds names and descriptions in its snapshots: those same suggested words are replaced
there too, in place (`_scrub_log`), as are passages of a typed name quoting them (withdraw_memos), the
one change ever made to the append-only log, so that `audit`, `review undo` and the web app's Undo button
quote none of them and an undo restores the cleared name.
Decisions that touched their statements can no longer be undone (review/undo.py): the plan lists them.

A `Withdrawal` row keeps the participant's id and the hashes of the removed files (and of the names
exports gave them, which stay taken: pipeline/report.py `ExportNames`), so a later run
skips those files if they are still in the inbox, and drops this participant's turns from any new
file (`drop_withdrawn_turns`). Nothing outside the study database is touched: reports and exports
written before, and the files in the inbox, are the researcher's to delete.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from qualflow.models import (
    Decision,
    Embedding,
    Memo,
    Pseudonym,
    Replacement,
    Statement,
    Suggestion,
    Theme,
    Transcript,
    Turn,
    Withdrawal,
)
from qualflow.models.codebook import refresh_counts, with_parents
from qualflow.models.coding import ManualCoding
from qualflow.pipeline.deid.pseudonym import normalise
from qualflow.pipeline.persist import participant_spellings
from qualflow.pipeline.withdraw_memos import (
    decisions_quoting,
    imported_codes_quoting,
    memos_quoting,
    their_words,
    themes_quoting,
)
from qualflow.pipeline.turns import participant_code
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from qualflow.review.undo import Permanence

EMPTIED_LABEL = "(emptied: its statements were a withdrawn participant's)"
# What a log summary quotes instead of a suggested name that was a withdrawn participant's words.
WITHDRAWN_NAME = "(a suggested name made of a withdrawn participant's words)"


def name_hash(source_name: str) -> str:
    return hashlib.sha256(f"withdrawn-file:{source_name}".encode()).hexdigest()


def person_hash(kind: str, real: str) -> str:
    """A key-map name's hash, as the key map normalises names ("Mary  JONES" is "mary jones")."""
    return hashlib.sha256(f"withdrawn-person:{kind}:{normalise(real)}".encode()).hexdigest()


@dataclass
class WithdrawalPlan:
    """What withdrawing `participant` deletes: shown before anything is deleted."""

    participant: str
    # Every spelling the study stores them under: a study run before codes had one spelling may hold
    # both "P01" (from a header) and "P1" (from a file name) for one person (`participant_code`).
    ids: set[str] = field(default_factory=set)
    whole: list[int] = field(default_factory=list)  # transcripts deleted entirely (all versions)
    partial: list[int] = field(default_factory=list)  # transcripts that lose only this participant's turns
    # Versions only they speak in, of a file others speak in (in another version): emptied, not deleted,
    # so the other versions, and what was decided on them, keep their place in the file's history.
    emptied: list[int] = field(default_factory=list)
    statements: int = 0
    assigned: int = 0  # of those statements, how many sit in a theme
    themes: int = 0  # themes that lose statements
    # Decisions undo can no longer reverse once their statements are gone (review/undo.py `made_permanent`).
    permanent: Permanence | None = None
    # Found here to be named before anything is deleted (withdraw_memos). `withdraw` finds them again under
    # its write lock, from `theirs`: a memo or rename saved since is rewritten as it reads then.
    theirs: list[str] = field(default_factory=list, repr=False)  # their statements' texts
    quoting_memos: dict[int, str] = field(default_factory=dict)  # other memo id -> its text without their words
    quoting_themes: dict[int, dict[str, str]] = field(default_factory=dict)  # theme id -> name, description
    quoting_decisions: dict[int, dict] = field(default_factory=dict)  # logged decision id -> summary, snapshots
    # Imported manual codes naming them (import id -> code ids): named only, the researcher edits the import.
    quoting_codes: dict[int, list[int]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.whole and not self.partial and not self.emptied


def study_participant(session: Session, who: str) -> str | None:
    """The study's id for `who`: an id as the study shows it (P3, [PERSON_2]), or a real name the key
    map holds (the researcher may know the person only by name). None when neither is known."""
    who = who.strip()
    if stored_ids(session, who):
        return participant_code(who)
    placeholder = session.scalar(select(Pseudonym.placeholder).where(
        Pseudonym.kind == "PERSON", func.lower(Pseudonym.real) == who.lower()))
    if placeholder is None:
        return None
    if session.scalar(select(Turn.participant).where(Turn.participant == placeholder).limit(1)):
        return placeholder
    # A named speaker of a shared file ("Tom: …" in Zara's file) has an id of that file ("[PERSON_1]-2");
    # the key map's placeholder for their name is their speaker label.
    labelled = set(session.scalars(select(Turn.participant).where(
        Turn.speaker_label == placeholder, Turn.role == "participant", Turn.participant.is_not(None))))
    return labelled.pop() if len(labelled) == 1 else None


def stored_ids(session: Session, participant: str) -> set[str]:
    """The ids the study stores `participant` under: "P1" finds "P01" and "P1"; any other id only itself."""
    return set(participant_spellings(session).get(participant_code(participant), ()))


def plan_withdrawal(session: Session, participant: str) -> WithdrawalPlan:
    plan = WithdrawalPlan(participant, stored_ids(session, participant) | {participant})
    touched = set(session.scalars(select(Turn.transcript_id).where(Turn.participant.in_(plan.ids))))
    alone = set()
    for transcript_id in sorted(touched):
        others = session.scalar(select(func.count()).select_from(Turn).where(
            Turn.transcript_id == transcript_id, Turn.role == "participant",
            or_(Turn.participant.is_(None), Turn.participant.not_in(plan.ids))))
        if others:
            plan.partial.append(transcript_id)
        else:
            alone.add(transcript_id)
    # A file goes whole only when every version of it is theirs alone (versions point at each other);
    # when others speak in some version, the versions only they speak in are emptied instead.
    plan.whole, seen = [], set()
    for transcript_id in sorted(alone):
        if transcript_id in seen:
            continue
        chain = _with_versions(session, [transcript_id])
        seen |= chain
        (plan.whole if chain <= alone else plan.emptied).extend(sorted(chain & alone))
    plan.whole.sort()
    plan.emptied.sort()
    statement_ids = _statements(session, plan)
    plan.statements = len(statement_ids)
    active = session.execute(select(Suggestion.statement_id, Suggestion.theme_id).where(
        Suggestion.statement_id.in_(statement_ids), Suggestion.status.in_(("suggested", "confirmed")))).all()
    plan.assigned = len({s for s, _ in active})
    plan.themes = len({t for _, t in active})
    from qualflow.review.undo import made_permanent  # review imports the pipeline, not the other way

    memos = set(session.scalars(select(Memo.id).where(Memo.statement_id.in_(statement_ids))))
    plan.permanent = made_permanent(session, set(statement_ids), memos)
    plan.theirs = theirs = their_words(session, statement_ids)
    plan.quoting_memos = memos_quoting(session, theirs, memos)
    plan.quoting_themes = themes_quoting(session, theirs)
    plan.quoting_decisions = decisions_quoting(session, theirs)
    plan.quoting_codes = imported_codes_quoting(session, theirs)
    return plan


def _with_versions(session: Session, transcript_ids: list[int]) -> set[int]:
    found, todo = set(), list(transcript_ids)
    while todo:
        transcript = session.get(Transcript, todo.pop())
        if transcript is None or transcript.id in found:
            continue
        found.add(transcript.id)
        todo += [i for i in (transcript.previous_version_id, transcript.superseded_by_id) if i]
    return found


def _statements(session: Session, plan: WithdrawalPlan) -> list[int]:
    return list(session.scalars(select(Statement.id).where(or_(
        Statement.transcript_id.in_(plan.whole + plan.emptied),
        Statement.turn_id.in_(select(Turn.id).where(Turn.transcript_id.in_(plan.partial),
                                                    Turn.participant.in_(plan.ids)))))))


def withdraw(session: Session, plan: WithdrawalPlan) -> dict:
    """Delete what `plan` lists, in the caller's transaction; returns the counts deleted."""
    statement_ids = _statements(session, plan)
    candidates = _placeholders_in(session, plan)
    theme_ids = set(session.scalars(select(Suggestion.theme_id).where(Suggestion.statement_id.in_(statement_ids))))
    hashes = set(session.scalars(select(Statement.text_hash).where(Statement.id.in_(statement_ids))))
    removed_files = [session.get(Transcript, i) for i in plan.whole]
    exported_as = _export_names_of(session, removed_files)
    emptied_hashes = {session.get(Transcript, i).content_hash for i in plan.emptied}
    counts = {"transcripts": len(plan.whole), "transcripts_edited": len(plan.partial) + len(plan.emptied),
              "statements": len(statement_ids), "themes_touched": len(theme_ids)}

    # The first write: from here on SQLite lets no one else write until this commits.
    counts["memos"] = session.execute(delete(Memo).where(Memo.statement_id.in_(statement_ids))).rowcount
    # Found again, as they read now, and on PostgreSQL held (FOR UPDATE) until this commits: a rename or memo
    # a reviewer saved after the plan was read is rewritten, not overwritten with what the plan read.
    quoting_memos = memos_quoting(session, plan.theirs, set(), lock=True)
    quoting_themes = themes_quoting(session, plan.theirs, lock=True)
    quoting_decisions = decisions_quoting(session, plan.theirs, lock=True)
    for memo_id, text_left in quoting_memos.items():
        session.get(Memo, memo_id).text = text_left
    counts["memos_unquoted"] = len(quoting_memos)
    for theme_id, fields in quoting_themes.items():
        theme = session.get(Theme, theme_id)
        for name, value in fields.items():
            setattr(theme, name, value)
    session.flush()  # written before `expire_all` below
    counts["themes_unquoted"] = len(quoting_themes)
    session.execute(delete(Suggestion).where(Suggestion.statement_id.in_(statement_ids)))
    counts["manual_codings"] = _delete_codings(session, plan)
    for transcript_id in plan.partial:
        _blank_turns(session, transcript_id, plan.ids)
    for transcript_id in plan.emptied:
        emptied = session.get(Transcript, transcript_id)
        emptied.text = _blank(emptied.text, [(0, len(emptied.text))])
        emptied.meta, emptied.participant = {}, None
    session.execute(delete(Statement).where(Statement.id.in_(statement_ids)))
    session.execute(delete(Turn).where(or_(
        Turn.transcript_id.in_(plan.whole + plan.emptied),
        (Turn.transcript_id.in_(plan.partial)) & (Turn.participant.in_(plan.ids)))))
    session.execute(delete(Replacement).where(Replacement.transcript_id.in_(plan.whole + plan.emptied)))
    # Versions point at each other: unhook them before deleting the rows.
    session.execute(update(Transcript).where(Transcript.id.in_(plan.whole))
                    .values(previous_version_id=None, superseded_by_id=None))
    session.execute(delete(Transcript).where(Transcript.id.in_(plan.whole)))
    still_used = set(session.scalars(select(Statement.text_hash).where(Statement.text_hash.in_(sorted(hashes)))))
    counts["vectors"] = session.execute(delete(Embedding).where(
        Embedding.text_hash.in_(sorted(hashes - still_used)))).rowcount
    names = {person_hash(entry.kind, entry.real) for entry in session.scalars(
        select(Pseudonym).where(Pseudonym.placeholder.in_(plan.ids)))}
    counts["key_map_entries"] = _forget_pseudonyms(session, candidates)
    session.expire_all()
    emptied = _refresh_themes(session, theme_ids, set(statement_ids))
    # Their quotes first, then the suggested names (`_scrub_log` reads the log as just rewritten).
    if quoting_decisions:
        _rewrite_decisions(session, quoting_decisions)
    counts["decisions_reworded"] = len(set(quoting_decisions) | _scrub_log(session, emptied))
    if plan.permanent is not None:
        counts["decisions_made_permanent"] = len(plan.permanent.permanent)
    session.add(Withdrawal(participant=plan.participant, counts=counts,
                           content_hashes=sorted({t.content_hash for t in removed_files} | emptied_hashes),
                           name_hashes=sorted({name_hash(t.source_name) for t in removed_files}
                                              | _names_left_unused(session, exported_as)),
                           person_hashes=sorted(names)))
    session.flush()
    return counts


def _export_names_of(session: Session, removed: list[Transcript]) -> dict[str, str]:
    """source name -> the name exports gave it, read before the files go (pipeline/report.py `ExportNames`)."""
    from qualflow.pipeline.report import export_names  # the report imports far more than a withdrawal needs

    name = export_names(session)
    return {t.source_name: name(t.source_name) for t in removed}


def _names_left_unused(session: Session, exported_as: dict[str, str]) -> set[str]:
    """Hashes of the export names of deleted files no transcript left goes by: kept, so those names stay
    taken and the remaining files keep the names exports gave them (`withdrawn_export_name_hash`). A name
    a remaining version of the file still has stays that file's."""
    from qualflow.pipeline.report import withdrawn_export_name_hash

    left = set(session.scalars(select(Transcript.source_name).where(Transcript.source_name.in_(sorted(exported_as)))))
    return {withdrawn_export_name_hash(shown) for source, shown in exported_as.items() if source not in left}


def _turn_spans(session: Session, transcript_id: int, ids: set[str]) -> list[tuple[int, int]]:
    """The participant's turns, each with its speaker label ("P2: ", "[PERSON_2]: ", a time stamp before
    it): from the start of the turn's line, or the end of the turn before it on that line, to its end.
    A label left standing would still say they took part, and hold their name's placeholder."""
    text = session.scalar(select(Transcript.text).where(Transcript.id == transcript_id))
    rows = session.execute(select(Turn.start, Turn.end, Turn.participant).where(Turn.transcript_id == transcript_id))
    return _with_labels(text, [tuple(row) for row in rows], ids)


def _with_labels(text: str, turns: list[tuple[int, int, str | None]], participants: set[str]) -> list[tuple[int, int]]:
    """Spans of the turns (start, end, participant) of `participants`, each from the start of its line, or
    the end of the turn before it on that line, to its end: the turn with its speaker label."""
    spans, previous_end = [], 0
    for start, end, who in sorted(turns, key=lambda turn: turn[0]):
        if who in participants:
            spans.append((max(text.rfind("\n", 0, start) + 1, previous_end), end))
        previous_end = max(previous_end, end)
    return spans


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span overwritten by spaces, line breaks kept: the same length, so the offsets of
    every other turn, statement and replacement still point at the same words."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [c if c == "\n" else " " for c in chars[start:end]]
    return "".join(chars)


def _blank_turns(session: Session, transcript_id: int, ids: set[str]) -> None:
    """Overwrite the participant's turns, with their speaker labels, and the header values that name them
    ("# participant: [PERSON_1]") with spaces (line breaks kept): same length, so the offsets of every
    other turn, statement and replacement still point at the same words."""
    transcript = session.get(Transcript, transcript_id)
    spans = _turn_spans(session, transcript_id, ids)
    own = ids | _placeholders_over(session, transcript_id, spans)
    spans += _header_values(transcript.text, session, transcript_id, own)
    for start, end in spans:
        session.execute(delete(Replacement).where(Replacement.transcript_id == transcript_id,
                                                  Replacement.start < end, Replacement.end > start))
    transcript.text = _blank(transcript.text, spans)
    transcript.meta = {key: value for key, value in (transcript.meta or {}).items()
                       if not (isinstance(value, str) and value.strip() in own)}
    if transcript.participant in own:
        left = set(session.scalars(select(Turn.participant).where(
            Turn.transcript_id == transcript_id, Turn.role == "participant", Turn.participant.is_not(None),
            Turn.participant.not_in(ids))))
        transcript.participant = left.pop() if len(left) == 1 else None


def _placeholders_over(session: Session, transcript_id: int, spans: list[tuple[int, int]]) -> set[str]:
    found = set()
    for start, end in spans:
        found |= set(session.scalars(select(Replacement.placeholder).where(
            Replacement.transcript_id == transcript_id, Replacement.start < end, Replacement.end > start)))
    return found


def _header_values(text: str, session: Session, transcript_id: int, own: set[str]) -> list[tuple[int, int]]:
    """Spans of the header's values (the `# key: value` lines before the first turn) that are the
    participant: their id or the placeholder of their name."""
    from qualflow.pipeline.turns import HEADER_LINE

    first = session.scalar(select(func.min(Turn.start)).where(Turn.transcript_id == transcript_id)) or 0
    spans, offset = [], 0
    for line in text[:text.rfind("\n", 0, first) + 1].split("\n"):
        match = HEADER_LINE.match(line)
        if match and match.group("value").strip() in own:
            spans.append((offset + match.start("value"), offset + match.end("value")))
        offset += len(line) + 1
    return spans


def _delete_codings(session: Session, plan: WithdrawalPlan) -> int:
    deleted = session.execute(delete(ManualCoding).where(
        ManualCoding.transcript_id.in_(plan.whole + plan.emptied))).rowcount
    for transcript_id in plan.partial:
        for start, end in _turn_spans(session, transcript_id, plan.ids):
            deleted += session.execute(delete(ManualCoding).where(
                ManualCoding.transcript_id == transcript_id, ManualCoding.start < end,
                ManualCoding.end > start)).rowcount
    return deleted


def _placeholders_in(session: Session, plan: WithdrawalPlan) -> set[str]:
    """Placeholders the deleted material holds: the participant's own, every replacement in it (their
    speaker labels and header values included), and the names of people in a deleted file's name."""
    found = set(plan.ids)
    found |= set(session.scalars(select(Replacement.placeholder).where(
        Replacement.transcript_id.in_(plan.whole + plan.emptied))))
    for transcript_id in plan.partial:
        spans = _turn_spans(session, transcript_id, plan.ids)
        own = plan.ids | _placeholders_over(session, transcript_id, spans)
        text = session.get(Transcript, transcript_id).text
        found |= own | _placeholders_over(session, transcript_id, _header_values(text, session, transcript_id, own))
    names = [session.get(Transcript, i).source_name for i in plan.whole]
    for entry in session.scalars(select(Pseudonym)):
        if _in_names(entry, names):
            found.add(entry.placeholder)
    return found


def _in_names(entry: Pseudonym, names: list[str]) -> bool:
    """Whether the key-map entry is in one of these file names, as exports match it (NameRedactor)."""
    from qualflow.pipeline.deid.pseudonym import NameRedactor

    redact = NameRedactor({(entry.kind, entry.real): entry.placeholder})
    return any(redact(name) != name for name in names)


def _forget_pseudonyms(session: Session, candidates: set[str]) -> int:
    """Delete the key-map entries among `candidates` nothing left in the study uses: no replacement,
    no participant id and no stored file name (exports replace names in file names with the key map)."""
    candidates = sorted(candidates)
    used = set(session.scalars(select(Replacement.placeholder).where(Replacement.placeholder.in_(candidates))))
    used |= set(session.scalars(select(Turn.participant).where(Turn.participant.in_(candidates))))
    names = list(session.scalars(select(Transcript.source_name)))
    forgotten = 0
    for entry in session.scalars(select(Pseudonym).where(Pseudonym.placeholder.in_(sorted(set(candidates) - used)))).all():
        if _in_names(entry, names):
            continue
        session.delete(entry)
        forgotten += 1
    session.flush()
    return forgotten


def _refresh_themes(session: Session, theme_ids: set[int], deleted: set[int]) -> set[int]:
    """Recount the themes that lost statements; drop deleted quotes from every theme's exemplars (a
    theme's exemplars come from its subcategories' statements, and older theme sets keep theirs).
    Returns the themes whose words were theirs (`_made_of_theirs`)."""
    for theme in session.scalars(select(Theme)):
        kept = [i for i in theme.exemplar_statement_ids or [] if i not in deleted]
        if kept != list(theme.exemplar_statement_ids or []):
            theme.exemplar_statement_ids = kept
    refresh_counts(session, theme_ids)
    # A theme so emptied was made of their words: its keywords and the label and description drawn
    # from them go too. What a reviewer wrote stays (reviewer_fields).
    emptied = {i for i, theme in with_parents(session, theme_ids).items() if _made_of_theirs(session, theme)}
    merged_away, former_parents = _merged_away_theirs(session, deleted)
    emptied |= merged_away | {i for i in former_parents if _made_of_theirs(session, session.get(Theme, i))}
    for theme in (session.get(Theme, i) for i in emptied):
        if "label" not in (theme.reviewer_fields or []):
            theme.label = EMPTIED_LABEL
        if "description" not in (theme.reviewer_fields or []):
            theme.description = None
        theme.keywords = []
    session.flush()
    return emptied


def _merged_away_theirs(session: Session, deleted: set[int]) -> tuple[set[int], set[int]]:
    """Themes merged into another when every statement they held was one of `deleted`: their statements
    left with the merge, so no count finds them, but `audit` and the log still name them by their suggested
    name. The merge's snapshot says what each held (a merge that touched deleted statements is never
    undone, so they stay merged). A theme that took subcategories with it is left as it is: its name was
    drawn from theirs, which stay live and are judged on their own. Also returns the themes those were
    subcategories of: such a theme's name was drawn from them."""
    found, parents = set(), set()
    for decision in session.scalars(select(Decision).where(Decision.action == "merge")):
        before, after = decision.before or {}, decision.after or {}
        for key, fields in after.get("themes", {}).items():
            if fields.get("status") != "merged" or before.get("themes", {}).get(key, {}).get("status") == "merged":
                continue
            theme_id = int(key)
            if any(f.get("parent_id") == theme_id for f in before.get("themes", {}).values()):
                continue
            held = {int(i) for i, state in before.get("statements", {}).items()
                    if any(row["theme_id"] == theme_id and row["status"] in ("suggested", "confirmed")
                           for row in state.get("assignments", []))}
            theme = session.get(Theme, theme_id)
            if held and held <= deleted and theme is not None and theme.status == "merged":
                found.add(theme_id)
                if before["themes"][key].get("parent_id"):
                    parents.add(before["themes"][key]["parent_id"])
    return found, parents


def _made_of_theirs(session: Session, theme: Theme) -> bool:
    """Whether the withdrawal left `theme` (which lost statements) with none: a suggested theme with no
    statement in it, or one of any other status (accepted, rejected) with no row of anyone's left in it or
    its subcategories, so every statement its words were drawn from was theirs."""
    if theme.size:
        return False
    if theme.status == "candidate":
        return True
    family = select(Theme.id).where(or_(Theme.id == theme.id, Theme.parent_id == theme.id))
    return session.scalar(select(Suggestion.id).where(Suggestion.theme_id.in_(family)).limit(1)) is None


def _scrub_log(session: Session, emptied: set[int]) -> set[int]:
    """Replace, in every logged decision, the words `_refresh_themes` just cleared from the `emptied`
    themes: their suggested names, descriptions and keywords in the before/after snapshots (with what the
    themes hold now, so an undo restores that, and the undo's check that nothing changed since still
    holds), and any of those names wherever a summary naming the theme quotes it (an undo's summary quotes the
    undone decision's). Names and descriptions a reviewer typed stay. Returns the decisions reworded."""
    if not emptied:
        return set()
    keys = {str(i) for i in emptied}
    decisions = list(session.scalars(select(Decision).order_by(Decision.id)))
    names: dict[str, set[str]] = {}  # theme -> every suggested name of it the log holds
    scrubbed: dict[int, list[dict]] = {}
    for decision in decisions:
        snapshots = [copy.deepcopy(decision.before or {}), copy.deepcopy(decision.after or {})]
        for snapshot in snapshots:
            for theme_id, fields in snapshot.get("themes", {}).items():
                if theme_id not in keys:
                    continue
                typed = set(fields.get("reviewer_fields") or [])
                if "label" not in typed and fields.get("label") not in (None, EMPTIED_LABEL):
                    names.setdefault(theme_id, set()).add(fields["label"])
                    fields["label"] = EMPTIED_LABEL
                if "description" not in typed and fields.get("description") is not None:
                    fields["description"] = None
            for theme_id, fields in snapshot.get("described", {}).items():  # keywords a split re-drew
                if theme_id in keys and fields.get("keywords"):
                    fields["keywords"] = []
        scrubbed[decision.id] = snapshots
    changed: dict[int, dict] = {}
    for decision in decisions:
        before, after = scrubbed[decision.id]
        named = {str(i) for i in decision.theme_ids or []}
        named |= set(before.get("themes", {})) | set(after.get("themes", {}))
        summary = decision.summary
        for name in sorted(set().union(*(names.get(i, set()) for i in named)), key=len, reverse=True):
            summary = summary.replace(f"“{name}”", f"“{WITHDRAWN_NAME}”")
        if [before, after] != [decision.before or {}, decision.after or {}] or summary != decision.summary:
            changed[decision.id] = {"before": before, "after": after, "summary": summary}
    if changed:
        _rewrite_decisions(session, changed)
    return set(changed)


def _rewrite_decisions(session: Session, changed: dict[int, dict]) -> None:
    """Write `changed` over the logged decisions, past the log's guards: the ORM's (Core statements do
    not fire it) and, in SQLite, its triggers, which are dropped and made again in this same transaction,
    so a failure rolls both back and the log is never left open."""
    connection = session.connection()
    triggers = []
    if connection.dialect.name == "sqlite":
        triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                           "AND tbl_name = 'decisions'")).all()
    for name, _ in triggers:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    table = Decision.__table__
    for decision_id, values in changed.items():
        connection.execute(update(table).where(table.c.id == decision_id).values(**values))
    for _, sql in triggers:
        connection.execute(text(sql))
    for decision in [d for d in session.identity_map.values() if isinstance(d, Decision)]:
        session.expire(decision)


def withdrawn_file(session: Session, content_hash: str, source_name: str) -> bool:
    """Whether a file read now was removed by a withdrawal (same content, or same name)."""
    for hashes, names in session.execute(select(Withdrawal.content_hashes, Withdrawal.name_hashes)).all():
        if content_hash in hashes or name_hash(source_name) in names:
            return True
    return False


def already_withdrawn(session: Session, participant: str):
    """When `participant` (an id in any case, or a name the key map held for them) withdrew before,
    the time of their withdrawal; else None."""
    named = person_hash("PERSON", participant)
    return min((at for who, at, names in session.execute(
        select(Withdrawal.participant, Withdrawal.at, Withdrawal.person_hashes)).all()
        if participant_code(who).lower() == participant_code(participant.strip()).lower() or named in (names or [])), default=None)


class Withdrawn(NamedTuple):
    ids: set[str]  # the study's ids for participants who withdrew
    names: set[str]  # hashes of the names the key map held for them (`person_hash`)


def withdrawn_participants(session: Session) -> Withdrawn:
    withdrawn = Withdrawn(set(), set())
    for participant, hashes in session.execute(select(Withdrawal.participant, Withdrawal.person_hashes)).all():
        # A new file's turns carry the one spelling (`participant_code`): "P01" stored before is P1 too.
        withdrawn.ids.update({participant, participant_code(participant)})
        withdrawn.names.update(hashes or [])
    return withdrawn


def withdrawn_speakers(withdrawn: Withdrawn, new_entries: dict[tuple[str, str], str]) -> set[str]:
    """The ids whose turns a new file must lose: withdrawn ids, and the placeholders this file's
    de-identification just gave to names of withdrawn people (their key-map entry went with them,
    so the name came back under a new placeholder)."""
    return withdrawn.ids | {placeholder for (kind, real), placeholder in new_entries.items()
                            if person_hash(kind, real) in withdrawn.names}


def drop_withdrawn_turns(redacted, spans: list, exclusions: list, withdrawn: set[str]):
    """A new file's de-identified text, turns and statements without the turns of withdrawn
    participants: their words blanked in place (offsets of the rest unchanged), their turns,
    statements and replacements left out. Returns (redacted, spans, exclusions, turns dropped)."""
    from dataclasses import replace

    turns = redacted.parsed.turns
    gone = {i for i, turn in enumerate(turns) if turn.participant in withdrawn}
    if not gone:
        return redacted, spans, exclusions, 0
    blanked = _with_labels(redacted.text, [(t.start, t.end, t.participant) for t in turns], withdrawn)
    position = {old: new for new, old in enumerate(i for i in range(len(turns)) if i not in gone)}
    kept = [(replace(span, turn_index=position[span.turn_index]), reason)
            for span, reason in zip(spans, exclusions, strict=True) if span.turn_index not in gone]
    replacements = [r for r in redacted.replacements
                    if not any(r.start < end and r.end > start for start, end in blanked)]
    parsed = replace(redacted.parsed, turns=[turn for i, turn in enumerate(turns) if i not in gone])
    redacted = replace(redacted, text=_blank(redacted.text, blanked), parsed=parsed, replacements=replacements)
    return redacted, [span for span, _ in kept], [reason for _, reason in kept], len(gone)
