"""A report's task names the source file by its base name (or the name given), in a Frictionless-valid shape."""

from __future__ import annotations

import frictionless
import pytest

from opendata.core.pipeline import run_pipeline
from opendata.core.report import public_place, public_report
from tests.core.ingest_helpers import make_schema

SCHEMA = make_schema({"name": "id", "type": "integer"}, {"name": "name", "type": "string"}, primaryKey="id")


def _frictionless_problems(report: dict) -> list:
    return [note for (note,) in frictionless.Report.validate_descriptor(report).flatten(["note"])]


@pytest.mark.parametrize("body", ["id,name\n1,a\n2,b\n", "id,name\nx,a\n1,b\n1,c\n"])
def test_report_place_is_the_given_source_name_and_the_report_stays_frictionless_valid(tmp_path, body):
    upload = tmp_path / "uploads" / "6c41ec73.upload"
    upload.parent.mkdir()
    upload.write_text(body, encoding="utf-8")
    result = run_pipeline(upload, SCHEMA, tmp_path / "out", format="csv", source_name="预算 Budget-2025.csv")
    (task,) = result.report["tasks"]
    assert task["place"] == "预算 Budget-2025.csv" and task["name"] == "budget-2025"
    assert str(tmp_path) not in str(result.report)
    assert _frictionless_problems(result.report) == []


def test_without_a_source_name_the_report_has_the_base_name_of_the_path(tmp_path):
    src = tmp_path / "data" / "in.csv"
    src.parent.mkdir()
    src.write_text("id,name\n1,a\n", encoding="utf-8")
    (task,) = run_pipeline(src, SCHEMA, tmp_path / "out").report["tasks"]
    assert (task["place"], task["name"]) == ("in.csv", "in")


@pytest.mark.parametrize(("stored", "shown"), [
    ("/srv/home/uploads/0f3a.upload", "0f3a.upload"), (r"C:\home\uploads\b.csv", "b.csv"),
    ("budget-2025.csv", "budget-2025.csv"), ("<memory>", "<memory>"), ("dir/", "dir"),
])
def test_public_place_keeps_only_the_last_component(stored, shown):
    assert public_place(stored) == shown


def test_public_report_reduces_every_task_place_and_leaves_the_stored_report_alone():
    stored = {"valid": True, "stats": {}, "warnings": [], "errors": [],
              "tasks": [{"name": "a", "place": "/srv/home/uploads/a.upload", "valid": True}, {"name": "b"}]}
    shown = public_report(stored)
    assert shown["tasks"] == [{"name": "a", "place": "a.upload", "valid": True}, {"name": "b"}]
    assert stored["tasks"][0]["place"] == "/srv/home/uploads/a.upload"
    assert public_report(None) is None and public_report({"valid": False}) == {"valid": False}
