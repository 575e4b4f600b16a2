"""The ingest half of the batch flow: files in, de-identified statements stored.

Transcripts go through three phases:

1. *read*: each file is read and recognised by its content hash; unchanged files and copies of
   stored ones stop here, before any costly work; new ones go on a window of 64 files at a time;
2. *analyse*: speaker turns and the identifiers to replace (spaCy's NER: the costly part). Each
   file is one task; on a Dask task runner they run in parallel on the workers;
3. *store*: one file at a time, in file order, under the store's lock: pseudonymise with the
   study's key map, cut statements, choose the significant ones, store. Pseudonyms are numbered
   in this order, so every task runner gives the same study.

Each file is stored in its own transaction: a file that cannot be used is reported and
quarantined, and neither it nor anything that goes wrong with it changes what is stored. A link
whose target is missing or unreadable is reported as failed too, but not quarantined: there is
nothing to copy. A folder that cannot be listed is reported as failed, with its reason in quarantine,
as a file that cannot be read is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from prefect.utilities.annotations import quote
from qualflow.flows import tasks
from qualflow.models import Store, Transcript, Turn
from qualflow.pipeline.config import Config
from qualflow.pipeline.errors import QualflowError, UnreadableFile
from qualflow.pipeline.ingest import Document, broken_link, source_name
from qualflow.pipeline.persist import classify_file, load_key_map
from qualflow.pipeline.quarantine import QUARANTINE_DIR, quarantine
from qualflow.pipeline.readers._text import decoding_notes
from qualflow.pipeline.redact import is_respondent_code
from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.select import StatementSelector
from qualflow.pipeline.turns import (
    ParsedTurns,
    TurnSpan,
    interview_number_in_file_name,
    labels_inside_lines,
    participant_from_file_name,
    read_header,
)
from qualflow.pipeline.versions import decisions_left_behind, decisions_per_statement, live_version
from qualflow.pipeline.withdraw import (
    drop_withdrawn_turns,
    withdrawn_file,
    withdrawn_participants,
    withdrawn_speakers,
)
from sqlalchemy import select

log = logging.getLogger(__name__)
# A record also printed in `qualflow run`'s summary, as a `note` line: `run` leaves it out of its terminal
# log (flows/cli.py), `serve`, whose summaries no one reads in a terminal, logs it.
IN_RUN_SUMMARY = {"in_run_summary": True}
# ('added'|'new_version'|'unchanged'|'duplicate'|'failed'|'broken_link'|'unreadable_folder'|'changing', message, statements),
# or ('note', line, 0): a caveat about a file just stored (bytes read as Windows-1252, decisions not carried),
# recorded after its outcome.
Outcome = tuple[str, str | None, int]


@dataclass
class Helpers:
    """What storing a file needs, built once per run in the flow's process."""

    config: Config
    cache_dir: Path
    segmenter: Segmenter
    selector: StatementSelector


def make_helpers(config: Config, data: Path) -> Helpers:
    cache_dir = data / "cache"
    return Helpers(config, cache_dir, Segmenter(config.segment, cache_dir=cache_dir), StatementSelector(config.select))


def each_result(task, calls: list[tuple], parallel: bool) -> Iterator:
    """`task(*args)` for each call, in order; an exception is yielded in place of its result, so
    one bad file cannot stop the batch. With `parallel`, every call is first submitted to the
    flow's task runner (a Dask cluster runs them side by side)."""
    if parallel:
        futures = [task.submit(*args) for args in calls]
        for future in futures:
            yield _result_or_error(future.result)
        return
    for args in calls:
        # Its state, not its result: a task that ends Failed without raising (`tasks.fails_quietly`)
        # would hand back that state as its result; `outcome` raises its StepFailed.
        yield _result_or_error(lambda: tasks.outcome(task(*args, return_state=True)))


def _result_or_error(result):
    """`result()`, or the exception it raised: returned, not yielded from an except block, so what the
    caller logs next is not logged "during handling of" it."""
    try:
        return result()
    except Exception as error:
        _stop_is_no_file_fault(error)
        return error


