"""Reading a dataset never reads a validation report: reports live in their own table and only a
version's own detail (and its review) loads one."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event

from opendata.core.report import MAX_REPORT_BYTES
from opendata.store.models import Version
from tests.builders import generate_rows, ingest_rows

READS_A_REPORT = re.compile(r"\.report\b")  # a report column in a SELECT (version.report, version_report.report)
READS = ["/api/v1/datasets/budget", "/api/v1/datasets/budget/versions", "/api/v1/datasets",
         "/datasets/budget", "/api/3/action/package_show?id=budget", "/api/3/action/package_search?q=budget",
         "/data.json", "/catalog.ttl", "/api/v1/datasets/budget/rows?limit=3"]


@pytest.fixture
def statements(fresh_site):
    """Every SQL statement the app sends while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(fresh_site.runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(fresh_site.runtime.engine, "before_cursor_execute", record)


def _invalid_version_with_a_large_report(site) -> int:
    rows = generate_rows(3_000, seed=9)
    for row in rows:
        row["amount"] = "not a number " + "x" * 300  # every row an error with a long cell
    outcome = ingest_rows(site.runtime, "budget", rows)
    assert outcome.state == "invalid"
    return outcome.number


def test_dataset_reads_never_read_a_report(fresh_site, statements):
    number = _invalid_version_with_a_large_report(fresh_site)
    with fresh_site.runtime.sessions() as session:
        stored = session.query(Version).filter_by(number=number).one().report
    assert 100_000 < len(json.dumps(stored, ensure_ascii=False).encode()) <= MAX_REPORT_BYTES
    statements.clear()
    for path in READS:
        response = fresh_site.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert statements, "the reads went to the database"
    assert not [s for s in statements if READS_A_REPORT.search(s)]


def test_a_version_detail_reads_its_report(fresh_site, statements):
    response = fresh_site.client.get("/api/v1/datasets/budget/versions/1")
    assert response.status_code == 200 and response.json["report"]["valid"] is True
    assert [s for s in statements if READS_A_REPORT.search(s)]
