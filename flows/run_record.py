"""What a flow run tells people: a Markdown artifact in Prefect's UI, and which failures to retry.

The artifact carries counts, file names and reasons, never statement text (transcripts are
sensitive; the Prefect server may be shared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from qualflow.pipeline.markdown_text import markdown_text

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
    stored ones too: one stored while de-identification was off has its people in no key map."""
    from qualflow.pipeline.deid.pseudonym import NameRedactor, normalise
    from qualflow.pipeline.persist import load_key_map

    key_map = load_key_map(session)
    known = {real for _, real in key_map}
    for name in file_names if find_people else ():
        for person in find_people(name):
            if normalise(person) not in known:
                key_map[("PERSON", normalise(person))] = "[PERSON]"
    return NameRedactor(key_map)