def _stop_is_no_file_fault(error: BaseException) -> None:
    """Re-raise an error raised while a stop (Ctrl-C, SIGTERM) unwound a step: the file is not at fault. A
    Ctrl-C landing while Prefect creates a task run makes its crash report raise ValueError("Task run is not
    set") in the KeyboardInterrupt's place; counted as the file's, the file was quarantined and the run went on
    (seen in a test). Raised, the run stops, and `qualflow run` finds the stop in the chain (flows/cli.py)."""
    from qualflow.flows.stop_signals import signal_in_chain

    if signal_in_chain(error) is not None:
        raise error


@dataclass
class _NewFile:
    path: Path
    document: Document
    # One-line, content-free caveats for the run's summary, given once the file is stored.
    notes: list[str] = field(default_factory=list)


# New files are analysed and stored a window at a time: enough to keep a cluster's workers busy,
# few enough that a programme of thousands of interviews is never all in memory at once.
WINDOW = 64


def ingest_transcripts(paths: list[Path], source: Path, db: Store, helpers: Helpers, parallel: bool, record,
                       advance) -> None:
    """The three phases for interview files found under `source`; `record(path, outcome)` is told
    what became of each."""
    limits = helpers.config.ingest
    window: list[_NewFile] = []
    reserved = codes_in_file_names(paths)
    for path in paths:
        if (link := _broken_link(path, source)) is not None:
            record(path, link)
            advance(1)
            continue
        # A plain call, not a task run: a nightly run over a hundred unchanged files would otherwise
        # spend more on Prefect's bookkeeping (about 11 ms a file) than on reading them. The task
        # runs that follow, for new files only, carry the file names.
        before = _file_state(path)
        with decoding_notes() as notes:  # stray bytes read as Windows-1252 (pipeline/readers/_text.py)
            read = tasks.read_file(path, source_name(path, source), limits.max_file_mb, limits.max_unpacked_mb)
        if _file_state(path) != before:  # still being copied or saved: what was read is part of it, maybe cut mid-character
            record(path, ("changing", f"{source_name(path, source)}: changed while it was read (still being copied "
                                      "or saved?); left for the next run", 0))
            advance(1)
            continue
        if read.error:
            record(path, ("failed", read.error, 0))
            advance(1)
            continue
        with db.session() as session:
            kind, already = classify_file(session, read.document.content_hash, read.document.source_name)
            if kind not in ("unchanged", "duplicate") and withdrawn_file(session, read.document.content_hash,
                                                                         read.document.source_name):
                kind = "withdrawn"
        if kind == "withdrawn":
            record(path, _left_out(path.name))
            advance(1)
            continue
        if kind in ("unchanged", "duplicate"):
            record(path, _skipped(read.document.source_name, kind, already))
            advance(1)
            continue
        window.append(_NewFile(path, read.document, list(notes)))
        reserved |= _numbers({read_header(read.document.text).get("participant")})
        if len(window) == WINDOW:
            _analyse_and_store(window, db, helpers, parallel, record, advance, reserved)
            window = []
    _analyse_and_store(window, db, helpers, parallel, record, advance, reserved)


def _file_state(path: Path) -> tuple[int, int] | None:
    """Size and modification time: a file another program is still writing changes them while it is read."""
    try:
        info = path.stat()
    except OSError:
        return None  # gone or unreadable: the read itself says so
    return info.st_size, info.st_mtime_ns


def _analyse_and_store(new_files: list[_NewFile], db: Store, helpers: Helpers, parallel: bool, record,
                       advance, reserved: set[int]) -> None:
    calls = [(f.document, code_in_file_name(f.path.stem), helpers.config, str(helpers.cache_dir)) for f in new_files]
    for new, analysis in zip(new_files, each_result(tasks.analyse, calls, parallel)):
        if isinstance(analysis, Exception):
            record(new.path, _unexpected(new.path, analysis))
        else:
            outcome = _store_one(new, analysis, db, helpers, reserved)
            record(new.path, outcome)
            if outcome[0] in ("added", "new_version"):
                for note in new.notes:
                    record(new.path, ("note", note, 0))
        advance(1)


