"""Table transcripts: .csv and .xlsx with one row per turn, columns found by header name.

Transcription services and researchers' spreadsheets put each utterance in a row with its
speaker and often a time. The first non-empty row is the header; its cells are matched
case-insensitively against the names below (English or Chinese). Other columns are ignored.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

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
    # The csv module refuses a cell over 131,072 characters by default; one answer or turn can be longer.
    # Every cell is part of `text`, so its length is a safe limit (the file size was checked by the caller).
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
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
        # Cached formula results (data_only=True) are the values; the formulas themselves are read too,
        # only to find formulas without a saved result (files written by scripts have none).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            first_header = None
            unsaved: list[str] = []
            # The first sheet whose header has a text column; a workbook may open with notes.
            for sheet, formula_sheet in zip(workbook.worksheets, formulas.worksheets):
                rows, missing = _sheet_rows(sheet, formula_sheet, data)
                unsaved = unsaved or missing
                position = next((i for i, row in enumerate(rows) if _filled(row)), None)
                if position is None:
                    continue
                header = rows[position]
                first_header = first_header or header
                if find_column(header, text_columns) is not None:
                    if missing:
                        raise _unsaved_formulas(name, missing)
                    return header, rows[position + 1:]
            if unsaved:  # a header made by a formula reads as empty: say why rather than "no text column"
                raise _unsaved_formulas(name, unsaved)
            if first_header is None:
                return None, []
            raise _no_text_column(name, first_header, text_columns)
        finally:
            workbook.close()
            formulas.close()
    except UnreadableFile:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises zip, XML, KeyError and value errors alike
        raise unreadable(name, f"not a readable .xlsx file ({type(error).__name__})") from None


def _sheet_rows(sheet, formula_sheet, data: bytes) -> tuple[list[tuple], list[str]]:
    """A sheet's rows of values, and the cells (e.g. "B3") holding a formula with no saved result.

    openpyxl reads such a cell as None, the same as an empty one, so without this check its row would be
    dropped (or its speaker lost) without a word."""
    rows, candidates = [], []
    for value_row, formula_row in zip(sheet.iter_rows(), formula_sheet.iter_rows()):
        rows.append(tuple(cell.value for cell in value_row))
        candidates.extend(formula_cell.coordinate for value_cell, formula_cell in zip(value_row, formula_row)
                          if value_cell.value is None and formula_cell.data_type == "f")
    if candidates:
        candidates = _without_saved_result(data, getattr(formula_sheet, "_worksheet_path", None), candidates)
    return rows, candidates


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _without_saved_result(data: bytes, sheet_path: str | None, cells: list[str]) -> list[str]:
    """Of `cells` (formulas that openpyxl reads as None), those with no saved result. Excel and LibreOffice
    save a formula whose result is the empty string ("=IF(A2="","",A2)") as a string cell (t="str") with
    an empty <v>, which openpyxl also reads as None; that cell really is empty and is fine. openpyxl and
    pandas write an empty <v> without t="str", which is no result at all. Without the sheet's path every
    cell counts as unsaved."""
    if not sheet_path:
        return cells
    import zipfile
    from xml.etree.ElementTree import iterparse

    wanted, unsaved = set(cells), []
    # check_archive has refused DTDs and entity declarations before any xlsx reaches here.
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet_path.lstrip("/")) as stream:
        for _event, element in iterparse(stream):
            if element.tag == f"{_SHEET_NS}c":
                saved_empty = element.get("t") == "str" and element.find(f"{_SHEET_NS}v") is not None
                if element.get("r") in wanted and not saved_empty:
                    unsaved.append(element.get("r"))
                element.clear()
    return unsaved


def _unsaved_formulas(name: str, cells: list[str]) -> UnreadableFile:
    shown = cells[:5]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    if len(cells) > len(shown):
        listed = f"{', '.join(shown)} and {len(cells) - len(shown)} more"
    return unreadable(name, f"{'cell' if len(cells) == 1 else 'cells'} {listed} "
                            f"{'holds a formula' if len(cells) == 1 else 'hold formulas'} with no saved result: "
                            f"open the file in Excel or LibreOffice and save it, so the results are stored")


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
    previous = None  # the last speaker named, for rows whose speaker cell is empty
    for row in rows:
        # One line, so the speaker label stays at the start of its line in the text. An empty speaker cell
        # after a named one continues that speaker, as an unlabelled line does in a .txt transcript: merged
        # cells in a spreadsheet read as empty in every row but the first. Rows before any speaker keep none.
        speaker = " ".join(cell(row, speaker_at).split()) or previous
        previous = speaker
        words = cell(row, text_at)
        if not words.strip():
            continue  # empty rows, and rows with a speaker but nothing said
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
    """The error for a table whose first row names no text column. It goes to the CLI, the quarantine
    reason file and the run's Prefect artifact, so it never carries cell contents: the row's cells are
    shown only when every one of them is made of known header words (see `_looks_like_header_row`); a table
    without a header row has a participant's name or words there, so then only the number of columns is given."""
    labels = [_cell_text(cell).strip() for cell in header]
    labels = [label for label in labels if label]
    expected = ", ".join(text_columns)
    if _looks_like_header_row(labels, text_columns):
        found = ", ".join(repr(label) for label in labels)
        return unreadable(name, f"no text column found (columns: {found}; expected one of: {expected})")
    return unreadable(name, f"no text column found: the first row ({len(labels)} filled "
                            f"column{'s' if len(labels) != 1 else ''}) does not look like a header row, so its "
                            f"cells are not shown; the first non-empty row must be a header naming the text "
                            f"column, one of: {expected}")


