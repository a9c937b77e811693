"""Reading a dataset never reads a validation report: reports live in their own table and only a
version's own detail (and its review) loads one."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event

from opendata.core.errors import LimitError
from opendata.core.limits import IngestLimits, ReadLimits
from opendata.core.report import MAX_REPORT_BYTES
from opendata.services.versions import ingest_file
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


def _wide_header(tmp_path, columns: int):
    path = tmp_path / f"wide-{columns}.csv"
    path.write_text(",".join(f"c{i}" for i in range(columns)) + "\n", encoding="utf-8")
    return path


def _read_sizes(site) -> dict[str, int]:
    sizes = {}
    for path in WIDE_READS:
        response = site.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        sizes[path] = len(response.data)
    return sizes


WIDE_READS = ["/api/v1/datasets/budget", "/api/v1/datasets/budget/versions", "/datasets/budget",
              "/api/3/action/package_show?id=budget", "/data.json"]


def test_a_header_of_20000_columns_fails_at_the_column_limit_and_leaves_reads_as_small(fresh_site, statements,
                                                                                      tmp_path):
    before = _read_sizes(fresh_site)
    with pytest.raises(LimitError, match="^the file's row 1 has 20,000 columns; the limit is 2,000"):
        ingest_file(sessions=fresh_site.runtime.sessions, store=fresh_site.runtime.artifacts, dataset="budget",
                    path=_wide_header(tmp_path, 20_000), actor="tests")
    with fresh_site.runtime.sessions() as session:
        failed = session.query(Version).order_by(Version.id.desc()).first()
        assert failed.state == "failed"
        assert [e["note"] for e in failed.report["tasks"][0]["errors"]] == [
            "the file's row 1 has 20,000 columns; the limit is 2,000"]
    statements.clear()
    after = _read_sizes(fresh_site)
    assert not [s for s in statements if READS_A_REPORT.search(s)]
    # the failed version adds a line to the version list, nothing that grows with the file's width
    assert {path: after[path] - before[path] for path in WIDE_READS if after[path] - before[path] > 2_000} == {}


def test_with_the_column_limit_raised_20000_labels_give_a_capped_report_within_512_mb(fresh_site, statements,
                                                                                        tmp_path):
    # an administrator may raise the limit: the report (one error per extra label, each listing the
    # header) must still stay under its cap, and the child that builds it under its memory limit
    before = _read_sizes(fresh_site)
    limits = IngestLimits(read=ReadLimits(max_columns=20_000), memory_bytes=512 * 1024**2)
    outcome = ingest_file(sessions=fresh_site.runtime.sessions, store=fresh_site.runtime.artifacts, dataset="budget",
                          path=_wide_header(tmp_path, 20_000), actor="tests", limits=limits)
    assert outcome.state == "invalid", outcome.report
    task = outcome.report["tasks"][0]
    assert task["stats"]["errors"] >= 19_995 and task["truncated"] is True
    assert len(json.dumps(outcome.report, ensure_ascii=False).encode()) <= MAX_REPORT_BYTES
    statements.clear()
    after = _read_sizes(fresh_site)
    assert not [s for s in statements if READS_A_REPORT.search(s)]
    assert {path: after[path] - before[path] for path in WIDE_READS if after[path] - before[path] > 2_000} == {}
