"""A virtual row-number column (CKAN's ``_id``): 1-based in row-id order, selectable, sortable, filterable."""

from __future__ import annotations

import pytest

from opendata.core.errors import ValidationError


def _walk(engine, version, args):
    out, args = [], dict(args)
    while True:
        result = engine.query(version, args, row_id="_id")
        out.extend(result.rows)
        if result.next_cursor is None:
            return out, result
        args["next"] = result.next_cursor


def test_row_id_is_the_first_column_numbering_rows_in_primary_key_order(engine, small_frame):
    result = engine.query("small", {"limit": "10000"}, row_id="_id")
    assert result.columns[0] == "_id" and result.columns[1:] == tuple(c for c in small_frame.columns)
    assert [r[0] for r in result.rows] == list(range(1, len(small_frame) + 1))
    assert [r[1] for r in result.rows] == small_frame.id.tolist()
    assert "_id" not in engine.query("small", {"limit": "1"}).columns  # only when asked for


@pytest.mark.parametrize("sort", ["_id", "-_id", "cat,_id", "-amount,-_id", "_id,amount"])
def test_keyset_walks_sorted_by_row_id_return_every_row_once(engine, small_frame, sort):
    rows, _ = _walk(engine, "small", {"sort": sort, "fields": "_id,id,cat,amount", "limit": "9"})
    frame = small_frame.assign(_id=range(1, len(small_frame) + 1))
    keys = [(k.lstrip("-"), k.startswith("-")) for k in sort.split(",")]
    expected = frame.sort_values([c for c, _ in keys], ascending=[not d for _, d in keys], na_position="last",
                                 kind="mergesort")._id.tolist()
    assert [r[0] for r in rows] == expected


def test_filters_and_offsets_on_row_id(engine, small_frame):
    rows, result = _walk(engine, "small", {"_id__gt": "10", "_id__lte": "25", "fields": "_id,id", "limit": "4"})
    assert [r[0] for r in rows] == list(range(11, 26))
    assert [r[1] for r in rows] == small_frame.id.tolist()[10:25]
    assert engine.query("small", {"_id__in": "3,1", "fields": "id"}, row_id="_id").rows == (
        (small_frame.id[0],), (small_frame.id[2],))
    page = engine.query("small-plain", {"sort": "_id", "offset": "5", "limit": "2", "fields": "_id"}, row_id="_id")
    assert page.rows == ((6,), (7,)) and page.total == len(small_frame)
    with pytest.raises(ValidationError):
        engine.query("small", {"_id": "x"}, row_id="_id")