# A first row's cells are quoted only when every one of them is made of known header words: the column names
# the readers look for (English and Chinese, below and the caller's text columns) and a few more words that
# name columns in transcription exports, survey and coding spreadsheets. Anything else may be data (a name
# such as "林小雨" or "Whitfield", someone's "好的"), and no detector of names decides that: a name it misses
# would be quoted. Erring towards "data" only costs the error its list of columns.
_HEADER_WORDS = frozenset({
    "id", "no", "number", "name", "date", "time", "start", "end", "speaker", "text", "content", "utterance",
    "participant", "respondent", "question", "answer", "response", "code", "codes", "theme", "document", "unit",
    "interview", "transcript", "site", "group", "role", "age", "gender", "sex", "notes", "memo", "comment",
    "comments", "score", "type", "label", "timestamp", "statement", "item", "doc", "file", "filename", "tag",
    "tags", "category", "parent", "coder", "user", "annotator", "description", "definition", "quote",
    "quotation", "segment", "excerpt", "source", "begin", "stop", "turn", "line", "row", "index", "interviewer",
    "interviewee", "subcategory", "value", "duration", "speakers", "channel", "position", "char", "byte", "bytes",
    "title", "level", "kind",
})
_HEADER_FILLERS = frozenset({"of", "the", "a", "an", "per", "in", "at", "by", "for"})  # "date of interview"
# Chinese column names have no spaces: a cell is a header when it is these words run together ("受访者编号").
_CHINESE_HEADER_WORDS = frozenset({
    "说话人", "发言人", "发言者", "角色", "内容", "文本", "时间", "开始", "结束", "起始", "时长", "编号", "序号", "参与者", "受访者", "访谈者", "被访者",
    "采访者", "访谈", "回答", "答案", "问题", "题目", "文档", "文件", "编码", "代码", "标签", "主题", "类属", "备注", "说明", "定义", "姓名", "名称",
    "类型", "日期", "发言", "对话", "记录", "转录", "原文", "句子", "段落",
})
# "Q2", "Q10": survey question columns.
_QUESTION_NUMBER = re.compile(r"q\d{1,3}")  # matched against casefolded words
_WORD_SEPARATORS = re.compile(r"[\s_\-/()]+")


def _looks_like_header_row(labels: list[str], text_columns: tuple[str, ...] = ()) -> bool:
    """Whether a first row may be quoted in an error: every filled cell made only of header words."""
    return bool(labels) and all(_is_header_label(label, text_columns) for label in labels)


def _is_header_label(label: str, text_columns: tuple[str, ...] = ()) -> bool:
    if not _looks_like_header(label):
        return False
    known = {name.casefold() for name in (*SPEAKER_COLUMNS, *TEXT_COLUMNS, *TIME_COLUMNS, *text_columns)}
    if label.casefold() in known:
        return True
    english = _HEADER_WORDS | {word for name in known for word in _WORD_SEPARATORS.split(name) if word.isascii()}
    chinese = _CHINESE_HEADER_WORDS | {name for name in known if not name.isascii()}
    words = [word for word in _WORD_SEPARATORS.split(label.casefold()) if word]
    said = False  # at least one real header word, not only fillers and numbers
    for word in words:
        if word in english or _QUESTION_NUMBER.fullmatch(word):
            said = True
        elif word.isascii() and (word in _HEADER_FILLERS or (word.isdigit() and len(word) <= _HEADER_MAX_DIGITS)):
            continue
        elif _made_of(word, chinese):
            said = True
        else:
            return False
    return said


def _made_of(word: str, vocabulary: frozenset[str] | set[str]) -> bool:
    """Whether `word` is words of `vocabulary` run together, with nothing else in it."""
    if not word or word.isascii():
        return False
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(reachable[start] and word[start:end] in vocabulary for start in range(end))
    return reachable[-1]


# A header cell is also a short label: at most 30 characters and 3 words (6 characters for Chinese, Japanese or
# Korean text, which has no spaces), with a letter, at most 2 digits and no "@" or sentence punctuation.
_HEADER_MAX_CHARS, _HEADER_MAX_WORDS, _HEADER_MAX_CJK, _HEADER_MAX_DIGITS = 30, 3, 6, 2
_NOT_IN_HEADERS = set("@.,;:!?。，；：！？、\"“”")


def _looks_like_header(label: str) -> bool:
    cjk = sum(1 for ch in label if "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff")
    return (len(label) <= _HEADER_MAX_CHARS and len(label.split()) <= _HEADER_MAX_WORDS
            and cjk <= _HEADER_MAX_CJK and any(ch.isalpha() for ch in label)
            and sum(ch.isdigit() for ch in label) <= _HEADER_MAX_DIGITS
            and not _NOT_IN_HEADERS.intersection(label))


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
