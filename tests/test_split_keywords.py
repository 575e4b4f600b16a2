"""A split describes both themes from their members now: the new theme gets keywords of its own, the
theme it came from loses the words of what left it, and an undo puts the old description back."""

import re

import pytest
from fixtures.review.study import add_transcript, run_clustering
from qualflow.models import Decision, Store, Suggestion, Theme
from qualflow.models.queries import theme_by_code
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import select

WORKLOAD, PAY = 0, 3


def words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


@pytest.fixture
def store(tmp_path):
    """Three participants speak of workload and of pay; the 'clusterer' put both in one subcategory
    (T1.1, described as "workload" only), beside overtime and families."""
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    topic_of, lumped = {}, {}
    with store.session() as session:
        for n, participant in enumerate(("P1", "P2", "P3")):
            topics = [WORKLOAD, PAY, 1, 2, WORKLOAD, PAY, WORKLOAD, PAY]
            for statement, topic in zip(add_transcript(session, f"p{n}.txt", participant, topics), topics):
                statement.tokens = words(statement.text)  # as segmentation gives them, punctuation apart
                topic_of[statement.id] = topic
                lumped[statement.id] = WORKLOAD if topic == PAY else topic
        run_clustering(session, lumped, "first")
    store.topic_of = topic_of
    return store


def pay_statements(session, store) -> list[int]:
    theme = theme_by_code(session, "T1.1")
    members = session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id == theme.id, Suggestion.status.in_(("suggested", "confirmed"))))
    return sorted(i for i in members if store.topic_of[i] == PAY)


def keys(keywords: list[str]) -> set[str]:
    return {word.lower() for word in keywords}


PAY_WORDS = {"pay", "salaries", "工资", "risen", "low", "years"}
WORKLOAD_WORDS = {"staff", "caseload", "week", "growing", "short", "人手", "夜班"}


def test_a_split_describes_the_new_theme_and_the_one_it_left(store):
    with store.session() as session:
        assert theme_by_code(session, "T1.1").keywords == ["workload"]
        picked = pay_statements(session, store)
        decision = actions.split(session, "ann", theme_by_code(session, "T1.1").id, picked, "Pay")
        summary = decision.summary
        new = session.scalar(select(Theme).where(Theme.label == "Pay"))
        source = theme_by_code(session, "T1.1")
        new_keys, source_keys = keys(new.keywords), keys(source.keywords)
        new_label, source_label, cohesions = new.label, source.label, (new.cohesion, source.cohesion)

    assert new_label == "Pay"  # the reviewer's name stays
    assert new_keys & PAY_WORDS and not new_keys & WORKLOAD_WORDS, new_keys
    assert source_keys & WORKLOAD_WORDS and not source_keys & PAY_WORDS, source_keys
    # The run's label was a suggestion: it becomes the first keywords, and the decision says so.
    assert source_label != "workload" and source_label.split(" · ")[0].lower() in source_keys
    assert f"T1.1's suggested label is now “{source_label}”" in summary
    assert all(0 < c <= 1 for c in cohesions), cohesions  # the new theme's was 0: it sorted last by confidence


def test_a_label_a_reviewer_gave_is_kept_through_a_split(store):
    with store.session() as session:
        actions.rename(session, "ann", theme_by_code(session, "T1.1").id, "Staffing")
        picked = pay_statements(session, store)
        decision = actions.split(session, "ann", theme_by_code(session, "T1.1").id, picked, "Pay")
        source = theme_by_code(session, "T1.1")
        assert source.label == "Staffing" and "suggested label" not in decision.summary
        assert keys(source.keywords) & WORKLOAD_WORDS and not keys(source.keywords) & PAY_WORDS


def test_undoing_the_split_puts_the_old_description_back(store):
    with store.session() as session:
        source = theme_by_code(session, "T1.1")
        was = (source.label, list(source.keywords), source.cohesion)
        actions.split(session, "ann", source.id, pay_statements(session, store), "Pay")
    with store.session() as session:
        undo(session, "ann")
    with store.session() as session:
        source = theme_by_code(session, "T1.1")
        assert (source.label, list(source.keywords), source.cohesion) == was
        assert session.scalar(select(Decision.summary).order_by(Decision.id.desc())).startswith("undid")


def test_a_withdrawal_leaves_none_of_their_keywords_in_the_split_logged(tmp_path):
    """P4 alone speaks of pay: a split of P4's subcategory re-draws its keywords from P4's words, and the
    split's log entry keeps the ones it replaced, for an undo. P4's withdrawal clears both, and the
    suggested label the summary quotes."""
    from fixtures.review.study import build
    from qualflow.pipeline.withdraw import WITHDRAWN_NAME
    from test_withdraw_summaries import with_p4, withdraw_p4

    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    with store.session() as session:
        pay, _ = with_p4(session, store)
        members = sorted(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id == pay.id)))
        split = actions.split(session, "ann", pay.id, members[:1], "Split off")
        assert split.before["described"][str(pay.id)]["keywords"] == ["pay"]
        assert "suggested label is now" in split.summary
        withdraw_p4(session)
        logged = session.get(Decision, split.id)
        assert all(not fields["keywords"] for fields in logged.before["described"].values())
        assert f"“{WITHDRAWN_NAME}”" in logged.summary, logged.summary


def test_a_merge_describes_its_target_from_all_it_holds(tmp_path):
    from fixtures.review.study import build

    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    build(store)  # P1–P3 each speak twice of workload, overtime and families
    with store.session() as session:
        target, source = theme_by_code(session, "T1.1"), theme_by_code(session, "T1.2")
        was = (target.label, list(target.keywords), target.cohesion)
        decision = actions.merge(session, "ann", [source.id], target.id)
        merged = keys(target.keywords)
        assert merged & {"overtime", "late", "evenings", "paid", "加班"}, merged
        assert merged & {"staff", "caseload", "growing", "人手", "夜班"}, merged
        assert decision.summary == (f"merged T1.2 into T1.1 “workload”; T1.1's suggested label is now "
                                    f"“{target.label}”")
    with store.session() as session:
        undo(session, "ann")
    with store.session() as session:
        target = theme_by_code(session, "T1.1")
        assert (target.label, list(target.keywords), target.cohesion) == was
