"""Reading a participants file (CSV, XLSX or YAML): one row per participant, an id and any attributes.

The file is the researcher's list of real people, so nothing read from it goes into an error message
(header names aside, once the file is known to have a header), and a column whose values look like they
identify someone is dropped before anything is summarised (see `identifying_columns`).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from qualflow.pipeline.errors import QualflowError

# Header names that mark the participant-id column, tried in this order (case-insensitive). A file must
# have one: without it the file most likely has no header row, and its first row (a participant's name,
# e-mail, address…) would be taken for column names and summarised in Table 1.
ID_COLUMNS = ("id", "participant", "participant id", "participant_id", "pid", "code",
              "编号", "受访者", "参与者", "受访者编号")

# Values that identify a person whatever their column is called.
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_PHONE = re.compile(r"\+?[\d\s().\-/]+")  # and 8–15 digits: longer than any age, count or score
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")  # a day: a date of birth
# Free text unique per participant (names, addresses, postcodes): at least this many values, at least
# this share of them different, and most containing a letter (so ages and scores, all different too, stay).
_UNIQUE_MIN_VALUES, _UNIQUE_MIN_SHARE = 4, 0.8
# Identification numbers (hospital, medical record, ID card numbers): whole numbers of 5 or more digits, maybe
# after a short letter prefix ("MRN") or before a check letter (a Chinese ID card number may end in X), different
# for (almost) every participant who has one. No age, count or score has 5 digits.
_ID_NUMBER = re.compile(r"[A-Za-z]{0,4}\d{5,}[Xx]?")
# Columns for free text, by header: what is written there is about one person, not a category.
FREE_TEXT_COLUMNS = {"notes", "note", "comment", "comments", "remark", "remarks", "memo", "description",
                     "details", "detail", "other", "others", "observations", "free text", "additional information",
                     "备注", "说明", "其他", "其它", "描述", "评论", "情况说明", "补充"}
# A value is free text, not a category level, when it is longer than this (a Chinese, Japanese or Korean
# character counting twice), has this many words or more, has sentence punctuation, or reads like a house
# address ("14 Acacia Avenue", "幸福路14号").
_FREE_TEXT_MAX_WIDTH, _FREE_TEXT_MIN_WORDS = 40, 5
_SENTENCE_PUNCTUATION = re.compile(r"[,;!?，。；！？]|\.\s")
_ADDRESS = re.compile(r"\b\d+[A-Za-z]?\s+[A-Z][a-z]+\s+[A-Z]|[路街道巷弄村]\d+号|\d+(?:号楼|栋|单元|室)")

# Cells that say a value is missing rather than what it is: R's "NA", pandas' "NaN", Excel's "#N/A", Stata's
# and SAS's ".", the "N/A" and lone dashes people type, and the word "missing"; compared trimmed and
# case-insensitively, like an empty cell. Words that can be real answers ("None", "unknown", "prefer not to
# say", "0", "无") are deliberately not here: they stay values, counted like any other.
MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "nan", ".", "-", "\u2013", "\u2014", "missing"})


def is_missing(value: object) -> bool:
    """Whether a participants-file cell holds no answer: empty, a float NaN, or a MISSING_MARKERS marker."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return " ".join(str(value).split()).casefold() in MISSING_MARKERS | {""}


@dataclass(frozen=True)
class ParticipantsFile:
    id_column: str
    rows: list[dict]  # each with "id" (normalised) and the attributes that may be summarised
    # Columns dropped because their values identify people: "HEADER: why", header names only.
    left_out: list[str] = field(default_factory=list)


def normalise_id(value: object) -> str:
    """`p1`, `P01` and `1` all name P1, the form the store uses; other ids are kept, trimmed."""
    text = " ".join(str(value).split())
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = re.fullmatch(r"[Pp]?\s*0*(\d+)", text)
    return f"P{match.group(1)}" if match else text


def read_participants(path: Path) -> tuple[str, list[dict]]:
    """The id column's name and the rows, each a dict with "id" (normalised) and the attributes.
    Columns whose values identify people are not among the attributes (`read_participants_file`
    says which)."""
    participants = read_participants_file(path)
    return participants.id_column, participants.rows


def read_participants_file(path: Path) -> ParticipantsFile:
    """The participants file read and checked: an id column named in its header, ids unique, and the
    columns whose values identify people (`identifying_columns`) left out of the rows."""
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
        raise QualflowError(f"cannot read the participants file {path.name}: {_problem(error)}") from error
    records = [r for r in records if any(v not in (None, "") for v in r.values())]
    if not records:
        raise QualflowError(f"participants file {path.name} has no rows")
    columns = list(dict.fromkeys(c for record in records for c in record if c not in (None, "")))
    by_lower = {str(c).strip().lower(): c for c in columns}
    id_column = next((by_lower[name] for name in ID_COLUMNS if name in by_lower), None)
    if id_column is None:
        # The "columns" may be the first participant's details (a file without a header row): count them,
        # never show them.
        raise QualflowError(
            f"participants file {path.name}: no participant-id column ({len(columns)} columns, none named "
            f"as an id); its first row must be a header that names the id column as one of: "
            f"{', '.join(ID_COLUMNS)}")
    rows, seen = [], {}
    for number, record in enumerate(records, start=1):
        if record.get(id_column) in (None, "") or not str(record[id_column]).strip():
            raise QualflowError(f"participants file {path.name}: participant {number} has no '{id_column}'")
        participant = normalise_id(record[id_column])
        if participant.casefold() in seen:
            # A study id (P3) can be shown; anything else in the id column may be a name.
            which = f"'{participant}'" if re.fullmatch(r"P\d+", participant) else "an id"
            raise QualflowError(f"participants file {path.name}: {which} appears twice "
                                f"(participants {seen[participant.casefold()]} and {number})")
        seen[participant.casefold()] = number
        attributes = {str(k).strip(): v for k, v in record.items() if k != id_column and k not in (None, "")}
        rows.append({"id": participant, **attributes})
    left_out = identifying_columns(rows)
    dropped = set(left_out)
    rows = [{k: v for k, v in row.items() if k not in dropped} for row in rows]
    return ParticipantsFile(str(id_column), rows, [f"{column}: {why}" for column, why in left_out.items()])


