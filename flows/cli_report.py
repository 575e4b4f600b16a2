"""`qualflow saturation` and `qualflow report`: what a researcher publishes.

Registered on the main app by importing this module at the end of flows/cli.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from qualflow.flows.cli import (
    DEFAULT_DATA,
    DataOption,
    DbOption,
    _check_output,
    _fail,
    _open_store,
    _write_output,
    add_plain_row,
    app,
    console,
)
from rich.table import Table
from rich.text import Text

OrderOption = Annotated[Path | None, typer.Option(
    "--order", help="A file naming the interviews in the order they were held, one a line (file name or "
                    "participant id). Default: interview dates from the transcripts' headers, else ingest order.")]


def _order(path: Path | None) -> list[str] | None:
    from qualflow.pipeline.errors import QualflowError
    from qualflow.pipeline.saturation import read_order_file

    if path is None:
        return None
    if not path.is_file():
        _fail(f"no such order file: {path}")
    try:
        return read_order_file(path)
    except QualflowError as error:
        _fail(str(error))


@app.command("saturation")
def saturation_command(
    data: DataOption = DEFAULT_DATA,
    order: OrderOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw the saturation curve into this PNG.")] = None,
    confirmed_only: Annotated[bool, typer.Option("--confirmed-only", help="Count only themes a reviewer "
                                                 "confirmed (default: confirmed and candidate themes).")] = False,
    db: DbOption = None,
) -> None:
    """When did new themes stop appearing? New themes and subcategories per interview, in interview order."""
    from qualflow.pipeline.errors import QualflowError
    from qualflow.pipeline.saturation import saturation, saturation_sentence

    if plot is not None:  # as every export: an existing folder, and never over the study database
        _check_output(plot, "--plot")
    with _open_store(data, db).session() as session:
        try:
            result = saturation(session, _order(order), confirmed_only)
        except QualflowError as error:
            _fail(str(error))
    if plot is not None:
        from qualflow.pipeline.figures import saturation_figure

        _write_output(plot, saturation_figure(result), "--plot")
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    table = Table(title=Text(f"Saturation (order: {result['order']}; {result['codebook']})"))  # a file name as written
    for column in ("#", "interview", "participant", "date", "new themes", "new subcategories", "themes so far",
                   "subcategories so far"):
        table.add_column(column, overflow="fold")
    for step in result["interviews"]:
        add_plain_row(table, str(step["position"]), step["interview"], step["participant"] or "", step["date"] or "",
                      _new(step["new_themes"]), _new(step["new_subcategories"]),
                      str(step["themes_so_far"]), str(step["subcategories_so_far"]))
    console.print(table)
    console.print(saturation_sentence(result), highlight=False)
    if plot is not None:
        console.print(f"Plot: {plot}", highlight=False)


def _new(codes: list[str]) -> str:
    return f"{len(codes)}: {', '.join(codes)}" if codes else "0"


@app.command("report")
def report_command(
    data: DataOption = DEFAULT_DATA,
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write into (default: DATA/report).")] = None,
    participants: Annotated[Path | None, typer.Option(
        "--participants", help="CSV, XLSX or YAML with a participant id column and attributes (age, sex, …) "
                               "for Table 1.")] = None,
    order: OrderOption = None,
    # The default is tables.MIN_CELL_SIZE, written out so the command line starts without the pipeline.
    min_cell_size: Annotated[int, typer.Option(
        "--min-cell-size", min=2, help="Table 1 shows no value fewer participants than this hold: such values "
                                       "are pooled, unnamed, with the next smallest values while the pool is "
                                       "smaller than this.")] = 3,
    with_dates: Annotated[bool, typer.Option(
        "--with-dates", help="Show each interview's date beside its participant (saturation table, saturation.json). "
                             "For your private working copy only, NOT for publication: a date beside a participant "
                             "code can identify who was interviewed. Without it the report gives the interview "
                             "order and the months data collection spanned.")] = False,
    db: DbOption = None,
) -> None:
    """Write the study report: HTML (self-contained), DOCX and Markdown, with the figures as PNG files."""
    from qualflow.pipeline.errors import QualflowError
    from qualflow.pipeline.publish import REPORT_FOLDER, write_report

    if participants is not None and not participants.is_file():
        _fail(f"no such participants file: {participants}")
    out_dir = out or data / REPORT_FOLDER
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out must be a folder, and {out_dir} is a file")
    # The report's own folder is made, but not the folders above it: as with every export, a mistyped
    # path is refused rather than made, so the study's tables do not land somewhere unexpected.
    if out is not None and not out_dir.parent.is_dir():
        _fail(f"--out: no such folder: {out_dir.parent}")
    with _open_store(data, db).session() as session:
        try:
            written = write_report(session, out_dir, participants, _order(order), min_cell_size, with_dates)
        except QualflowError as error:
            _fail(str(error))
        except OSError as error:  # no permission, a full disk, a file where a folder should be: one line
            _fail(f"cannot write the report into {out_dir}: {error.strerror or error}")
    console.print(f"Report written to {out_dir}: {written['html'].name}, {written['docx'].name}, "
                  f"{written['markdown'].name}, {written['saturation'].name} and "
                  f"{sum(1 for name in written if name.endswith('.png'))} figures.", highlight=False)
    if with_dates:
        console.print("With interview dates (--with-dates): a private working copy, not for publication. "
                      "Write the report again without --with-dates to share it.", style="bold red", highlight=False)
