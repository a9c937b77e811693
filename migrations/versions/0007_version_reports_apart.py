"""validation reports in their own table, bounded in size

A version's report moves from ``version.report`` to ``version_report`` (with its validity and
error and warning counts beside it), so reading a dataset and its versions never reads a report.
A stored report larger than 1 MiB (from before reports were bounded) keeps its counts and the
first errors that fit, and is marked truncated.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MAX_REPORT_BYTES = 1024 * 1024


def upgrade() -> None:
    op.create_table('version_report',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=True),
    sa.Column('errors', sa.BigInteger(), nullable=True),
    sa.Column('warnings', sa.BigInteger(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['version.id'], name=op.f('fk_version_report_version_id_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_version_report'))
    )
    conn = op.get_bind()
    table = sa.table('version_report', sa.column('version_id', sa.Integer()), sa.column('valid', sa.Boolean()),
                     sa.column('errors', sa.BigInteger()), sa.column('warnings', sa.BigInteger()),
                     sa.column('report', sa.JSON()))
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM version WHERE report IS NOT NULL"))]
    for version_id in ids:  # one at a time: a report from before the bound may be hundreds of MB
        raw = conn.execute(sa.text("SELECT report FROM version WHERE id = :id"), {"id": version_id}).scalar()
        report = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        if not isinstance(report, dict):
            continue
        report = _bounded(report)
        stats = report.get("stats") or {}
        conn.execute(table.insert().values(version_id=version_id, valid=report.get("valid"),
                                           errors=stats.get("errors"), warnings=stats.get("warnings"),
                                           report=report))
    op.drop_column('version', 'report')  # ALTER TABLE ... DROP COLUMN: no table copy, no cascade


def _bounded(report: dict) -> dict:
    """The report as it may be stored now: at most MAX_REPORT_BYTES, its counts always kept."""
    def size(value) -> int:
        return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))

    if size(report) <= MAX_REPORT_BYTES:
        return report
    for task in report.get("tasks") or []:
        task["truncated"] = True
        for key in ("labels", "warnings", "normalization"):
            if isinstance(task.get(key), list):
                task[key] = task[key][:100]
        errors, task["errors"] = task.get("errors") or [], []
        room = MAX_REPORT_BYTES - size(report)
        for error in errors:
            error = {k: v for k, v in error.items() if k not in ("cells", "labels")}
            room -= size(error) + 2
            if room < 0:
                break
            task["errors"].append(error)
    return report


def downgrade() -> None:
    op.add_column('version', sa.Column('report', sa.JSON(), nullable=True))
    op.execute("UPDATE version SET report = (SELECT report FROM version_report "
               "WHERE version_report.version_id = version.id)")
    op.drop_table('version_report')
