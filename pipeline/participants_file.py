"""Reading a participants file (CSV, XLSX or YAML): one row per participant, an id and any attributes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import yaml
from qualflow.pipeline.errors import QualflowError

# Column names that hold the participant id, tried in this order; else the first column is the id.
ID_COLUMNS = ("id", "participant", "participant id", "participant_id", "pid", "code",
              "编号", "受访者", "参与者", "受访者编号")


def normalise_id(value: object) -> str:
    """`p1`, `P01` and `1` all name P1, the form the store uses; other ids are kept, trimmed."""
    text = " ".join(str(value).split())
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = re.fullmatch(r"[Pp]?\s*0*(\d+)", text)
    return f"P{match.group(1)}" if match else text


def read_participants(path: Path) -> tuple[str, list[dict]]:
    """The id column's name and the rows, each a dict with "id" (normalised) and the attributes."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise QualflowError(f"no such participants file: {path}")
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            records = _csv_rows(path, "\t" if suffix == ".tsv" else None)
        elif suffix in (".xlsx", ".xlsm"):
            records = _xlsx_rows(path)
        elif suffix in (".yaml", ".yml"):
            records = _yaml_rows(path)
        else:
            raise QualflowError(f"participants file {path.name}: use .csv, .xlsx or .yaml")
    except QualflowError:
        raise
    except Exception as error:  # a corrupt or malformed file: one line for the user
        problem = f"{type(error).__name__}: {error}"
        raise QualflowError(f"cannot read the participants file {path.name}: {problem}") from error
    records = [r for r in records if any(v not in (None, "") for v in r.values())]
    if not records:
        raise QualflowError(f"participants file {path.name} has no rows")
    columns = list(records[0])
    by_lower = {str(c).strip().lower(): c for c in columns}
    id_column = next((by_lower[name] for name in ID_COLUMNS if name in by_lower), columns[0])
    rows, seen = [], set()
    for record in records:
        if record.get(id_column) in (None, ""):
            raise QualflowError(f"participants file {path.name}: a row has no '{id_column}'")
        participant = normalise_id(record[id_column])
        if participant in seen:
            raise QualflowError(f"participants file {path.name}: '{participant}' appears twice")
        seen.add(participant)
        attributes = {str(k).strip(): v for k, v in record.items() if k != id_column and k not in (None, "")}
        rows.append({"id": participant, **attributes})
    return str(id_column), rows


def _csv_rows(path: Path, delimiter: str | None) -> list[dict]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # Chinese spreadsheets saved as CSV by Excel
    dialect_delimiter = delimiter or csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    return list(csv.DictReader(io.StringIO(text), delimiter=dialect_delimiter))


def _xlsx_rows(path: Path) -> list[dict]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [{h: v for h, v in zip(header, row) if h} for row in rows[1:]]


def _yaml_rows(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict) and isinstance(data.get("participants"), (list, dict)):
        data = data["participants"]
    if isinstance(data, dict):  # {P1: {age: 34, …}, …}
        return [{"id": key, **(value or {})} for key, value in data.items()]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return data
    raise QualflowError(f"participants file {path.name}: expected a list of participants or a mapping "
                        "id → attributes")
