"""A draft Table Schema from a sample file sent by a publisher (the console's "draft from a sample").

The sample is written to the uploads folder (bounded), read as uploads are, and deleted whatever
happens; what comes back is a draft descriptor for a person to check before registering it.
"""

from __future__ import annotations

import uuid
from typing import Any, BinaryIO

from opendata.core.errors import InputError, Problem, ValidationError
from opendata.core.schema_draft import draft_schema
from opendata.services.access import PermissionDeniedError, Viewer
from opendata.services.jobs import uploads_dir
from opendata.services.runtime import Runtime
from opendata.services.uploads import receive_upload

MAX_SAMPLE_BYTES = 50 * 1024 * 1024  # only the first rows are read: a sample, not the whole data


def draft_from_sample(*, runtime: Runtime, viewer: Viewer, stream: BinaryIO, filename: str,
                      content_length: int | None = None, sheet: str | None = None) -> dict[str, Any]:
    """The draft descriptor of a sample file (publishers and administrators)."""
    viewer.require_scope("publish")
    if not (viewer.is_admin or viewer.publish_organization_ids):
        raise PermissionDeniedError("drafting schemas is for publishers and administrators")
    path = uploads_dir(runtime) / f"sample-{uuid.uuid4().hex}.upload"
    try:
        size, _digest = receive_upload(stream, path, limit=MAX_SAMPLE_BYTES, expected=content_length)
        if size == 0:
            raise ValidationError("the sample is empty", problems=[Problem("empty-upload", "no bytes", path="sample")])
        try:
            return draft_schema(path, sheet=sheet or None)
        except InputError as exc:
            raise ValidationError(f"{filename}: {exc.message}",
                                  problems=[Problem(exc.code, exc.message, path="sample")]) from None
    finally:
        path.unlink(missing_ok=True)
