"""The Core tables of fast read paths name the models' tables and columns."""

from __future__ import annotations

from pathlib import Path

from opendata.store.catalogue_columns import DATASET, ORGANIZATION, VERSION
from opendata.store.models import Base

ROOT = Path(__file__).resolve().parents[2]


def test_the_core_tables_name_columns_the_models_have():
    for light in (ORGANIZATION, DATASET, VERSION):
        model = Base.metadata.tables[light.name]
        assert {c.name for c in light.columns} <= {c.name for c in model.columns}, light.name