# A file's participant before it is stored, when its name holds no code: who it is (a person the
# name holds, an interview number, the id an earlier version got, the next free P<n>) is decided
# when the file is stored (`file_participant`), since only then is the study's use of ids known.
# A private-use character: no header or label can be it.
TO_BE_NAMED = "\ue000file"
_STUDY_ID = re.compile(r"^P(\d+)(?:-\d+)?$", re.IGNORECASE)


def code_in_file_name(stem: str) -> str:
    """The participant code a file's name gives ("P3_…", "受访者03"), the name itself when it is a code
    ("interview_03", "resp_07"), else `TO_BE_NAMED`. Never the name: it often holds a person's."""
    return participant_from_file_name(stem) or (stem if is_respondent_code(stem) else TO_BE_NAMED)


def codes_in_file_names(paths: list[Path]) -> set[int]:
    """The P<n> numbers the run's file names give, kept free for them (an unnamed file stored before
    "P1_x.txt" must not take P1)."""
    return _numbers({participant_from_file_name(p.stem) for p in paths}
                    | {interview_number_in_file_name(p.stem) for p in paths})


def _numbers(ids) -> set[int]:
    return {int(match.group(1)) for value in ids if value and (match := _STUDY_ID.match(value.strip()))}


def file_participant(session, new: _NewFile, analysis: tasks.Analysis, reserved: set[int]) -> str:
    """Who the participant of a file with no code in its name or header is (see `TO_BE_NAMED`):
    1. the person its name holds ("访谈_王芳.txt", "Mary Smith interview.txt"), so that participant and
       mentions share a placeholder (a name holding two people: the one who speaks as a participant);
    2. an interview number in its name ("访谈12.txt" is P12);
    3. the id an earlier version of the file got, so an edit keeps its participant;
    4. the next P<n> the study has not used, nor withdrawn, nor this run's file names give."""
    person = _participant_named(analysis)
    if person:
        return person
    number = interview_number_in_file_name(new.path.stem)
    if number:
        return number
    earlier = live_version(session, new.document.source_name)
    if earlier is not None and earlier.participant and _STUDY_ID.match(earlier.participant):
        return earlier.participant
    used = _numbers(session.scalars(select(Turn.participant).distinct()))
    used |= _numbers(session.scalars(select(Transcript.participant).distinct()))
    used |= _numbers(withdrawn_participants(session).ids)
    return f"P{max(used | reserved | {0}) + 1}"


def _participant_named(analysis: tasks.Analysis) -> str | None:
    people = list(analysis.people_in_name)
    speakers = {turn.speaker_label for turn in analysis.parsed.turns
                if turn.role == "participant" and turn.label_start is not None}
    speaking = [person for person in people if person in speakers]
    if len(speaking) == 1:
        return speaking[0]
    return people[0] if len(people) == 1 else None


def _with_participant(analysis: tasks.Analysis, participant: str) -> tasks.Analysis:
    """`analysis` with `TO_BE_NAMED` (and "…-2" numbered on it) replaced by `participant`."""
    def named(value: str | None) -> str | None:
        if value == TO_BE_NAMED or (value or "").startswith(TO_BE_NAMED + "-"):
            return participant + value[len(TO_BE_NAMED):]
        return value

    turns = [replace(turn, participant=named(turn.participant)) for turn in analysis.parsed.turns]
    return replace(analysis, parsed=replace(analysis.parsed, turns=turns))


def _broken_link(path: Path, source: Path) -> Outcome | None:
    why = broken_link(path)
    return None if why is None else ("broken_link", f"{source_name(path, source)}: {why}; not read", 0)


def folder_not_read(folder: Path, source: Path, why: str) -> Outcome:
    """A folder under the inbox that could not be listed (`discover`): failed like an unreadable file,
    since its interviews may be in it."""
    name = source_name(folder, source)
    return "unreadable_folder", f"{name}/: the folder cannot be read ({why}); no file in it was read", 0


