"""Generate the large sample dataset: hourly bus boardings, 1,200,000 rows (about 50 MB).

Not committed (datasets/generated/ is git-ignored): the bytes are the same on every run, so
generate it when needed and ingest it into the registered dataset ``qc-bus-boardings``:

    .venv/bin/python scripts/generate_large.py            # datasets/generated/qc-bus-boardings.csv
    .venv/bin/opendata ingest qc-bus-boardings datasets/generated/qc-bus-boardings.csv

``--rows N`` makes a smaller or larger file with the same shape (the first N rows of the
sequence are the same whatever N is). Columns follow schemas/qc-bus-boardings.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "datasets" / "generated" / "qc-bus-boardings.csv"
HEADER = ["日期", "时段", "线路编号", "站点编号", "上车人次", "下车人次", "支付方式"]
STOPS_FILE = ROOT / "datasets" / "qc-bus-stops.json"
PAYMENTS = ("IC卡", "扫码", "老年卡", "学生卡")
# relative demand by hour of day: morning and evening peaks, no service 0-4 h
HOURLY = (0, 0, 0, 0, 0, 0.2, 0.6, 1.6, 1.9, 1.0, 0.7, 0.8, 0.9, 0.8, 0.7, 0.8, 1.1, 1.8, 1.7,
          1.0, 0.7, 0.5, 0.3, 0.1)
DEFAULT_ROWS = 1_200_000


def _line_stops() -> dict[str, list[str]]:
    """Each line's stops in order, from the committed bus-stop sample (so the codes match)."""
    out: dict[str, list[str]] = {}
    for row in json.loads(STOPS_FILE.read_text(encoding="utf-8")):
        if row["方向"] == "上行":
            out.setdefault(row["线路编号"], []).append(row["站点编号"])
    return out


def iter_rows(rows: int, seed: int = 42):
    """Yield ``rows`` rows: day by day, hour by hour, for each line's stops and payment kinds."""
    rng = random.Random(seed)
    stops = _line_stops()
    day = date(2024, 1, 1)
    made = 0
    while True:
        weekend = day.weekday() >= 5
        for hour, demand in enumerate(HOURLY):
            if not demand:
                continue
            for line in stops:
                for stop in stops[line]:
                    base = demand * (0.7 if weekend else 1.0) * 6
                    for pay in PAYMENTS:
                        share = {"IC卡": 0.35, "扫码": 0.45, "老年卡": 0.12, "学生卡": 0.08}[pay]
                        if weekend and pay == "学生卡":
                            continue
                        lam = base * share
                        yield (day.isoformat(), hour, line, stop, int(rng.expovariate(1 / lam) if lam else 0),
                               int(rng.expovariate(1 / lam) if lam else 0), pay)
                        made += 1
                        if made >= rows:
                            return
        day += timedelta(days=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(iter_rows(args.rows))
    tmp.replace(args.out)
    print(f"{args.out}: {args.rows} rows, {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
