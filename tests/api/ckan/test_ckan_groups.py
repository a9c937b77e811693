"""group_list and group_show: our themes as CKAN groups, the same groups package dicts list.

The catalogue's listed packages: budget and pending (fiscal), bus-lines (transport), subsidies
(agricultural-subsidies), penalties (administrative-penalties); retired (fiscal) is withdrawn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

from opendata.core import vocab

THEMES = sorted(vocab.keys("theme"))
COUNTS = {"fiscal": 2, "transport": 1, "agricultural-subsidies": 1, "administrative-penalties": 1}


def test_group_list_names_every_theme_by_name(ckan):
    assert ckan.action.group_list() == THEMES
    assert ckan.action.group_list(limit=3, offset=2) == THEMES[2:5]
    assert ckan.action.group_list(groups=["transport", "fiscal", "nope"]) == ["fiscal", "transport"]


def test_group_list_all_fields_counts_listed_packages(ckan):
    groups = {g["name"]: g for g in ckan.action.group_list(all_fields=True)}
    assert sorted(groups) == THEMES
    assert {k: g["package_count"] for k, g in groups.items() if g["package_count"]} == COUNTS
    fiscal = groups["fiscal"]
    assert fiscal["id"] == "fiscal" and fiscal["title"] == fiscal["display_name"] == "财政预决算"
    assert fiscal["description"] == "Budgets and final accounts"
    assert fiscal["type"] == "group" and fiscal["is_organization"] is False and fiscal["state"] == "active"


@pytest.mark.parametrize("sort,expected", [
    ("name desc", THEMES[::-1][:3]),
    ("package_count desc", ["fiscal", "administrative-penalties", "agricultural-subsidies"]),
    ("title", sorted(THEMES, key=lambda k: vocab.lookup("theme", k).zh)[:3]),
])
def test_group_list_sort(ckan, sort, expected):
    assert ckan.action.group_list(sort=sort, limit=3) == expected


def test_group_show_matches_the_groups_of_packages(ckan):
    pkg = ckan.action.package_show(id="bus-lines")
    group = ckan.action.group_show(id=pkg["groups"][0]["name"])
    assert {k: group[k] for k in pkg["groups"][0]} == pkg["groups"][0]
    assert group["package_count"] == 1 and "packages" not in group


def test_group_show_include_datasets(ckan):
    group = ckan.action.group_show(id="fiscal", include_datasets=True)
    assert [p["name"] for p in group["packages"]] == ["budget", "pending"]
    assert group["package_count"] == 2
    assert ckan.action.group_show(id="health", include_datasets=True)["packages"] == []


def test_group_errors(ckan):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_show(id="nope")
    with pytest.raises(ckanapi.ValidationError) as info:
        ckan.action.group_show()
    assert "id" in info.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as info:
        ckan.action.group_list(sort="colour")
    assert "sort" in info.value.error_dict


def test_ckanapi_dump_groups(server, tmp_path):
    """The command that failed with 'Action name not known: group_list'."""
    bindir = str(Path(sys.executable).parent)  # dump starts its workers as `ckanapi` from PATH
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    out = tmp_path / "groups.jsonl"
    done = subprocess.run([os.path.join(bindir, "ckanapi"), "dump", "groups", "--all", "-p", "1", "-q",
                           "-O", str(out), "-r", server], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    dumped = {g["name"]: g for g in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert sorted(dumped) == THEMES and dumped["fiscal"]["package_count"] == 2
