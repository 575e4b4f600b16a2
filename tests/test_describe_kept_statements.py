"""A re-clustering keeps statements where reviewers put them (pipeline/reconcile.py), whatever cluster the
run gives them; so a cluster's keywords come from its other statements. A researcher's audit saw a new
theme about sickness cover labelled "records · screens · electronic": the words of statements a reviewer had
split off into "Electronic records", which the new clustering had put beside it."""

from types import SimpleNamespace

import numpy as np
from fixtures.review.study import build
from qualflow.flows import tasks
from qualflow.models import Statement, Store, Suggestion
from qualflow.models.queries import theme_by_code
from qualflow.pipeline.config import load_config
from qualflow.review import actions
from sqlalchemy import select


def test_keywords_leave_out_statements_a_reviewer_kept_elsewhere(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    topic_of = build(store)  # statement id -> topic: 0 workload, 1 overtime, 2 families
    with store.session() as session:
        workload = theme_by_code(session, "T1.1")
        members = sorted(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id == workload.id)))
        actions.split(session, "alice", workload.id, members[: len(members) // 2], "Staffing")  # kept there now
        kept = set(members[: len(members) // 2])
        statements = sorted(session.scalars(select(Statement).where(Statement.significant)), key=lambda s: s.id)
        ids = [s.id for s in statements]
        tokens = [s.tokens for s in statements]
        texts = {s.id: s.text.lower() for s in statements}
        participants = [s.participant for s in statements]
    # A new clustering puts the kept workload statements beside the families ones (cluster 0).
    cluster = np.array([0 if i in kept or topic_of[i] == 2 else 1 for i in ids])
    n = len(ids)
    clustering = SimpleNamespace(assigned_=cluster, themes_=cluster, outlier_=np.zeros(n, dtype=bool),
                                 similarity_=np.full(n, 0.9), theme_similarity_=np.full(n, 0.9))
    embedded = tasks.Embedded(ids, [str(i) for i in ids], ["en"] * n, tokens, participants,
                              np.random.default_rng(0).normal(size=(n, 512)), 0)
    config = load_config(None)
    subcategories, _ = tasks.describe.fn(store, embedded, clustering, config,
                                         tasks.encoder_for(config.embed.model_dump_json()))
    families_text = " ".join(texts[i] for i in ids if topic_of[i] == 2)
    kept_text = " ".join(texts[i] for i in kept)
    keywords = subcategories[0].keywords
    assert keywords, subcategories[0]
    assert all(word.lower() in families_text for word in keywords), keywords
    assert not any(word.lower() in kept_text and word.lower() not in families_text for word in keywords), keywords
