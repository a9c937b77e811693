"""File helpers shared by the pipeline and the stores: digests and durable renames."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1024 * 1024
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark: what tells Excel a CSV is UTF-8


def sha256_file(path: str | Path) -> tuple[str, int]:
    """sha256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def fsync_dir(path: str | Path) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
