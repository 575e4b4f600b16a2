"""What a flow run tells people: a Markdown artifact in Prefect's UI, and which failures to retry.

The artifact carries counts, file names and reasons, never statement text (transcripts are
sensitive; the Prefect server may be shared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qualflow.pipeline.markdown_text import markdown_text

# A transcript's run history: a run marks each transcript it stores with its flow run id (in the
# transcript's `meta`, the same transaction as the transcript), and a finished run takes the mark
# off once its summary counts the transcript. A mark left by another run is a transcript stored by a
# run that stopped before its summary (a bug, a full disk, SIGTERM): the next finished run counts it
# ("stored by an earlier unfinished run"), or no finished run would say when it entered the study.
# Header keys are words (pipeline/turns.py), so no `# …:` line of a transcript can be this key.
STORED_BY_RUN = "qualflow:stored-by-run"

# Failures worth a second try: another writer held a lock, or the connection to the database
# dropped (a server restart, an idle timeout, a network blip). Anything else (a missing table, a
# file that cannot be opened or is not a database, a full disk, a read-only file, a file that
# cannot be read, a bug) fails the same way every time, so it is not retried.
RETRIES = {"retries": 2, "retry_delay_seconds": [2, 10]}


def is_transient(exception: BaseException) -> bool:
    """Whether `exception`, or an error it was raised from, is worth retrying shortly."""
    seen: set[int] = set()
    error: BaseException | None = exception
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _is_transient_one(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _is_transient_one(error: BaseException) -> bool:
    from qualflow.models.store import is_lock_error, message_says_connection_lost, sqlstate_says_connection_lost
    from qualflow.pipeline.persist import ReviewedMeanwhile
    from sqlalchemy import exc
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(error, (ReviewedMeanwhile, StaleDataError)):
        return True  # a reviewer changed the codebook the run had read: read it again, with their decision

    if isinstance(error, (TimeoutError, ConnectionError, exc.TimeoutError, exc.DisconnectionError)):
        return True  # exc.TimeoutError: no pooled connection came free in time
    if getattr(error, "connection_invalidated", False):
        return True  # SQLAlchemy's dialect recognised a lost connection
    if not isinstance(error, exc.DBAPIError) and not _is_driver_error(error):
        return False
    # A lock another writer held, or a lost connection (models/store.py keeps the one list of those).
    return is_lock_error(error) or sqlstate_says_connection_lost(error) or message_says_connection_lost(error)


def _is_driver_error(error: BaseException) -> bool:
    """A DB-API driver's own error (sqlite3's, psycopg's), not wrapped by SQLAlchemy."""
    return any(cls.__name__ in ("OperationalError", "InterfaceError", "DatabaseError")
               and cls.__module__.split(".")[0] in ("sqlite3", "psycopg", "psycopg2")
               for cls in type(error).__mro__)