def identifying_columns(rows: list[dict]) -> dict[str, str]:
    """Attribute columns whose values identify people, whatever their header says: {header: why}.

    Any e-mail address, phone number (8–15 digits and nothing but phone punctuation) or full date (a date
    of birth, most likely) is enough; so are identification numbers (whole numbers of 5 or more digits,
    different for almost every participant: hospital, record or ID card numbers) and free text that is
    different for almost every participant (names, addresses). Free text is dropped however few values it
    has: a notes column (by header, or holding a value that reads as free text, see `free_text_column`), or
    a column given for fewer than half the participants, where most values are one participant's own.
    Columns whose header already marks them as identifying ("name", "email", …) are not listed: Table 1
    leaves those out itself, and says so.
    """
    # Imported here, not at the top: tables imports this module.
    from qualflow.pipeline.tables import IDENTIFYING_COLUMNS

    found = {}
    columns = dict.fromkeys(key for row in rows for key in row if key != "id")
    for column in columns:
        if column.strip().lower() in IDENTIFYING_COLUMNS:
            continue
        # "NA" and the like are no value: ten of them are not ten participants sharing a text.
        values = [_text(row.get(column)) for row in rows if not is_missing(row.get(column))]
        values = [v for v in values if v]
        if any(_EMAIL.search(v) for v in values):
            found[column] = "values look like e-mail addresses, which identify people; not summarised"
        elif any(isinstance(row.get(column), (datetime.date, datetime.datetime)) for row in rows) or any(
                _DATE.fullmatch(v) for v in values):
            found[column] = "values look like dates (of birth), which identify people; not summarised"
        elif any(_PHONE.fullmatch(v) and 8 <= sum(ch.isdigit() for ch in v) <= 15 for v in values):
            found[column] = "values look like phone numbers, which identify people; not summarised"
        elif (values and all(_ID_NUMBER.fullmatch(v) for v in values)
              and len({v.casefold() for v in values}) >= _UNIQUE_MIN_SHARE * len(values)):
            found[column] = ("values look like identification numbers (such as hospital, record or ID card "
                             "numbers), which identify people; not summarised")
        elif (len(values) >= _UNIQUE_MIN_VALUES
              and len({v.casefold() for v in values}) >= _UNIQUE_MIN_SHARE * len(values)
              and sum(any(ch.isalpha() for ch in v) for v in values) > len(values) / 2):
            found[column] = ("a different text for almost every participant (such as names or addresses), "
                             "which identifies people; not summarised")
        elif (values and sum(any(ch.isalpha() for ch in v) for v in values) > len(values) / 2
              and _mostly_one_participants(values) and free_text_column(column, values)):
            found[column] = ("free text (such as notes), most of it given by one participant only, which can "
                             "identify people; not summarised")
        elif values and _mostly_one_participants(values) and len(values) < len(rows) / 2 and sum(
                any(ch.isalpha() for ch in v) for v in values) > len(values) / 2:
            found[column] = ("given for fewer than half of the participants, mostly a different text for each, "
                             "which can identify people; not summarised")
    return found


def free_text_column(column: str, values: list[str]) -> bool:
    """Whether a column holds free text rather than categories: a notes-like header, or a value that reads
    as free text (long, five words or more, sentence punctuation, an address). Table 1 never prints a level
    of such a column that only one participant has."""
    return column.strip().lower() in FREE_TEXT_COLUMNS or any(free_text_value(_text(v)) for v in values)


def free_text_value(value: str) -> bool:
    """Whether a value reads as free text, not a category level: long, five words or more, sentence
    punctuation, or an address."""
    width = sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" else 1 for ch in value)
    return (width > _FREE_TEXT_MAX_WIDTH or len(value.split()) >= _FREE_TEXT_MIN_WORDS
            or bool(_SENTENCE_PUNCTUATION.search(value)) or bool(_ADDRESS.search(value)))


def _mostly_one_participants(values: list[str]) -> bool:
    """Whether most values are held by one participant only."""
    counts = Counter(v.casefold() for v in values)
    return sum(1 for v in values if counts[v.casefold()] == 1) > len(values) / 2


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _problem(error: Exception) -> str:
    """What went wrong, without the file's text: library messages can quote it (YAML shows the line)."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{type(error).__name__}{where}"


def _csv_rows(path: Path, delimiter: str | None) -> list[dict]:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16")  # Excel's "Unicode Text" (.txt, tab-separated)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")  # Chinese spreadsheets saved as CSV by Excel
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:  # one column (just the ids), or nothing the sniffer can decide on
            first = text.split("\n", 1)[0]
            delimiter = max(",;\t", key=first.count) if any(c in first for c in ",;\t") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


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
