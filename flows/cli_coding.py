"""`qualflow import-coding`, `qualflow coding-imports`, `qualflow compare` and
`qualflow export qdpx|qdc|codings|codebook`.

Registered on the main app by importing this module at the end of flows/cli.py. Every
export carries de-identified stored text only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from qualflow.flows.cli import (
    DEFAULT_DATA,
    DataOption,
    _check_output,
    _fail,
    _open_store,
    _write_output,
    add_plain_row,
    app,
    console,
    export_app,
)
from rich.markup import escape
from rich.table import Table

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="File to write.")]


UNPLACED_ROWS_SHOWN = 20  # row numbers named in the note; `--json` lists them all


@app.command("import-coding")
def import_coding_command(
    file: Annotated[Path, typer.Argument(help="Manual coding: .csv/.xlsx, REFI-QDA .qdpx/.qde, Taguette .sqlite3.")],
    data: DataOption = DEFAULT_DATA,
    coder: Annotated[str, typer.Option("--coder", help="Coder name when the file names none.")] = "coder",
    offsets: Annotated[str, typer.Option("--offsets", help="auto, chars or bytes: what the file's offsets "
                                          "count (auto decides from the text).")] = "auto",
    replace: Annotated[bool, typer.Option("--replace", help="Replace every earlier import of a file with "
                                          "this name (a corrected re-export).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the alignment figures as JSON.")] = False,
) -> None:
    """Import a team's manual coding and align it with the stored transcripts."""
    from qualflow.pipeline.coding.importer import import_coding
    from qualflow.pipeline.errors import QualflowError
    from qualflow.pipeline.readers._text import decoding_notes

    if not file.is_file():
        _fail(f"no such file: {file}")
    if offsets not in ("auto", "chars", "bytes"):
        _fail(f"--offsets must be auto, chars or bytes, not '{offsets}'")
    store = _open_store(data)
    try:
        with decoding_notes() as reading_notes:  # stray bytes read as Windows-1252 (pipeline/readers/_text.py)
            stats = import_coding(store, file, default_coder=coder,
                                  offset_unit=None if offsets == "auto" else offsets, replace=replace)
    except QualflowError as error:
        _fail(str(error))
    stats = {**stats, "reading_notes": list(reading_notes)}
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    console.print(
        f"{escape(stats['file'])}: {stats['spans']} coded spans by {escape(', '.join(stats['coders'])) or 'nobody'} in "
        f"{stats['documents']} documents ({stats['documents_matched']} matched to transcripts), "
        f"{stats['codes']} codes. Aligned {stats['aligned']} of {stats['spans']} spans, {stats['well_aligned']} "
        f"with ≥90% of their characters found; mean {stats['mean_quality_of_aligned']:.0%} of characters found.",
        highlight=False)
    if unplaced := stats.get("unplaced_rows"):  # imports stored before 2026-11-28 lack it
        rows = ", ".join(map(str, unplaced[:UNPLACED_ROWS_SHOWN])) + (" …" if len(unplaced) > UNPLACED_ROWS_SHOWN else "")
        console.print(f"[yellow]note:[/yellow] {len(unplaced)} row{'s' if len(unplaced) > 1 else ''} of the file "
                      f"could not be placed in {'their' if len(unplaced) > 1 else 'its'} transcript (row {rows}; the "
                      "header is row 1): the coded text is not in the transcript as written. Correct it, or give "
                      "start and end offsets, and import the file again with --replace.", highlight=False)
    if nearly := stats.get("nearly_placed"):  # imports stored before 2026-11-28 lack it
        which = ", ".join(map(str, nearly[:UNPLACED_ROWS_SHOWN])) + (" …" if len(nearly) > UNPLACED_ROWS_SHOWN else "")
        rows = "row " if all(isinstance(r, int) for r in nearly) else ""
        one = len(nearly) == 1
        console.print(f"[yellow]note:[/yellow] {len(nearly)} coded quote{'' if one else 's'} "
                      f"{'was' if one else 'were'} placed where the transcript differs from "
                      f"{'it' if one else 'them'} by a letter or two ({rows}{escape(which)}): a typo in the coder's "
                      "copy, or the transcript edited since.", highlight=False)
    for line in stats["reading_notes"]:
        console.print(f"[yellow]note:[/yellow] {escape(line)}", highlight=False)
    for name in stats["unmatched_documents"]:
        console.print(f"[yellow]no transcript matches[/yellow] {escape(name)}: "
                      f"{escape(stats['unmatched_hints'][name])}", highlight=False)
    if stats["replaced_same_name_imports"]:
        console.print(f"Replaced {stats['replaced_same_name_imports']} earlier import(s) of {stats['file']}.",
                      highlight=False)
    elif stats["replaced_previous_import"]:
        console.print("This file was imported before: its earlier import was replaced.")
    if stats["same_name_imports"]:
        console.print(
            f"[yellow]warning:[/yellow] {stats['file']} was also imported on "
            f"{', '.join(stats['same_name_import_dates'])} from a file with other contents; both are now counted "
            f"in `compare`. If this is a corrected export, import it with --replace to replace the earlier one "
            f"(`qualflow coding-imports` lists imports).", highlight=False)
    if stats["qualflow_codings"]:
        console.print(
            f"[yellow]warning:[/yellow] {stats['qualflow_codings']} codings are by qualflow's own user: they are "
            "qualflow's themes (from `qualflow export`), so `compare` never takes them for a human coder.",
            highlight=False)
    if stats["codes_differing_only_in_case"]:
        groups = "; ".join(" / ".join(repr(name) for name in names) for names in stats["codes_differing_only_in_case"])
        console.print(f"[yellow]warning:[/yellow] code names differing only in case are different codes in "
                      f"`compare`: {groups}. If they are one code, correct the file and import it again with "
                      "--replace.", highlight=False)
    if stats.get("code_names_deidentified"):  # imports stored before 2026-11-26 lack it
        renamed = stats["code_names_deidentified"]
        shown = ", ".join(repr(name) for name in renamed[:5]) + (" …" if len(renamed) > 5 else "")
        console.print(
            f"[yellow]note:[/yellow] {len(renamed)} code name{' was' if len(renamed) == 1 else 's were'} changed by "
            f"de-identification, as stored: {shown}. A word the study's key map holds was replaced; if it is no "
            "name (a detector's false alarm), `qualflow deid-report` shows where it was found.", highlight=False)
    if stats["default_coder_shared_with"]:
        earlier = stats["default_coder_shared_with"]
        files = "both files'" if len(earlier) == 1 else f"these {len(earlier) + 1} files'"
        console.print(
            f"[yellow]warning:[/yellow] this file names no coder, so its codings are by \"{coder}\", as are "
            f"codings of {', '.join(earlier)}: `compare` counts {files} codings as one coder \"{coder}\". "
            "Import it again with --coder NAME to tell them apart.", highlight=False)


