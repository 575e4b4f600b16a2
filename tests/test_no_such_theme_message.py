"""A code no current theme holds: `qualflow show` and the review commands say the same one line, from
models/former_codes.py `no_such_theme_message`, on a real SQLite study whose run renumbered a theme."""

from datetime import UTC, datetime

import pytest
from fixtures.cli import one_line_error
from fixtures.review.study import build, run_clustering
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.models.former_codes import no_such_theme_message
from typer.testing import CliRunner

TODAY = f"{datetime.now(UTC):%Y-%m-%d}"
REGROUPED = {0: 0, 1: 1, 2: 1, 3: 0}  # overtime (T1.2) now grouped with families: T2.2
RENUMBERED = f"no theme T1.2 in the current themes: T1.2 is now T2.2 “overtime”, renumbered on {TODAY}"


@pytest.fixture
def data(tmp_path):
    store = Store(default_database_url(tmp_path))
    topic_of = build(store)  # T1 workload (T1.1) and overtime (T1.2); T2 families (T2.1)
    with store.session() as session:
        run_clustering(session, topic_of, "regrouped", theme_of=REGROUPED)
    store.dispose()
    return tmp_path


def test_the_message_says_what_a_former_code_became(data):
    store = Store(default_database_url(data))
    with store.session() as session:
        assert no_such_theme_message(session, "T1.2") == RENUMBERED
        assert no_such_theme_message(session, "T9") == "no theme T9 in the current themes (see `qualflow themes`)"
    store.dispose()


@pytest.mark.parametrize("command", [["show", "T1.2"], ["review", "accept", "T1.2", "--as", "alice"]])
def test_show_and_review_say_it_in_one_line(data, command):
    one_line_error(CliRunner().invoke(app, [*command, "--data", str(data)]), RENUMBERED)
