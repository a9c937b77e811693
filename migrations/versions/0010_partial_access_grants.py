"""partial access grants: the columns a 部分公开 decision withholds from an applicant's grant

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withheld_columns', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_column('withheld_columns')
