"""Reviewing (decisions, memos, reviewers, theme statuses and versions, assignment status) and imported manual coding.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewer', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('theme_ids', sa.JSON(), nullable=False),
    sa.Column('statement_ids', sa.JSON(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('undoes_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['undoes_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_undoes_id'), ['undoes_id'], unique=False)

    op.create_table('manual_coding_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('file_format', sa.String(length=32), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('manual_coding_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_coding_imports_file_hash'), ['file_hash'], unique=True)

    op.create_table('reviewers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('manual_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=4000), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['manual_coding_imports.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['manual_codes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('import_id', 'path')
    )
    with op.batch_alter_table('manual_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_codes_import_id'), ['import_id'], unique=False)

    op.create_table('manual_codings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('coder', sa.String(length=200), nullable=False),
    sa.Column('document', sa.String(length=500), nullable=False),
    sa.Column('source_start', sa.Integer(), nullable=True),
    sa.Column('source_end', sa.Integer(), nullable=True),
    sa.Column('transcript_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('quality', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['manual_codes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['manual_coding_imports.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('manual_codings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_codings_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_codings_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_codings_transcript_id'), ['transcript_id'], unique=False)

    op.create_table('memos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.Column('reviewer', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('memos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memos_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memos_theme_id'), ['theme_id'], unique=False)

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='suggested'))
        batch_op.create_index(batch_op.f('ix_suggestions_status'), ['status'], unique=False)

    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewer_fields', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('created_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key('fk_themes_merged_into_id', 'themes', ['merged_into_id'], ['id'])

    if op.get_bind().dialect.name == "sqlite":
        # The decision log is append-only: the ORM refuses changes, and SQLite itself refuses raw SQL too.
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS decisions_no_{verb.lower()} BEFORE {verb} ON decisions "
                       "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END")


def downgrade() -> None:
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_themes_merged_into_id', type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('created_by')
        batch_op.drop_column('reviewer_fields')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('description')

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_status'))
        batch_op.drop_column('status')

    with op.batch_alter_table('memos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memos_theme_id'))
        batch_op.drop_index(batch_op.f('ix_memos_statement_id'))

    op.drop_table('memos')
    with op.batch_alter_table('manual_codings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_codings_transcript_id'))
        batch_op.drop_index(batch_op.f('ix_manual_codings_import_id'))
        batch_op.drop_index(batch_op.f('ix_manual_codings_code_id'))

    op.drop_table('manual_codings')
    with op.batch_alter_table('manual_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_codes_import_id'))

    op.drop_table('manual_codes')
    op.drop_table('reviewers')
    with op.batch_alter_table('manual_coding_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_coding_imports_file_hash'))

    op.drop_table('manual_coding_imports')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_undoes_id'))

    op.drop_table('decisions')
