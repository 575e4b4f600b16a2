"""Audit 10, defects 6, 7, 8 and 11: the study database going away or being read-only.

- 6: a PostgreSQL restart inside `Store.exclusive` drops the advisory lock with its connection. The
  critical section stops before it writes anything more; an unlock that fails after the work was
  stored is one warning, not a failed run.
- 7: a database that stops during a run is one line naming it (password masked), not tracebacks.
- 8: a study on a read-only mount, and a study a SELECT-only PostgreSQL account opens, can be read;
  the review app says so and refuses decisions with its "nothing was saved" page.
- 11: a NUL in a search on PostgreSQL is a clean answer, not a 500.

Defects 6 and 7 stop and restart a PostgreSQL server of their own (the session's shared one stays up).
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from _net import free_port
from _postgres import _as_server_user
from fixtures.review.study import build, built_study
from qualflow.models import Store, Transcript
from qualflow.pipeline.errors import QualflowError

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "S3cr3t-pw!"


class RestartablePostgres:
    """A throwaway PostgreSQL server that a test may stop and start again (trust authentication:
    the password in the URL is never checked, and must never be shown)."""

    def __init__(self):
        initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not initdb:  # with or without the session's shared server (CI's): this one is stopped on purpose
            pytest.skip("needs PostgreSQL's binaries to stop and restart a server of its own")
        self.bin = Path(initdb[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="qualflow-pg-restart-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data, self.port = self.folder / "data", free_port()
        subprocess.run(_as_server_user([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                                        "postgres", "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
        self.start()

    def pg_ctl(self, *arguments: str) -> list[str]:
        return _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.data), *arguments])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(self.pg_ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start"), check=True,
                       capture_output=True)

    def stop(self) -> None:
        """As a crash or `pg_ctl -m immediate stop` does: every connection is cut."""
        subprocess.run(self.pg_ctl("-m", "immediate", "-w", "stop"), check=True, capture_output=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def new_database(self) -> str:
        import psycopg

        name = f"study_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        subprocess.run(self.pg_ctl("-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    server = RestartablePostgres()
    yield server
    server.close()


@pytest.fixture
def restartable(server):
    """A database on the restartable server, which is running again after the test whatever happened."""
    yield server.new_database()
    subprocess.run(server.pg_ctl("status"), capture_output=True).returncode == 0 or server.start()


def add_transcript(session, name: str) -> None:
    session.add(Transcript(content_hash=uuid.uuid4().hex * 2, source_name=name, language="en", text="Some words.",
                           participant="P1"))


# --- 6: the advisory lock and a server restart ---------------------------------------------------------


def test_a_lock_lost_in_a_restart_stops_the_critical_section_before_it_writes(server, restartable):
    store = Store(restartable)
    with pytest.raises(QualflowError) as raised, store.exclusive("cluster"):
        server.restart()  # the lock's connection dies, and the lock with it
        with store.session() as session:
            add_transcript(session, "after the restart.txt")
    message = str(raised.value)
    assert "lock" in message and "nothing" in message and len(message.splitlines()) == 1
    assert store.count(Transcript) == 0  # nothing was written without the lock
    with store.exclusive("cluster"):  # and the lock can be taken again
        pass
    store.dispose()


def test_an_unlock_that_fails_after_the_work_was_stored_is_one_warning(server, restartable, caplog):
    store = Store(restartable)
    with caplog.at_level(logging.WARNING), store.exclusive("cluster"):
        with store.session() as session:
            add_transcript(session, "stored.txt")
        server.restart()  # after the commit: the work is stored, only the unlock meets a dead connection
    assert store.count(Transcript) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("qualflow")]
    assert len(warnings) == 1 and "lock" in warnings[0].getMessage(), caplog.text
    assert len(warnings[0].getMessage().splitlines()) == 1 and not warnings[0].exc_info
    store.dispose()


# --- 7: a database outage is one line -----------------------------------------------------------------

OUTAGE_RUN = """
import subprocess, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

