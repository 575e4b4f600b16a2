"""Imported manual coding follows an edited transcript to its new version (pipeline/coding/carry.py).

Real flow runs on a real SQLite store: a study, a coding file imported, then the coded
transcript edited before the coded passages (so every offset shifts) and run again."""

import json
import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, Transcript, default_database_url
from qualflow.models.coding import ManualCoding
from qualflow.pipeline.coding.compare import compare_study, study_labellings
from qualflow.pipeline.coding.importer import import_coding
from sqlalchemy import select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "coding"
CODED = "en_p9_outreach.txt"
EDITS = [  # an interviewer question reworded and a statement changed, all before the coded passages
    ("Could you describe how your week usually goes?", "Could you walk me through how a normal week goes for you?"),
    ("Most weeks I start on Monday", "Most weeks I begin on a Monday"),
]


def _stored_spans(session) -> list[tuple[int, int, str]]:
    rows = session.scalars(select(ManualCoding).order_by(ManualCoding.id))
    return [(c.transcript_id, c.start, session.get(Transcript, c.transcript_id).text[c.start:c.end]) for c in rows]


def _coded_statements(session) -> list[str]:
    data = study_labellings(session)
    coded = data["coders"][0].units
    return sorted(s.text for s, codes in zip(data["statements"], coded, strict=True) if codes)


def test_codings_move_to_the_new_version_with_their_spans(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    shutil.copy(FIXTURES / CODED, inbox / CODED)
    assert code_interviews(str(inbox), str(data)).transcripts_added == 3
    store = Store(default_database_url(data))
    stats = import_coding(store, FIXTURES / "en_p9_highlights.csv")
    assert stats["aligned"] == stats["spans"] > 0
    with store.session() as session:
        before = _stored_spans(session)
        coded_before = _coded_statements(session)
        old_id = session.scalar(select(Transcript.id).where(Transcript.source_name == CODED))

    text = (inbox / CODED).read_text("utf-8")
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new)
    (inbox / CODED).write_text(text, "utf-8")
    assert code_interviews(str(inbox), str(data)).transcripts_added == 0

    with store.session() as session:
        new_version = session.scalar(select(Transcript).where(Transcript.previous_version_id == old_id))
        assert new_version is not None
        after = _stored_spans(session)
        # Every coding is on the new version, over the same words, at shifted offsets.
        assert {t for t, _, _ in after} == {new_version.id}
        assert [span for _, _, span in after] == [span for _, _, span in before]
        # The edits lengthened the text before every coded passage: each span moved.
        growth = len(text) - len((FIXTURES / CODED).read_text("utf-8"))
        assert growth > 0 and [s for _, s, _ in after] == [s + growth for _, s, _ in before]
        assert all(c.quality > 0 for c in session.scalars(select(ManualCoding)))
        assert _coded_statements(session) == coded_before
        assert compare_study(session)["codings_on_replaced_versions"] == 0

    # Running again changes nothing.
    assert code_interviews(str(inbox), str(data)).transcripts_added == 0
    with store.session() as session:
        assert _stored_spans(session) == after


def test_codings_left_on_a_replaced_version_are_counted_not_compared(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox / "en_p1_nurse.txt")
    shutil.copy(FIXTURES / CODED, inbox / CODED)
    code_interviews(str(inbox), str(data))
    store = Store(default_database_url(data))
    import_coding(store, FIXTURES / "en_p9_highlights.csv")
    text = (inbox / CODED).read_text("utf-8").replace(*EDITS[1])
    (inbox / CODED).write_text(text, "utf-8")
    code_interviews(str(inbox), str(data))
    with store.session() as session:
        # As a study from before codings moved would have them: still on the replaced version.
        old = session.scalar(select(Transcript).where(Transcript.source_name == CODED,
                                                      Transcript.superseded_by_id.is_not(None)))
        for coding in session.scalars(select(ManualCoding)):
            coding.transcript_id = old.id
        session.commit()
        n = session.query(ManualCoding).count()
        result = compare_study(session)
        assert result["codings_on_replaced_versions"] == n and result["comparisons"] == []
    outcome = CliRunner().invoke(app, ["compare", "--data", str(data), "--json"])
    assert outcome.exit_code == 2
    assert f"{n} coded spans are on earlier versions" in outcome.output and "import the coding file again" in outcome.output

    # Importing the coding file again puts them on the live version.
    import_coding(store, FIXTURES / "en_p9_highlights.csv")
    with store.session() as session:
        assert compare_study(session)["codings_on_replaced_versions"] == 0
    outcome = CliRunner().invoke(app, ["compare", "--data", str(data), "--json"])
    assert outcome.exit_code == 0 and json.loads(outcome.stdout)["comparisons"]
