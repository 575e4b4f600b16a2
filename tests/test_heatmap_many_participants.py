"""The participants × themes heatmap names its rows only while a page can show the names: a survey where each
answer is its own respondent (20,000 of them) spent over 8 minutes laying out tick labels, so the report, and
the review app's report page, never came (audit of 2026-11-27; the times are in README, measured on the
audit's study, not in a test)."""

from qualflow.pipeline.figures import MOST_NAMED_ROWS, participant_ticks


def test_a_small_study_names_every_participant():
    names = [f"P{i}" for i in range(1, 10)]
    assert participant_ticks(names) == (list(range(9)), names)


def test_a_survey_of_thousands_names_none():
    assert participant_ticks([f"R{i}" for i in range(MOST_NAMED_ROWS + 1)]) == ([], [])

