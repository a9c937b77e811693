"""Resolving a download: the file of a version whose data the viewer may receive (the download hot path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, null, select
from sqlalchemy.orm import aliased

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError
from opendata.core.files import BOM
from opendata.core.keys import KEY_MAX
from opendata.services.access import (
    ANONYMOUS,
    Viewer,
    data_served_clause,
)
from opendata.services.runtime import Runtime
from opendata.store.models import Artifact, Dataset, Version, VersionEvent

DOWNLOAD_KINDS = {"csv": "csv", "parquet": "parquet", "excel": "csv-excel"}
PUBLIC_ARTIFACTS = ("csv", "csv-excel", "parquet", "datapackage")


@dataclass(frozen=True)
class DownloadFile:
    """A file the viewer may download, with what the HTTP layer needs for its headers."""

    dataset_id: int
    identifier: str
    title: str
    version_id: int
    number: int
    kind: str
    rel: str
    """The stored file's name in the artifact store."""
    path: Path | None
    """The stored file itself when it is on this machine (local store), else None (object storage)."""
    bytes: int
    sha256: str
    media_type: str
    last_modified: datetime | None
    """The version's publication time; for the latest version, the later of that and the last time a
    newer version was withdrawn (the latest file went back to an older one): never earlier than a
    date this URL has given before, so If-Modified-Since / If-Range with an older file's date never matches."""
    prefix: bytes = b""
    """Bytes sent before the stored file (``bytes`` counts them): the BOM of an Excel CSV that was
    stored as the canonical CSV it equals behind that BOM (see :mod:`opendata.core.excel_csv`)."""
    opener: Callable[[], BinaryIO] | None = None
    """A seekable reader of the stored bytes (object storage: ranged reads of the object)."""


def resolve_download(*, runtime: Runtime, identifier: str, kind: str, number: int | None = None,
                     viewer: Viewer = ANONYMOUS) -> DownloadFile | None:
    """The file of ``kind`` (csv, parquet, csv-excel, duckdb) of a version whose data the viewer may receive.

    ``number`` None means the latest served version. Raises NotFoundError, the same for a missing
    dataset and one whose data may not be served; returns None when the version has no such file.
    ``last_modified`` is when the URL's file last changed (see :class:`DownloadFile`).
    This is the download hot path: one prebuilt Core statement with the rules of ``can_receive_data``,
    its answer kept in the runtime's read cache until the next commit to the database.
    """
    key = ("download", viewer, identifier, kind, number)
    found, cached = runtime.read_cache.lookup(key)
    if found:
        row = cached
    else:
        row = None
        if number is None or 0 < number <= KEY_MAX:  # a number no database can store names no version
            with runtime.engine.connect() as conn:
                row = conn.execute(_served_statement(runtime, viewer, number is not None),
                                   {"identifier": identifier, "kind": kind, "number": number}).first()
        runtime.read_cache.store(key, row, cached)
    if row is None:
        raise NotFoundError(f"dataset '{identifier}' has no downloadable version"
                            + (f" {number}" if number is not None else ""))
    version_id, version_number, published_at, dataset_pk, title, rel, size, sha256, media_type, withdrawn = row
    if rel is None:
        return None
    changed = published_at if withdrawn is None or published_at is None else max(published_at, withdrawn)
    store = runtime.artifacts
    prefix = b""
    # the canonical CSV behind a BOM (a lost file has no size: sending it fails as for any other kind)
    if kind == "csv-excel" and store.size(rel) == size - len(BOM):
        prefix = BOM
    return DownloadFile(dataset_pk, identifier, title, version_id, version_number, kind, rel,
                        store.local_file(rel), size, sha256, media_type, changed, prefix,
                        partial(store.open, rel))


def download_url(*, runtime: Runtime, f: DownloadFile, disposition: str) -> str | None:
    """A short-lived URL of the object store that sends ``f`` itself, when downloads are redirected there.

    None when ``OPENDATA_DOWNLOAD_REDIRECT_SECONDS`` is 0, when the store has no URLs of its own (a local
    folder), or when the answer is not the stored bytes as they are (an Excel CSV's BOM goes before them).
    Only ask for a file :func:`resolve_download` gave: the disclosure rules were checked there.
    """
    seconds = runtime.config.DOWNLOAD_REDIRECT_SECONDS
    if seconds <= 0 or f.prefix:
        return None
    return runtime.artifacts.presigned_url(f.rel, seconds=seconds, disposition=disposition, media_type=f.media_type)


def _served_statement(runtime: Runtime, viewer: Viewer, numbered: bool) -> Any:
    """The newest served version (or the one numbered), with its artifact of the kind asked for, if any.

    The last column, for the latest version only, is when a newer published version was last withdrawn
    (None for a numbered version, whose file never changes). Built once per kind of caller and cached:
    building a statement costs more than running it.
    """
    key = (viewer, numbered)
    statements: dict[tuple[Viewer, bool], Any] = runtime.part("downloads.statements", dict)
    stmt = statements.get(key)
    if stmt is None:
        stmt = (select(Version.id, Version.number, Version.published_at, Dataset.id, Dataset.title,
                       Artifact.path, Artifact.bytes, Artifact.sha256, Artifact.media_type,
                       null() if numbered else _newer_withdrawn())
                .join(Dataset, Dataset.id == Version.dataset_id)
                .outerjoin(Artifact, (Artifact.version_id == Version.id) & (Artifact.kind == bindparam("kind")))
                .where(Dataset.identifier == bindparam("identifier"), data_served_clause(viewer),
                       Dataset.disclosure != "closed")
                .order_by(Version.number.desc()).limit(1))
        if numbered:
            stmt = stmt.where(Version.number == bindparam("number"))
        if len(statements) > 256:
            statements.clear()
        statements[key] = stmt
    return stmt


def _newer_withdrawn() -> Any:
    """When a published version newer than the selected one was last withdrawn (correlated to it).

    Withdrawn is final and only publication or withdrawal changes which version is the newest
    published one, so this and the publication time together say when the latest file last changed.
    """
    newer = aliased(Version)
    return (select(func.max(VersionEvent.at)).join(newer, newer.id == VersionEvent.version_id)
            .where(newer.dataset_id == Version.dataset_id, newer.number > Version.number,
                   VersionEvent.from_state == lifecycle.PUBLISHED, VersionEvent.to_state == lifecycle.WITHDRAWN)
            .scalar_subquery())

