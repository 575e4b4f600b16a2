"""Alembic's entry point: the engine comes from the Store that runs the migration (no alembic.ini)."""

import qualflow.models  # noqa: F401  (every record class registered on Base.metadata)
from alembic import context
from qualflow.models.records import Base

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
