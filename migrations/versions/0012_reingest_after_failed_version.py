"""identical bytes may be ingested again after a failed version

The unique constraint on (dataset_id, source_sha256) becomes a unique index over versions that
did not fail: a failed ingest holds nothing, so uploading the same file again is a new attempt.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LIVE = "state <> 'failed'"


def upgrade() -> None:
    with op.batch_alter_table('version', schema=None) as batch_op:
        batch_op.drop_constraint('uq_version_dataset_id_source_sha256', type_='unique')
        batch_op.create_index('uq_version_dataset_id_source_sha256_live', ['dataset_id', 'source_sha256'],
                              unique=True, sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    # Fails while a dataset holds a failed and a live version of the same bytes, as it must.
    with op.batch_alter_table('version', schema=None) as batch_op:
        batch_op.drop_index('uq_version_dataset_id_source_sha256_live')
        batch_op.create_unique_constraint('uq_version_dataset_id_source_sha256', ['dataset_id', 'source_sha256'])
