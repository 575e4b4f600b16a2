"""Bringing a study database to the current schema with Alembic.

Every database qualflow opens is upgraded to the newest revision in models/migrations/versions/,
inside the store's cross-process lock, so two runs starting at once do not migrate twice.
To change the schema: edit models/, then
    python -m qualflow.models.migrate revision "what changed"
and read the generated file before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision. A study made before migrations existed
    (qualflow 0.1 created its tables directly) is recognised and stamped first."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A revision that rebuilds a table (SQLite cannot ALTER it) drops the old one, which other
            # tables' foreign keys refer to: that needs them off, and SQLite ignores the pragma inside
            # a transaction, so it is set before one starts. The revision checks the keys itself.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                _upgrade(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _upgrade(connection: Connection) -> None:
    from sqlalchemy import inspect

    config = _config(connection)
    tables = set(inspect(connection).get_table_names())
    if "transcripts" in tables and "alembic_version" not in tables:
        if "decisions" in tables:
            # Made by a development build between 0.1 and migrations: complete it and take it as current.
            from qualflow.models.records import Base

            Base.metadata.create_all(connection)
            command.stamp(config, "head")
            return
        command.stamp(config, "0001")
    command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _revision(message: str) -> None:
    """Autogenerate a revision against a scratch SQLite database at the current head."""
    import tempfile

    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/scratch.sqlite")
        upgrade(engine)
        with engine.begin() as connection:
            command.revision(_config(connection), message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m qualflow.models.migrate revision "message"')
    _revision(sys.argv[2])
