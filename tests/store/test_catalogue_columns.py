"""The Core tables of fast read paths name the models' tables and columns, and those paths load without the ORM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from opendata.store.catalogue_columns import DATASET, ORGANIZATION, VERSION
from opendata.store.models import Base

ROOT = Path(__file__).resolve().parents[2]


def test_the_core_tables_name_columns_the_models_have():
    for light in (ORGANIZATION, DATASET, VERSION):
        model = Base.metadata.tables[light.name]
        assert {c.name for c in light.columns} <= {c.name for c in model.columns}, light.name


def test_the_timeliness_command_loads_neither_the_orm_nor_the_models():
    """``opendata timeliness`` must start fast (bench/reports.py): a stray import would undo that."""
    probe = ("import sys; import opendata.cli, opendata.services.timeliness.board; "
             "print(sorted(m for m in sys.modules if m == 'sqlalchemy.orm' or m.startswith('opendata.store.models') "
             "or m == 'opendata.services.access'))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
