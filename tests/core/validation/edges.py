"""Generated edge values of every Table Schema type, for the edge differential test.

Each :class:`EdgeCase` is one field (type, format, options, sometimes constraints at the edge)
and the cells to try: the limits of the type in Python, Arrow, Parquet and pandas (years 0, 1,
9999, 10000; 2**31, 2**53, 2**63; the largest, smallest and subnormal doubles; offsets of ±14
hours at the ends of the calendar; 24:00:00 and leap seconds; longitudes past 180 ...), the
values just inside and just outside each limit, and random values near them (random.Random(42)).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EdgeCase:
    """One field descriptor and the cells to validate against it."""

    name: str
    descriptor: dict[str, Any]
    cells: list[str] = field(default_factory=list)


def _integers(rng: random.Random) -> list[str]:
    out = ["0", "-0", "+0", "007", "1_000", "１２", "١٢", "1e3", "1.0", " 5", "5 ", "--1"]
    for bound in (2**31, 2**53, 2**63, 2**64):
        out += [str(bound - 1), str(bound), str(bound + 1), str(-bound), str(-bound - 1), str(-bound + 1)]
    out += [str(rng.randint(-(2**63), 2**63 - 1)) for _ in range(8)]
    out += [str(rng.randint(2**63, 2**70)) for _ in range(2)]
    return out


def _numbers(rng: random.Random) -> list[str]:
    out = ["1.7976931348623157e308", "1.7976931348623158e308", "1.8e308", "-1.8e308", "1e308", "9e307",
           "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324", "5e-324", "3e-324", "2e-324",
           "1e-400", "-1e-400", "0e5", "0E-400", "-0.0", "0.000", "1e-300", "1e-301", "9.999999999999999e22",
           "123456789012345.6", "1234567890123456", "12345678901234567", "0.1", "NaN", "-inf", "Infinity",
           "sNaN", "1E+2", ".5", "5.", "1e", "e5", "0x10", "1,5", "１.５"]
    out += [repr(rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308)) for _ in range(8)]
    return out


def _dates(rng: random.Random, fmt: str) -> list[str]:
    days = [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1900, 2, 28), dt.date(2000, 2, 29),
            dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.date(1677, 9, 21), dt.date(2262, 4, 11)]
    days += [dt.date(1, 1, 1) + dt.timedelta(days=rng.randint(0, 3_652_058)) for _ in range(6)]
    out = [d.strftime(fmt) if fmt != "%Y-%m-%d" else d.isoformat() for d in days]
    if fmt == "%Y-%m-%d":
        out += ["0000-01-01", "10000-01-01", "-0001-01-01", "1900-02-29", "2100-02-29", "2020-12-32",
                "2020-00-10", "0000-12-31", "9999-12-32", "+2020-01-01", "2020-1-1"]
    elif fmt == "%d/%m/%Y":
        out += ["29/02/1900", "1/1/2020", "31/12/0000", "01/01/10000", "00/01/2020"]
    elif fmt == "%Y%m%d":
        out += ["00000101", "100000101", "20200230"]
    return out


def _datetimes(rng: random.Random) -> list[str]:
    out = ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59.999999", "9999-12-31T23:59:59.9999999",
           "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-01:00",
           "9999-12-31T23:00:00-05:00", "9999-12-31T23:00:00+05:00", "2020-01-01T00:00:00+14:00",
           "2020-01-01T00:00:00-12:00", "2020-01-01T00:00:00+24:00", "1970-01-01T00:00:00Z",
           "2262-04-11T23:47:16.854775", "2262-04-12T00:00:00", "1677-09-21T00:12:43", "1677-09-20T00:00:00",
           "2020-02-29T24:00:00", "2020-06-30T23:59:60", "0000-01-01T00:00:00", "10000-01-01T00:00:00"]
    for _ in range(6):
        moment = dt.datetime(1, 1, 1) + dt.timedelta(seconds=rng.randint(0, 315_537_897_599))
        out.append(moment.isoformat())
    return out


def _times() -> list[str]:
    return ["00:00:00", "23:59:59", "23:59:59.999999", "24:00:00", "23:59:60", "00:00:00+14:00",
            "23:59:59-14:00", "12:00:00Z", "12:00:00.1234567", "12:00", "1:02:03"]


def make_edge_cases() -> list[EdgeCase]:
    """Every type (and each format and option that changes how cells read) with its edge cells."""
    rng = random.Random(42)
    ints, nums = _integers(rng), _numbers(rng)
    cases = [
        EdgeCase("integer", {"type": "integer"}, ints),
        EdgeCase("integer-bounds", {"type": "integer", "constraints": {"minimum": -(2**63), "maximum": 2**63 - 1}},
                 ints),
        EdgeCase("integer-not-bare", {"type": "integer", "bareNumber": False}, ints + ["$5", "5%", "¥-7"]),
        EdgeCase("number", {"type": "number"}, nums),
        EdgeCase("number-bounds", {"type": "number", "constraints": {"minimum": -1.7976931348623157e308,
                                                                       "maximum": 1e300}}, nums),
        EdgeCase("number-comma", {"type": "number", "decimalChar": ",", "groupChar": "."},
                 ["1,5", "1.234,5", "1e309", "-0,0", "1,7976931348623157e308", "1e-400"]),
        EdgeCase("boolean", {"type": "boolean"}, ["true", "True", "TRUE", "1", "false", "0", "yes", "t", "", " true"]),
        EdgeCase("boolean-custom", {"type": "boolean", "trueValues": ["是"], "falseValues": ["否"]},
                 ["是", "否", "true", "1"]),
        EdgeCase("date", {"type": "date"}, _dates(rng, "%Y-%m-%d")),
        EdgeCase("date-bounds", {"type": "date", "constraints": {"minimum": "0001-01-01", "maximum": "9999-12-31"}},
                 _dates(rng, "%Y-%m-%d")),
        EdgeCase("date-dmy", {"type": "date", "format": "%d/%m/%Y",
                              "constraints": {"minimum": "01/01/1900"}}, _dates(rng, "%d/%m/%Y")),
        EdgeCase("date-compact", {"type": "date", "format": "%Y%m%d"}, _dates(rng, "%Y%m%d")),
        EdgeCase("date-any", {"type": "date", "format": "any"}, ["Jan 1 0001", "Dec 31 9999", "2020-01-01", "1/2/3"]),
        EdgeCase("datetime", {"type": "datetime"}, _datetimes(rng)),
        EdgeCase("datetime-format", {"type": "datetime", "format": "%Y-%m-%d %H:%M:%S"},
                 ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "2020-02-30 00:00:00", "2020-01-01T00:00:00"]),
        EdgeCase("time", {"type": "time"}, _times()),
        EdgeCase("time-format", {"type": "time", "format": "%H%M"}, ["0000", "2359", "2400", "1260"]),
        EdgeCase("year", {"type": "year"}, ["0000", "0001", "0999", "9999", "10000", "-001", "2147483647",
                                            "+999", "999", "２０２０"]),
        EdgeCase("year-bounds", {"type": "year", "constraints": {"minimum": 0, "maximum": 9999}},
                 ["0000", "9999", "0999"]),
        EdgeCase("yearmonth", {"type": "yearmonth"}, ["0000-01", "0001-12", "9999-12", "10000-01", "99999999999-01",
                                                      "2020-00", "2020-13", "2020-1", "-1-01"]),
        EdgeCase("geopoint", {"type": "geopoint"}, ["180,90", "-180,-90", "180.0000001,0", "0,90.0000001", "1e308,0",
                                                    "nan,0", "inf,0", "0,0", " 1, 2", "1e2,5"]),
        EdgeCase("geopoint-array", {"type": "geopoint", "format": "array"}, ["[180, 90]", "[1e308, 0]", "[-180, -90]"]),
        EdgeCase("geopoint-object", {"type": "geopoint", "format": "object"},
                 ['{"lon": 180, "lat": 90}', '{"lon": -180.0, "lat": -90.0}', '{"lon": 181, "lat": 0}']),
        EdgeCase("string", {"type": "string"}, ["", "a", "=1+2", "\t", "😀", "\u202e", "a" * 5000, "１２３"]),
        EdgeCase("string-email", {"type": "string", "format": "email"}, ["a@b.co", "a@b", "@b.co", "a@@b.co"]),
        EdgeCase("string-uri", {"type": "string", "format": "uri"}, ["http://x", "urn:a:b", "x", "http://"]),
        EdgeCase("string-uuid", {"type": "string", "format": "uuid"},
                 ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0" * 32, "g" * 36]),
        EdgeCase("any", {"type": "any"}, ["", "1", "2020-01-01", "true", "1e309"]),
    ]
    return cases
