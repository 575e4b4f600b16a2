"""Table transcripts: .csv and .xlsx with one row per turn, columns found by header name.

Transcription services and researchers' spreadsheets put each utterance in a row with its
speaker and often a time. The first non-empty row is the header; its cells are matched
case-insensitively against the names below (English or Chinese). Other columns are ignored.
"""

from __future__ import annotations

import csv
import datetime
import io

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.readers._common import RawTurn, unreadable
from qualflow.pipeline.readers._text import decode_bytes

SPEAKER_COLUMNS = ("speaker", "说话人", "发言人", "角色")
TEXT_COLUMNS = ("text", "content", "utterance", "内容", "文本")
TIME_COLUMNS = ("time", "timestamp", "start", "时间")
# Tried in this order; the first under which the header has a text column wins. Excel in
# many European locales writes ";", and tab-separated exports are often named .csv.
_DELIMITERS = (",", "\t", ";")


def read_table(data: bytes, name: str, suffix: str, text_columns: tuple[str, ...]) -> tuple[list | None, list]:
    """The header (the first non-empty row with one of `text_columns`) and the rows after it;
    (None, []) for a table with nothing in it. Shared by turn tables and pre-cut units."""
    if suffix == ".xlsx":
        return _xlsx_table(data, name, text_columns)
    text = decode_bytes(data, name)
    try:
        first_header = None
        for delimiter in _DELIMITERS:
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            header = next((row for row in rows if _filled(row)), None)
            if header is None:
                return None, []  # nothing but blank lines: ingest reports an empty file
            if find_column(header, text_columns) is not None:
                return header, list(rows)  # `rows` continues after the header line
            # For the error, the split that found the most columns is the likeliest one.
            if first_header is None or len(header) > len(first_header):
                first_header = header
        raise _no_text_column(name, first_header, text_columns)
    except csv.Error as error:
        raise unreadable(name, f"not a readable .csv file ({error})") from None


def _xlsx_table(data: bytes, name: str, text_columns: tuple[str, ...]) -> tuple[list | None, list]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            first_header = None
            # The first sheet whose header has a text column; a workbook may open with notes.
            for sheet in workbook.worksheets:
                rows = sheet.iter_rows(values_only=True)
                header = next((row for row in rows if _filled(row)), None)
                if header is None:
                    continue
                first_header = first_header or header
                if find_column(header, text_columns) is not None:
                    return header, list(rows)
            if first_header is None:
                return None, []
            raise _no_text_column(name, first_header, text_columns)
        finally:
            workbook.close()
    except UnreadableFile:
        raise
    except Exception as error:  # openpyxl raises zip, XML, KeyError and value errors alike
        raise unreadable(name, f"not a readable .xlsx file ({type(error).__name__})") from None


def read_csv(data: bytes, name: str) -> list[RawTurn]:
    header, rows = read_table(data, name, ".csv", TEXT_COLUMNS)
    return _turns(header, rows) if header is not None else []


def read_xlsx(data: bytes, name: str) -> list[RawTurn]:
    header, rows = read_table(data, name, ".xlsx", TEXT_COLUMNS)
    return _turns(header, rows) if header is not None else []


def _turns(header, rows) -> list[RawTurn]:
    text_at = find_column(header, TEXT_COLUMNS)
    speaker_at = find_column(header, SPEAKER_COLUMNS)
    time_at = find_column(header, TIME_COLUMNS)
    turns = []
    for row in rows:
        words = cell(row, text_at)
        if not words.strip():
            continue  # empty rows, and rows with a speaker but nothing said
        # One line, so the speaker label stays at the start of its line in the text.
        speaker = " ".join(cell(row, speaker_at).split()) or None
        time = cell(row, time_at).strip()
        turns.append(RawTurn(speaker, words, {"start_time": time} if time else {}))
    return turns


def find_column(header, names: tuple[str, ...]) -> int | None:
    labels = [_cell_text(cell).strip().casefold() for cell in header]
    for index, label in enumerate(labels):
        if label in names:
            return index
    return None


def _no_text_column(name: str, header, text_columns: tuple[str, ...]) -> UnreadableFile:
    found = ", ".join(repr(_cell_text(cell).strip()) for cell in header if _cell_text(cell).strip())
    return unreadable(name, f"no text column found (columns: {found}; expected one of: "
                            f"{', '.join(text_columns)})")


def _filled(row) -> bool:
    return any(_cell_text(cell).strip() for cell in row)


def cell(row, index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return _cell_text(row[index])


def _cell_text(value) -> str:
    """A cell as text; spreadsheet times become "HH:MM:SS" rather than Python reprs."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
