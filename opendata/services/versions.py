"""Versions: ingest a file into a new version (publishing and withdrawing: opendata.services.publication)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opendata.core import lifecycle, vocab
from opendata.core.errors import ConflictError, InputError, NotFoundError, OpendataError, room_for
from opendata.core.files import sha256_file
from opendata.core.limits import IngestLimits
from opendata.core.pipeline_child import run_pipeline_in_child
from opendata.core.report import failure_report
from opendata.core.tableschema import load_table_schema
from opendata.services.publication import move_version
from opendata.store.artifacts import ArtifactStore
from opendata.store.db import transaction
from opendata.store.models import Artifact, Dataset, Version, VersionEvent
from opendata.store.reports import ReportVersion
from opendata.store.requests import RequestAttachment
from opendata.store.showcases import Showcase


@dataclass
class IngestOutcome:
    """What an ingest did: the version (new or the identical existing one) and a summary."""

    version_id: int
    number: int
    state: str
    created: bool
    row_count: int | None
    report: dict[str, Any] | None
    pii: dict[str, Any] | None
    artifacts: dict[str, dict[str, Any]]
    seconds: float


def get_dataset(session: Session, identifier: str) -> Dataset:
    """The dataset with this identifier, or NotFoundError."""
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier))
    if ds is None:
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return ds


def _create_version(sessions: sessionmaker[Session], dataset_id: int, *, filename: str, digest: str,
                    size: int, schema_digest: str, actor: str) -> tuple[int, int, bool]:
    """Insert the next version number (retrying on a concurrent insert); (id, number, created)."""
    for _attempt in range(20):
        try:
            with transaction(sessions) as session:
                # a failed ingest holds nothing: the same bytes again are a new attempt
                same = session.scalar(select(Version).where(Version.dataset_id == dataset_id,
                                                            Version.source_sha256 == digest,
                                                            Version.state != lifecycle.FAILED))
                if same is not None:
                    return same.id, same.number, False
                number = (session.scalar(select(func.max(Version.number)).where(
                    Version.dataset_id == dataset_id)) or 0) + 1
                version = Version(dataset_id=dataset_id, number=number, source_filename=filename,
                                  source_bytes=size, source_sha256=digest, schema_sha256=schema_digest,
                                  created_by=actor, state=lifecycle.RECEIVED)
                session.add(version)
                session.flush()
                session.add(VersionEvent(version_id=version.id, from_state=None,
                                         to_state=lifecycle.RECEIVED, actor=actor))
                return version.id, number, True
        except IntegrityError:
            time.sleep(0.01)
    raise ConflictError("could not allocate a version number; try again")


def ingest_file(*, sessions: sessionmaker[Session], store: ArtifactStore, dataset: str, path: str | Path,
                actor: str, filename: str | None = None, sheet: str | None = None,
                progress: Callable[[int, int], None] | None = None, sha256: str | None = None,
                limits: IngestLimits | None = None, on_version: Callable[[int], None] | None = None
                ) -> IngestOutcome:
    """Validate and convert ``path`` into a new version of ``dataset`` (awaiting review if valid).

    Identical bytes already uploaded to the dataset make no new version: the existing one is
    returned, unless it failed (a crash, an unreadable file), in which case this is a new attempt
    with a new version. A failure leaves every existing version untouched and is recorded on the new one;
    a file that cannot be read (damaged, beyond a limit) also gets a one-error report saying why.
    The pipeline runs in a child process within ``limits.memory_bytes`` (see core.childprocess).
    ``on_version`` is told the version's id as soon as it exists (an ingest job links itself to it).
    """
    limits = limits or IngestLimits()

    started = time.monotonic()
    path = Path(path)
    with transaction(sessions) as session:
        ds = get_dataset(session, dataset)
        dataset_id, salt = ds.id, ds.mask_salt
        package = {"name": ds.identifier, "title": ds.title,
                   "licenses": [{"name": ds.license, "path": vocab.LICENSES.get(ds.license, "")}]}
        schema = load_table_schema(ds.table_schema.descriptor, name=ds.table_schema.name)
        schema_digest = ds.table_schema.sha256
        sheet = sheet or ds.source_sheet
    if sha256 is None:
        digest, size = sha256_file(path)
    else:  # the upload already hashed the bytes while writing them
        digest, size = sha256, path.stat().st_size
    version_id, number, created = _create_version(
        sessions, dataset_id, filename=filename or path.name, digest=digest, size=size,
        schema_digest=schema_digest, actor=actor)
    if on_version is not None:
        on_version(version_id)
    if not created:
        return _outcome(sessions, version_id, created=False, seconds=time.monotonic() - started)

    with transaction(sessions) as session:
        move_version(session, session.get(Version, version_id), lifecycle.VALIDATING, actor)
    workdir = store.new_workdir()
    try:
        result = run_pipeline_in_child(path, schema, workdir, memory_bytes=limits.memory_bytes, sheet=sheet,
                                       salt=salt, progress=progress, source_sha256=digest,
                                       source_name=filename or path.name, limits=limits.read,
                                       limit_errors=limits.limit_errors, **package)
        stored = {kind: (*kept, kind) for kind, kept in store.adopt_outputs(result.artifacts).items()}
        canonical = stored.get("csv")
        if canonical is not None and canonical[1] == digest:  # uploaded already canonical: stored once
            stored["source"] = (canonical[0], digest, size, "source")
        else:
            stored["source"] = (*_adopt_source(store, path, digest), "source")
        with transaction(sessions) as session:
            version = session.get(Version, version_id)
            version.source_format = result.source_format
            version.source_encoding = result.source_encoding
            version.row_count = result.row_count
            version.report = result.report
            version.pii = result.pii
            for rel, sha, nbytes, kind in stored.values():
                session.add(Artifact(version_id=version_id, kind=kind, path=rel, bytes=nbytes, sha256=sha,
                                     media_type=vocab.media_type(kind)))
            valid = bool(result.report.get("valid"))
            move_version(session, version, lifecycle.AWAITING_REVIEW if valid else lifecycle.INVALID, actor)
    except InputError as exc:
        _fail(sessions, version_id, actor, f"{exc.code}: {exc.message}",
              report=failure_report(filename or path.name, exc.message, stats={"bytes": size, "sha256": digest}))
        raise
    except OpendataError as exc:
        _fail(sessions, version_id, actor, f"{exc.code}: {exc}")
        raise
    except Exception as exc:  # an unexpected crash must still be recorded on the version
        _fail(sessions, version_id, actor, f"internal error: {type(exc).__name__}: {exc}")
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _outcome(sessions, version_id, created=True, seconds=time.monotonic() - started)


def _adopt_source(store: ArtifactStore, path: Path, digest: str) -> tuple[str, str, int]:
    """Keep the bytes as uploaded, so every version can be verified against its source."""
    with room_for("the uploaded file as the source of this version"), open(path, "rb") as fh:
        rel, sha, nbytes = store.put_stream(fh, suffix=".source")
    assert sha == digest, "source changed while it was being ingested"
    return rel, sha, nbytes


def _fail(sessions: sessionmaker[Session], version_id: int, actor: str, note: str,
          report: dict[str, Any] | None = None) -> None:
    with transaction(sessions) as session:
        version = session.get(Version, version_id)
        if version.state not in (lifecycle.FAILED, lifecycle.INVALID, lifecycle.AWAITING_REVIEW):
            move_version(session, version, lifecycle.FAILED, actor, note)
            if report is not None:
                version.report = report


def _outcome(sessions: sessionmaker[Session], version_id: int, *, created: bool, seconds: float) -> IngestOutcome:
    with transaction(sessions) as session:
        v = session.get(Version, version_id)
        return IngestOutcome(
            version_id=v.id, number=v.number, state=v.state, created=created, row_count=v.row_count,
            report=v.report, pii=v.pii, seconds=seconds,
            artifacts={a.kind: {"path": a.path, "bytes": a.bytes, "sha256": a.sha256} for a in v.artifacts})


def referenced_artifacts(session: Session) -> set[str]:
    """Every artifact path the database points to (for orphan cleaning): versions' files, request attachments,
    published reports' files and showcases' screenshots."""
    reports = {p for row in session.execute(select(ReportVersion.xlsx_path, ReportVersion.docx_path)) for p in row}
    screenshots = set(session.scalars(select(Showcase.screenshot_path).where(Showcase.screenshot_path.is_not(None))))
    return (set(session.scalars(select(Artifact.path))) | set(session.scalars(select(RequestAttachment.path)))
            | reports | screenshots)
