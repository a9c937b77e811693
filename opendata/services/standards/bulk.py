"""Bulk archives for hackathons: the whole open catalogue and one archive per theme.

Each zip holds, per served dataset, ``<id>/data.csv``, ``<id>/data.parquet`` and
``<id>/datapackage.json`` (relative paths, so frictionless reads the unpacked folder offline),
plus ``catalog.csv`` and ``catalog.xlsx`` (the metadata table) and ``SHA256SUMS``
(``sha256sum -c`` format). Only data anonymous callers may receive goes in.

Archives are stored in the artifact store like every other file (content-addressed, so an archive
never changes under a download that resumes it) and ``bulk/index.json``, the store's one shared
document, names the current ones; rebuilds on one machine take a file lock so they cannot interleave,
and the index is replaced at once after its archives are stored. The index records a fingerprint of
what was served when it was built; :func:`current_index` rebuilds when the fingerprint no longer
matches (a dataset withdrawn by a catalogue sync, a new version), so a stale archive is never served.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook

from opendata.core.escaping import xml_text
from opendata.core.urls import Links
from opendata.services.access import ANONYMOUS
from opendata.services.published.entries import DatasetEntry, list_entries, term
from opendata.services.runtime import Runtime
from opendata.services.standards.datapackage import package_descriptor, published_table_schema
from opendata.services.taskqueue import REBUILD_BULK, queue_enabled, send_task

ALL = "opendata-all.zip"
INDEX = "bulk/index.json"  # the artifact store's shared document
_LOCK = threading.Lock()
_FILES = {"csv": "data.csv", "parquet": "data.parquet"}
COLUMNS = ("identifier", "code", "title", "title_en", "description", "publisher", "theme", "theme_name",
           "keywords", "license", "disclosure", "frequency", "temporal_start", "temporal_end", "spatial",
           "issued", "modified", "version", "row_count", "csv_url", "csv_bytes", "csv_sha256",
           "parquet_url", "parquet_bytes", "parquet_sha256", "datapackage_url")


def bulk_dir(runtime: Runtime) -> Path:
    """The local folder of the rebuild lock."""
    return runtime.config.folder.bulk


@dataclass(frozen=True)
class ArchiveFile:
    """A listed archive as the HTTP layer sends it: its index record and how to read its bytes."""

    record: dict[str, Any]
    path: Path | None  # the stored file itself when it is on this machine
    opener: Callable[[], BinaryIO]
    url: str | None  # a presigned URL of the object store, when downloads are redirected there


def _served(runtime: Runtime) -> tuple[list[DatasetEntry], Any]:
    session = runtime.sessions()
    links = Links(runtime.config.public_base_url(""))  # no request here: site-relative unless configured
    entries = [e for e in list_entries(session, ANONYMOUS, links) if e.distributions]
    return entries, session


def fingerprint(entries: list[DatasetEntry]) -> str:
    """A digest of what the archives contain: datasets, served files and metadata dates."""
    parts = [[e.identifier, e.dataset.theme, e.modified.isoformat(), [d.sha256 for d in e.distributions]]
             for e in entries]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _metadata_row(e: DatasetEntry, links: Links) -> dict[str, Any]:
    ds = e.dataset
    csv_d, pq_d = e.distribution("csv"), e.distribution("parquet")
    return {
        "identifier": ds.identifier, "code": ds.code, "title": ds.title, "title_en": ds.title_en or "",
        "description": ds.description, "publisher": ds.organization.name, "theme": ds.theme,
        "theme_name": term("theme", ds.theme).zh, "keywords": ";".join(ds.keywords or []),
        "license": ds.license, "disclosure": ds.disclosure, "frequency": ds.frequency,
        "temporal_start": ds.temporal_start.isoformat() if ds.temporal_start else "",
        "temporal_end": ds.temporal_end.isoformat() if ds.temporal_end else "",
        "spatial": ds.spatial or "", "issued": e.issued.isoformat(), "modified": e.modified.isoformat(),
        "version": e.version.number if e.version else "", "row_count": e.version.row_count if e.version else "",
        "csv_url": csv_d.url if csv_d else "", "csv_bytes": csv_d.bytes if csv_d else "",
        "csv_sha256": csv_d.sha256 if csv_d else "", "parquet_url": pq_d.url if pq_d else "",
        "parquet_bytes": pq_d.bytes if pq_d else "", "parquet_sha256": pq_d.sha256 if pq_d else "",
        "datapackage_url": links.datapackage(ds.identifier),
    }


def metadata_csv(rows: list[dict[str, Any]]) -> bytes:
    """The catalogue metadata table as UTF-8 CSV."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def metadata_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The catalogue metadata table as an Excel workbook (one sheet, one header row).

    Every text cell is a string cell, never a formula, and characters XLSX (XML) cannot hold are
    replaced by U+FFFD, so a title such as ``=HYPERLINK(…)`` or one with a control character
    stays inert text. Line ends become LF, Excel's line break in a cell: a CR would otherwise come back
    as CR or as LF depending on whether openpyxl writes through lxml."""
    wb = Workbook()
    ws = wb.active
    ws.title = "catalog"
    ws.append(list(COLUMNS))
    for row in rows:
        ws.append([_cell_text(row[c]) if isinstance(row[c], str) else row[c] for c in COLUMNS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: openpyxl would store '=…' as a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell_text(value: str) -> str:
    return xml_text(value).replace("\r\n", "\n").replace("\r", "\n")


@contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(folder / ".lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _stored_archive(runtime: Runtime, write) -> tuple[str, str, int]:
    """Write an archive through ``write(binary file)`` in a work folder, then store it; (path, sha256, bytes)."""
    store = runtime.artifacts
    workdir = store.new_workdir(prefix="bulk-")
    try:
        path = workdir / "archive.zip"
        with open(path, "w+b") as fh:
            write(fh)
            fh.seek(0)
            digest = hashlib.sha256()
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
        return store.adopt(path, sha256=digest.hexdigest(), suffix=".zip")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _write_zip(fh, runtime: Runtime, entries: list[DatasetEntry], rows: list[dict[str, Any]], links: Links) -> None:
    sums: list[tuple[str, str]] = []
    store = runtime.artifacts
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for e in entries:
            for d in e.distributions:
                name = f"{e.identifier}/{_FILES[d.kind]}"
                # Parquet is compressed already; the CSV at deflate level 1: a third the CPU of the default
                # level (about 3 s against 10 s per GB) for an archive about a quarter larger
                kind = zipfile.ZIP_STORED if d.kind == "parquet" else zipfile.ZIP_DEFLATED
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                info.compress_type = kind
                info._compresslevel = 1  # what zf.write(..., compresslevel=1) sets (ZipInfo has no public name for it)
                # streamed from the store (object storage needs no local copy of the catalogue)
                with store.open(d.artifact_path) as src, zf.open(info, "w", force_zip64=d.bytes > 2**31 - 1) as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
                sums.append((d.sha256, name))
            descriptor = package_descriptor(e, published_table_schema(e, store),
                                            {d.kind: _FILES[d.kind] for d in e.distributions}, links)
            body = json.dumps(descriptor, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
            zf.writestr(f"{e.identifier}/datapackage.json", body)
            sums.append((hashlib.sha256(body).hexdigest(), f"{e.identifier}/datapackage.json"))
        for name, body in (("catalog.csv", metadata_csv(rows)), ("catalog.xlsx", metadata_xlsx(rows))):
            zf.writestr(name, body)
            sums.append((hashlib.sha256(body).hexdigest(), name))
        zf.writestr("SHA256SUMS", "".join(f"{sha}  {name}\n" for sha, name in sums).encode("utf-8"))


def rebuild_bulk(*, runtime: Runtime, only_if_stale: bool = False) -> dict[str, Any]:
    """Rebuild every archive and the index from what anonymous callers may receive now.

    ``only_if_stale``: keep the current index when it already matches (checked under the lock, so
    requests that found it stale at the same time rebuild once).
    """
    folder = bulk_dir(runtime)
    links = Links(runtime.config.public_base_url(""))  # no request here: site-relative unless configured
    with _locked(folder):
        entries, session = _served(runtime)
        try:
            if only_if_stale:
                existing = read_index(runtime)
                if existing is not None and existing.get("fingerprint") == fingerprint(entries):
                    return existing
            groups: dict[str, tuple[str | None, list[DatasetEntry]]] = {ALL: (None, entries)}
            for e in entries:
                groups.setdefault(f"theme-{e.dataset.theme}.zip", (e.dataset.theme, []))[1].append(e)
            previous = read_index(runtime)
            archives = []
            for name, (theme, members) in sorted(groups.items(), key=lambda kv: (kv[0] != ALL, kv[0])):
                rows = [_metadata_row(e, links) for e in members]
                # a theme holding the whole catalogue would be the same bytes: stored and compressed once
                same = name != ALL and [e.identifier for e in members] == [e.identifier for e in entries]
                if same:
                    rel, sha, size = archives[0]["path"], archives[0]["sha256"], archives[0]["bytes"]
                else:
                    rel, sha, size = _stored_archive(
                        runtime, lambda fh, m=members, r=rows: _write_zip(fh, runtime, m, r, links))
                t = term("theme", theme) if theme else None
                archives.append({"name": name, "scope": "theme" if theme else "all", "theme": theme,
                                 "title": f"{t.zh} ({t.en})" if t else "全部开放数据 (whole open catalogue)",
                                 "bytes": size, "sha256": sha, "path": rel,
                                 "datasets": [e.identifier for e in members]})
            index = {"generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                     "fingerprint": fingerprint(entries), "archives": archives}
        finally:
            session.close()
        runtime.artifacts.write_document(INDEX, json.dumps(index, ensure_ascii=False, indent=2).encode("utf-8"))
        # the archives the index named before are no longer listed (a download already started keeps its
        # open file; a resumed one gets the new sha256 as ETag, so If-Range sends the new archive whole)
        keep = archive_paths(index)
        for stale in archive_paths(previous or {}) - keep:
            runtime.artifacts.discard(stale)
        for leftover in folder.glob("*.zip"):  # archives of the layout before the store held them
            leftover.unlink(missing_ok=True)
    return index


def read_index(runtime: Runtime) -> dict[str, Any] | None:
    """The current index of the bulk archives, None when none was built (or it cannot be read)."""
    try:
        body = runtime.artifacts.read_document(INDEX)
        return json.loads(body) if body is not None else None
    except (OSError, ValueError):
        return None


def _before_the_store(index: dict[str, Any]) -> bool:
    """An index written when archives were files in the bulk folder (rebuilt: its archives have no stored name)."""
    return any("path" not in a for a in index.get("archives", []))


def archive_paths(index: dict[str, Any]) -> set[str]:
    """The stored names of the archives an index lists (kept by ``opendata clean``)."""
    return {a["path"] for a in index.get("archives", []) if isinstance(a.get("path"), str)}


def current_index(*, runtime: Runtime) -> dict[str, Any]:
    """The index of archives matching what is served now (rebuilt first when stale or missing)."""
    index = read_index(runtime)
    entries, session = _served(runtime)
    try:
        current = fingerprint(entries)
    finally:
        session.close()
    if index is None or index.get("fingerprint") != current or _before_the_store(index):
        index = rebuild_bulk(runtime=runtime, only_if_stale=True)
    return index


def archive_file(runtime: Runtime, index: dict[str, Any], name: str) -> ArchiveFile | None:
    """The archive ``name`` listed in ``index`` (only public data goes in one), or None."""
    store = runtime.artifacts
    for record in index.get("archives", []):
        rel = record.get("path")
        if record["name"] == name and isinstance(rel, str) and store.exists(rel):
            seconds = runtime.config.DOWNLOAD_REDIRECT_SECONDS
            url = store.presigned_url(rel, seconds=seconds, disposition=f'attachment; filename="{name}"',
                                      media_type="application/zip") if seconds > 0 else None
            return ArchiveFile(record, store.local_file(rel), partial(store.open, rel), url)
    return None


def rebuild_bulk_soon(*, runtime: Runtime) -> None:
    """Rebuild the archives after a change: here, or by a worker in the scale-out mode (reads rebuild
    stale archives themselves meanwhile, see :func:`current_index`)."""
    if queue_enabled(runtime):
        send_task(runtime, REBUILD_BULK)
    else:
        rebuild_bulk(runtime=runtime)
