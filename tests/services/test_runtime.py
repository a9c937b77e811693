"""The runtime owns every per-process part and closes them, jobs first."""

from __future__ import annotations

from opendata.config import load_config
from opendata.services.runtime import Runtime


class _Part:
    def __init__(self, name: str, log: list[str], method: str):
        self.name, self.log = name, log
        setattr(self, method, lambda **_: log.append(name))


def test_a_part_is_made_once_and_closed_with_the_runtime_in_order(tmp_path):
    rt = Runtime(load_config({}, HOME=str(tmp_path / "home")))
    log: list[str] = []
    made = []
    for name, method in (("search", "close"), ("usage", "close"), ("other", "close"), ("jobs", "shutdown")):
        made.append(rt.part(name, lambda n=name, m=method: _Part(n, log, m)))
    assert rt.part("usage", lambda: None) is made[1]  # made once
    rt.close()
    assert log == ["jobs", "usage", "search", "other"]
    assert rt.part("usage", lambda: "new") == "new"  # a closed runtime makes parts afresh


def test_two_runtimes_share_no_part(tmp_path):
    config = load_config({}, HOME=str(tmp_path / "home"))
    a, b = Runtime(config), Runtime(config)
    assert a.part("rows.dataset_of", dict) is not b.part("rows.dataset_of", dict)


def test_the_data_folder_layout_is_decided_in_one_place(tmp_path):
    folder = load_config({}, HOME=str(tmp_path)).folder
    assert {p.name for p in (folder.database, folder.artifacts, folder.uploads, folder.bulk, folder.search_index,
                             folder.cache)} == {"opendata.db", "artifacts", "uploads", "bulk", "search.sqlite3", "cache"}
    assert all(p.parent == tmp_path.resolve() for p in (folder.database, folder.uploads, folder.bulk))


def test_making_a_part_may_ask_for_another(tmp_path):
    rt = Runtime(load_config({}, HOME=str(tmp_path / "home")))
    outer = rt.part("outer", lambda: ("outer", rt.part("inner", lambda: "inner")))
    assert outer == ("outer", "inner") and rt.part("inner", lambda: None) == "inner"