SAME_CONTENT_AS, ALREADY_STORED = ": same content as ", ", already stored"  # read back by flows/batch.py


def _skipped(name: str, kind: str, already: str | None) -> Outcome:
    if kind == "unchanged":
        return "unchanged", None, 0
    return "duplicate", f"{name}{SAME_CONTENT_AS}{already}{ALREADY_STORED}; skipped", 0


def _left_out(name: str) -> Outcome:
    return "withdrawn", f"{name}: left out, its participant withdrew from the study (`qualflow withdraw`)", 0


class StoreFailed(QualflowError):
    """The study database failed while a file was being stored (read-only, full, gone): not the file's
    fault, and every later file would fail the same way, so the run stops rather than quarantine it."""


def is_database_error(error: BaseException) -> bool:
    """Whether `error`, or one it was raised from, is the database's (a read-only or damaged file, a
    full disk, a lost server), not the file's. A DataError is a value the database refused (text
    PostgreSQL cannot hold): that one is the file's."""
    import sqlite3

    from sqlalchemy import exc

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, exc.DBAPIError) and not isinstance(error, exc.DataError):
            return True
        if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.DataError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _store_failed(db: Store, error: Exception) -> StoreFailed:
    """One line for the run: which database, and what it said (the driver's first line names no values)."""
    from qualflow.models.store import driver_error, is_read_only_database

    kind, reason = driver_error(error)
    log.debug("the study database failed while storing a file", exc_info=error, extra={"send_to_api": False})
    why = "it is read-only" if is_read_only_database(error) else f"{kind}: {reason}"
    return StoreFailed(f"the study database {db.location()} could not be written while storing a new transcript "
                       f"({why}); the run stopped. The transcript is not at fault and was not quarantined; nothing "
                       "of it was stored")


def _unexpected(path: Path, error: Exception) -> Outcome:
    """One bad file must not stop the batch (its transaction was rolled back: the store is untouched)."""
    _stop_is_no_file_fault(error)
    # The outcome is reported and logged: a QualflowError's message (written for users) goes in it, of
    # any other error only the type (`tasks.content_free`). The traceback goes to the debug log, which
    # is not on by default.
    log.debug("%s on %s", type(error).__name__, path.name, exc_info=error, extra={"send_to_api": False})
    return "failed", f"{path.name}: could not be processed ({tasks.content_free(error)})", 0


def _store_one(new: _NewFile, analysis: tasks.Analysis, db: Store, helpers: Helpers,
               reserved: set[int] = frozenset()) -> Outcome:
    """Phase 3 for one file, holding the store's lock: another run at the same time cannot store
    the same file twice, and both see each other's pseudonyms (and participant ids)."""
    if not any(turn.role == "participant" for turn in analysis.parsed.turns):
        inside = labels_inside_lines(new.document.text)
        hint = (f"; speaker labels were found inside lines ({', '.join(f'{label}:' for label in inside)}): each "
                "label must start a line") if inside else ""
        return "failed", (f"{new.path.name}: no participant statements (only interviewer or unlabelled header "
                          f"text){hint}"), 0
    for note in analysis.parsed.notes:
        # The terminal's log, not Prefect's: the file name may hold a name.
        log.warning("%s: %s", new.path.name, note)
    with db.exclusive("ingest"):
        with db.session() as session:
            kind, already = classify_file(session, new.document.content_hash, new.document.source_name)
            key_map = load_key_map(session)
            if any((turn.participant or "").startswith(TO_BE_NAMED) for turn in analysis.parsed.turns):
                analysis = _with_participant(analysis, file_participant(session, new, analysis, reserved))
            earlier = live_version(session, new.document.source_name) if kind == "new_version" else None
            earlier_id = earlier.id if earlier is not None else None
            # Read now: storing the new version marks the old one's rows superseded.
            decided = decisions_per_statement(session, earlier_id) if earlier_id is not None else {}
        if kind in ("unchanged", "duplicate"):  # another run stored it meanwhile
            return _skipped(new.document.source_name, kind, already)
        try:
            stored = tasks.outcome(tasks.store_file(db, new.document, quote(analysis), quote(key_map),
                                                    helpers.segmenter, helpers.selector, return_state=True))
        except Exception as error:  # the store is untouched: the file's transaction was rolled back
            error = tasks.original(error)  # a failed task's StepFailed stands for it
            if is_database_error(error):  # the database's fault, not the file's: stop, blame nothing
                raise _store_failed(db, error) from error
            return _unexpected(new.path, error)
    if stored.outcome in ("failed", "withdrawn"):
        return stored.outcome, stored.message, 0
    if decided:
        with db.session() as session:
            left = decisions_left_behind(session, session.get(Transcript, earlier_id), decided)
        if left:
            new.notes.append(f"{new.document.source_name} (new version): {left} reviewer decision"
                             f"{'s' if left > 1 else ''} on statements that changed {'were' if left > 1 else 'was'} "
                             "not carried over; they stay on the old version, out of the live views")
    return ("new_version" if kind == "new_version" else "added"), None, stored.statements


