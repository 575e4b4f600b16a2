"""A withdrawn participant known by name is recognised later: `withdrawals.person_hashes`.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Withdrawals made before this kept no names: an empty list each.
    with op.batch_alter_table('withdrawals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_hashes', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('withdrawals', schema=None) as batch_op:
        batch_op.drop_column('person_hashes')