trigger, stop = sys.argv[1], sys.argv[2:4]
fired = []

@event.listens_for(Engine, "before_cursor_execute")
def stop_the_server(connection, cursor, statement, parameters, context, executemany):
    # The outage itself is real: the server is stopped just before this statement reaches it.
    if not fired and statement.lstrip().upper().startswith(trigger):
        fired.append(True)
        subprocess.run(stop[0], shell=True, check=True, capture_output=True)

from qualflow.flows.cli import app
sys.argv = ["qualflow", *sys.argv[3:]]
app()
"""


def test_qualflow_run_when_the_database_stops_mid_run_is_one_line(server, restartable, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox)
    script = tmp_path / "outage_run.py"
    script.write_text(OUTAGE_RUN)
    stop = " ".join(server.pg_ctl("-m", "immediate", "-w", "stop"))
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("QUALFLOW_DB", None)
    done = subprocess.run([sys.executable, str(script), "INSERT INTO EMBEDDINGS", stop, "run", str(inbox), "--data",
                           str(tmp_path / "data"), "--db", restartable], capture_output=True, text=True, env=env,
                          timeout=600, cwd=tmp_path)
    said = (done.stdout + done.stderr).strip()
    assert done.returncode != 0
    assert len(said.splitlines()) == 1, said[-3000:]
    assert said.startswith("qualflow: error:") and "Traceback" not in said
    assert f"postgresql://postgres:***@127.0.0.1:{server.port}/" in said, said
    assert PASSWORD not in said


def test_a_flow_run_on_a_stopped_database_fails_with_one_line(server, restartable, tmp_path):
    from qualflow.flows.batch import code_interviews
    from qualflow.models.store import as_parameter

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox)
    server.stop()
    with pytest.raises(QualflowError) as raised:
        code_interviews(str(inbox), str(tmp_path / "data"), database_url=as_parameter(restartable))
    message = str(raised.value)
    assert len(message.splitlines()) == 1, message
    assert f"postgresql://postgres:***@127.0.0.1:{server.port}/" in message and PASSWORD not in message
    assert "run" in message and "again" in message  # what to do


# --- 8: read-only studies -----------------------------------------------------------------------------


def _checkpointed_copy(study: Path, to: Path) -> Path:
    """The study's database file alone, with everything in it: as a study copied after its last run."""
    connection = sqlite3.connect(study / "qualflow.sqlite")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    to.mkdir()
    shutil.copy(study / "qualflow.sqlite", to / "qualflow.sqlite")
    return to


@pytest.fixture
def read_only_mount(tmp_path):
    """A study folder on a read-only bind mount (the archived or shared copy of the README)."""
    copy = _checkpointed_copy(built_study(_made(tmp_path / "study")), tmp_path / "copy")
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    made = subprocess.run(["mount", "--bind", str(copy), str(mounted)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root with CAP_SYS_ADMIN): {made.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], check=True, capture_output=True)
        yield mounted
    finally:
        # Lazy: the test's stores may still hold the file open; the mount goes when they close it.
        subprocess.run(["umount", "--lazy", str(mounted)], capture_output=True)


def _made(folder: Path) -> Path:
    folder.mkdir()
    return folder


def _review_client(data: Path):
    from fastapi.testclient import TestClient
    from qualflow.review.server import create_app

    return TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765", follow_redirects=False)


