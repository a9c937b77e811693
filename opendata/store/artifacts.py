"""The artifact store: content-addressed files, behind one interface with two implementations.

:class:`ArtifactStore` is what services use; a stored file is named by a relative path derived from
its sha256 (``ab/cd/<sha256><suffix>``), so identical bytes are stored once and a stored name never
changes meaning. Writes become visible only when complete and verified: the database points to a
stored file only after the store has it whole.

- :class:`LocalArtifactStore` (the embedded default): files under ``$OPENDATA_HOME/artifacts``,
  written to a temporary name in the same filesystem, fsynced, then renamed into place.
- :class:`opendata.store.s3_artifacts.S3ArtifactStore` (scale-out): objects in an S3-compatible bucket,
  uploaded under a temporary key, verified by sha256, then copied to their final key.

Services that need a file on the local disk (the pipeline, DuckDB) ask :meth:`ArtifactStore.local_path`:
the stored file itself here, a verified cached copy for an object store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from opendata.core.files import CHUNK as _CHUNK
from opendata.core.files import fsync_dir, sha256_file

if TYPE_CHECKING:
    from opendata.core.writers import Artifact

__all__ = ["ArtifactStore", "LocalArtifactStore", "fsync_dir", "relpath_for", "sha256_file", "stored_name"]

_STORED_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}(?:\.[A-Za-z0-9]{1,16})?")
# small mutable documents every process shares (the bulk archives' index), by fixed name only
DOCUMENTS = ("bulk/index.json",)


def relpath_for(sha256: str, suffix: str) -> str:
    """The stored name of bytes with this sha256: ``ab/cd/<sha256><suffix>``."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def stored_name(rel: str) -> bool:
    """True when ``rel`` has the shape :func:`relpath_for` makes (it cannot leave the store)."""
    return _STORED_NAME.fullmatch(rel) is not None


def adopt_outputs(store: ArtifactStore, artifacts: Iterable[Artifact]) -> dict[str, tuple[str, str, int]]:
    """Move an ingest's finished files into ``store``: kind -> (relative path, sha256, bytes).

    An artifact that was not written because its bytes are another file's behind a prefix
    (``same_bytes_as``: the Excel CSV, the BOM then the canonical CSV) records that file's
    path with its own sha256 and size: the bytes are stored once.
    """
    done: dict[str, tuple[str, str, int]] = {}
    stored_as: dict[str, str] = {}
    for art in sorted(artifacts, key=lambda a: a.same_bytes_as is not None):  # the files first
        if art.same_bytes_as is not None:
            done[art.kind] = (stored_as[art.same_bytes_as], art.sha256, art.bytes)
            continue
        rel, sha, nbytes = store.adopt(art.path, sha256=art.sha256, suffix=Path(art.path).suffix)
        stored_as[art.path] = rel
        done[art.kind] = (rel, sha, nbytes)
    return done


class ArtifactStore(Protocol):
    """What services use of an artifact store (local folder or object storage)."""

    def ensure(self) -> None:
        """Create what the store needs (folders; the bucket must exist already)."""

    def new_workdir(self, prefix: str = "job-") -> Path:
        """A fresh local temporary folder for a job's outputs (from which :meth:`adopt` is cheapest)."""

    def adopt(self, path: str | Path, *, sha256: str | None = None,
              suffix: str | None = None) -> tuple[str, str, int]:
        """Move a finished local file into the store; (relative path, sha256, bytes). The file is consumed."""

    def adopt_outputs(self, artifacts: Iterable[Artifact]) -> dict[str, tuple[str, str, int]]:
        """Move an ingest's finished files into the store (see :func:`adopt_outputs`)."""

    def put_stream(self, stream: BinaryIO, *, suffix: str = "") -> tuple[str, str, int]:
        """Copy a stream into the store; (relative path, sha256, bytes)."""

    def exists(self, rel: str) -> bool:
        """True when the store holds ``rel``."""

    def size(self, rel: str) -> int | None:
        """Bytes of ``rel``, None when the store does not hold it."""

    def open(self, rel: str) -> BinaryIO:
        """A seekable binary reader of ``rel`` (FileNotFoundError when missing)."""

    def read_bytes(self, rel: str) -> bytes:
        """The whole of a (small) stored file."""

    def local_path(self, rel: str) -> Path:
        """A local file holding the bytes of ``rel``: the stored file itself, or a verified cached copy."""

    def local_file(self, rel: str) -> Path | None:
        """The stored file itself when it is on this machine's filesystem (sendfile, X-Accel-Redirect); else None."""

    def presigned_url(self, rel: str, *, seconds: int, disposition: str, media_type: str) -> str | None:
        """A short-lived URL that sends ``rel`` without this app, or None when the store has none."""

    def read_document(self, name: str) -> bytes | None:
        """A shared mutable document (one of :data:`DOCUMENTS`), None when it was never written."""

    def write_document(self, name: str, body: bytes) -> None:
        """Replace a shared document at once: readers see the old one or the new one, never a mix."""

    def discard(self, rel: str) -> None:
        """Delete one stored file that nothing references any more (missing: nothing to do)."""

    def iter_files(self) -> Iterable[str]:
        """Relative paths of every stored file (temporary files excluded)."""

    def clean_orphans(self, referenced: set[str], *, dry_run: bool = False) -> list[str]:
        """Delete stored files nothing references, and leftovers of interrupted writes; what was removed."""


