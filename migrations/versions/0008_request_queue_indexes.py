"""request queue indexes: the subject in the queue index, and a handler index

The queue's subject filter (LIKE '%word%') read every request of an organisation's state from the
table; with the subject as the queue index's last column it reads index entries only. The handler
filter ("mine", "unassigned") gets its own index instead of a row read per request of the state.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:15:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_disclosure_request_queue', table_name='disclosure_request')
    op.create_index('ix_disclosure_request_queue', 'disclosure_request',
                    ['organization_id', 'state', 'due_date', 'id', 'subject'], unique=False)
    op.create_index('ix_disclosure_request_handler', 'disclosure_request',
                    ['organization_id', 'handler_id', 'state', 'due_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_disclosure_request_handler', table_name='disclosure_request')
    op.drop_index('ix_disclosure_request_queue', table_name='disclosure_request')
    op.create_index('ix_disclosure_request_queue', 'disclosure_request',
                    ['organization_id', 'state', 'due_date', 'id'], unique=False)
