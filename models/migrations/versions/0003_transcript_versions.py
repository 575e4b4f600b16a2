"""Transcript versions: an edited file becomes a new transcript linked to the one it replaces.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both nullable: every transcript stored so far is its file's first and only version, and live.
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transcripts_superseded_by_id'), ['superseded_by_id'], unique=False)
        batch_op.create_foreign_key('fk_transcripts_previous_version_id', 'transcripts', ['previous_version_id'], ['id'])
        batch_op.create_foreign_key('fk_transcripts_superseded_by_id', 'transcripts', ['superseded_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_transcripts_superseded_by_id', type_='foreignkey')
        batch_op.drop_constraint('fk_transcripts_previous_version_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transcripts_superseded_by_id'))
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('previous_version_id')