def retry_when_transient(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: retry only transient database and connection errors."""
    try:
        state.result()
    except Exception as error:  # the task's exception, re-raised by result()
        return is_transient(error)
    return False


def run_markdown(summary: Any, redact: Callable[[str], str] = str) -> str:
    """The run in a few lines of Markdown: counts, skipped and failed files, new suggestions.
    `redact` is applied to each line naming a file (`prefect_names`: for Prefect, names are replaced)."""

    def _one_line(text: str) -> str:
        return markdown_text(redact(text))

    lines = [
        "# qualflow run",
        "",
        "| | |",
        "|---|---|",
        f"| files seen | {summary.files_seen} |",
        f"| new transcripts | {summary.transcripts_added} |",
        f"| new versions of stored files | {len(getattr(summary, 'new_versions', []))} |",
        f"| statements in the new transcripts and versions | {summary.statements_added} |",
        f"| transcripts stored by an earlier unfinished run (in the themes now) | "
        f"{len(getattr(summary, 'stored_earlier', []))} |",
        f"| unchanged (skipped) | {len(summary.unchanged)} |",
        f"| duplicates (skipped) | {len(summary.duplicates)} |",
        f"| files of types not read (skipped) | {_other_types(summary)} |",
        f"| files of withdrawn participants (skipped) | {len(getattr(summary, 'withdrawn', []))} |",
        f"| failed (quarantined) | {len(summary.failed) - len(_broken_links(summary))} |",
        f"| failed, not quarantined (links to missing or unreadable files) | {len(_broken_links(summary))} |",
        f"| statements embedded | {summary.embedded} |",
        f"| themes | {_theme_work(summary)} |",
        *([f"| encoder changed | {_one_line(summary.encoder_changed)} (all statements clustered again) |"]
          if getattr(summary, "encoder_changed", None) else []),
        f"| top-level themes now | {summary.themes} |",
        f"| new suggestions | {getattr(summary, 'new_suggestions', 0)} |",
        f"| database | `{summary.database}` |",
    ]
    if summary.failed:
        lines += ["", "## Failed files", ""] + [f"- {_one_line(line)}" for line in summary.failed]
    if summary.duplicates:
        lines += ["", "## Duplicates", ""] + [f"- {_one_line(line)}" for line in summary.duplicates]
    if getattr(summary, "withdrawn", None):
        lines += ["", "## Withdrawn participants", ""] + [f"- {_one_line(line)}" for line in summary.withdrawn]
    if getattr(summary, "stored_earlier", None):
        lines += ["", "## Stored by an earlier unfinished run", ""] \
            + [f"- {_one_line(name)}" for name in summary.stored_earlier]
    if getattr(summary, "notes", None):
        lines += ["", "## Notes", ""] + [f"- {_one_line(line)}" for line in summary.notes]
    if getattr(summary, "repeated", None):
        lines += ["", "## The same interview twice?", ""] + [f"- {_one_line(line)}" for line in summary.repeated]
    if summary.unchanged:
        shown = summary.unchanged[:50]
        lines += ["", "## Unchanged", ""] + [f"- {_one_line(name)}" for name in shown]
        if len(summary.unchanged) > len(shown):
            lines.append(f"- … and {len(summary.unchanged) - len(shown)} more")
    if summary.report:
        lines += ["", f"Report: `{summary.report}`"]
    return "\n".join(lines) + "\n"


def _other_types(summary: Any) -> str:
    """"2 (.doc, .pdf)": the files a folder held that are of no type the run reads (types as
    `qualflow.pipeline.ingest.type_label` names them: never a name that followed a dot)."""
    counts = getattr(summary, "other_types", {})
    return f"{sum(counts.values())} ({', '.join(sorted(counts))})" if counts else "0"


def _broken_links(summary: Any) -> list[str]:
    return getattr(summary, "broken_links", [])


def _theme_work(summary: Any) -> str:
    if summary.reclustered:
        return "all statements clustered again"
    placed, resuggested = getattr(summary, "placed", 0), getattr(summary, "resuggested", 0)
    parts = ([f"{placed} new statements placed into the current themes"] if placed else []) \
        + ([f"{resuggested} statements of rejected themes suggested elsewhere"] if resuggested else [])
    return "; ".join(parts) or "unchanged (nothing new)"


def publish(summary: Any, redact: Callable[[str], str]) -> None:
    """Attach the run's Markdown to the flow run in Prefect (its UI shows it under Artifacts), with
    file names as `redact` gives them: Prefect's database is outside the study (`prefect_names`)."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=run_markdown(summary, redact), key="qualflow-run",
                             description="Files, counts and new suggestions of this run")


def prefect_names(session, file_names: Iterable[str], find_people: Callable[[str], list[str]] | None) -> Callable[[str], str]:
    """File names as Prefect may keep them. Prefect's database (a server a team may share, and its UI)
    is outside the study, and file names often carry a participant's name ("Mary Smith interview.docx"):
    the key map's names become its placeholders, as in exports, and a person found in the name of a
    file the study never stored (a file that failed) becomes "[PERSON]". Every file name is read again,
    stored ones too: one stored while de-identification was off has its people in no key map. A file
    name is shown without its dates, as exports show it (`report.without_dates`: the day someone was
    interviewed can name them): those of `file_names` and of the study's transcripts (a note may name
    a stored file the run did not read)."""
    from qualflow.models import Transcript
    from qualflow.pipeline.deid.pseudonym import NameRedactor, normalise
    from qualflow.pipeline.persist import load_key_map
    from qualflow.pipeline.report import without_dates
    from sqlalchemy import select

    file_names = list(file_names)
    key_map = load_key_map(session)
    known = {real for _, real in key_map}
    for name in file_names if find_people else ():
        for person in find_people(name):
            if normalise(person) not in known:
                key_map[("PERSON", normalise(person))] = "[PERSON]"
    names = NameRedactor(key_map)
    dated = {name: without_dates(names(name)) for name in
             {*file_names, *session.scalars(select(Transcript.source_name))} if without_dates(name) != name}
    longest_first = sorted(dated, key=len, reverse=True)

    def for_prefect(line: str) -> str:
        for name in longest_first:
            line = line.replace(name, dated[name])
        return names(line)
    return for_prefect


