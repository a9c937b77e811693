"""Data Package names (the ``name`` of a package, a resource or a report) made from any text.

Apart from opendata.core.datapackage, which imports the writers (and pyarrow.parquet with them),
so that code naming a report, such as the serving process recording a failed upload, loads nothing
of the pipeline.
"""

from __future__ import annotations

import re


def package_name(text: str | None, default: str = "dataset") -> str:
    """A Data Package name (lowercase letters, digits, ``-``, ``_``, ``.``) from any text."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", (text or "").lower()).strip("-._")
    return slug or default