def ingest_units(path: Path, source: Path, db: Store, helpers: Helpers) -> list[Outcome]:
    """A table of pre-cut units: each document a transcript, each unit one statement."""
    if (link := _broken_link(path, source)) is not None:
        return [link]
    try:
        return _ingest_units(path, source_name(path, source), db, helpers)
    except Exception as error:
        error = tasks.original(error)  # a failed task's StepFailed stands for it
        if is_database_error(error):  # the database's fault, not the table's: stop, blame nothing
            raise _store_failed(db, error) from error
        return [_unexpected(path, error)]


def _ingest_units(path: Path, name: str, db: Store, helpers: Helpers) -> list[Outcome]:
    from qualflow.pipeline.deidentify import Pseudonymiser
    from qualflow.pipeline.units import read_units, units_as_documents

    try:
        units = read_units(path, helpers.config.ingest.max_file_mb, helpers.config.ingest.max_unpacked_mb)
    except UnreadableFile as error:
        return [("failed", str(error), 0)]
    outcomes = []
    with db.exclusive("ingest"):
        for document, members in units_as_documents(units, name):
            with db.session() as session:
                kind, already = classify_file(session, document.content_hash, document.source_name)
                key_map = load_key_map(session)
                withdrawn = withdrawn_participants(session)
                if kind not in ("unchanged", "duplicate") and withdrawn_file(session, document.content_hash,
                                                                             document.source_name):
                    kind = "withdrawn"
            if kind == "withdrawn":
                outcomes.append(_left_out(document.source_name))
                continue
            if kind in ("unchanged", "duplicate"):
                outcomes.append(_skipped(document.source_name, kind, already))
                continue
            parsed = ParsedTurns(turns=[
                TurnSpan(i, "participant", None, unit.participant, turn.start, turn.end, dict(turn.meta))
                for i, (unit, turn) in enumerate(zip(members, document.source_turns))
            ])
            pseudonymiser = Pseudonymiser(existing=key_map, taken=withdrawn.ids)
            redacted = tasks.outcome(tasks.deidentify(document, parsed, helpers.config, str(helpers.cache_dir),
                                                      pseudonymiser, return_state=True))
            spans = [helpers.segmenter.whole_turn(redacted.text, turn) for turn in redacted.parsed.turns]
            redacted, spans, _, dropped = drop_withdrawn_turns(
                redacted, spans, [None] * len(spans), withdrawn_speakers(withdrawn, pseudonymiser.new_entries))
            if dropped and not redacted.parsed.turns:
                outcomes.append(_left_out(document.source_name))
                continue
            added = tasks.outcome(tasks.store(db, document, redacted, spans, [None] * len(spans),
                                              pseudonymiser.new_entries, return_state=True))
            outcomes.append(("new_version", document.source_name, added) if kind == "new_version"
                            else ("added", None, added))
    return outcomes


