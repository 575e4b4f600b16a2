"""Exported file names keep numbers that may be ids, though they could be read as dates.

Leaving a date out of an exported name hides when someone was interviewed; leaving out an id that only
looks like one loses the name's meaning and makes two files one name ("batch_120324" and
"batch_120325" both "batch", then "batch (2)"). Six digits with no separator (240312, 120324) are as
often a participant, batch or recording number as a date, in an order no one can tell (YYMMDD, DDMMYY,
MMDDYY); four digits (P3_0312) and two numbers with a separator (FG_01-02, P3_1-2) are as often a
participant, a session or a range. So these stay; a six-digit date with its separators (12-03-24,
24.03.12) and every form with a year, a month name or 年月日 goes.
"""

from __future__ import annotations

import pytest
from qualflow.pipeline.report import without_dates


@pytest.mark.parametrize(
    "name",
    ["P0312.txt", "P3_0312.txt", "batch_123456.txt", "interview_120324.txt", "site2_031224.txt",
     "FG_01-02.txt", "P3_1-2.txt", "P3_03-12.txt"],
)
def test_numbers_that_may_be_ids_stay(name):
    assert without_dates(name) == name


@pytest.mark.parametrize("name", ["P3_12-03-24.txt", "P3_24.03.12.txt", "P3_12 Mar.txt", "P3_3月12日.txt"])
def test_dates_written_as_dates_go(name):
    assert without_dates(name) == "P3.txt"
