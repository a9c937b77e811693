"""Counting what changed between two versions: by primary key, whole rows without one, schema changes."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.core.version_diff import diff_tables, schema_changes

FIELDS = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]


def _parquet(tmp_path, name: str, rows: dict) -> object:
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table(rows), path)
    return path


def test_rows_are_matched_by_primary_key(tmp_path):
    old = _parquet(tmp_path, "a", {"id": [1, 2, 3, 4], "name": ["a", "b", "c", "d"]})
    new = _parquet(tmp_path, "b", {"id": [2, 3, 4, 5, 6], "name": ["b", "C", "d", "e", "f"]})
    found = diff_tables(old, new, FIELDS, FIELDS, ["id"], ["id"])
    assert found["rows"] == {"before": 4, "after": 5, "added": 2, "removed": 1, "changed": 1, "unchanged": 2}
    assert found["matched_by"] == ["id"]


def test_without_a_shared_key_rows_compare_whole_and_changed_is_unknown(tmp_path):
    old = _parquet(tmp_path, "a", {"id": [1, 2, 2], "name": ["a", "b", "b"]})
    new = _parquet(tmp_path, "b", {"id": [1, 2, 3], "name": ["a", "b", "c"]})
    found = diff_tables(old, new, FIELDS, FIELDS, None, None)
    assert found["rows"]["added"] == 1 and found["rows"]["removed"] == 1 and found["rows"]["changed"] is None
    assert found["matched_by"] is None


def test_schema_changes_name_added_removed_and_retyped_fields():
    old = [{"name": "id", "type": "integer"}, {"name": "x", "type": "string"}, {"name": "d", "type": "date"}]
    new = [{"name": "id", "type": "number"}, {"name": "d", "type": "date", "format": "%Y/%m/%d"},
           {"name": "y", "type": "string"}]
    assert schema_changes(old, new) == {
        "added": ["y"], "removed": ["x"],
        "changed": [{"field": "d", "property": "format", "from": None, "to": "%Y/%m/%d"},
                    {"field": "id", "property": "type", "from": "integer", "to": "number"}]}


def test_a_new_column_counts_as_a_change_of_the_rows_that_fill_it(tmp_path):
    old = _parquet(tmp_path, "a", {"id": [1, 2], "name": ["a", "b"]})
    new = _parquet(tmp_path, "b", {"id": [1, 2], "name": ["a", "b"], "extra": [None, "x"]})
    found = diff_tables(old, new, FIELDS, [*FIELDS, {"name": "extra", "type": "string"}], ["id"], ["id"])
    assert found["rows"]["changed"] == 1 and found["schema"]["added"] == ["extra"]
