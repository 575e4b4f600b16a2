"""The two tables a qualitative paper reports: who took part ("Table 1") and the themes with quotes ("Table 2").

Both hold only what the store holds (de-identified statement text, P-numbers) and, for Table 1,
aggregates of the researcher's participants file: counts, percentages, means, never one person's row.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter

from qualflow.models import Statement, Theme, Withdrawal
from qualflow.models.queries import live_transcripts, question_order, study_participants
from qualflow.pipeline.deid.typed import TypedRedactor
from qualflow.pipeline.describe import ONE_PARTICIPANT, rests_on_one_participant
from qualflow.pipeline.participants_file import (
    free_text_column,
    free_text_value,
    identifying_columns,
    is_missing,
    normalise_id,
)
from qualflow.pipeline.persist import load_key_map
from qualflow.pipeline.placements import (
    Codebook,
    Placement,
    participant_sort_key,
    theme_status,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Columns that name or reach a person: never summarised, even as counts.
IDENTIFYING_COLUMNS = {"name", "full name", "first name", "last name", "surname", "email", "e-mail", "phone",
                       "telephone", "mobile", "address", "postcode", "dob", "date of birth",
                       "姓名", "名字", "电话", "手机", "邮箱", "地址", "身份证", "身份证号", "出生日期"}
# A numeric column is summarised (mean and SD) only when its values have at most this many digits before the
# decimal point: ages, years, counts and scores. Longer numbers are record numbers, postcodes and amounts to
# the pound: identifying or sensitive, and no characteristic a paper's Table 1 reports.
MAX_NUMBER_DIGITS = 3
# The level under which a free-text column's own texts are counted, never shown.
FREE_TEXT_LEVEL = "other free text (not shown)"
# The smallest group of participants Table 1 shows: a value fewer hold (the one pharmacist, the two men of a
# ward's team) can name them to anyone who knows the setting. The threshold rule of statistical disclosure
# control; `qualflow report --min-cell-size` raises it (5 is common in health statistics) or lowers it to 2.
MIN_CELL_SIZE = 3
# A number column is summarised from this many values on, whatever the cell size: the mean and SD of two
# values are the two values in disguise, and of three or four they leave a few whole-number answers to try.
# No range is ever shown: its ends are the youngest and the oldest participant's own values (privacy audit
# of 2026-11-27: "range 29-61" gave P5's age), and with the mean they pin down the rest of a small sample.
MIN_NUMERIC_VALUES = 5
# Where a categorical column's small values go, together and unnamed.
POOLED_LEVEL = "Other"
# What a categorical level's percentage is of: the participants who gave a value for that characteristic
# ("valid percent"), those who gave none counted apart as "not given" -- the default of the Table 1 tools
# health researchers use (R's tableone and gtsummary, SPSS's valid percent), and what STROBE asks for by
# reporting the missing separately. The reports say so under the table.
PERCENT_OF = "participants who gave a value"
QUOTES_PER_ROW = 3
# Words (jieba words for Chinese) a quote needs to be preferred as representative.
MIN_QUOTE_WORDS = 8


def participant_table(session: Session, codebook: Codebook, rows: list[dict] | None = None,
                      min_cell_size: int = MIN_CELL_SIZE) -> dict:
    """Table 1: attribute summaries from the participants file and statements per participant.

    A value held by fewer than `min_cell_size` participants is never shown: such values are pooled into
    one unnamed level, which the next smallest values join while it is smaller than `min_cell_size`, so
    that no count of fewer participants can be worked out from N and the counts shown (`_categorical`).

    Table 1 describes the analysed sample: rows of the file with no interview in the study (no significant
    statement) and participants who withdrew are left out of N and of every summary, and counted."""
    statements = dict(session.execute(select(Statement.participant, func.count()).where(
        Statement.significant.is_(True), Statement.participant.is_not(None),
        Statement.transcript_id.in_(live_transcripts())).group_by(Statement.participant)).all())
    placed = Counter(p.statement.participant for p in codebook.placements if p.statement.participant)
    themes_touched: dict[str, set[str]] = {}
    for placement in codebook.placements:
        if placement.statement.participant:
            themes_touched.setdefault(placement.statement.participant, set()).add(placement.theme.code)
    # The store's ids, keyed the way the file's ids are normalised, so "p01" in the file finds P1 and
    # "r7" finds R7 (a spreadsheet's case is no reason to lose a participant's row).
    store_ids = {_id_key(p): p for p in statements}
    # A participant who withdrew consent (`qualflow withdraw`) is still a row of the researcher's file, but
    # nothing of theirs may be used any more: their attributes leave Table 1's summaries too.
    withdrawn = {_id_key(p) for p in session.scalars(select(Withdrawal.participant))} - set(store_ids)
    withdrawn_rows = [row for row in rows or [] if _id_key(row["id"]) in withdrawn]
    if rows is not None:
        rows = [row for row in rows if _id_key(row["id"]) not in withdrawn]
    file_ids = [_id_key(row["id"]) for row in rows or []]
    unmatched = [normalise_id(row["id"]) for row in rows or [] if _id_key(row["id"]) not in store_ids]
    if rows is not None:
        # A row without an interview (a participant recruited but never interviewed, a typo'd id) is no
        # part of the sample analysed: counting them would make N and every percentage describe other people.
        rows = [row for row in rows if _id_key(row["id"]) in store_ids]
    # An unmatched id that is not a study id (P3) may be a real name: counted, never shown.
    shown = [i for i in unmatched if re.fullmatch(r"P\d+", i)]
    everyone = sorted(set(store_ids.values()) | {store_ids[i] for i in file_ids if i in store_ids} | set(shown),
                      key=participant_sort_key)
    per_participant = [{"id": p, "statements": statements.get(p, 0), "in_themes": placed.get(p, 0),
                        "themes": len(themes_touched.get(p, ()))} for p in everyone]
    table = {
        "n": len(rows) if rows is not None else len(store_ids), "min_cell_size": min_cell_size,
        "percent_of": PERCENT_OF,
        "attributes": [], "left_out": [], "participants": per_participant,
        "in_file_without_statements": shown,
        # Rows of the file left out of N and the summaries for having no interview (shown or not).
        "in_file_without_statements_left_out": len(unmatched),
        "withdrawn_left_out": len(withdrawn_rows),
        "in_file_without_statements_not_shown": len(unmatched) - len(shown),
        "in_study_not_in_file": ([p for p in sorted(store_ids.values(), key=participant_sort_key)
                                  if _id_key(p) not in set(file_ids)] if rows is not None else []),
    }
    if rows:
        table["attributes"], table["left_out"], table["deidentified"] = _summarise_attributes(
            rows, min_cell_size, TypedRedactor(load_key_map(session)))
    return table


def _id_key(participant: str) -> str:
    return normalise_id(participant).casefold()


def _summarise_attributes(rows: list[dict], min_cell_size: int = MIN_CELL_SIZE,
                          redact=None) -> tuple[list[dict], list[str], list[str]]:
    """Summaries, the columns left out (with why), and the categorical columns some of whose values
    `redact` (the study's key map, deid.typed) wrote otherwise: a site column's "朝阳区第三医院" beside quotes
    that say [ORG_2] would undo the replacement (a researcher's audit). Values are counted as written so."""
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "id"))
    summaries, left_out, deidentified = [], [], []
    n = len(rows)
    # Rows from `read_participants_file` have these columns dropped already (and it says so); other rows not.
    identifying = identifying_columns(rows)
    for column in columns:
        values = [row.get(column) for row in rows]
        # "NA", "N/A", "." (R, Stata, SPSS, Excel exports) are no answer: neither a category nor text that
        # turns a number column into words.
        given = [v for v in values if not is_missing(v)]
        if column.strip().lower() in IDENTIFYING_COLUMNS:
            left_out.append(f"{column}: identifies people, not summarised")
            continue
        if column in identifying:
            left_out.append(f"{column}: {identifying[column]}")
            continue
        numbers = [_number(v) for v in given]
        numeric = bool(given) and all(x is not None for x in numbers)
        codes = numeric and _coded_categories(numbers)
        if numeric and not codes:
            fewest = fewest_numbers(min_cell_size)
            if len(numbers) < fewest:
                left_out.append(f"{column}: given by fewer than {fewest} participants, whose mean and SD would "
                                "come close to showing their own values; not summarised")
                continue
            if max(len(str(int(abs(x)))) for x in numbers) > MAX_NUMBER_DIGITS:
                left_out.append(f"{column}: numbers of more than {MAX_NUMBER_DIGITS} digits (record numbers, "
                                "amounts to the pound), which identify or single out people; not summarised")
                continue
            summaries.append({
                "name": column, "kind": "numeric", "n": len(numbers), "missing": n - len(numbers),
                "mean": statistics.fmean(numbers), "sd": statistics.stdev(numbers),
            })
            continue
        texts = [str(int(x)) for x in numbers] if codes else [" ".join(str(v).split()) for v in given]
        written = [redact(text) for text in texts] if redact is not None and not codes else texts
        rewritten, texts = written != texts, written
        if n >= 5 and len(set(texts)) == len(texts) == n:
            # Counts of values that are all different would list each person's value by itself.
            left_out.append(f"{column}: a different value for every participant (an identifier, not an attribute)")
            continue
        summary = _categorical(column, texts, n, min_cell_size)
        if isinstance(summary, str):
            left_out.append(f"{column}: {summary}")
            continue
        summaries.append(summary)
        if rewritten:
            deidentified.append(column)
    return summaries, left_out, deidentified


