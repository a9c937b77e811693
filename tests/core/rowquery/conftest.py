"""Prepared versions shared by the row-query tests (versions are immutable, so per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opendata.core.rowquery import RowQueryEngine
from tests.core.rowquery.builders import (
    SECRET,
    SMALL_SCHEMA,
    WIDE_SCHEMA,
    build_version,
    make_small_table,
    make_wide_table,
)


@pytest.fixture(scope="session")
def versions(tmp_path_factory) -> dict[str, Path]:
    """Prepared versions by id (shared by the session: versions are immutable)."""
    tmp = tmp_path_factory.mktemp("rowquery")
    return {
        "small": build_version(tmp, "small", make_small_table(), SMALL_SCHEMA, sort_columns=["amount", "d"],
                               cluster_columns=["cat", "flag"]),
        "small-plain": build_version(tmp, "small-plain", make_small_table(), SMALL_SCHEMA, sort_columns=[],
                                     cluster_columns=[]),
        "wide": build_version(tmp, "wide", make_wide_table(300_000), WIDE_SCHEMA),
    }


@pytest.fixture(scope="session")
def small_frame() -> pd.DataFrame:
    """The small table as pandas, in primary-key order (the row-id order)."""
    return make_small_table().to_pandas().sort_values("id", kind="mergesort").reset_index(drop=True)


@pytest.fixture(scope="session")
def wide_frame() -> pd.DataFrame:
    return make_wide_table(300_000).to_pandas().sort_values("id", kind="mergesort")


@pytest.fixture
def engine(versions):
    eng = RowQueryEngine(lambda v: versions.get(v), SECRET, timeout=10.0, result_cache=0)
    yield eng
    eng.close()