@app.command("coding-imports")
def coding_imports(
    data: DataOption = DEFAULT_DATA,
    remove: Annotated[int | None, typer.Option("--remove", help="Forget this import (an id from the list): "
                                               "its codings and codes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the imported manual coding files, or remove one."""
    from qualflow.pipeline.coding.importer import list_imports, remove_import

    store = _open_store(data)
    if remove is not None:
        name = remove_import(store, remove)
        if name is None:
            _fail(f"no coding import {remove} (see `qualflow coding-imports`)")
        console.print(f"Removed import {remove} ({name}) with its codings and codes.", highlight=False)
        return
    rows = list_imports(store)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Imported manual coding: {len(rows)} file(s)")
    for column in ("id", "file", "format", "imported", "coders", "spans"):
        table.add_column(column, overflow="fold")
    for row in rows:
        add_plain_row(table, str(row["id"]), row["file"], row["format"], row["imported_at"], ", ".join(row["coders"]),
                      str(row["spans"]))
    console.print(table)


@app.command()
def compare(
    data: DataOption = DEFAULT_DATA,
    level: Annotated[str, typer.Option("--level", help="qualflow level: auto, theme or subcategory.")] = "auto",
    depth: Annotated[int | None, typer.Option("--code-depth", help="Compare codes at this depth of their "
                                              "hierarchy (1 = top level); default: as coded.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json-out", help="Write the figures as JSON here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Agreement between qualflow's themes and the imported manual coding (and between human coders)."""
    from qualflow.pipeline.coding.compare import LEVELS, compare_study
    from qualflow.pipeline.coding.report_html import html_report

    if level not in LEVELS:
        _fail(f"--level must be one of {', '.join(LEVELS)}, not '{level}'")
    if depth is not None and depth < 1:
        _fail("--code-depth must be 1 or more")
    for output, option in ((html, "--html"), (json_out, "--json-out")):
        if output is not None:
            _check_output(output, option)
    with _open_store(data).session() as session:
        result = compare_study(session, level, depth)
    replaced = result["codings_on_replaced_versions"]
    stale = (f"{replaced} coded spans are on earlier versions of files edited since they were imported; "
             "import the coding file again to align them with the current text") if replaced else ""
    if not result["comparisons"]:
        _fail(stale or _nothing_to_compare(result))
    if stale:
        typer.echo(f"qualflow: note: {stale}.", err=True)  # stderr: --json output stays parseable
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if json_out is not None:
        _write_output(json_out, text.encode("utf-8"), "--json-out")
    if html is not None:
        _write_output(html, html_report(result).encode("utf-8"), "--html")
    if as_json:
        typer.echo(text, nl=False)
    else:
        _print_summary(result, html, json_out)


def _nothing_to_compare(result: dict) -> str:
    """Why no comparison is left: the imports hold only qualflow's own codings, or coders none of whose spans
    found a place, or nothing was imported."""
    reasons = []
    if result.get("qualflow_codings_ignored"):
        reasons.append(f"the {result['qualflow_codings_ignored']} imported codings are qualflow's own (an import of "
                       "its export), never compared as a coder's")
    for coder in result.get("coders_not_compared", []):
        reasons.append(f"none of {_coder(coder['coder'])}'s {coder['spans']} coded spans was placed in a transcript "
                       "(see `qualflow coding-imports` and the import's alignment figures)")
    if reasons:
        return "nothing to compare: " + "; ".join(reasons) + ". Import a human coder's file with `qualflow import-coding FILE`"
    return "no aligned manual coding in this study (import one with `qualflow import-coding FILE`)"


def _print_summary(result: dict, html: Path | None, json_file: Path | None) -> None:
    console.print("Units: the statements qualflow clusters, on both sides of every comparison (interviewer turns "
                  "and statements too short or not significant are left out). Character figures (char kappa, "
                  "coverage) are over the whole text, as NVivo's coding comparison counts them.", highlight=False)
    depth = result.get("code_depth", "as coded")
    how = ("as coded (each passage's own code, its parents joined to it: \"Workload / Caseload\"; --code-depth N "
           "compares the codes N levels down)") if depth == "as coded" else f"at {depth}"
    console.print(f"Codes compared {how}.", highlight=False)
    levels = {figures.get("level", result["level"]) for figures in result["comparisons"]}
    if len(levels) > 1:  # --level auto picks per coder: the lines below are not at one level
        console.print(f"[yellow]note:[/yellow] qualflow's level differs between coders "
                      f"({', '.join(sorted(levels))}): --level auto takes the one closest to each coder's number of "
                      "codes; give --level theme or --level subcategory to compare all coders at one.",
                      highlight=False)
    for figures in result["comparisons"]:
        console.print(
            f"{figures['candidate']} vs {figures['reference']} ({figures['transcripts']} transcripts, "
            f"{figures['statements']} statements, {figures['codes']} codes, {figures['labels']} labels at level "
            f"{figures.get('level', result['level'])}): {_figures(figures)}", highlight=False)
        console.print(f"  {_left_out_line(figures)}", highlight=False)
    ceiling = result["human_ceiling"]
    if ceiling:
        # Two coders of one codebook: no qualflow level or labels, codes matched by name.
        console.print(
            f"human ceiling: {ceiling['candidate']} vs {ceiling['reference']} ({ceiling['transcripts']} "
            f"transcripts, {ceiling['statements']} statements, {ceiling['codes']} codes between them, "
            f"matched by name): {_figures(ceiling, ceiling=True)}", highlight=False)
        console.print(f"  {_left_out_line(ceiling)}", highlight=False)
    for coder in result.get("coders_not_compared", []):
        console.print(f"[yellow]note:[/yellow] {_coder(coder['coder'])}: none of {coder['spans']} coded spans was "
                      "placed in a transcript, so no comparison includes them (see the import's alignment "
                      "figures).", highlight=False)
    if result.get("qualflow_codings_ignored"):
        console.print(f"[yellow]note:[/yellow] {result['qualflow_codings_ignored']} imported codings by qualflow's "
                      "own user (an import of qualflow's export) are qualflow's themes, not a coder's: left out.",
                      highlight=False)
    for path, what in ((html, "HTML report"), (json_file, "JSON")):
        if path is not None:
            console.print(f"{what}: {path}")


def _coder(name: str) -> str:
    """"coder Dave"; the default name quoted and explained, since "coder coder" reads as a typo."""
    from qualflow.pipeline.coding.importer import DEFAULT_CODER

    return f'coder "{name}" (files naming no coder)' if name == DEFAULT_CODER else f"coder {name}"


def _figures(figures: dict, ceiling: bool = False) -> str:
    one, clustering = figures["one_to_one"], figures["clustering"]
    # `uncoded_share` counts the candidate's statements the reference left uncoded: say whose, as the
    # candidate is qualflow on its lines and the second coder on the human ceiling's.
    candidate = f"coded by {figures['candidate']}" if ceiling else "in a qualflow label"
    return (f"F1 {one['f1']:.3f} (P {one['precision']:.3f}, R {one['recall']:.3f}), many-to-one F1 "
            f"{figures['many_to_one']['f1']:.3f}, kappa {_num(figures['kappa'])}, alpha {_num(figures['alpha'])}, "
            f"ARI {_num(clustering['ari'])}, NMI {_num(clustering['nmi'])} (over {clustering['statements']} "
            f"statements with one label on each side), share of statements {candidate} that "
            f"{figures['reference']} left uncoded {_num(figures['uncoded_share'])}; whole text: "
            f"char kappa {_num(figures['char_kappa_mean'])}, coverage {_num(figures['coverage'])}.")


def _left_out_line(figures: dict) -> str:
    """The statements that are not units, and how many of them each coder had coded."""
    not_units = figures["statements_not_units"]
    coders = [f"{name} {counts['statements']}{_reasons(counts)}"
              for name, counts in figures["coded_statements_left_out"].items()]
    # A code only on those statements is not among the codes counted, nor in any mean: name it.
    off_units = figures.get("codes_on_no_statement") or []
    named = ", ".join(off_units) if len(off_units) <= 5 else f"{len(off_units)}, named in the JSON"
    codes = f" Codes only on statements left out (own row in the JSON/HTML, in no mean): {named}." if off_units else ""
    return (f"left out: {not_units['statements']} statements qualflow does not cluster{_reasons(not_units)}; "
            f"coded among them: {', '.join(coders)}.{codes}")


def _reasons(counts: dict) -> str:
    return f" ({', '.join(f'{n} {why}' for why, n in counts['by_reason'].items())})" if counts["statements"] else ""


def _num(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _write(output: Path, payload: bytes, what: str) -> None:
    _write_output(output, payload)
    console.print(f"{what} written to {output}")


def _themes_or_fail(session) -> None:
    from qualflow.models.queries import current_themes

    if not current_themes(session):
        _fail("no themes to export (run `qualflow run PATH` first)")


@export_app.command("qdpx")
def export_qdpx(output: OutputOption, data: DataOption = DEFAULT_DATA,
                include_manual: Annotated[bool, typer.Option("--with-manual", help="Add the imported manual "
                                                             "codings, each under its coder.")] = False) -> None:
    """A REFI-QDA project: de-identified sources, themes as codes, qualflow as its own user."""
    from qualflow.pipeline.coding.export_refi import qdpx_bytes

    _check_output(output)  # first: "that is the study database" matters more than a wrong ending
    _check_suffix(output, ".qdpx")
    with _open_store(data).session() as session:
        _themes_or_fail(session)
        payload = qdpx_bytes(session, include_manual)
    _write(output, payload, "REFI-QDA project")


@export_app.command("qdc")
def export_qdc(output: OutputOption, data: DataOption = DEFAULT_DATA) -> None:
    """A REFI-QDA codebook (.qdc): themes and their subcategories."""
    from qualflow.pipeline.coding.export_refi import qdc_bytes

    _check_output(output)  # first: "that is the study database" matters more than a wrong ending
    _check_suffix(output, ".qdc")
    with _open_store(data).session() as session:
        _themes_or_fail(session)
        payload = qdc_bytes(session)
    _write(output, payload, "REFI-QDA codebook")


def _check_suffix(output: Path, suffix: str) -> None:
    """Other QDA software opens a project by its ending: x.sqlite holding a REFI-QDA zip opens nowhere."""
    if output.suffix.lower() != suffix:
        _fail(f"--output must end in {suffix}, not '{output.name}'")


def _table_export(output: Path, rows_of, columns: list[str], sheet: str, data: Path, what: str) -> None:
    from qualflow.pipeline.coding.export_tables import to_csv, to_xlsx

    suffix = output.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        _fail(f"--output must end in .csv or .xlsx, not '{output.name}'")
    _check_output(output)
    with _open_store(data).session() as session:
        _themes_or_fail(session)
        rows = rows_of(session)
    _write(output, to_xlsx(rows, columns, sheet) if suffix == ".xlsx" else to_csv(rows, columns), f"{len(rows)} {what}")


@export_app.command("codings")
def export_codings(output: OutputOption, data: DataOption = DEFAULT_DATA) -> None:
    """qualflow's codings (.csv or .xlsx by the file's extension), importable with `import-coding`.
    A .csv starts with a UTF-8 byte-order mark, which Excel needs to show Chinese text."""
    from qualflow.pipeline.coding.export_tables import CODING_COLUMNS, coding_rows

    _table_export(output, coding_rows, CODING_COLUMNS, "codings", data, "codings")


@export_app.command("codebook")
def export_codebook(
    output: OutputOption, data: DataOption = DEFAULT_DATA,
    taguette: Annotated[bool, typer.Option("--taguette", help="Columns Taguette's codebook import reads "
                                           "(tag, description, parent).")] = False,
) -> None:
    """The codebook: themes and subcategories (.csv or .xlsx). A .csv starts with a UTF-8 byte-order
    mark, which Excel needs to show Chinese text (Taguette's import skips it)."""
    from qualflow.pipeline.coding.export_tables import (
        CODEBOOK_COLUMNS,
        TAGUETTE_COLUMNS,
        codebook_rows,
        taguette_codebook_rows,
    )

    if taguette:
        _table_export(output, taguette_codebook_rows, TAGUETTE_COLUMNS, "codebook", data, "codes")
    else:
        _table_export(output, codebook_rows, CODEBOOK_COLUMNS, "codebook", data, "codes")
