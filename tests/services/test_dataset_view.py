"""A dataset's page is read in one load through the one read model (it used to load the dataset three times)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from opendata.core.urls import Links
from opendata.services.access import ANONYMOUS
from opendata.services.published.detail import dataset_detail, dataset_view
from opendata.services.standards.datajson import dataset_jsonld
from tests.api.conftest import DATASETS
from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows

LINKS = Links("https://data.example.gov.cn")


@pytest.fixture
def published(runtime, tmp_path):
    make_catalog(runtime, tmp_path, datasets=[DATASETS[0]], schemas={"rows.json": ROWS_SCHEMA})
    publish_rows(runtime, "budget", generate_rows(30, seed=3))
    return runtime


def test_the_page_view_loads_the_dataset_once_and_says_what_the_separate_reads_said(published):
    rt = published
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(rt.engine, "before_cursor_execute", listener)
    try:
        view = dataset_view(runtime=rt, identifier="budget", viewer=ANONYMOUS, links=LINKS)
    finally:
        event.remove(rt.engine, "before_cursor_execute", listener)
    assert sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM dataset" in s) == 1
    assert view.detail == dataset_detail(runtime=rt, identifier="budget", viewer=ANONYMOUS)
    with rt.sessions() as session:
        assert view.jsonld == dataset_jsonld(session=session, viewer=ANONYMOUS, links=LINKS, identifier="budget",
                                             config=rt.config)
