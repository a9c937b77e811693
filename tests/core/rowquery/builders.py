"""Builders for row-query tests: a small mixed-type table and a multi-row-group one (Random(42))."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.core.rowquery import RowQueryEngine, prepare_version
from opendata.core.tableschema import load_table_schema

SECRET = b"test-secret-for-cursors-0123456789"
CATS = ["乙类", "甲类", "丙类", "other"]
NAMES = ["北京市朝阳区市场监督管理局", "上海市浦东新区生态环境局", "杭州市西湖区教育局", "O'Brien; DROP TABLE x", "Acme"]

SMALL_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "code", "type": "string", "description": "18-digit credit code or ID number"},
        {"name": "name", "type": "string"},
        {"name": "cat", "type": "string"},
        {"name": "d", "type": "date"},
        {"name": "ts", "type": "datetime"},
        {"name": "amount", "type": "number"},
        {"name": "qty", "type": "integer"},
        {"name": "big", "type": "integer"},
        {"name": "flag", "type": "boolean"},
        {"name": "note", "type": "string"},
        {"name": "weird \"col\"; --", "type": "integer"},
    ],
    "primaryKey": "id",
}


def make_small_table(n: int = 400, seed: int = 42) -> pa.Table:
    """n rows of every type, with missing values, written in a shuffled id order."""
    rng = random.Random(seed)
    ids = list(range(1, n + 1))
    rng.shuffle(ids)
    rows = []
    for i in ids:
        rows.append({
            "id": i,
            "code": "".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X"),
            "name": rng.choice(NAMES),
            "cat": rng.choice(CATS + [None]),
            "d": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1000)),
            "ts": dt.datetime(2021, 5, 1, 8, 0) + dt.timedelta(minutes=rng.randrange(100000)),
            "amount": None if rng.random() < 0.1 else round(rng.uniform(0, 1000), 2),
            "qty": rng.randrange(-5, 20),
            "big": 2**62 + rng.randrange(10**6) if rng.random() < 0.5 else 9007199254740993 + i,
            "flag": rng.random() < 0.3,
            "note": None if rng.random() < 0.3 else rng.choice(["整改完成", "Pending Review", "已结案", "100% ok_"]),
            "weird \"col\"; --": rng.randrange(3),
        })
    schema = pa.schema([("id", pa.int64()), ("code", pa.string()), ("name", pa.string()), ("cat", pa.string()),
                        ("d", pa.date32()), ("ts", pa.timestamp("us")), ("amount", pa.float64()),
                        ("qty", pa.int64()), ("big", pa.int64()), ("flag", pa.bool_()), ("note", pa.string()),
                        ("weird \"col\"; --", pa.int64())])
    return pa.Table.from_pylist(rows, schema=schema)


def make_wide_table(n: int, seed: int = 42) -> pa.Table:
    """Many rows (several DuckDB row groups) of a few columns, for paging across row groups."""
    rng = random.Random(seed)
    ids = list(range(n))
    rng.shuffle(ids)
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "cat": pa.array([rng.choice("abcdefgh") for _ in range(n)]),
        "amount": pa.array([rng.randrange(100000) / 100 for _ in range(n)]),
    })


WIDE_SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "cat", "type": "string"},
                          {"name": "amount", "type": "number"}], "primaryKey": "id"}


def build_version(tmp: Path, name: str, table: pa.Table, descriptor: dict, **kwargs) -> Path:
    parquet = tmp / f"{name}.parquet"
    pq.write_table(table, parquet, compression="zstd")
    return prepare_version(parquet, load_table_schema(descriptor), tmp / f"{name}.duckdb", **kwargs)


def all_rows(engine: RowQueryEngine, version: str, args: dict) -> list[tuple]:
    """Every row of a query, walked with the keyset cursor."""
    out: list[tuple] = []
    args = dict(args)
    while True:
        result = engine.query(version, args)
        out.extend(result.rows)
        if result.next_cursor is None:
            return out
        args["next"] = result.next_cursor


THIN_SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "cat", "type": "string"},
                          {"name": "grp", "type": "string"}, {"name": "amount", "type": "number"},
                          {"name": "d", "type": "date"}, {"name": "note", "type": "string"}],
               "primaryKey": "id"}


def make_thin_table(n: int, seed: int = 42) -> pa.Table:
    """Rows over two DuckDB row groups with few-valued columns, many ties and missing values."""
    rng = random.Random(seed)
    ids = list(range(n))
    rng.shuffle(ids)
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "cat": pa.array([rng.choice(["甲类", "乙类", "丙类", None]) for _ in range(n)]),
        "grp": pa.array([rng.choice("abc") for _ in range(n)]),
        "amount": pa.array([None if rng.random() < 0.1 else float(rng.randrange(300)) for _ in range(n)]),
        "d": pa.array([None if rng.random() < 0.05 else dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(900))
                       for _ in range(n)], pa.date32()),
        "note": pa.array(["".join(rng.choice("abcdefghij") for _ in range(12)) for _ in range(n)]),
    })
