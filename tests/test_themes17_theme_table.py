"""The terminal's theme table is capped for a large study: the largest themes, then a line saying how many
more there are and where they all are. A small study's table is printed whole, as before."""

import re

import numpy as np
from fixtures.review.study import DIM, built_study
from qualflow.flows.cli import THEME_TABLE_ROWS, app
from qualflow.models import Statement, Store, Transcript, Turn, default_database_url
from qualflow.pipeline.describe import ThemeDescription
from qualflow.pipeline.persist import Assignment, ClusteredGroup, store_theme_set, text_hash
from qualflow.pipeline.report import theme_rows
from typer.testing import CliRunner

N_THEMES = 30  # each with two subcategories: 90 rows, more than the table shows


def many_themes_study(folder):
    """A real SQLite study whose run found N_THEMES themes of different sizes (theme t holds t + 2
    statements, so the smallest has the first code), each cut into two subcategories."""
    store = Store(default_database_url(folder))
    with store.session() as session:
        statements, assignments, subs, themes, parents = [], [], [], [], []
        rng = np.random.default_rng(0)
        for t in range(N_THEMES):
            text = " ".join(f"word{t} statement{i}." for i in range(t + 2))
            transcript = Transcript(content_hash=text_hash(f"t{t}"), source_name=f"p{t}.txt", language="en",
                                    participant=f"P{t + 1}", text=text, meta={})
            session.add(transcript)
            session.flush()
            turn = Turn(transcript_id=transcript.id, index=0, role="participant", speaker_label=f"P{t + 1}",
                        participant=f"P{t + 1}", start=0, end=len(text), meta={})
            session.add(turn)
            session.flush()
            first = len(statements)
            offset = 0
            for i in range(t + 2):
                sentence = f"word{t} statement{i}."
                statement = Statement(transcript_id=transcript.id, turn_id=turn.id, index=i, start=offset,
                                      end=offset + len(sentence), text=sentence, text_hash=text_hash(f"{t}:{i}"),
                                      language="en", tokens=sentence.split(), participant=f"P{t + 1}",
                                      significant=True, excluded_reason=None)
                offset += len(sentence) + 1
                session.add(statement)
                statements.append(statement)
                assignments.append(Assignment(2 * t + i % 2, 0.9, False, False))
            session.flush()
            members = list(range(first, len(statements)))
            for half in (0, 1):
                subs.append(ThemeDescription(label=f"sub {t}.{half}", keywords=[f"word{t}"],
                                             exemplars=members[half::2][:1], participants=[f"P{t + 1}"], cohesion=0.8))
                parents.append(t)
            themes.append(ThemeDescription(label=f"topic {t}", keywords=[f"word{t}"], exemplars=members[:1],
                                           participants=[f"P{t + 1}"], cohesion=0.8))
        vectors = rng.normal(size=(len(statements), DIM))
        group = ClusteredGroup(None, statements, assignments, subs, themes, parents)
        store_theme_set(session, "run", "test-encoder", {}, [group], [s.id for s in statements], vectors)
        session.commit()
        rows = theme_rows(session)
    store.dispose()
    return rows


def codes_in_table(output: str) -> list[str]:
    return [cells[0] for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines()
                                   if line.startswith("│")) if cells[0]]


def test_a_large_study_shows_its_largest_themes_and_says_where_the_rest_are(tmp_path):
    rows = many_themes_study(tmp_path)
    items = [item for row in rows for item in [row] + row["subcategories"]]
    assert len(items) == 3 * N_THEMES > THEME_TABLE_ROWS  # the case being tested
    result = CliRunner().invoke(app, ["themes", "--data", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # Whole themes, the largest, as many as fit (13 themes of three rows each), in code order. The themes'
    # codes are in the order the run gave them, smallest first here: a later run or a merge can do that.
    assert [row["statements"] for row in rows[:2]] == [2, 3]
    largest = sorted(rows, key=lambda row: -row["statements"])[:THEME_TABLE_ROWS // 3]
    assert codes_in_table(result.output) == [item["code"] for row in rows if row in largest
                                             for item in [row] + row["subcategories"]]
    hidden_themes = N_THEMES - THEME_TABLE_ROWS // 3
    line = next(line for line in result.output.splitlines() if "not shown" in line)
    assert re.search(rf"\b{hidden_themes} more themes and {2 * hidden_themes} more subcategories not shown", line)
    assert "qualflow report" in result.output and "qualflow themes --json" in result.output
    # Every theme is still in the JSON the line points to.
    listed = CliRunner().invoke(app, ["themes", "--json", "--data", str(tmp_path)])
    assert listed.output.count('"level": "theme"') == N_THEMES


def test_a_small_study_prints_its_whole_table_as_before(tmp_path):
    data = built_study(tmp_path)
    with Store(default_database_url(data)).session() as session:
        items = [item for row in theme_rows(session) for item in [row] + row["subcategories"]]
    result = CliRunner().invoke(app, ["themes", "--data", str(data)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert codes_in_table(result.output) == [item["code"] for item in items]
    assert "not shown" not in result.output


def test_a_largest_theme_with_more_subcategories_than_the_cap_is_cut_to_the_cap(tmp_path):
    from qualflow.flows.cli import _print_theme_table, console

    rows = many_themes_study(tmp_path)
    with console.capture() as captured:
        _print_theme_table(rows, limit=2)  # the largest theme has three rows
    output = captured.get()
    largest = max(rows, key=lambda row: row["statements"])
    assert codes_in_table(output) == [largest["code"], largest["subcategories"][0]["code"]]
    assert f"{N_THEMES - 1} more themes and {2 * N_THEMES - 1} more subcategories not shown" in output.replace("\n", " ")
