"""The artifact store's contract, on the local folder and on a real S3 endpoint (moto's server).

Writes are verified by sha256 and visible only when complete; reads (whole, ranged, cached copies)
give back the stored bytes; ``clean`` removes what nothing references and every leftover of an
interrupted write.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from opendata.core.errors import ArtifactStoreError
from opendata.store.artifacts import LocalArtifactStore, relpath_for
from opendata.store.s3_artifacts import S3ArtifactStore

MB = 1024 * 1024


def _bytes(n: int, seed: int = 42) -> bytes:
    return random.Random(seed).randbytes(n)


def _s3_store(s3_server, tmp_path, bucket=None, **kw) -> S3ArtifactStore:
    settings = s3_server.settings(bucket or s3_server.new_bucket())
    return S3ArtifactStore(bucket=settings["S3_BUCKET"], prefix=kw.pop("prefix", "site/"), cache_dir=tmp_path / "cache",
                           endpoint_url=s3_server.endpoint, region="us-east-1", access_key_id="testing",
                           secret_access_key="testing", part_bytes=5 * MB, **kw)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    return _s3_store(request.getfixturevalue("s3_server"), tmp_path)


def _adopt(store, body: bytes, suffix: str = ".csv"):
    path = store.new_workdir() / f"file{suffix}"
    path.write_bytes(body)
    return store.adopt(path)


def test_a_stored_file_reads_back_whole_and_by_range_under_its_sha256_name(store):
    body = _bytes(300_000)
    rel, sha, size = _adopt(store, body)
    assert (rel, sha, size) == (relpath_for(hashlib.sha256(body).hexdigest(), ".csv"), hashlib.sha256(body).hexdigest(),
                                len(body))
    assert store.exists(rel) and store.size(rel) == len(body) and store.read_bytes(rel) == body
    with store.open(rel) as fh:
        fh.seek(1000)
        assert fh.read(10) == body[1000:1010]
        assert fh.read(5) == body[1010:1015]  # the same ranged read goes on
        fh.seek(len(body) - 7)
        assert fh.read() == body[-7:]
        assert fh.read(3) == b""
    assert store.local_path(rel).read_bytes() == body
    assert not store.exists(relpath_for("0" * 64, ".csv")) and store.size(relpath_for("0" * 64, ".csv")) is None


def test_identical_bytes_are_stored_once(store):
    body = _bytes(1000)
    first, _, _ = _adopt(store, body)
    again, _, _ = store.put_stream(io.BytesIO(body), suffix=".csv")
    assert first == again and list(store.iter_files()) == [first]


def test_a_file_larger_than_a_part_is_uploaded_in_verified_parts_and_leaves_nothing_behind(tmp_path, s3_server):
    store = _s3_store(s3_server, tmp_path)
    body = _bytes(11 * MB + 123)
    rel, sha, size = _adopt(store, body, ".parquet")
    assert store.read_bytes(rel) == body and size == len(body)
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=store.bucket).get("Contents", [])]
    assert keys == [f"site/{rel}"]  # no temporary key
    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


@pytest.mark.parametrize("size", [1000, 6 * MB], ids=["one-put", "multipart"])
def test_bytes_that_do_not_match_their_sha256_never_become_visible(tmp_path, s3_server, size):
    store = _s3_store(s3_server, tmp_path)
    path = store.new_workdir() / "data.csv"
    path.write_bytes(_bytes(size))
    claimed = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(ArtifactStoreError, match="sha256"):
        store.adopt(path, sha256=claimed, suffix=".csv")
    client = s3_server.client()
    assert client.list_objects_v2(Bucket=store.bucket).get("Contents", []) == []
    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_a_cached_copy_that_does_not_match_its_name_is_refused(tmp_path, s3_server):
    store = _s3_store(s3_server, tmp_path)
    rel, _, _ = _adopt(store, b"id\n1\n")
    s3_server.client().put_object(Bucket=store.bucket, Key=f"site/{rel}", Body=b"id\n2\n")  # behind the store's back
    with pytest.raises(ArtifactStoreError, match="other bytes"):
        store.local_path(rel)
    assert not any(p.is_file() for p in (tmp_path / "cache" / "objects").rglob("*"))


def test_a_presigned_url_sends_the_object_with_the_name_and_type_asked_for(tmp_path, s3_server):
    store = _s3_store(s3_server, tmp_path)
    body = _bytes(5000)
    rel, _, _ = _adopt(store, body)
    url = store.presigned_url(rel, seconds=60, disposition='attachment; filename="b.csv"', media_type="text/csv")
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-19"})) as answer:
        assert answer.status == 206 and answer.read() == body[10:20]
        assert answer.headers["Content-Disposition"] == 'attachment; filename="b.csv"'
    assert LocalArtifactStore(tmp_path / "a").presigned_url(rel, seconds=60, disposition="", media_type="") is None


def test_a_shared_document_is_replaced_whole_and_only_known_names_are_documents(store):
    assert store.read_document("bulk/index.json") is None
    store.write_document("bulk/index.json", b'{"a": 1}')
    store.write_document("bulk/index.json", b'{"a": 2}')
    assert store.read_document("bulk/index.json") == b'{"a": 2}'
    with pytest.raises(ValueError, match="shared document"):
        store.write_document("../x", b"")
    assert list(store.iter_files()) == []  # a document is not an artifact


def test_clean_removes_unreferenced_files_and_leftovers_of_interrupted_writes(tmp_path, s3_server):
    store = _s3_store(s3_server, tmp_path)
    kept, _, _ = _adopt(store, b"kept")
    orphan, _, _ = _adopt(store, b"orphan")
    store.local_path(orphan)
    client = s3_server.client()
    client.put_object(Bucket=store.bucket, Key="site/.tmp/abandoned", Body=b"half")
    client.create_multipart_upload(Bucket=store.bucket, Key="site/.tmp/unfinished")
    listed = store.clean_orphans({kept}, dry_run=True)
    assert sorted(listed) == sorted([orphan, ".tmp/abandoned", ".tmp/unfinished (unfinished upload)"])
    assert store.exists(orphan)
    store.clean_orphans({kept})
    assert list(store.iter_files()) == [kept]
    assert [o["Key"] for o in client.list_objects_v2(Bucket=store.bucket)["Contents"]] == [f"site/{kept}"]
    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    assert not (tmp_path / "cache" / "objects" / orphan).exists()


CRASH = textwrap.dedent('''
    import os, sys
    from opendata.store.s3_artifacts import S3ArtifactStore

    store = S3ArtifactStore(bucket=sys.argv[1], prefix="site/", cache_dir=sys.argv[2], endpoint_url=sys.argv[3],
                            region="us-east-1", access_key_id="testing", secret_access_key="testing", part_bytes=5 << 20)
    send_part = store.client.upload_part

    def upload_part(**kw):  # the process dies (no cleanup runs) as it is about to send the second part
        if kw["PartNumber"] == 2:
            os._exit(9)
        return send_part(**kw)

    store.client.upload_part = upload_part
    path = store.new_workdir() / "data.parquet"
    path.write_bytes(os.urandom(12 << 20))
    store.adopt(path)
    print("not killed")
''')


def test_a_process_killed_during_an_upload_leaves_no_object_only_leftovers_clean_removes(tmp_path, s3_server):
    bucket = s3_server.new_bucket()
    done = subprocess.run([sys.executable, "-c", CRASH, bucket, str(tmp_path / "cache"), s3_server.endpoint],
                          capture_output=True, text=True, timeout=120, env={**os.environ})
    assert done.returncode == 9, done.stderr
    store = _s3_store(s3_server, tmp_path, bucket=bucket)
    assert list(store.iter_files()) == []  # nothing under a final name
    leftovers = store.clean_orphans(set())
    assert any("unfinished upload" in item for item in leftovers)
    assert s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_init_checks_the_bucket_and_names_it_when_it_cannot_be_used(tmp_path, s3_server, monkeypatch):
    from click.testing import CliRunner

    from opendata.cli import main

    monkeypatch.setenv("OPENDATA_HOME", str(tmp_path / "home"))
    for name, value in s3_server.settings("no-such-bucket").items():
        monkeypatch.setenv(f"OPENDATA_{name}", str(value))
    missing = CliRunner().invoke(main, ["init"])
    assert missing.exit_code == 1 and "the artifact bucket 'no-such-bucket' cannot be used" in missing.output
    monkeypatch.setenv("OPENDATA_S3_BUCKET", s3_server.new_bucket())
    done = CliRunner().invoke(main, ["init"])
    assert done.exit_code == 0, done.output


def test_object_storage_without_a_bucket_is_refused_at_start_up():
    from opendata.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="OPENDATA_S3_BUCKET is required"):
        load_config({"OPENDATA_ARTIFACT_STORE": "s3"})
    with pytest.raises(ConfigError, match="must be local or s3"):
        load_config({"OPENDATA_ARTIFACT_STORE": "gcs"})
