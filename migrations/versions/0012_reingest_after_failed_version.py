"""identical bytes may be ingested again after a failed version

The unique constraint on (dataset_id, source_sha256) becomes a unique index over versions that
did not fail: a failed ingest holds nothing, so uploading the same file again is a new attempt.

SQLite cannot drop a constraint in place: the batch copies ``version`` into a new table and drops
the old one. With foreign keys on (our engines turn them on), that DROP would cascade-delete every
row that references a version (artifacts, reports, review decisions, PII resolutions, jobs), so the
copy runs with foreign keys off and is checked with ``PRAGMA foreign_key_check`` before it commits.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:00:00
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LIVE = "state <> 'failed'"


@contextmanager
def _table_copy_keeps_references():
    """On SQLite, run the table copy with foreign keys off (a PRAGMA is ignored inside a transaction)."""
    if op.get_bind().dialect.name != "sqlite":
        yield  # PostgreSQL alters the table in place
        return
    context = op.get_context()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"the copy of table version left {len(broken)} dangling references: {broken[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    with _table_copy_keeps_references(), op.batch_alter_table('version', schema=None) as batch_op:
        batch_op.drop_constraint('uq_version_dataset_id_source_sha256', type_='unique')
        batch_op.create_index('uq_version_dataset_id_source_sha256_live', ['dataset_id', 'source_sha256'],
                              unique=True, sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    # Fails while a dataset holds a failed and a live version of the same bytes, as it must.
    with _table_copy_keeps_references(), op.batch_alter_table('version', schema=None) as batch_op:
        batch_op.drop_index('uq_version_dataset_id_source_sha256_live')
        batch_op.create_unique_constraint('uq_version_dataset_id_source_sha256', ['dataset_id', 'source_sha256'])
