"""Suggestions a run offered into a reviewed theme: `offered_after_decision`.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, and NULL for every row stored so far: which of them a run offered is not known,
    # so each stays where it is as the reviewer's, as it did before.
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_after_decision', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_column('offered_after_decision')
