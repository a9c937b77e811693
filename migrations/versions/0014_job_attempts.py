"""ingest jobs count their attempts

A queued job (scale-out mode) is tried again after a transient fault or when its worker was
killed; ``attempts`` bounds the retries (OPENDATA_JOB_RETRIES) and shows them in the job.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingest_job') as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ingest_job') as batch_op:
        batch_op.drop_column('attempts')
