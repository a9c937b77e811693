"""Ingest jobs and resumable (tus) upload sessions.

A job records who asked for which upload to become a version, how far the ingest got,
and which process runs it (``owner`` = host:pid, refreshed ``heartbeat_at``), so a
process that starts after a crash can tell abandoned jobs from ones still running.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.store.models import Base, Dataset, Version, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _new_uuid() -> str:
    return uuid.uuid4().hex


class IngestJob(Base):
    """One upload being turned into a version (queued → running → succeeded | failed)."""

    __tablename__ = "ingest_job"
    __table_args__ = (
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        UniqueConstraint("actor", "idempotency_key"),
        Index("ix_ingest_job_state_heartbeat_at", "state", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True, default=_new_uuid)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    filename: Mapped[str] = mapped_column(String(500))
    sheet: Mapped[str | None] = mapped_column(String(200))
    source_path: Mapped[str | None] = mapped_column(String(1000))
    total_bytes: Mapped[int | None] = mapped_column(BigInteger)
    progress_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # runs started (retries bound it)
    actor: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(300))
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    dataset: Mapped[Dataset] = relationship()
    version: Mapped[Version | None] = relationship()


class UploadSession(Base):
    """A resumable upload (tus 1.0): bytes arrive in PATCH requests until the offset reaches the length."""

    __tablename__ = "upload_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True, default=_new_uuid)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    upload_length: Mapped[int] = mapped_column(BigInteger)
    upload_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    temp_path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_job.id", ondelete="SET NULL"))

    dataset: Mapped[Dataset] = relationship()
    job: Mapped[IngestJob | None] = relationship()