def document_name(name: str) -> str:
    """``name`` when it is one of the shared documents (ValueError otherwise)."""
    if name not in DOCUMENTS:
        raise ValueError(f"not a shared document: {name}")
    return name


class LocalArtifactStore:
    """Content-addressed files in a local folder (the embedded default)."""

    def __init__(self, root: str | Path, *, documents: str | Path | None = None):
        self.root = Path(root).absolute()  # never relative: Flask's send_file would join it to the app
        self.tmp = self.root / ".tmp"
        # shared documents live beside the artifacts folder: $OPENDATA_HOME/bulk/index.json
        self.documents = Path(documents).absolute() if documents is not None else self.root.parent

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def new_workdir(self, prefix: str = "job-") -> Path:
        """A fresh temporary folder on the same filesystem, for a job's outputs."""
        self.ensure()
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.tmp))

    relpath_for = staticmethod(relpath_for)

    def adopt(self, path: str | Path, *, sha256: str | None = None, suffix: str | None = None) -> tuple[str, str, int]:
        """Move a finished file into the store; returns (relative path, sha256, bytes).

        The file must already be on the store's filesystem (see :meth:`new_workdir`).
        """
        path = Path(path)
        if sha256 is None:
            sha256, size = sha256_file(path)
        else:
            size = path.stat().st_size
        rel = relpath_for(sha256, suffix if suffix is not None else "".join(path.suffixes[-1:]))
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            path.unlink()
        else:
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(path, target)
            fsync_dir(target.parent)
        return rel, sha256, size

    def adopt_outputs(self, artifacts: Iterable[Artifact]) -> dict[str, tuple[str, str, int]]:
        """Move an ingest's finished files into the store (see :func:`adopt_outputs`)."""
        return adopt_outputs(self, artifacts)

    def put_stream(self, stream: BinaryIO, *, suffix: str = "") -> tuple[str, str, int]:
        """Copy a stream into the store (temporary file, fsync, rename)."""
        self.ensure()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            return self.adopt(tmp_name, sha256=digest.hexdigest(), suffix=suffix)
        except BaseException:  # a full disk leaves no half-written file behind
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def path(self, rel: str) -> Path:
        """The local path of a stored file.

        A path of the shape :func:`relpath_for` makes cannot leave the store and is joined as it is
        (downloads call this on every request); any other is resolved and must stay inside the store.
        """
        if _STORED_NAME.fullmatch(rel):
            return self.root / rel
        resolved = (self.root / rel).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError(f"artifact path escapes the store: {rel}")
        return resolved

    local_path = path
    local_file = path

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def size(self, rel: str) -> int | None:
        try:
            return self.path(rel).stat().st_size
        except OSError:  # a lost file
            return None

    def open(self, rel: str) -> BinaryIO:
        return open(self.path(rel), "rb")  # noqa: SIM115 (the caller closes it)

    def read_bytes(self, rel: str) -> bytes:
        return self.path(rel).read_bytes()

    def presigned_url(self, rel: str, *, seconds: int, disposition: str, media_type: str) -> str | None:
        """None: a local folder has no URL of its own (X-Accel-Redirect is nginx's way to send it)."""
        return None

    def read_document(self, name: str) -> bytes | None:
        try:
            return (self.documents / document_name(name)).read_bytes()
        except FileNotFoundError:
            return None

    def write_document(self, name: str, body: bytes) -> None:
        target = self.documents / document_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)

    def discard(self, rel: str) -> None:
        self.path(rel).unlink(missing_ok=True)

    def iter_files(self) -> Iterable[str]:
        """Relative paths of every stored file (temporary files excluded)."""
        for p in self.root.rglob("*"):
            if p.is_file() and self.tmp not in p.parents:
                yield p.relative_to(self.root).as_posix()

    def clean_orphans(self, referenced: set[str], *, dry_run: bool = False) -> list[str]:
        """Delete stored files no database row references, and leftover temporary files."""
        removed = [rel for rel in self.iter_files() if rel not in referenced]
        leftovers = list(self.tmp.iterdir()) if self.tmp.exists() else []
        if not dry_run:
            for rel in removed:
                (self.root / rel).unlink(missing_ok=True)
            for p in leftovers:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        return removed + [f".tmp/{p.name}" for p in leftovers]
