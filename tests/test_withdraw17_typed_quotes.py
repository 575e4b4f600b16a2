"""A theme name or description a reviewer typed that quotes a withdrawn participant loses the quoted words.

A reviewer renaming a theme may copy a quote into its name or description ("Short staffed; compare “The
pay is too low for this”"). Theme names and descriptions leave the study in every export, and the log
keeps the typed name in the rename's summary and in every snapshot of the theme, so the same rule as for
memos applies (pipeline/withdraw_memos.py): the quoted passage becomes `QUOTE_REMOVED` in the theme and
in the log, the reviewer's own words stay, and `qualflow withdraw` names these themes and decisions before
deleting anything. Real SQLite study (tests/fixtures/review), the real withdrawal, CLI and undo.
"""

import json
import sqlite3

from fixtures.review.study import build
from qualflow.flows.cli import app
from qualflow.models import Decision, Memo, Statement, Store, Theme, default_database_url
from qualflow.models.queries import theme_by_code, theme_suggestions
from qualflow.pipeline.withdraw import plan_withdrawal, study_participant, withdraw
from qualflow.pipeline.withdraw_memos import QUOTE_REMOVED, quoted_spans
from qualflow.review import actions
from qualflow.review.undo import undo
from test_withdraw_summaries import P4_SAYS, with_p4
from typer.testing import CliRunner


def _study_with_quoting_names(tmp_path, url: str | None = None) -> dict:
    """P4's pay theme, and names and descriptions typed by reviewers that quote P4 (and one that does not),
    in the SQLite study in `tmp_path` or the database at `url`."""
    store = Store(url or default_database_url(tmp_path))
    store.topic_of = build(store)
    with store.session() as session:
        pay, parent = with_p4(session, store)
        said = sorted(session.get(Statement, row.statement_id).text for row in theme_suggestions(session, pay))
        english, chinese = [s for s in said if s.startswith("The pay")][0], [s for s in said if "工资" in s][0]
        workload = theme_by_code(session, "T1.1")
        families = theme_by_code(session, "T2.1")
        ids = {
            "rename": actions.rename(session, "alice", workload.id, f"Short staffed; compare “{english}”",
                                     f"Others said {chinese.rstrip('。')} too, and salaries have not risen in years, so staff leave").id,
            "accept": actions.accept(session, "alice", workload.id).id,
            "rename parent": actions.rename(session, "alice", parent.id, "Salaries have NOT risen in years!").id,
            "own words": actions.rename(session, "bob", families.id, "Families call at night", "Bob's reading").id,
        }
        session.commit()
        ids.update(workload=workload.id, parent=parent.id, families=families.id,
                   codes=[theme.code for theme in sorted((workload, parent), key=lambda theme: theme.id)])
        ids["said"] = said
    store.dispose()
    return ids


def _quotes_p4(text: str, said: list[str]) -> bool:
    return bool(text) and bool(quoted_spans(text, said))


