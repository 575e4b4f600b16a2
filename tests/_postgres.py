"""A real PostgreSQL server for the tests that need one.

CI (.ci/run) installs PostgreSQL, starts it and sets QUALFLOW_TEST_POSTGRES_URL. Elsewhere, when
PostgreSQL's binaries are installed, a throwaway server is started in a temporary folder for the
session (as the `postgres` user when running as root, as PostgreSQL refuses root). Each test gets
a database of its own. Without PostgreSQL the tests are skipped, saying why.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from _net import free_port


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server():
    """A URL of a maintenance database on a running server (user with CREATEDB)."""
    if url := os.environ.get("QUALFLOW_TEST_POSTGRES_URL"):
        yield url
        return
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or ([shutil.which("initdb")] if shutil.which("initdb") else [])
    if not initdb:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql), and QUALFLOW_TEST_POSTGRES_URL is not set")
    bin_dir = Path(initdb[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="qualflow-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                    "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                                    "-w", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test server; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"qualflow_test_{uuid.uuid4().hex[:12]}"
    server = make_url(postgres_server)
    connect = {"host": server.host, "port": server.port, "user": server.username, "password": server.password,
               "dbname": server.database, "autocommit": True}
    with psycopg.connect(**{k: v for k, v in connect.items() if v is not None}) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(**{k: v for k, v in connect.items() if v is not None}) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