def not_in_folder(session, found: set[str], unread_folders: list[str], units: bool) -> list[str]:
    """The study's documents whose file is not among `found` (the names of every file in the folder a run
    read, of any type), in the study's order. A units run looks at documents of units files ("survey.csv#site
    A", there while "survey.csv" is), any other run at transcripts: neither is the other's. A document
    under a folder that could not be listed may be there still, and one with no statement left (a
    withdrawal emptied it) is not an interview any more."""
    from qualflow.models import Statement

    kind = Transcript.source_format == "units" if units else Transcript.source_format != "units"
    has_statements = select(Statement.id).where(Statement.transcript_id == Transcript.id).exists()
    names = session.scalars(select(Transcript.source_name).where(
        Transcript.superseded_by_id.is_(None), kind, has_statements).order_by(Transcript.id))
    unread = tuple(f"{folder}/" for folder in unread_folders)

    def there(name: str) -> bool:
        if name.startswith(unread):
            return True
        return any(name.startswith(f"{file}#") for file in found) if units else name in found

    return [name for name in names if not there(name)]


# At most this many names in the note: a reorganised inbox (files moved into sub-folders) misses them all.
NAMES_IN_NOTE = 10


def not_in_folder_note(missing: list[str], units: bool) -> str:
    """One content-free line for the run's notes: how many documents, which files, and what (not) to do.
    Only `qualflow withdraw` deletes words from the study, and it works per participant, not per file."""
    shown = ", ".join(missing[:NAMES_IN_NOTE]) + (f" and {len(missing) - NAMES_IN_NOTE} more"
                                                  if len(missing) > NAMES_IN_NOTE else "")
    one = len(missing) == 1
    what = ("document of a units file" if one else "documents of units files") if units else \
        ("interview" if one else "interviews")
    return (f"{len(missing)} {what} in the study {'is' if one else 'are'} not in the folder this run read ({shown}): "
            f"{'it stays' if one else 'they stay'} in the study, its themes and its report, with every decision on "
            f"{'it' if one else 'them'}; `qualflow withdraw PARTICIPANT` deletes a participant's words, if that is "
            "what was meant")


def record_outcome(summary, path: Path, source_path: Path, data: Path, config: Config, outcome: Outcome,
                   logger) -> None:
    """Count a file's outcome in the run summary; quarantine a file that failed."""
    kind, message, added = outcome
    if kind == "broken_link":  # failed, but there is no file to copy into quarantine
        summary.failed.append(message)
        summary.broken_links.append(message)
        # No file name in Prefect's log: it may hold a participant's name (run_record.prefect_names).
        logger.warning("skipped a link to a missing or unreadable file (the run's summary names it)")
    elif kind == "failed":
        summary.failed.append(message)
        quarantine(path, source_path, data, message, config.ingest.max_file_mb)
        logger.warning("quarantined a file (the run's summary and DATA/%s say which, and why)", QUARANTINE_DIR)
    elif kind == "unreadable_folder":  # as a file that cannot be read: a reason in quarantine, nothing to copy
        summary.failed.append(message)
        summary.unreadable_folders.append(message)
        quarantine(path, source_path, data, message, config.ingest.max_file_mb)
        logger.warning("could not read a folder, so none of its files (the run's summary and DATA/%s say which "
                       "folder, and why)", QUARANTINE_DIR)
    elif kind == "changing":  # neither stored nor quarantined: the next run reads it whole
        summary.notes.append(message)
        # The terminal's log, not Prefect's: a file name may hold a name.
        log.warning("%s", message, extra=IN_RUN_SUMMARY)
        logger.warning("left a file that changed while it was read for the next run (the run's summary names it)")
    elif kind == "note":
        summary.notes.append(message)
        # The terminal's log, not Prefect's: a file name may hold a name.
        log.warning("%s", message, extra=IN_RUN_SUMMARY)
        logger.warning("stored a file with a caveat (the run's summary says which, and what)")
    elif kind == "duplicate":
        summary.duplicates.append(message)
    elif kind == "unchanged":
        summary.unchanged.append(path.name)
    elif kind == "withdrawn":
        summary.withdrawn.append(message)
    elif kind == "new_version":
        summary.new_versions.append(message or path.name)
        summary.statements_added += added
    else:
        summary.transcripts_added += 1
        summary.statements_added += added
