"""The annual-report migration gives requests stored before it the day they first arrived."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from opendata.store.migrate import alembic_config, upgrade_to_head

_REQUEST = {"code": "ABCDEFGHJKMNPQRS", "organization_id": 1, "kind": "disclosure", "subject": "s", "description": "d",
            "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": "natural-person",
            "applicant_name": "李明", "id_type": "other", "id_number": "X1", "contact_keys": "[]",
            "applicant_key": "k", "content_sha256": "c", "warnings": "[]", "state": "open",
            "received_at": "2025-01-06 02:00:00", "receipt_date": "2025-01-06", "due_date": "2025-02-10",
            "extension_days": 0, "paused_days": 0, "calendar_version": "v", "correction_notice_due": "2025-01-15",
            "created_at": "2024-12-23 02:00:00", "modified_at": "2025-01-06 02:00:00"}


def test_requests_stored_before_keep_the_receipt_day_of_their_submission(fresh_database_url):
    url = fresh_database_url  # the backfill is SQL of each dialect: both passes run it
    command.upgrade(alembic_config(url), "0014")  # the revision before 0015_annual_reports
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organization (id, slug, name, level, division_code, contact, origin, "
                          "created_at, modified_at) VALUES (1, 'finance', '财政局', 'city', '330100', '{}', "
                          "'catalog', '2024-01-01', '2024-01-01')"))
        for i, code in enumerate(("ABCDEFGHJKMNPQRS", "BBCDEFGHJKMNPQRS"), start=1):
            conn.execute(text(f"INSERT INTO disclosure_request (id, {', '.join(_REQUEST)}) VALUES "
                              f"({i}, {', '.join(':' + k for k in _REQUEST)})"), {**_REQUEST, "code": code})
        # the first was corrected: its submission recorded 2024-12-23; the second has no timeline
        conn.execute(text("INSERT INTO request_event (request_id, at, actor, action, public, data, state) VALUES "
                          "(1, '2024-12-23 02:00:00', 'applicant', 'submitted', :public, :data, 'open')"),
                     {"public": True, "data": json.dumps({"receipt_date": "2024-12-23"})})
    engine.dispose()
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, first_receipt_date FROM disclosure_request ORDER BY id")).all()
    engine.dispose()
    assert [(code, str(day)) for code, day in rows] == [("ABCDEFGHJKMNPQRS", "2024-12-23"),
                                                        ("BBCDEFGHJKMNPQRS", "2025-01-06")]
