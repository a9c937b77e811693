"""A validation report counts every error but stays small: first N errors in full, a byte cap."""

from __future__ import annotations

import json
import random
import resource

from opendata.core.childprocess import run_in_child
from opendata.core.pipeline import run_pipeline
from opendata.core.readers.base import EXTRA_CELLS_LISTED
from opendata.core.report import MAX_REPORT_BYTES, MAX_WARNINGS, Error, ReportBuilder
from opendata.core.report_bounds import ERRORS_WITH_CELLS, bound_report, json_size
from opendata.core.tableschema import load_table_schema
from opendata.core.validation import ValidationLimits, validate_table
from opendata.core.validation.uniqueness import UniquenessTracker

SIMPLE = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "name"}],
                            "primaryKey": ["id"]})


def _size(report) -> int:
    return len(json.dumps(report.to_descriptor(), ensure_ascii=False).encode("utf-8"))


def test_label_errors_of_a_wide_header_with_long_labels_fit_the_cap():
    rnd = random.Random(42)
    labels = ["".join(rnd.choices("数据字段名称", k=2_000)) + str(i) for i in range(2_000)]
    builder = ReportBuilder(name="wide", place="wide.csv", limit_errors=5_000)
    builder.labels = labels
    builder.add_errors([Error("extra-label", label=label, field_number=i + 3, labels=tuple(labels))
                        for i, label in enumerate(labels)])
    report = builder.build()
    task = report.task
    assert _size(report) <= MAX_REPORT_BYTES
    assert task["stats"]["errors"] == 2_000 and task["errorSummary"] == {"extra-label": 2_000}
    assert task["truncated"] is True and 0 < len(task["errors"]) < 2_000
    assert all(len(label) <= 500 for label in task["labels"])


def test_cells_are_dropped_from_later_errors_before_errors_are_dropped():
    errors = [Error("type-error", "bad", row_number=i, field_number=1, field_name="a", cell="x",
                    cells=tuple("y" * 40 for _ in range(200))) for i in range(2, 102)]
    builder = ReportBuilder(name="t", place="t.csv", max_bytes=300_000)
    builder.add_errors(errors)
    task = builder.build().task
    assert len(task["errors"]) == 100  # every kept error still listed
    assert all(e["cells"] for e in task["errors"][:ERRORS_WITH_CELLS])
    assert not any(e["cells"] for e in task["errors"][ERRORS_WITH_CELLS:])


def test_a_report_is_never_larger_than_its_cap_whatever_it_holds():
    descriptor = {"valid": False, "stats": {}, "warnings": [], "errors": [], "tasks": [{
        "errors": [{"type": "x", "note": "n" * 10_000} for _ in range(50)], "labels": ["l" * 400] * 2_000,
        "warnings": ["w" * 400] * 100, "normalization": [{"field": "f" * 300}] * 500, "errorCounts": []}]}
    bounded = bound_report(descriptor, 50_000)
    assert json_size(bounded) <= 50_000 and bounded["tasks"][0]["truncated"] is True


def test_warnings_are_kept_up_to_a_hundred_and_all_counted():
    builder = ReportBuilder(name="t", place="t.csv")
    for i in range(250):
        builder.add_warning(f"warning {i} " + "z" * 1_000)
    task = builder.build().task
    assert len(task["warnings"]) == MAX_WARNINGS and task["stats"]["warnings"] == 250
    assert all(len(w) <= 500 for w in task["warnings"])


def test_200000_rows_repeating_one_key_give_the_first_errors_and_a_count(tmp_path):
    path = tmp_path / "same.csv"
    path.write_text("id,name\n" + "".join(f"1,n{i}\n" for i in range(200_000)), encoding="utf-8")
    for limits in (None, ValidationLimits(key_flush_rows=50_000)):  # in Arrow, and spilled to DuckDB
        task = validate_table(path, SIMPLE, limits=limits, limit_errors=100).task
        assert task["errorSummary"] == {"primary-key": 199_999}
        assert task["errorCounts"] == [{"type": "primary-key", "count": 199_999}]
        assert [e["rowNumber"] for e in task["errors"]] == list(range(3, 103))
        assert task["errors"][0]["note"] == "the same as in the row at position 2"


def test_the_uniqueness_tracker_returns_at_most_the_limit_and_the_total():
    import pyarrow as pa

    tracker = UniquenessTracker(flush_rows=10)
    try:
        for start in range(0, 100, 25):
            numbers = pa.array(range(start + 2, start + 27), pa.int64())
            tracker.add("k", numbers, [pa.array([7] * 25, pa.int64())])
        found, total = tracker.duplicates("k", limit=5)
        assert total == 99 and found.column("rn").to_pylist() == [3, 4, 5, 6, 7]
    finally:
        tracker.close()


def test_extra_cells_beyond_those_listed_are_counted_in_the_report(tmp_path):
    path = tmp_path / "ragged.csv"
    rows = [f"{i},a" + ",x" * 1_500 for i in range(10)]
    path.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    task = validate_table(path, SIMPLE, limit_errors=10).task
    assert task["errorSummary"] == {"extra-cell": 15_000}
    assert EXTRA_CELLS_LISTED < 15_000  # some were counted without being listed
    assert len(task["errors"]) == 10


def pipeline_in_address_space(limit_bytes: int, *args, **kwargs):
    """run_pipeline in a process whose address space is capped at ``limit_bytes`` in all."""
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return run_pipeline(*args, **kwargs)


def test_200000_rows_repeating_one_key_go_through_the_whole_pipeline_within_2_gib_of_address_space(tmp_path):
    # the case: before the bounds, this file raised MemoryError under a 2 GiB address-space cap
    path = tmp_path / "same.csv"
    path.write_text("id,name\n" + "".join(f"1,n{i}\n" for i in range(200_000)), encoding="utf-8")
    result = run_in_child(pipeline_in_address_space, 2 * 1024**3, path, SIMPLE, tmp_path / "out",
                          memory_bytes=512 * 1024**2)
    task = result.report["tasks"][0]
    assert result.report["valid"] is False and task["errorSummary"] == {"primary-key": 199_999}
    assert len(task["errors"]) == 1_000 and json_size(result.report) <= MAX_REPORT_BYTES
