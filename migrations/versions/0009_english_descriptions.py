"""english descriptions: description_en of datasets and of the catalogue

Readers who choose English see a dataset's (and the catalogue's) English description where the
catalogue gives one, as they already see title_en; Chinese stays the default.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=True))
    with op.batch_alter_table('catalog_info', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('catalog_info', schema=None) as batch_op:
        batch_op.drop_column('description_en')
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_column('description_en')
