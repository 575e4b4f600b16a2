"""A memo that quotes a withdrawn participant loses the quoted words and keeps the reviewer's own.

Memos on a withdrawn participant's statements are deleted with them. A memo on a theme, or on another
participant's statement, is the reviewer's, but a reviewer often copies a quote into it, and memos leave
the study as notes in the REFI-QDA export. `qualflow withdraw` names those memos before deleting anything
and replaces the quoted passages (pipeline/withdraw_memos.py). Real SQLite study (tests/fixtures/review),
the real withdrawal and CLI.
"""

from fixtures.review.study import build
from qualflow.flows.cli import app
from qualflow.models import Memo, Statement, Store, Withdrawal, default_database_url
from qualflow.models.queries import theme_by_code, theme_suggestions
from qualflow.pipeline.withdraw_memos import QUOTE_REMOVED, quoted_spans, without_quotes
from qualflow.review import actions
from sqlalchemy import select
from test_withdraw_summaries import P4_SAYS, with_p4
from typer.testing import CliRunner


def memo(session, _decision) -> int:
    """The memo a write_memo decision just wrote."""
    return session.scalar(select(Memo.id).order_by(Memo.id.desc()).limit(1))


def test_a_quote_is_found_whatever_its_case_spacing_and_punctuation():
    said = ["I work two jobs because the pay is bad and nobody listens"]
    memo = "Several said they work two  jobs, because the PAY is bad; compare T2."
    assert without_quotes(memo, said) == f"Several said they {QUOTE_REMOVED}; compare T2."
    # Fewer words in a row than make a quote: the reviewer's own phrase.
    assert quoted_spans("the pay is bad here", said) == []


def test_a_short_statement_counts_only_when_quoted_whole():
    assert without_quotes("P4: “The pay is too low.” Alone.", ["The pay is too low"]) == f"P4: “{QUOTE_REMOVED}.” Alone."
    assert quoted_spans("the pay is too", ["The pay is too low"]) == []
    assert quoted_spans("Yes, agreed", ["Yes, agreed"]) == []  # too short to be anyone's in particular


def test_chinese_is_matched_character_by_character():
    said = ["我一个月要上二十个夜班，工资太低了"]
    assert without_quotes("她说上二十个夜班，工资太低（见T3）", said) == f"她说{QUOTE_REMOVED}（见T3）"
    assert without_quotes("工资太低了", ["工资太低了"]) == QUOTE_REMOVED
    assert quoted_spans("夜班太多", said) == []


def test_withdraw_removes_their_quoted_words_from_other_memos_only(tmp_path):
    store = Store(default_database_url(tmp_path))
    store.topic_of = build(store)
    with store.session() as session:
        pay, parent = with_p4(session, store)
        said = [session.get(Statement, row.statement_id).text for row in theme_suggestions(session, pay)]
        assert sorted(s[:5] for s in said) == sorted(s[:5] for s in P4_SAYS)
        others = theme_by_code(session, "T1.1")
        someone_else = theme_suggestions(session, others)[0].statement_id
        quoting = memo(session, actions.write_memo(session, "alice", f"Only one voice: “{said[0]}”. Check pay scales.",
                                     theme_id=parent.id))
        on_other = memo(session, actions.write_memo(session, "alice", f"Contrast with {said[1]}", statement_id=someone_else
                                      ))
        own = memo(session, actions.write_memo(session, "alice", "Pay came up once; ask in round two.", theme_id=pay.id
                                 ))
        session.commit()
    store.dispose()

    runner = CliRunner()
    shown = runner.invoke(app, ["withdraw", "P4", "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert f"2 memos (on {parent.code}, on statement {someone_else}) quote their words" in flat, flat
    assert not [s for s in P4_SAYS if s in shown.output]
    with Store(default_database_url(tmp_path)).session() as session:  # nothing changed without --yes
        assert said[0] in session.get(Memo, quoting).text

    done = runner.invoke(app, ["withdraw", "P4", "--yes", "--data", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "removed their quoted words from 2 other memos" in " ".join(done.output.split())
    with Store(default_database_url(tmp_path)).session() as session:
        texts = {memo.id: memo.text for memo in session.scalars(select(Memo))}
        # The statement's own full stop is punctuation, not a word of theirs: it stays.
        assert texts[quoting].replace(".”", "”") == f"Only one voice: “{QUOTE_REMOVED}”. Check pay scales."
        assert texts[on_other].rstrip("。.") == f"Contrast with {QUOTE_REMOVED}"
        assert texts[own] == "Pay came up once; ask in round two."
        assert session.scalars(select(Withdrawal)).one().counts["memos_unquoted"] == 2
