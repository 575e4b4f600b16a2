from qualflow.models import Store
from qualflow.pipeline.report import assignment_rows, fit_summary, markdown_report, theme_rows


def test_an_empty_study_reports_nothing_without_failing():
    store = Store("sqlite:///:memory:")
    with store.session() as session:
        assert theme_rows(session) == [] and assignment_rows(session) == []
        assert fit_summary(session)["statements"] == 0
        report = markdown_report(session)
    assert report.startswith("# qualflow: candidate themes") and "0 themes, 0 subcategories" in report
