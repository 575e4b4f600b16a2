"""Table 1's number columns give away no one's value (privacy audit of 2026-11-27, /tmp/s15/audit-report):
no range (its ends are the youngest and the oldest participant's own values), mean (SD) only from 5 values on
(with 3 or 4 values and the range, one set of whole numbers fitted), and codes of categories (disability 0/1,
sex 1/2) are counted as categories under the minimum cell size, since their mean is a count in disguise.
Checked through the real `qualflow report` on a stored study of 8 participants, in every file it writes."""

from __future__ import annotations

import statistics

import pytest
from qualflow.models import Store, default_database_url
from qualflow.pipeline.participants_file import read_participants_file
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.tables import participant_table
from test_table1_small_cells import report_texts, study_data  # noqa: F401 (study_data: a fixture, 8 interviewed)

# age: 8 different ages (P5 the oldest, 61); disability: one participant with one (coded 1); sex_code: one man
# (2) among seven women (1); staff_group: 1 five times, 2 twice, 3 once; years_in_post: given by four only.
PARTICIPANTS = ("participant,age,disability,sex_code,staff_group,years_in_post\n"
                "P1,34,0,1,1,4\n"
                "P2,41,0,1,1,\n"
                "P3,29,0,1,2,22\n"
                "P4,38,0,1,1,\n"
                "P5,61,1,2,3,30\n"
                "P6,47,0,1,1,\n"
                "P7,33,0,1,2,2\n"
                "P8,52,0,1,1,\n")


def _table(study_data, tmp_path) -> dict:
    parts = tmp_path / "participants.csv"
    parts.write_text(PARTICIPANTS, encoding="utf-8")
    with Store(default_database_url(study_data)).session() as session:
        return participant_table(session, live_codebook(session), read_participants_file(parts).rows)


def test_no_range_and_codes_are_categories_in_every_report_file(study_data, tmp_path, monkeypatch):
    import test_table1_small_cells

    monkeypatch.setattr(test_table1_small_cells, "PARTICIPANTS", PARTICIPANTS)
    texts = report_texts(study_data, tmp_path)
    for name in ("markdown", "html", "docx"):
        text = " ".join(texts[name].split())
        assert "age, mean (SD)" in text and "41.9 (10.8)" in text, name
        assert "range" not in text.replace("no range is shown", ""), name
        assert "61" not in text.replace("2026", ""), name  # the oldest participant's age
        for column in ("disability", "sex_code", "staff_group"):  # no mean of codes
            assert f"{column}, mean (SD)" not in text, (name, column)
        assert "years_in_post, mean (SD)" not in text, name
        assert "no range is shown, since its ends are single participants" in text, name


def test_the_note_gives_the_minimum_that_applies(study_data, tmp_path, monkeypatch):
    import test_table1_small_cells

    monkeypatch.setattr(test_table1_small_cells, "PARTICIPANTS", PARTICIPANTS)
    markdown = " ".join(report_texts(study_data, tmp_path, "--min-cell-size", "6")["markdown"].split())
    assert "of the participants who gave a number, at least 6;" in markdown  # 8 ages: still shown
    assert "age, mean (SD)" in markdown


def test_the_table_data_holds_no_extreme_and_no_mean_of_codes(study_data, tmp_path):
    table = _table(study_data, tmp_path)
    attributes = {a["name"]: a for a in table["attributes"]}
    assert set(attributes["age"]) == {"name", "kind", "n", "missing", "mean", "sd"}
    ages = [34, 41, 29, 38, 61, 47, 33, 52]
    assert attributes["age"]["mean"] == pytest.approx(statistics.fmean(ages))
    assert attributes["age"]["sd"] == pytest.approx(statistics.stdev(ages))
    # Counted as categories: the one disability and the one man pooled with the rest, so left out; staff
    # group 1 shown (5), 2 and 3 pooled (3).
    assert "disability" not in attributes and "sex_code" not in attributes
    assert attributes["staff_group"]["kind"] == "categorical"
    assert [(lv["value"], lv["count"]) for lv in attributes["staff_group"]["levels"]] == [("1", 5), ("Other", 3)]
    reasons = dict(note.split(": ", 1) for note in table["left_out"])
    assert set(reasons) == {"disability", "sex_code", "years_in_post"}
    assert reasons["years_in_post"].startswith("given by fewer than 5 participants")


@pytest.mark.parametrize("numbers, coded", [
    ([0, 0, 0, 1, 0, 0, 0, 0], True), ([1, 2, 1, 1, 2], True), ([1, 2, 3, 1, 1, 2, 1, 1], True),
    ([34, 41, 29, 38, 61, 47, 33, 52], False),  # ages: all different
    ([34, 34, 41, 41, 52], False),  # 3 different of 5: more than half as many
    ([1.5, 2.5, 1.5, 2.5, 1.5, 2.5], False),  # not whole numbers: measurements
])
def test_codes_of_categories_are_whole_numbers_of_few_different_values(numbers, coded):
    from qualflow.pipeline.tables import _coded_categories

    assert _coded_categories([float(x) for x in numbers]) is coded
