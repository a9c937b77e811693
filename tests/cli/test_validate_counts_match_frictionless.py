"""`opendata validate` and `frictionless validate`, both run as a user runs them, count the same errors.

The file has the nine fields of the benchmark's government-style CSV (bench/ingest.py) and is
generated with random.Random(42); about one row in twenty is spoiled in one of nine ways. The
two JSON reports are reduced to error counts by (type, field name): bench/validate.py compares
the same counts on 1,000,000 rows, this test proves the comparison on a small file in CI.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

BIN = Path(sys.executable).parent
CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政检查", "其他"]
SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "division", "type": "string", "constraints": {"pattern": "[0-9]{6}"}},
        {"name": "org", "type": "string", "constraints": {"required": True}},
        {"name": "date", "type": "date"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "category", "type": "string", "constraints": {"enum": CATEGORIES}},
        {"name": "lat", "type": "number", "constraints": {"minimum": 18, "maximum": 54}},
        {"name": "lon", "type": "number", "constraints": {"minimum": 73, "maximum": 136}},
        {"name": "remarks", "type": "string"},
    ],
    "primaryKey": "id",
}
SPOILERS = [
    lambda row, prev: row.__setitem__(4, "-" + row[4]),  # amount below its minimum
    lambda row, prev: row.__setitem__(5, "未知类别"),  # category outside its enum
    lambda row, prev: row.__setitem__(3, "2020-13-45"),  # not a date
    lambda row, prev: row.__setitem__(1, "11010X"),  # division against its pattern
    lambda row, prev: row.__setitem__(6, "99.5"),  # latitude above its maximum
    lambda row, prev: row.__setitem__(2, ""),  # org is required
    lambda row, prev: row.__setitem__(0, prev[0]),  # the previous row's id again: primary key
    lambda row, prev: row.__setitem__(7, "东经116"),  # not a number
    lambda row, prev: row.append("多余"),  # a cell beyond the header
]


def _generate(folder: Path, rows: int = 3000) -> tuple[Path, Path]:
    rng = random.Random(42)
    csv_path, schema_path = folder / "permits.csv", folder / "permits-schema.json"
    schema_path.write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        prev = None
        for i in range(1, rows + 1):
            row = [str(i), rng.choice(["110105", "310115", "440305"]), rng.choice(["朝阳区税务局", "西湖区教育局"]),
                   f"20{rng.randint(15, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                   f"{rng.expovariate(1 / 5000):.2f}", rng.choice(CATEGORIES),
                   f"{rng.uniform(18, 53.5):.6f}", f"{rng.uniform(73.5, 135):.6f}",
                   rng.choice(["依法办理", "材料齐全，予以受理", "已结案, 无异议", ""])]
            if prev is not None and rng.randrange(20) == 0:
                rng.choice(SPOILERS)(row, prev)
            writer.writerow(row)
            prev = row
    return csv_path, schema_path


def _counts(tool: str, csv_path: Path, schema_path: Path) -> Counter:
    proc = subprocess.run([str(BIN / tool), "validate", csv_path.name, "--schema", schema_path.name, "--json"],
                          cwd=csv_path.parent, capture_output=True, check=False, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
    counts: Counter = Counter()
    for task in json.loads(proc.stdout)["tasks"]:
        for error in task["errors"]:
            counts[(error["type"], error.get("fieldName"))] += 1
    return counts


def test_opendata_validate_counts_the_errors_frictionless_validate_counts_by_type_and_field(tmp_path):
    csv_path, schema_path = _generate(tmp_path)
    ours = _counts("opendata", csv_path, schema_path)
    theirs = _counts("frictionless", csv_path, schema_path)
    assert ours == theirs
    # every kind of spoiling shows up, so the comparison covers them all
    assert {kind for kind, _ in ours} >= {"constraint-error", "type-error", "primary-key", "extra-cell"}
    assert {field for _, field in ours} >= {"amount", "category", "date", "division", "lat", "lon", "org"}
    assert sum(ours.values()) > 100