def test_withdraw_names_then_removes_their_words_from_typed_theme_names_and_the_log(tmp_path):
    made = _study_with_quoting_names(tmp_path)
    said = made["said"]
    runner = CliRunner()
    shown = runner.invoke(app, ["withdraw", "P4", "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert (f"2 themes ({', '.join(made['codes'])}) have a name or description that quotes their words: the quoted "
            f"words are replaced with “{QUOTE_REMOVED}”, the reviewer's kept") in flat, flat
    assert f"#{made['rename']} (rename), #{made['accept']} (accept), #{made['rename parent']} (rename)" in flat, flat
    assert not [s for s in said + list(P4_SAYS) if s.rstrip("。.") in shown.output]
    with Store(default_database_url(tmp_path)).session() as session:  # nothing changed without --yes
        assert _quotes_p4(session.get(Theme, made["workload"]).label, said)

    done = runner.invoke(app, ["withdraw", "P4", "--yes", "--data", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "and from 2 theme names or descriptions" in " ".join(done.output.split()), done.output
    with Store(default_database_url(tmp_path)).session() as session:
        workload, parent = session.get(Theme, made["workload"]), session.get(Theme, made["parent"])
        assert workload.label == f"Short staffed; compare “{QUOTE_REMOVED}.”"
        assert workload.description == f"Others said {QUOTE_REMOVED} too, and {QUOTE_REMOVED}, so staff leave"
        assert parent.label == f"{QUOTE_REMOVED}!"  # a reviewer's name: kept as theirs, without their words
        families = session.get(Theme, made["families"])
        assert (families.label, families.description) == ("Families call at night", "Bob's reading")
        assert session.get(Decision, made["own words"]).summary == "renamed T2.1 “families” to “Families call at night”"
        assert session.get(Decision, made["rename"]).summary.endswith(f"to “Short staffed; compare “{QUOTE_REMOVED}.””")
    # In the file itself: no summary or snapshot of the log quotes them.
    connection = sqlite3.connect(tmp_path / "qualflow.sqlite")
    for summary, before, after in connection.execute("SELECT summary, before, after FROM decisions"):
        assert not _quotes_p4(summary, said), summary
        for snapshot in (json.loads(before), json.loads(after)):
            for fields in snapshot.get("themes", {}).values():
                assert not _quotes_p4(fields.get("label"), said) and not _quotes_p4(fields.get("description"), said)
    connection.close()


def test_undo_still_works_after_the_typed_names_lost_their_words(tmp_path):
    made = _study_with_quoting_names(tmp_path)
    said = made["said"]
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        withdraw(session, plan_withdrawal(session, study_participant(session, "P4")))
        # The newest decisions first: the snapshots hold what the themes hold now, so nothing "changed since".
        for _ in range(3):
            done = undo(session, "carol")
            assert not _quotes_p4(done.summary, said), done.summary
        undone = undo(session, "carol")  # the first rename: back to the suggested name
        assert undone.undoes_id == made["rename"]
        workload = session.get(Theme, made["workload"])
        assert (workload.label, workload.description) == ("workload", None)
    store.dispose()


def test_the_plan_carries_the_quoting_memos_it_names(tmp_path):
    """The plan finds them to name them; `withdraw` finds them again under its write lock, so what a reviewer
    saved in between is rewritten too (tests/test_withdraw18_saved_meanwhile.py)."""
    store = Store(default_database_url(tmp_path))
    store.topic_of = build(store)
    with store.session() as session:
        pay, parent = with_p4(session, store)
        said = [session.get(Statement, row.statement_id).text for row in theme_suggestions(session, pay)]
        salaries = [s for s in said if s.startswith("Salaries")][0]
        quoting = actions.write_memo(session, "alice", f"Only one voice: {salaries}", theme_id=parent.id)
        memo_id = int(next(iter(quoting.after["memos"])))
        plan = plan_withdrawal(session, study_participant(session, "P4"))
        assert plan.quoting_memos == {memo_id: f"Only one voice: {QUOTE_REMOVED}."}
        counts = withdraw(session, plan)
        assert counts["memos_unquoted"] == 1
        assert session.get(Memo, memo_id).text == f"Only one voice: {QUOTE_REMOVED}."
    store.dispose()


def test_withdraw_names_an_imported_code_named_with_their_words(tmp_path):
    """An in-vivo code of a team's own coding tool is named with a quote. The imported codebook is the
    researcher's file's, and a code's name is its identity there, so it is named, not rewritten."""
    import csv

    _study_with_quoting_names(tmp_path)
    coding = tmp_path / "team.csv"
    with coding.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "text", "code", "coder"])
        writer.writerow(["p4.txt", "The pay is too low for this.", "the pay is too low for this", "dana"])
        writer.writerow(["p1.txt", "How is work?", "Workload", "dana"])
    runner = CliRunner()
    imported = runner.invoke(app, ["import-coding", str(coding), "--data", str(tmp_path)])
    assert imported.exit_code == 0, imported.output
    for arguments in (["withdraw", "P4"], ["withdraw", "P4", "--yes"]):
        shown = runner.invoke(app, [*arguments, "--data", str(tmp_path)])
        assert shown.exit_code == 0, shown.output
        flat = " ".join(shown.output.split())
        assert ("1 imported code (coding import #1) has a name or description that quotes their words, kept as "
                "imported") in flat, flat
        assert "`qualflow coding-imports --remove 1`" in flat


def test_withdraw_gives_a_removal_command_for_each_import_quoting_them(tmp_path):
    """Two teams' codings each name a code with their words: each import must be removed and imported again,
    so each gets its own command (the first alone was named)."""
    import csv

    _study_with_quoting_names(tmp_path)
    runner = CliRunner()
    for team, coder in (("team.csv", "dana"), ("other_team.csv", "eli")):
        coding = tmp_path / team
        with coding.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["document", "text", "code", "coder"])
            writer.writerow(["p4.txt", "The pay is too low for this.", "the pay is too low for this", coder])
        imported = runner.invoke(app, ["import-coding", str(coding), "--data", str(tmp_path)])
        assert imported.exit_code == 0, imported.output
    shown = runner.invoke(app, ["withdraw", "P4", "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "2 imported codes (coding import #1, #2) have a name or description that quotes their words" in flat, flat
    assert "`qualflow coding-imports --remove 1`" in flat and "`qualflow coding-imports --remove 2`" in flat, flat


def test_the_plan_shows_what_replaces_their_words_in_a_memo(tmp_path):
    """The placeholder is printed as it is: read as a style tag, "[words of a withdrawn participant]" was dropped,
    and the line read "replaced with “”"."""
    made = _study_with_quoting_names(tmp_path)
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        actions.write_memo(session, "alice", f"Compare: {made['said'][0]}", theme_id=made["families"])
        session.commit()
    store.dispose()
    shown = CliRunner().invoke(app, ["withdraw", "P4", "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert f"quotes their words: the quoted words are replaced with “{QUOTE_REMOVED}”, the rest kept" in flat, flat
