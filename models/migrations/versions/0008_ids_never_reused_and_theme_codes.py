"""Ids users see are never given again (SQLite AUTOINCREMENT), and every code a theme had: `theme_codes`.

SQLite gives a new row the highest id in use plus one, so deleting the newest row hands its id to the
next: a removed coding import's id to the next import, a withdrawn participant's statements, memos and
transcripts to the next file's, while decisions, notes and reports still name them. AUTOINCREMENT
needs the table rebuilt (rows and ids kept). PostgreSQL's sequences never go back: nothing to do there.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Tables whose rows are deleted (`coding-imports --remove`, withdrawals) and whose ids people or the
# decision log refer to. Themes and decisions are never deleted; suggestions, turns and the other
# tables' ids are nobody's reference.
NEVER_REUSED = ("manual_coding_imports", "transcripts", "statements", "memos")

decisions = sa.table("decisions", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                     sa.column("statement_ids", sa.JSON), sa.column("before", sa.JSON), sa.column("after", sa.JSON))
themes = sa.table("themes", sa.column("id", sa.Integer), sa.column("code", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _autoincrement(bind)
    op.create_table(
        'theme_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('theme_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_codes_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_codes_theme_id'), ['theme_id'], unique=False)
    rows = _code_history(bind)
    if rows:
        op.bulk_insert(sa.table("theme_codes", sa.column("theme_id", sa.Integer), sa.column("code", sa.String),
                                sa.column("given_at", sa.DateTime(timezone=True))), rows)


def _autoincrement(bind) -> None:
    # Python's sqlite3 runs DDL outside a transaction until a write opens one: open it first, so a
    # rebuild interrupted halfway leaves the table as it was (no stray _alembic_tmp_ table).
    op.execute("UPDATE alembic_version SET version_num = version_num")
    for table in NEVER_REUSED:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
    # Ids freed before this revision are known only where the decision log names them: start past those.
    named = _ids_in_log(bind)
    for table, highest in named.items():
        current = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar()
        if current is None:
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"), {"t": table, "s": highest})
        elif current < highest:
            bind.execute(sa.text("UPDATE sqlite_sequence SET seq = :s WHERE name = :t"), {"t": table, "s": highest})
    broken = bind.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
    if broken:  # the rebuild runs with foreign keys off (models/migrate.py): prove nothing was lost
        raise RuntimeError(f"revision 0008: {len(broken)} rows point at missing rows after the rebuild")


def _ids_in_log(bind) -> dict[str, int]:
    highest = {"statements": 0, "memos": 0}
    for row in bind.execute(sa.select(decisions.c.statement_ids, decisions.c.before, decisions.c.after)):
        ids = [int(i) for i in row.statement_ids or []]
        memos = []
        for snapshot in (row.before or {}, row.after or {}):
            ids += [int(i) for i in snapshot.get("statements", {})]
            memos += [int(i) for i in snapshot.get("memos", {})]
        highest["statements"] = max([highest["statements"], *ids])
        highest["memos"] = max([highest["memos"], *memos])
    return {table: n for table, n in highest.items() if n}


def _code_history(bind) -> list[dict]:
    """Each theme's codes in the order the decision log shows them, then its code now. When a code
    was given is known only where a decision gave it; a run's renumbering left no date."""
    history: dict[int, list[dict]] = {}

    def seen(theme_id: int, code: str | None, at) -> None:
        codes = history.setdefault(theme_id, [])
        if code and (not codes or codes[-1]["code"] != code):
            codes.append({"theme_id": theme_id, "code": code, "given_at": at})

    for row in bind.execute(sa.select(decisions.c.at, decisions.c.before, decisions.c.after).order_by(decisions.c.id)):
        before = (row.before or {}).get("themes", {})
        after = (row.after or {}).get("themes", {})
        for theme_id in dict.fromkeys([*before, *after]):
            seen(int(theme_id), before.get(theme_id, {}).get("code"), None)
            seen(int(theme_id), after.get(theme_id, {}).get("code"), row.at)
    rows = []
    for theme_id, code in bind.execute(sa.select(themes.c.id, themes.c.code).order_by(themes.c.id)):
        seen(theme_id, code, None)
        rows += history[theme_id]
    return rows


def downgrade() -> None:
    with op.batch_alter_table('theme_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_codes_theme_id'))
        batch_op.drop_index(batch_op.f('ix_theme_codes_code'))
    op.drop_table('theme_codes')
    if op.get_bind().dialect.name == "sqlite":
        for table in NEVER_REUSED:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
                pass