def fewest_numbers(min_cell_size: int) -> int:
    """How many participants must give a number for Table 1 to show its mean (SD)."""
    return max(min_cell_size, MIN_NUMERIC_VALUES)


def _coded_categories(numbers: list[float]) -> bool:
    """Whether a number column holds codes of categories (sex 1/2, disability 0/1, staff group 1-3), which
    are counted like words under the minimum cell size: a mean of 0/1 codes is a count in disguise
    ("0.1 of 8" is the one participant with a disability). Whole numbers with at most half as many
    different values as answers, as R's gtsummary treats a number column of few values as categorical."""
    return all(float(x).is_integer() for x in numbers) and len(set(numbers)) <= max(2, len(numbers) // 2)


def _categorical(column: str, texts: list[str], n: int, min_cell_size: int) -> dict | str:
    """A categorical column's levels, or the reason it is left out.

    A value fewer than `min_cell_size` participants hold ("pharmacist": 1) would point at them, so such
    values are pooled into one level that never names them. Free text (a notes column, or a long or
    address-like value) is no category: its texts are pooled the same way, under FREE_TEXT_LEVEL, whatever
    their count. A pool smaller than `min_cell_size` cannot simply keep its count back: N, the "not given"
    count and the other levels' counts (or any percentage) give it by subtraction. So the smallest shown
    values join it until it reaches `min_cell_size` (secondary suppression, by pooling). A column whose every
    value ends up in the pool says nothing and is left out. Percentages are of those who gave a value
    (`texts`), not of `n`: the rest are the column's "not given" count (PERCENT_OF)."""
    counts = Counter(texts)
    answered = len(texts)
    free_text = free_text_column(column, texts)
    small = {value for value, count in counts.items()
             if count < min_cell_size or (free_text and free_text_value(value))}
    shown = [(value, count) for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
             if value not in small]
    pooled = sum(counts[value] for value in small)
    widened = False
    while 0 < pooled < min_cell_size and shown:
        pooled += shown.pop()[1]  # the smallest shown value; ties: the last by name
        widened = True
    if not shown:  # a line "Other: 4 (100%)" would only be misread as everyone's value
        if answered < min_cell_size:
            return f"given by fewer than {min_cell_size} participants; not summarised"
        if widened:
            return (f"no value held by {min_cell_size} or more participants could be shown without letting a "
                    "smaller group's count be worked out from N; not summarised")
        return f"every value is held by fewer than {min_cell_size} participants; not summarised"
    levels = [{"value": value, "count": count, "percent": 100 * count / answered} for value, count in shown]
    if pooled:
        label = FREE_TEXT_LEVEL if free_text else POOLED_LEVEL
        if label.casefold() in {level["value"].casefold() for level in levels}:  # the file's own "Other" value
            label += " (pooled)"
        levels.append({"value": label, "pooled": True, "count": pooled, "percent": 100 * pooled / answered})
    return {"name": column, "kind": "categorical", "n": answered, "missing": n - answered, "levels": levels,
            "pooled": bool(pooled), "widened": widened}


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # "nan", "inf": text, not numbers


def themes_table(session: Session, codebook: Codebook) -> list[dict]:
    """Table 2: each theme, then its subcategories, with statements, coverage and representative quotes."""
    n_participants = len(study_participants(session))
    members: dict[int, list[Placement]] = {}
    for placement in codebook.placements:
        members.setdefault(placement.theme.id, []).append(placement)
        if placement.subcategory is not None:
            members.setdefault(placement.subcategory.id, []).append(placement)
    rows = []
    for theme in codebook.themes:
        row = _row(theme, members.get(theme.id, []), n_participants)
        row["subcategories"] = [_row(sub, members.get(sub.id, []), n_participants)
                                for sub in codebook.subcategories[theme.id]]
        rows.append(row)
    if has_questions(rows):
        # Survey units with a question column: themes were found per question, so the same-looking
        # label can appear under two questions. Rows go together by question, in the order the
        # questions first appear in the study (a question no live unit asks any more: after those,
        # alphabetically); within a question, in code order (the sort is stable).
        rank = question_order(session)
        rows.sort(key=lambda row: (0, rank[row["question"]], "") if row["question"] in rank
                  else (1, 0, row["question"] or ""))
    return rows


def has_questions(rows: list[dict]) -> bool:
    """Whether Table 2 needs its question column: some theme was found among one question's answers."""
    return any(row.get("question") is not None for row in rows)


def question_groups(rows: list[dict]) -> list[dict]:
    """Table 2's rows by question, for the renderers: [{"question", "rows", "span"}], `span` being how many
    table rows (themes and their subcategories) the group takes. `rows` must come from `themes_table`,
    which keeps each question's themes together."""
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["question"] != row.get("question"):
            groups.append({"question": row.get("question"), "rows": [], "span": 0})
        groups[-1]["rows"].append(row)
        groups[-1]["span"] += 1 + len(row["subcategories"])
    return groups


def _row(theme: Theme, placements: list[Placement], n_participants: int) -> dict:
    participants = sorted({p.statement.participant for p in placements if p.statement.participant},
                          key=participant_sort_key)
    return {
        "code": theme.code, "label": theme.label, "status": theme_status(theme), "level": theme.level,
        # The researcher's own question from the units file (not interview text), or None.
        "question": theme.question,
        "statements": len(placements), "participants": participants,
        "participants_covered": f"{len(participants)} of {n_participants}",
        "single_participant": rests_on_one_participant(
            participants, sum(1 for p in placements if not p.statement.participant), n_participants),
        "quotes": representative_quotes(theme, placements),
    }


def coverage_cell(row: dict) -> str:
    """Table 2's participants cell: "1 of 9 (one participant)" for a theme resting on one person."""
    return row["participants_covered"] + (f" ({ONE_PARTICIPANT})" if row["single_participant"] else "")


def representative_quotes(theme: Theme, placements: list[Placement], limit: int = QUOTES_PER_ROW) -> list[dict]:
    """Up to `limit` quotes from different participants: reviewer-confirmed statements first, then the
    describer's exemplars (closest to the centre), then the closest of the rest."""
    exemplar_rank = {sid: rank for rank, sid in enumerate(theme.exemplar_statement_ids or [])}
    ranked = sorted(placements, key=lambda p: (not p.confirmed, not _says_enough(p.statement),
                                               exemplar_rank.get(p.statement.id, len(exemplar_rank)),
                                               -p.similarity, p.statement.id))
    chosen: list[Placement] = []
    speakers: set[str | None] = set()
    for distinct_only in (True, False):  # different voices first; then fill up if too few spoke
        for placement in ranked:
            if len(chosen) == limit:
                break
            if placement in chosen or (distinct_only and placement.statement.participant in speakers):
                continue
            chosen.append(placement)
            speakers.add(placement.statement.participant)
    return [{"statement_id": p.statement.id, "participant": p.statement.participant or "participant unknown",
             "text": shorten(p.statement.text), "confirmed": p.confirmed} for p in chosen]


def _says_enough(statement) -> bool:
    """A quote should stand on its own: "Honestly, it's big." near the centre says less than a full sentence."""
    words = [t for t in (statement.tokens or statement.text.split()) if any(ch.isalnum() for ch in t)]
    return len(words) >= MIN_QUOTE_WORDS


def shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
