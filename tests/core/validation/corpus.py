"""A generated corpus of small CSV files and Table Schemas for the differential test.

Every Table Schema type and option the ingest issue lists appears, with valid values, invalid
values and the odd values where implementations differ (full-width digits, ``1_000``, NaN, INF,
1e309, 30-digit integers, 24:00:00, time zones ...). Rows are sometimes blank, short or long;
headers are sometimes blank, duplicated, wrong, short or long; keys sometimes repeat.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORDS = ["alpha", "beta", "gamma", "市场监管局", "财政局", "教育", "a", "b", "x y", "NA", "-", "None",
         "１２３", "ab\u3000", "Ünïcode"]


@dataclass
class FieldKind:
    """How to make one field: its descriptor and the pool of cells to draw from."""

    descriptor: dict[str, Any]
    cells: list[str]


def _string(rng: random.Random) -> FieldKind:
    fmt = rng.choice(["default", "default", "default", "email", "uri", "uuid", "binary"])
    d: dict[str, Any] = {"type": "string"}
    if fmt != "default":
        d["format"] = fmt
    cells = WORDS + {
        "email": ["a@b.com", "x.y@gov.cn", "bad@", "no at", "a@b"],
        "uri": ["http://x.org/a", "https://data.gov.cn/?q=1", "notauri", "ftp://h", "//x"],
        "uuid": ["2bc1c94f-0deb-43e9-92a1-4775189ec9f8", "2BC1C94F-0DEB-43E9-92A1-4775189EC9F8",
                 "2bc1c94f0deb43e992a14775189ec9f8", "nope"],
        "binary": ["aGVsbG8=", "abc", "!!!", "YQ=="],
        "default": ["110101", "440300", "1101", "11010a", "AB-12", "ab-12", "abc\n"[:3]],
    }[fmt]
    c: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.2:
        c["pattern"] = rng.choice(["[0-9]{6}", "\\d{6}", "a|b", "[A-Z]{2}-\\d+", "[a-z ]+", "(alpha|beta)", "[^0-9]*"])
    elif roll < 0.35:
        c["minLength"] = rng.randint(1, 3)
        c["maxLength"] = rng.randint(3, 8)
    elif roll < 0.5:
        c["enum"] = rng.sample(cells, 3)
    if c:
        d["constraints"] = c
    return FieldKind(d, cells)


def _integer(rng):
    d: dict[str, Any] = {"type": "integer"}
    cells = ["12", "-3", "0", "007", "+5", " 7 ", "1_000", "１２", "1.0", "abc", "-", "",
             "123456789012345678901234567890", "9223372036854775807", "9223372036854775808",
             "-9223372036854775809", "42", "42", "100", "\u30007"]
    if rng.random() < 0.3:
        d["bareNumber"] = False
        cells += ["$12", "12%", "abc12def", "€ -7", "-x5", "5 USD", "¥1,234"]
    c: dict[str, Any] = {}
    if rng.random() < 0.4:
        c["minimum"] = rng.choice([0, 1, -5])
        c["maximum"] = rng.choice([50, 100, 10**20])
    if rng.random() < 0.15:
        c["enum"] = rng.choice([[1, 2, 42], ["12", "42"]])
    if c:
        d["constraints"] = c
    return FieldKind(d, cells)


def _number(rng):
    d: dict[str, Any] = {"type": "number"}
    cells = ["1.5", "-0.25", ".5", "5.", "1e3", "1E-2", "NaN", "nan", "INF", "-Infinity", "inf",
             "1e309", "-1e309", "0.12345678901234567890", "12345678901234567", "abc", "1_0.5", "3",
             "+2.5", " 4.5 ", "1.5.5", "１.５", "100.0", "99.99", "-0", "0.0", "1.50"]
    roll = rng.random()
    if roll < 0.2:
        d["groupChar"] = ","
        cells += ["1,234.5", "1,2,3", "12,34"]
    elif roll < 0.35:
        d["decimalChar"] = ","
        d["groupChar"] = rng.choice([".", " ", ""])
        cells += ["1,5", "1.234,5", "1 234,5", "-0,5"]
    elif roll < 0.5:
        d["bareNumber"] = False
        cells += ["€12.5", "12.5%", "USD -3", "x1.5y", "--5"]
    c: dict[str, Any] = {}
    if rng.random() < 0.4:
        c["minimum"] = rng.choice([0, 0.5, -1])
        c["maximum"] = rng.choice([100, 99.99, 1e300])
    if rng.random() < 0.15:
        c["enum"] = [1.5, "3", 100]
    if c:
        d["constraints"] = c
    return FieldKind(d, cells)


def _boolean(rng):
    d: dict[str, Any] = {"type": "boolean"}
    cells = ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "no", "t", "是", "否"]
    if rng.random() < 0.3:
        d["trueValues"] = ["Y", "是", "1"]
        d["falseValues"] = ["N", "否", "1"]
        cells += ["Y", "N", "y"]
    if rng.random() < 0.2:
        d["constraints"] = {"enum": [True]}
    return FieldKind(d, cells)


def _date(rng):
    fmt = rng.choice(["default", "default", "%d/%m/%Y", "%Y%m%d", "any", "%Y年%m月%d日"])
    d: dict[str, Any] = {"type": "date"}
    if fmt != "default":
        d["format"] = fmt
    cells = ["2020-01-31", "2020-02-30", "2020-02-29", "2021-02-29", "2020-1-5", "20200101",
             "2020/01/01", "31/12/2020", "1/2/2020", "32/01/2020", "Jan 5 2020", "2023年6月18日",
             "2023年06月18日", "0999-01-01", "2020-01-01T00:00:00", "xx", "2020-12-31"]
    if fmt == "default" and rng.random() < 0.4:  # bounds are read with the field's format
        d["constraints"] = {"minimum": "2020-01-01", "maximum": "2020-12-31"}
    return FieldKind(d, cells)


def _time(rng):
    fmt = rng.choice(["default", "default", "%H%M", "any"])
    d: dict[str, Any] = {"type": "time"}
    if fmt != "default":
        d["format"] = fmt
    cells = ["10:20:30", "00:00:00", "23:59:59", "24:00:00", "10:20", "10:20:30Z", "10:20:30+01:00",
             "25:00:00", "10:20:30.5", "1020", "2:3:4", "10:60:00", "noon"]
    if fmt == "default" and rng.random() < 0.4:
        d["constraints"] = {"minimum": "08:00:00", "maximum": "18:00:00"}
        cells = [c for c in cells if not c.endswith(("Z", "+01:00"))]  # see _datetime
    return FieldKind(d, cells)


def _datetime(rng):
    fmt = rng.choice(["default", "default", "%Y-%m-%d %H:%M:%S", "any"])
    d: dict[str, Any] = {"type": "datetime"}
    if fmt != "default":
        d["format"] = fmt
    cells = ["2020-01-01T10:20:30", "2020-01-01T10:20:30Z", "2020-01-01T10:20:30+08:00",
             "2020-01-01 10:20:30", "2020-01-01T24:00:00", "2020-13-01T00:00:00", "2020-01-01T10:20",
             "2020-02-30T00:00:00", "2020-01-01T10:20:30.123", "yesterday", "2020-06-01T00:00:00"]
    if fmt == "default" and rng.random() < 0.4:
        # frictionless-py raises TypeError comparing aware cells with a naive bound: naive cells only
        d["constraints"] = {"minimum": "2020-01-01T12:00:00"}
        cells = [c for c in cells if not c.endswith(("Z", "+08:00"))]
    return FieldKind(d, cells)


def _year(rng):
    d: dict[str, Any] = {"type": "year"}
    cells = ["2020", "0999", "99", "20201", "-123", "+123", " 12 ", "２０２０", "1e3", "abcd", "1999"]
    if rng.random() < 0.3:
        d["constraints"] = {"minimum": 2000, "maximum": 2030}
    return FieldKind(d, cells)


def _yearmonth(rng):
    d: dict[str, Any] = {"type": "yearmonth"}
    cells = ["2020-05", "2020-5", "2020-13", "2020", "2020-00", " 2020-01", "x-y", "2019-12"]
    if rng.random() < 0.3:
        d["constraints"] = {"minimum": "2020-01"}
    return FieldKind(d, cells)


def _geopoint(rng):
    fmt = rng.choice(["default", "array", "object"])
    d: dict[str, Any] = {"type": "geopoint"}
    if fmt != "default":
        d["format"] = fmt
    cells = {"default": ["120.5, 30.2", "200, 10", "10,95", "abc", "1,2,3", "-180,-90", "1e2,5"],
             "array": ["[120.5, 30.2]", "[1]", "[200, 1]", "x", "[1, 2]"],
             "object": ['{"lon": 1, "lat": 2}', '{"lat": 1}', '{"lon": 1, "lat": 91}', "[1, 2]"]}[fmt]
    return FieldKind(d, cells)


def _any(rng):
    return FieldKind({"type": "any"}, WORDS + ["1", "2020-01-01"])


KINDS = [_string, _string, _integer, _integer, _number, _number, _boolean, _date, _time, _datetime,
         _year, _yearmonth, _geopoint, _any]


@dataclass
class Case:
    """One generated file and schema."""

    name: str
    path: Path
    descriptor: dict[str, Any]


def make_case(rng: random.Random, index: int, folder: Path) -> Case:
    """Generate one CSV file and its schema descriptor."""
    nfields = rng.randint(2, 5)
    kinds = [rng.choice(KINDS)(rng) for _ in range(nfields)]
    fields = []
    for i, kind in enumerate(kinds):
        d = {"name": f"f{i}", **kind.descriptor}
        if rng.random() < 0.2:
            d.setdefault("constraints", {})
            d["constraints"] = {**d["constraints"], "required": True}
        if rng.random() < 0.15:
            d["constraints"] = {**d.get("constraints", {}), "unique": True}
        if rng.random() < 0.1:
            d["missingValues"] = rng.choice([["NA"], ["", "-"], []])
        fields.append(d)
    descriptor: dict[str, Any] = {"fields": fields}
    if rng.random() < 0.3:
        descriptor["missingValues"] = rng.choice([["", "NA"], ["-"], ["", "None", "-"]])
    if rng.random() < 0.3:
        descriptor["primaryKey"] = [f"f{i}" for i in sorted(rng.sample(range(nfields), rng.choice([1, 1, 2])))]
    labels = [f["name"] for f in fields]
    roll = rng.random()
    if roll < 0.06:
        labels[rng.randrange(nfields)] = ""
    elif roll < 0.12:
        labels[rng.randrange(1, nfields)] = labels[0]
    elif roll < 0.18:
        labels[rng.randrange(nfields)] = "wrong"
    elif roll < 0.24:
        labels = labels[:-1]
    elif roll < 0.3:
        labels = labels + ["extra", "extra"][: rng.randint(1, 2)]
    width = len(labels)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(labels)
    for _ in range(rng.randint(0, 14)):
        shape = rng.random()
        cells = []
        for i in range(width):
            if i < nfields:
                pool = kinds[i].cells
                cells.append(rng.choice(pool[:4]) if rng.random() < 0.5 else rng.choice(pool))
            else:
                cells.append(rng.choice(WORDS))
            if rng.random() < 0.1:
                cells[-1] = rng.choice(["", "", "NA", "-", "None"])
        if shape < 0.05:
            cells = [""] * width
        elif shape < 0.08:
            out.write("\n")
            continue
        elif shape < 0.14:
            cells = cells[: rng.randint(1, width - 1)] if width > 1 else cells
        elif shape < 0.2:
            cells = cells + [rng.choice(["x", "", "7"]) for _ in range(rng.randint(1, 2))]
        if cells == [""]:
            cells = ["", ""] if width > 1 else ["x"]
        writer.writerow(cells)
    path = folder / f"case{index:03d}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return Case(f"case{index:03d}", path, descriptor)
