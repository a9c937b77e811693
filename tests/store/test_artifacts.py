"""The local artifact store's paths: absolute, inside the store, cheap for the names it makes."""

from __future__ import annotations

import hashlib

import pytest

from opendata.store.artifacts import LocalArtifactStore


def test_a_stored_file_has_an_absolute_path_inside_the_store_even_from_a_relative_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = LocalArtifactStore("var/artifacts")
    source = store.new_workdir() / "data.csv"
    source.write_bytes(b"id\n1\n")
    rel, sha256, size = store.adopt(source)
    assert (rel, sha256, size) == (LocalArtifactStore.relpath_for(hashlib.sha256(b"id\n1\n").hexdigest(), ".csv"),
                                   hashlib.sha256(b"id\n1\n").hexdigest(), 5)
    path = store.path(rel)
    assert path.is_absolute() and path == tmp_path / "var" / "artifacts" / rel
    assert path.read_bytes() == b"id\n1\n"


@pytest.mark.parametrize("rel", ["../outside.csv", "ab/cd/../../../outside.csv", "/etc/passwd",
                                 "ab/cd/" + "0" * 64 + "/../../../../x"])
def test_a_path_that_leaves_the_store_is_refused(tmp_path, rel):
    store = LocalArtifactStore(tmp_path / "artifacts")
    with pytest.raises(ValueError, match="escapes the store"):
        store.path(rel)


def test_another_name_inside_the_store_is_resolved(tmp_path):
    store = LocalArtifactStore(tmp_path / "artifacts")
    assert store.path("bulk/all.zip") == (tmp_path / "artifacts" / "bulk" / "all.zip").resolve()
