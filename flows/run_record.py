"""What a flow run tells people: a Markdown artifact in Prefect's UI, and which failures to retry.

The artifact carries counts, file names and reasons, never statement text (transcripts are
sensitive; the Prefect server may be shared).
"""

from __future__ import annotations

from typing import Any

# Failures worth a second try: the database was busy or the connection dropped. A file that
# cannot be read or a bug fails the same way every time, so it is not retried.
TRANSIENT_ERRORS = ("OperationalError", "InterfaceError", "TimeoutError", "ConnectionError")
RETRIES = {"retries": 2, "retry_delay_seconds": [2, 10]}


def is_transient(exception: BaseException) -> bool:
    seen = exception
    while seen is not None:
        if type(seen).__name__ in TRANSIENT_ERRORS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_when_transient(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: retry only transient database and connection errors."""
    try:
        state.result()
    except Exception as error:  # the task's exception, re-raised by result()
        return is_transient(error)
    return False


def run_markdown(summary: Any) -> str:
    """The run in a few lines of Markdown: counts, skipped and failed files, new suggestions."""
    lines = [
        "# qualflow run",
        "",
        "| | |",
        "|---|---|",
        f"| files seen | {summary.files_seen} |",
        f"| new transcripts | {summary.transcripts_added} ({summary.statements_added} statements) |",
        f"| new versions of stored files | {len(getattr(summary, 'new_versions', []))} |",
        f"| unchanged (skipped) | {len(summary.unchanged)} |",
        f"| duplicates (skipped) | {len(summary.duplicates)} |",
        f"| failed (quarantined) | {len(summary.failed)} |",
        f"| statements embedded | {summary.embedded} |",
        f"| themes | {_theme_work(summary)} |",
        f"| top-level themes now | {summary.themes} |",
        f"| new suggestions | {getattr(summary, 'new_suggestions', 0)} |",
        f"| database | `{summary.database}` |",
    ]
    if summary.failed:
        lines += ["", "## Failed files", ""] + [f"- {_one_line(line)}" for line in summary.failed]
    if summary.duplicates:
        lines += ["", "## Duplicates", ""] + [f"- {_one_line(line)}" for line in summary.duplicates]
    if summary.unchanged:
        shown = summary.unchanged[:50]
        lines += ["", "## Unchanged", ""] + [f"- {_one_line(name)}" for name in shown]
        if len(summary.unchanged) > len(shown):
            lines.append(f"- … and {len(summary.unchanged) - len(shown)} more")
    if summary.report:
        lines += ["", f"Report: `{summary.report}`"]
    return "\n".join(lines) + "\n"


def _theme_work(summary: Any) -> str:
    if summary.reclustered:
        return "all statements clustered again"
    placed = getattr(summary, "placed", 0)
    if placed:
        return f"{placed} new statements placed into the current themes"
    return "unchanged (nothing new)"


def publish(summary: Any) -> None:
    """Attach the run's Markdown to the flow run in Prefect (its UI shows it under Artifacts)."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=run_markdown(summary), key="qualflow-run",
                             description="Files, counts and new suggestions of this run")


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
