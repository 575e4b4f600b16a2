"""The study database as qualflow 0.1 created it: transcripts, turns, statements, embeddings, themes, suggestions, key map.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('embeddings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encoder_id', sa.String(length=200), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('encoder_id', 'text_hash')
    )
    op.create_table('pseudonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('real', sa.String(length=500), nullable=False),
    sa.Column('placeholder', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'real'),
    sa.UniqueConstraint('placeholder')
    )
    op.create_table('theme_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('encoder_id', sa.String(length=200), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('n_statements', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('theme_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_sets_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('transcripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('participant', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcripts_content_hash'), ['content_hash'], unique=True)

    op.create_table('replacements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('placeholder', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('found_by', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('replacements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replacements_transcript_id'), ['transcript_id'], unique=False)

    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_set_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('exemplar_statement_ids', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('cohesion', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['themes.id'], ),
    sa.ForeignKeyConstraint(['theme_set_id'], ['theme_sets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('theme_set_id', 'code'),
    sa.UniqueConstraint('theme_set_id', 'number')
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themes_theme_set_id'), ['theme_set_id'], unique=False)

    op.create_table('turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('speaker_label', sa.String(length=100), nullable=True),
    sa.Column('participant', sa.String(length=100), nullable=True),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transcript_id', 'index')
    )
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_turns_transcript_id'), ['transcript_id'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.Column('turn_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('tokens', sa.JSON(), nullable=False),
    sa.Column('participant', sa.String(length=100), nullable=True),
    sa.Column('significant', sa.Boolean(), nullable=False),
    sa.Column('excluded_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ),
    sa.ForeignKeyConstraint(['turn_id'], ['turns.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transcript_id', 'index')
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_text_hash'), ['text_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_transcript_id'), ['transcript_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_turn_id'), ['turn_id'], unique=False)

    op.create_table('suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('similarity', sa.Float(), nullable=False),
    sa.Column('outlier', sa.Boolean(), nullable=False),
    sa.Column('weak_fit', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('theme_id', 'statement_id')
    )
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestions_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestions_theme_id'), ['theme_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_theme_id'))
        batch_op.drop_index(batch_op.f('ix_suggestions_statement_id'))

    op.drop_table('suggestions')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_turn_id'))
        batch_op.drop_index(batch_op.f('ix_statements_transcript_id'))
        batch_op.drop_index(batch_op.f('ix_statements_text_hash'))

    op.drop_table('statements')
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_turns_transcript_id'))

    op.drop_table('turns')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themes_theme_set_id'))

    op.drop_table('themes')
    with op.batch_alter_table('replacements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replacements_transcript_id'))

    op.drop_table('replacements')
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcripts_content_hash'))

    op.drop_table('transcripts')
    with op.batch_alter_table('theme_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_sets_fingerprint'))

    op.drop_table('theme_sets')
    op.drop_table('pseudonyms')
    op.drop_table('embeddings')
