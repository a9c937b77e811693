"""A version's validation report for its uploader and its organization's staff, in any state.

Anyone else gets the same NotFoundError as for a version that does not exist (a report names
columns and holds cells of data that may not be public), a published open version included: the
console is its department's workspace, and the public reads that report through the API.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opendata.core.errors import NotFoundError, SchemaError
from opendata.core.report import public_report
from opendata.core.tableschema import TableSchema, load_table_schema
from opendata.services.access import Viewer, works_on_version
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.models import Dataset, Version


def version_report(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int) -> dict[str, Any]:
    """The stored report of one version, with the dataset's Table Schema and the version's facts."""
    with reading(runtime) as session:
        version = session.scalar(select(Version).join(Dataset).where(
            Dataset.identifier == identifier, Version.number == number).options(
            selectinload(Version.dataset).selectinload(Dataset.table_schema)))
        if version is None or not works_on_version(viewer, version):
            raise NotFoundError(f"dataset '{identifier}' has no version {number}")
        ds = version.dataset
        return {
            "dataset": {"id": ds.identifier, "title": ds.title, "organization_id": ds.organization_id},
            "version": {"number": version.number, "state": version.state, "filename": version.source_filename,
                        "encoding": version.source_encoding, "format": version.source_format,
                        "bytes": version.source_bytes, "sha256": version.source_sha256,
                        "rows": version.row_count, "created": version.created_at, "created_by": version.created_by,
                        "pii_unresolved": int((version.pii or {}).get("unresolved", 0) or 0)},
            "report": public_report(version.report) or {},
            "schema": _schema(ds.table_schema.descriptor, ds.table_schema.name),
        }


def _schema(descriptor: dict[str, Any], name: str) -> TableSchema | None:
    try:
        return load_table_schema(descriptor, name=name)
    except SchemaError:  # a schema stored before today's checks still lets the report be read
        return None
