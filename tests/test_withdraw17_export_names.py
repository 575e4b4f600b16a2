"""After a withdrawal, exports name the remaining transcripts as exports before it did.

Exports leave dates out of file names, so two files may share a name: the first to come in is
"interview.txt", the next "interview (2).txt" (pipeline/report.py `ExportNames`). When the first was a
withdrawn participant's and went with them, the second used to become "interview.txt", so a researcher's
earlier exports and codings no longer matched the later ones, and an old export's "interview.txt" rows
(the withdrawn participant's) read as someone else's. The withdrawal keeps a hash of each export name its
files had, and those names stay taken. Real SQLite study (tests/fixtures/review), the real CLI.
"""

import json

from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.report import export_names
from typer.testing import CliRunner

runner = CliRunner()
FIRST, SECOND, LATER = "interview_2026-03-12.txt", "interview_2026-04-02.txt", "interview_2026-05-20.txt"


def cli(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments), env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


def documents(data) -> dict[str, set[str]]:
    """participant -> the document names `export assignments` gives their rows."""
    found: dict[str, set[str]] = {}
    for row in json.loads(cli("export", "assignments", "--format", "json", "--data", str(data))):
        found.setdefault(row["participant"], set()).add(row["document"])
    return found


def test_the_remaining_file_keeps_its_export_name_and_the_withdrawn_name_is_not_given_again(tmp_path):
    store = Store(default_database_url(tmp_path))
    topic_of = build(store)
    with store.session() as session:
        for name, participant, topics in ((FIRST, "P4", [3, 3, 3]), (SECOND, "P5", [0, 1, 2])):
            for statement, topic in zip(add_transcript(session, name, participant, topics), topics):
                topic_of[statement.id] = topic
        run_clustering(session, topic_of, "with P4 and P5")
        session.commit()
    store.dispose()
    before = documents(tmp_path)
    assert (before["P4"], before["P5"]) == ({"interview.txt"}, {"interview (2).txt"})

    cli("withdraw", "P4", "--yes", "--data", str(tmp_path))
    after = documents(tmp_path)
    assert "P4" not in after
    assert after == {who: names for who, names in before.items() if who != "P4"}

    # A file that comes in later is not given the withdrawn file's name, which earlier exports used for it.
    with Store(default_database_url(tmp_path)).session() as session:
        add_transcript(session, LATER, "P6", [0])
        session.flush()
        name = export_names(session)
        assert (name(SECOND), name(LATER)) == ("interview (2).txt", "interview (3).txt")
