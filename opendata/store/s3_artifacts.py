"""The artifact store in S3-compatible object storage (the scale-out mode), through boto3.

Every replica and worker sees the same objects, named ``<prefix><ab/cd/sha256.suffix>`` as in the
local folder. A write is visible only when complete and verified:

1. the bytes go to a temporary key ``<prefix>.tmp/<uuid>``: one PutObject carrying the file's
   SHA-256 (``x-amz-checksum-sha256``, which S3 checks before it keeps the object), or a multipart
   upload whose every part carries its own SHA-256 and which is completed only after the sha256 of
   all the bytes sent equals the expected one (else it is aborted: no object at all);
2. the temporary object is verified: by the checksum the server echoes when it computed one (S3,
   MinIO), else by reading it back and hashing it (servers that ignore checksums);
3. it is copied, server-side, to its final key and the temporary key is deleted.

So the final key only ever holds verified bytes, and the database points to it only after that.
A crash leaves at most a temporary key or an unfinished multipart upload: ``opendata clean`` removes
both. Readers that need a local file (DuckDB: the row engine's prepared database, the Parquet a
profile reads) get a cached copy under the cache folder, verified against the sha256 in its name.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from opendata.core.errors import ArtifactStoreError
from opendata.core.files import CHUNK, sha256_file
from opendata.store.artifacts import adopt_outputs, document_name, relpath_for, stored_name

if TYPE_CHECKING:
    from opendata.core.writers import Artifact

TMP = ".tmp/"
_MB = 1024 * 1024


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


class S3ArtifactStore:
    """Content-addressed objects in one bucket under one key prefix."""

    def __init__(self, *, bucket: str, prefix: str = "", cache_dir: str | Path, endpoint_url: str = "",
                 region: str = "", access_key_id: str = "", secret_access_key: str = "",
                 part_bytes: int = 64 * _MB):
        try:
            import boto3
            from botocore.config import Config as BotoConfig
        except ImportError:  # the extra is not installed: say which
            raise ArtifactStoreError("object storage needs boto3: pip install 'opendata[s3]'") from None
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket, self.prefix = bucket, prefix
        self.cache = Path(cache_dir).absolute()
        self.part_bytes = max(5 * _MB, part_bytes)  # S3's smallest part (but the last)
        # path-style addressing works with every S3-compatible server; s3v4 signs presigned URLs
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(signature_version="s3v4", s3={"addressing_style": "path"},
                              retries={"max_attempts": 5, "mode": "standard"}))
        self._sizes: dict[str, int] = {}  # stored objects never change: their sizes are kept
        self._sizes_lock = threading.Lock()

    # -- names -----------------------------------------------------------------------------------

    def _key(self, rel: str) -> str:
        if not stored_name(rel):
            raise ValueError(f"not a stored artifact name: {rel}")
        return self.prefix + rel

    def ensure(self) -> None:
        """Check that the bucket answers (it is created by the operator, with its own access policy)."""
        self.cache.mkdir(parents=True, exist_ok=True)
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise ArtifactStoreError(f"the artifact bucket '{self.bucket}' cannot be used: {exc}") from exc

    def new_workdir(self, prefix: str = "job-") -> Path:
        """A fresh local temporary folder (uploaded from by :meth:`adopt`)."""
        (self.cache / ".tmp").mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.cache / ".tmp"))

    relpath_for = staticmethod(relpath_for)

    # -- writing ---------------------------------------------------------------------------------

    def adopt(self, path: str | Path, *, sha256: str | None = None, suffix: str | None = None) -> tuple[str, str, int]:
        """Upload a finished local file (verified, then visible) and delete it; (relative path, sha256, bytes)."""
        path = Path(path)
        if sha256 is None:
            sha256, size = sha256_file(path)
        else:
            size = path.stat().st_size
        rel = relpath_for(sha256, suffix if suffix is not None else "".join(path.suffixes[-1:]))
        if self.size(rel) != size:  # identical bytes are stored once
            self._publish(path, rel, sha256, size)
        path.unlink(missing_ok=True)
        return rel, sha256, size

    def adopt_outputs(self, artifacts: Iterable[Artifact]) -> dict[str, tuple[str, str, int]]:
        """Upload an ingest's finished files (see :func:`opendata.store.artifacts.adopt_outputs`)."""
        return adopt_outputs(self, artifacts)

    def put_stream(self, stream: BinaryIO, *, suffix: str = "") -> tuple[str, str, int]:
        """Spool a stream to a local file while hashing it, then :meth:`adopt` it."""
        workdir = self.new_workdir(prefix="put-")
        try:
            spool, digest = workdir / "body", hashlib.sha256()
            with open(spool, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            return self.adopt(spool, sha256=digest.hexdigest(), suffix=suffix)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _publish(self, path: Path, rel: str, sha256: str, size: int) -> None:
        tmp = f"{self.prefix}{TMP}{uuid.uuid4().hex}"
        try:
            if size <= self.part_bytes:
                with open(path, "rb") as fh:
                    echoed = self.client.put_object(Bucket=self.bucket, Key=tmp, Body=fh,
                                                    ChecksumSHA256=_b64(sha256)).get("ChecksumSHA256")
                expected = _b64(sha256)
            else:
                echoed, expected = self._multipart(path, tmp, sha256)
            if echoed != expected:  # the server did not check the bytes itself: read them back
                stored, stored_size = self._sha256_of(tmp)
                if (stored, stored_size) != (sha256, size):
                    raise ArtifactStoreError(f"the object store holds other bytes than were written for {rel} "
                                             f"(sha256 {stored}, {stored_size} bytes; expected {sha256}, {size})")
            self.client.copy({"Bucket": self.bucket, "Key": tmp}, self.bucket, self._key(rel))
        finally:
            with contextlib.suppress(Exception):  # clean removes it later if this fails too
                self.client.delete_object(Bucket=self.bucket, Key=tmp)
        with self._sizes_lock:
            self._sizes[rel] = size

    def _multipart(self, path: Path, key: str, sha256: str) -> tuple[str | None, str]:
        """Upload in parts, each with its SHA-256; complete only if all the bytes sent hash to ``sha256``.

        Returns (the checksum the server computed, the composite one it should be: sha256 of the
        parts' digests, ``-N``).
        """
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256")
        upload_id, whole, parts = upload["UploadId"], hashlib.sha256(), []
        try:
            with open(path, "rb") as fh:
                while part := fh.read(self.part_bytes):
                    whole.update(part)
                    digest = hashlib.sha256(part).digest()
                    answer = self.client.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=part,
                        ChecksumSHA256=base64.b64encode(digest).decode("ascii"))
                    parts.append((answer["ETag"], digest))
            if whole.hexdigest() != sha256:
                raise ArtifactStoreError(f"{path.name} changed while it was uploaded (sha256 {whole.hexdigest()}, "
                                         f"expected {sha256})")
            done = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": n + 1,
                                            "ChecksumSHA256": base64.b64encode(d).decode("ascii")}
                                           for n, (etag, d) in enumerate(parts)]})
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        composite = hashlib.sha256(b"".join(d for _etag, d in parts)).digest()
        return done.get("ChecksumSHA256"), f"{base64.b64encode(composite).decode('ascii')}-{len(parts)}"

    def _sha256_of(self, key: str) -> tuple[str, int]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        digest, size = hashlib.sha256(), 0
        with contextlib.closing(body):
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    # -- reading ---------------------------------------------------------------------------------

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def size(self, rel: str) -> int | None:
        found = self._sizes.get(rel)
        if found is None:
            head = self._head(self._key(rel))
            if head is None:
                return None
            found = int(head["ContentLength"])
            with self._sizes_lock:
                if len(self._sizes) > 100_000:
                    self._sizes.clear()
                self._sizes[rel] = found
        return found

    def exists(self, rel: str) -> bool:
        return self.size(rel) is not None

    def open(self, rel: str) -> BinaryIO:
        size = self.size(rel)
        if size is None:
            raise FileNotFoundError(f"artifact {rel} is not in the object store")
        return ObjectReader(self.client, self.bucket, self._key(rel), size)  # type: ignore[return-value]

    def read_bytes(self, rel: str) -> bytes:
        with self.open(rel) as fh:
            return fh.read()

    def local_file(self, rel: str) -> Path | None:
        return None  # nothing of the store is on this machine's filesystem

    def local_path(self, rel: str) -> Path:
        """A cached local copy (downloaded once, verified against the sha256 its name carries)."""
        target = self.cache / "objects" / rel
        if target.is_file():
            return target
        expected = Path(rel).name.split(".", 1)[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self.open(rel) as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected:
                raise ArtifactStoreError(f"the object store sent other bytes than {rel} (sha256 {digest.hexdigest()})")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def presigned_url(self, rel: str, *, seconds: int, disposition: str, media_type: str) -> str | None:
        """A GET URL signed for ``seconds`` that names the file and its type in the store's answer."""
        return self.client.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": self._key(rel), "ResponseContentDisposition": disposition,
                    "ResponseContentType": media_type})

    # -- shared documents, listing, cleaning -----------------------------------------------------

    def read_document(self, name: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + document_name(name))["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        with contextlib.closing(body):
            return body.read()

    def write_document(self, name: str, body: bytes) -> None:
        """One PutObject (readers see the old object or the new one), its SHA-256 checked by the server."""
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + document_name(name), Body=body,
                               ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"))

    def discard(self, rel: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(rel))
        with self._sizes_lock:
            self._sizes.pop(rel, None)
        (self.cache / "objects" / rel).unlink(missing_ok=True)

    def _keys(self, prefix: str) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def iter_files(self) -> Iterable[str]:
        """Stored names of every artifact object (temporary keys and shared documents excluded)."""
        for key in self._keys(self.prefix):
            rel = key[len(self.prefix):]
            if stored_name(rel):
                yield rel

    def clean_orphans(self, referenced: set[str], *, dry_run: bool = False) -> list[str]:
        """Delete unreferenced objects, temporary keys, unfinished multipart uploads and stale cached copies."""
        removed = [rel for rel in self.iter_files() if rel not in referenced]
        leftovers = list(self._keys(self.prefix + TMP))
        uploads = [(u["Key"], u["UploadId"]) for page in self.client.get_paginator("list_multipart_uploads")
                   .paginate(Bucket=self.bucket, Prefix=self.prefix) for u in page.get("Uploads", [])]
        if not dry_run:
            for rel in removed:
                self.discard(rel)
            for key in leftovers:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            for key, upload_id in uploads:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            objects = self.cache / "objects"
            for cached in objects.rglob("*") if objects.exists() else ():
                if cached.is_file() and cached.relative_to(objects).as_posix() not in referenced:
                    cached.unlink(missing_ok=True)
        return (removed + [k[len(self.prefix):] for k in leftovers]
                + [f"{k[len(self.prefix):]} (unfinished upload)" for k, _ in uploads])


class ObjectReader:
    """A seekable reader of one object: each read continues one ranged GET from the position it
    started at; a seek elsewhere closes it and the next read starts another."""

    def __init__(self, client: Any, bucket: str, key: str, size: int):
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos, self._body, self._body_pos = 0, None, -1

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._size or size == 0:
            return b""
        if self._body is None or self._body_pos != self._pos:
            self._close_body()
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-")
            self._body, self._body_pos = answer["Body"], self._pos
        data = self._body.read(None if size is None or size < 0 else size)
        self._pos += len(data)
        self._body_pos = self._pos
        return data

    def _close_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._close_body()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
