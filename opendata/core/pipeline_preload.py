"""Imported once by the fork server that ingest children are forked from (core.childprocess):
besides the modules, it loads what the pipeline otherwise loads on first use, in every child
(frictionless' plugins and its JSON Schema checker, about 170 modules), by building the cell
readers of a schema that has every field type. Importing it has no other effect.
"""

from __future__ import annotations

import logging

from opendata.core.tableschema import frictionless_cell_readers, load_table_schema
from opendata.core.validation import Validator, temporal  # noqa: F401 (loaded for the children)

_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time", "year", "yearmonth",
          "geopoint", "any")  # every type load_table_schema accepts


def _load_lazy_parts() -> None:
    try:
        schema = load_table_schema({"fields": [{"name": t, "type": t} for t in _TYPES]}, name="preload")
        frictionless_cell_readers(schema)
        Validator(schema, list(_TYPES)).close()
    except Exception:  # noqa: BLE001 (only a speed-up: a child then loads these parts itself)
        logging.getLogger(__name__).exception("could not preload the pipeline's lazy parts")


_load_lazy_parts()
