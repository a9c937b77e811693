"""Build ``datapackage.json`` (Frictionless Data Package) for a version's outputs.

One resource per data file (canonical CSV, Parquet and, if written, the Excel-friendly CSV),
each with its path relative to the descriptor, format, media type, encoding, ``bytes``,
``hash`` (``sha256:<hex>``) and the published Table Schema (dropped fields removed, masked
fields as strings, see :func:`opendata.core.masking.published_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opendata.core.package_names import package_name
from opendata.core.writers import Artifact, AtomicOutput

__all__ = ["build_datapackage", "package_name", "write_datapackage"]

DEFAULT_LICENSES = ({
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
},)
_RESOURCES = {
    # kind: (resource name, resource type, format, encoding)
    "csv": ("data", "table", "csv", "utf-8"),
    # "file": frictionless-py parses Parquet without counting bytes, so as a "table" resource its
    # byte and hash checks fail; as a "file" they are verified and the schema still describes it
    "parquet": ("data-parquet", "file", "parquet", None),
    "csv-excel": ("data-excel", "table", "csv", "utf-8-sig"),
}


def build_datapackage(*, name: str, artifacts: Sequence[Artifact], table_schema: Mapping[str, Any],
                      title: str | None = None, description: str | None = None,
                      licenses: Sequence[Mapping[str, Any]] | None = None,
                      base_dir: str | Path | None = None) -> dict[str, Any]:
    """The descriptor for ``artifacts`` (paths made relative to ``base_dir``)."""
    resources = []
    for art in artifacts:
        if art.kind not in _RESOURCES:
            continue
        res_name, res_type, fmt, encoding = _RESOURCES[art.kind]
        path = Path(art.path)
        rel = path.relative_to(base_dir).as_posix() if base_dir is not None else path.name
        resource: dict[str, Any] = {
            "name": res_name,
            "type": res_type,
            "path": rel,
            "format": fmt,
            "mediatype": art.mediatype,
        }
        if encoding:
            resource["encoding"] = encoding
        resource["bytes"] = art.bytes
        resource["hash"] = f"sha256:{art.sha256}"
        resource["schema"] = json.loads(json.dumps(dict(table_schema)))
        resources.append(resource)
    descriptor: dict[str, Any] = {"name": package_name(name)}
    if title:
        descriptor["title"] = title
    if description:
        descriptor["description"] = description
    descriptor["licenses"] = [{k: v for k, v in dict(x).items() if v not in (None, "")}
                              for x in (licenses if licenses is not None else DEFAULT_LICENSES)]
    descriptor["resources"] = resources
    return descriptor


def write_datapackage(path: str | Path, descriptor: Mapping[str, Any]) -> Artifact:
    """Write the descriptor as UTF-8 JSON (temporary name, fsync, rename)."""
    out = AtomicOutput(path)
    try:
        out.write(json.dumps(descriptor, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    except BaseException:
        out.abort()
        raise
    nbytes, digest = out.commit()
    return Artifact("datapackage", str(out.path), nbytes, digest, "application/json")