# `qualflow run FILE`: the real path of the file a flow parameter stands for (`source_as_parameter`).
_GIVEN_SOURCES: dict[str, str] = {}
ONE_FILE = "[one file: the run's artifact names it]"


def source_as_parameter(source: str) -> str:
    """The `source` a flow run's parameters show. Prefect keeps every run's parameters in its database
    and shows them in its UI, and a transcript's file name often names its participant
    ("Mary_Jones_interview.txt"; privacy audit F3): a file is shown as its folder and ONE_FILE, and
    the artifact names it as exports do. A folder (an inbox) is shown as given. The flow finds the real
    path again here (`source_from_parameter`): it runs in this process."""
    if Path(source).is_dir():
        return source
    shown = str(Path(source).parent / ONE_FILE)
    _GIVEN_SOURCES[shown] = source
    return shown


def source_from_parameter(parameter: str) -> str:
    """The path a flow's `source` parameter stands for (itself, unless `source_as_parameter` made it)."""
    return _GIVEN_SOURCES.get(parameter, parameter)


def this_run() -> str:
    """The mark a transcript stored now gets (`STORED_BY_RUN`): the flow run's id ("" outside a flow run)."""
    from prefect.runtime import flow_run

    return str(flow_run.id or "")


def mark_stored_by(transcript, run_id: str) -> None:
    """Mark a transcript just stored as not yet counted by a finished run (in the caller's transaction)."""
    transcript.meta = {**(transcript.meta or {}), STORED_BY_RUN: run_id}  # a new dict: a JSON column sees the change


def stored_by_unfinished_runs(session, run_id: str) -> list[int]:
    """The transcripts another run stored and no finished run has counted yet (`STORED_BY_RUN`)."""
    from qualflow.models import Transcript
    from sqlalchemy import select

    rows = session.execute(select(Transcript.id, Transcript.meta).order_by(Transcript.id))
    return [transcript_id for transcript_id, meta in rows
            if STORED_BY_RUN in (meta or {}) and meta[STORED_BY_RUN] != run_id]


def live_files(session, transcript_ids: list[int]) -> list[tuple[int, str]]:
    """(id, file name) of those of `transcript_ids` that are their file's live version: one a later
    version replaced is not in the themes, and its successor is counted as a new version."""
    from qualflow.models import Transcript
    from sqlalchemy import select

    if not transcript_ids:
        return []
    rows = session.execute(select(Transcript.id, Transcript.source_name)
                           .where(Transcript.id.in_(transcript_ids), Transcript.superseded_by_id.is_(None))
                           .order_by(Transcript.id))
    return [(transcript_id, name) for transcript_id, name in rows]


def counted(session, transcript_ids: Iterable[int], run_id: str) -> None:
    """Take the mark off the transcripts a finished run's summary counted: those it stored and those
    (`transcript_ids`) an earlier unfinished run stored. Another run's, stored meanwhile, stay marked."""
    from qualflow.models import Transcript
    from sqlalchemy import select

    earlier = set(transcript_ids)
    for transcript_id, meta in session.execute(select(Transcript.id, Transcript.meta)).all():
        if STORED_BY_RUN in (meta or {}) and (meta[STORED_BY_RUN] == run_id or transcript_id in earlier):
            session.get(Transcript, transcript_id).meta = {key: value for key, value in meta.items()
                                                           if key != STORED_BY_RUN}
