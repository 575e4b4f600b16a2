"""Alembic migrations of the study database; `Store` applies them when it opens a database."""
