"""The artifact store: content-addressed files under ``$OPENDATA_HOME/artifacts``.

Files are written to a temporary name in the same filesystem, fsynced, then renamed into place;
the database points to them only after they are durable. A path is derived from the content's
sha256, so identical bytes are stored once. The scale-out mode swaps this class for one backed by
an fsspec URL (S3-compatible storage) with the same methods.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from opendata.core.files import CHUNK as _CHUNK
from opendata.core.files import fsync_dir, sha256_file

if TYPE_CHECKING:
    from opendata.core.writers import Artifact

__all__ = ["LocalArtifactStore", "fsync_dir", "sha256_file"]

_STORED_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}(?:\.[A-Za-z0-9]{1,16})?")


class LocalArtifactStore:
    """Content-addressed files in a local folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root).absolute()  # never relative: Flask's send_file would join it to the app
        self.tmp = self.root / ".tmp"

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def new_workdir(self, prefix: str = "job-") -> Path:
        """A fresh temporary folder on the same filesystem, for a job's outputs."""
        self.ensure()
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.tmp))

    @staticmethod
    def relpath_for(sha256: str, suffix: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"

    def adopt(self, path: str | Path, *, sha256: str | None = None, suffix: str | None = None) -> tuple[str, str, int]:
        """Move a finished file into the store; returns (relative path, sha256, bytes).

        The file must already be on the store's filesystem (see :meth:`new_workdir`).
        """
        path = Path(path)
        if sha256 is None:
            sha256, size = sha256_file(path)
        else:
            size = path.stat().st_size
        rel = self.relpath_for(sha256, suffix if suffix is not None else "".join(path.suffixes[-1:]))
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
        """Move an ingest's finished files into the store: kind -> (relative path, sha256, bytes).

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
            rel, sha, nbytes = self.adopt(art.path, sha256=art.sha256, suffix=Path(art.path).suffix)
            stored_as[art.path] = rel
            done[art.kind] = (rel, sha, nbytes)
        return done

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

        A path of the shape :meth:`relpath_for` makes cannot leave the store and is joined as it is
        (downloads call this on every request); any other is resolved and must stay inside the store.
        """
        if _STORED_NAME.fullmatch(rel):
            return self.root / rel
        resolved = (self.root / rel).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError(f"artifact path escapes the store: {rel}")
        return resolved

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

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
