"""A reviewer decides while a run is storing its themes: the run neither crashes nor leaves the
decision behind. Real SQLite study, real Prefect flow, the reviewer on a connection of their own;
the moment is made certain by deciding inside the run's reconciliation (after it read the codebook)."""
import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from qualflow.models import Store, Theme, default_database_url
from qualflow.models.queries import current_themes
from qualflow.pipeline import persist
from qualflow.review import actions
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_decisions_made_while_a_run_stores_its_themes_are_kept_and_the_run_completes(tmp_path, monkeypatch):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    code_interviews(str(inbox), str(data), "small-study")
    reviewer = Store(default_database_url(data))
    with reviewer.session() as session:
        top = [t for t in current_themes(session) if t.level == "theme" and t.status == "candidate"]
        accepted, renamed = top[0].id, top[1].id
    calls = []
    plan = persist.reconcile

    def decide_meanwhile(*args, **kwargs):
        if not calls:  # the first time only: the run has read the codebook, and not yet written
            with reviewer.session() as session:
                actions.accept(session, "alice", accepted)
                actions.rename(session, "alice", renamed, "Named while the run was storing")
        calls.append(1)
        return plan(*args, **kwargs)

    monkeypatch.setattr(persist, "reconcile", decide_meanwhile)
    summary = code_interviews(str(inbox), str(data), "small-study", recluster=True)
    assert summary.reclustered and len(calls) == 2  # stored once more, now with the decisions
    with reviewer.session() as session:
        live = {t.id: t for t in current_themes(session)}
        assert accepted in live and live[accepted].status == "confirmed"
        assert renamed in live and live[renamed].label == "Named while the run was storing"
        assert session.scalar(select(Theme.theme_set_id).where(Theme.id == accepted)) == \
            session.scalar(select(Theme.theme_set_id).where(Theme.id == renamed))
    reviewer.dispose()
