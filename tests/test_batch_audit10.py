"""Audit 10, the batch flow: a run whose inbox has gone fails in one line and stores nothing (#4); a
scheduled run (`create_study=False`) whose study has gone fails in one line and makes nothing, where
`qualflow run` on a new data folder still starts the study (#1); a placement counts only new statements
as new, and the statements of a rejected theme it suggests elsewhere apart (#12)."""

import shutil
from pathlib import Path

import pytest
from qualflow.flows.batch import RunRefused, code_interviews, why_not_run
from qualflow.models.store import study_is_there
from qualflow.models import Store, Suggestion, default_database_url
from qualflow.models.queries import current_themes
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _study(tmp_path) -> tuple[Path, Path]:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    Store(default_database_url(data)).dispose()
    return inbox, data


def test_a_run_with_everything_in_place_may_start(tmp_path):
    inbox, data = _study(tmp_path)
    assert why_not_run(str(inbox), str(data), None, create_study=False) is None
    assert why_not_run(str(inbox), str(data), None, create_study=True) is None


def test_a_first_run_may_start_a_study_in_a_new_data_folder(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert why_not_run(str(inbox), str(tmp_path / "new" / "data"), None, create_study=True) is None
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("create_study", [True, False])
def test_a_missing_inbox_is_one_line_naming_it(tmp_path, create_study):
    inbox, data = _study(tmp_path)
    inbox.rename(tmp_path / "inbox.away")
    message = why_not_run(str(inbox), str(data), None, create_study)
    assert message.startswith(f"inbox {inbox} does not exist (or is not a folder)")
    assert "\n" not in message


def test_a_served_inbox_replaced_by_a_file_is_refused(tmp_path):
    inbox, data = _study(tmp_path)
    inbox.rmdir()
    inbox.write_text("not a folder")
    assert why_not_run(str(inbox), str(data), None, create_study=False).startswith(f"inbox {inbox} does not exist")


def test_an_inbox_that_cannot_be_listed_is_refused(tmp_path, monkeypatch):
    # os.walk skips a folder it may not list without a word: the run would find nothing, night after night.
    import qualflow.flows.batch as batch

    inbox, data = _study(tmp_path)

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(batch.os, "scandir", denied)
    assert why_not_run(str(inbox), str(data), None, create_study=False) == (
        f"inbox {inbox} cannot be read (Permission denied); nothing was read or stored")


def test_a_scheduled_run_refuses_a_data_folder_that_has_gone(tmp_path):
    inbox, data = _study(tmp_path)
    data.rename(tmp_path / "data.moved")
    message = why_not_run(str(inbox), str(data), None, create_study=False)
    assert message.startswith(f"the study's data folder {data} is not there")
    assert "never starts a new study" in message and "\n" not in message
    assert not data.exists()


def test_a_scheduled_run_refuses_a_data_folder_whose_database_has_gone(tmp_path):
    inbox, data = _study(tmp_path)
    (data / "qualflow.sqlite").unlink()
    assert why_not_run(str(inbox), str(data), None, False).startswith(
        f"the study database {data / 'qualflow.sqlite'} is not there")
    (data / "qualflow.sqlite").touch()  # an empty file is a new, empty database to SQLite
    assert "is not there" in why_not_run(str(inbox), str(data), None, False)
    assert why_not_run(str(inbox), str(data), None, create_study=True) is None


def test_an_emptied_postgresql_database_is_no_study(postgres_url, tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    assert not study_is_there(postgres_url)
    message = why_not_run(str(inbox), str(data), postgres_url, create_study=False)
    url = make_url(postgres_url)
    assert "holds no qualflow study" in message and url.database in message
    # Masked as ***: the password never shows (CI's role has the same name as its password, so look for it
    # where a password would stand, after the user name).
    if url.password:
        assert ":***@" in message and f":{url.password}@" not in message
    assert study_is_there(postgres_url) is False  # looking made nothing
    Store(postgres_url).dispose()
    assert study_is_there(postgres_url)
    assert why_not_run(str(inbox), str(data), postgres_url, create_study=False) is None


@pytest.mark.slow
def test_a_scheduled_run_on_a_moved_study_fails_and_makes_nothing(tmp_path):
    """The auditor's repro, without the server: the run raised nothing and coded every interview again
    into a new, empty study. Called directly, the flow raises the one-line RunRefused the CLI prints."""
    inbox, data = _study(tmp_path)
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    data.rename(tmp_path / "data.moved")
    with pytest.raises(RunRefused, match="is not there"):
        code_interviews(str(inbox), str(data), "small-study", create_study=False)
    assert not data.exists()
    shutil.rmtree(tmp_path / "data.moved")
    missing = tmp_path / "gone"
    with pytest.raises(RunRefused, match=f"inbox {missing} does not exist"):
        code_interviews(str(missing), str(data), "small-study")
    assert not data.exists()  # not even a `qualflow run` makes a study for an inbox that is not there


@pytest.mark.slow
def test_a_placement_counts_the_statements_of_a_rejected_theme_apart_from_new_ones(tmp_path):
    """`134 new statements placed` counted the 68 statements a rejected theme released as new."""
    from qualflow.review import actions

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    assert code_interviews(str(inbox), str(data), "small-study").reclustered
    store = Store(default_database_url(data))
    with store.session() as session:
        leaves = [t for t in current_themes(session) if t.level == "subcategory"
                  or not any(c.parent_id == t.id for c in current_themes(session))]
        rejected = max(leaves, key=lambda t: (len(t.suggestions), -t.id))
        released = {s.statement_id for s in rejected.suggestions if s.status == "suggested"}
        actions.reject(session, "alice", rejected.id)
        session.commit()
        last_before = session.scalar(select(func.max(Suggestion.id)))
    assert released
    # An edit that adds one statement: a new version, placed (not clustered again).
    with open(inbox / "en_p1_nurse.txt", "a", encoding="utf-8") as handle:
        handle.write("\nP1: Parking at the clinic is a constant worry, because every morning I lose twenty "
                     "minutes looking for a space near the door before the first home visit.\n")
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert not summary.reclustered and summary.new_versions
    with store.session() as session:
        # The placement's offers (a new version's copies of decided statements carry no offer).
        offered = session.scalar(select(func.count()).select_from(Suggestion).where(
            Suggestion.id > last_before, Suggestion.offered_after_decision.is_not(None)))
    # Every released statement (or its copy in en_p1's new version) is suggested elsewhere; not as new.
    assert summary.resuggested == len(released)
    assert summary.placed + summary.resuggested == offered
    assert 1 <= summary.placed <= summary.embedded
    # A run with nothing new moves nothing, and says so.
    again = code_interviews(str(inbox), str(data), "small-study")
    assert again.placed == 0 and again.resuggested == 0
    store.dispose()


def test_the_run_record_says_new_and_resuggested_statements_apart():
    from qualflow.flows.batch import RunSummary
    from qualflow.flows.run_record import _theme_work

    assert _theme_work(RunSummary(placed=3, resuggested=0)) == "3 new statements placed into the current themes"
    both = _theme_work(RunSummary(placed=1, resuggested=22))
    assert both.startswith("1 new statements placed") and "22 statements of rejected themes suggested elsewhere" in both
    # A run whose only work was re-suggesting did change the suggestions: not "nothing new".
    assert _theme_work(RunSummary(placed=0, resuggested=5)) == "5 statements of rejected themes suggested elsewhere"
    assert _theme_work(RunSummary()) == "unchanged (nothing new)"