def _a_decision_is_refused_with_the_read_only_page(client) -> None:
    home = client.get("/")
    assert home.status_code == 200, home.text
    assert "cannot be written" in home.text  # the banner, before anyone tries to decide
    theme_id = int(re.search(r'href="/themes/(\d+)"', home.text).group(1))
    page = client.get(f"/themes/{theme_id}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    response = client.post("/decide/accept", data={"theme": theme_id, "version": version, "csrf": csrf})
    assert response.status_code == 403, response.text
    assert "read-only" in response.text and "nothing was saved" in response.text


def test_a_study_on_a_read_only_mount_can_be_read(read_only_mount, monkeypatch):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    monkeypatch.delenv("QUALFLOW_DB", raising=False)
    before = (read_only_mount / "qualflow.sqlite").read_bytes()
    result = CliRunner().invoke(app, ["themes", "--json", "--data", str(read_only_mount)])
    assert result.exit_code == 0, result.output
    assert '"code": "T1"' in result.output
    _a_decision_is_refused_with_the_read_only_page(_review_client(read_only_mount))
    assert (read_only_mount / "qualflow.sqlite").read_bytes() == before


@pytest.fixture
def select_only_url(restartable):
    """The study on PostgreSQL, and a URL for an account that may only read it. On a server of the
    test's own (`restartable`): making a role needs more than CI's shared account may do."""
    import psycopg
    from sqlalchemy.engine import make_url

    store = Store(restartable)
    build(store)
    store.dispose()
    url, role = make_url(restartable), f"reader_{uuid.uuid4().hex[:8]}"
    admin = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database, "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        connection.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    yield url.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    with psycopg.connect(**admin) as connection:
        connection.execute(f"DROP OWNED BY {role}")
        connection.execute(f"DROP ROLE {role}")


def test_a_select_only_postgres_account_reads_and_is_refused_cleanly(select_only_url, tmp_path, monkeypatch):
    store = Store(select_only_url)
    reason = store.cannot_write()
    store.dispose()
    assert reason and "read" in reason and PASSWORD not in reason
    monkeypatch.setenv("QUALFLOW_DB", select_only_url)
    _a_decision_is_refused_with_the_read_only_page(_review_client(tmp_path))


# --- 11: NUL in a search on PostgreSQL ----------------------------------------------------------------


def test_a_nul_in_a_search_on_postgres_is_a_clean_answer(postgres_url, tmp_path, monkeypatch):
    store = Store(postgres_url)
    build(store)
    store.dispose()
    monkeypatch.setenv("QUALFLOW_DB", postgres_url)
    client = _review_client(tmp_path)
    for query in ("/search?q=%00", "/search?participant=%00", "/search?q=staff%00", "/?q=%00"):
        response = client.get(query)
        assert response.status_code == 200, (query, response.text[:500])
    found = re.search(r"<p>(\d+) statements\.</p>", client.get("/search?q=sta%00ff").text)
    assert found and int(found.group(1)) > 0  # the NUL is dropped, and the word is still found


def test_a_restart_while_a_run_reclusters_stops_it_before_it_stores_themes(server, restartable, small_study,
                                                                            tmp_path):
    """The audit's case through a real flow run: the server restarts as the run is about to store its
    themes (inside the cluster lock). The write fails, Prefect retries it, and the retry finds the lock
    gone: the run stops with one line, and no theme set was stored without the lock."""
    from qualflow.flows.batch import code_interviews
    from qualflow.models import ThemeSet
    from qualflow.models.store import as_parameter
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    restarted = []

    def restart_before_themes_are_stored(connection, cursor, statement, parameters, context, executemany):
        if not restarted and statement.lstrip().upper().startswith("INSERT INTO THEME_SETS"):
            restarted.append(True)
            server.restart()

    event.listen(Engine, "before_cursor_execute", restart_before_themes_are_stored)
    try:
        with pytest.raises(QualflowError) as raised:
            code_interviews(str(small_study), str(tmp_path / "data"), database_url=as_parameter(restartable),
                            recluster=True)
    finally:
        event.remove(Engine, "before_cursor_execute", restart_before_themes_are_stored)
    assert restarted
    message = str(raised.value)
    assert "lock" in message and "nothing" in message and len(message.splitlines()) == 1, message
    assert PASSWORD not in message
    store = Store(restartable)
    assert store.count(ThemeSet) == 0 and store.count(Transcript) == 4  # the files stayed stored, no themes
    store.dispose()
