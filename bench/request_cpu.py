"""CPU time per request through the WSGI app, in-process (no HTTP, no queueing): for A/B comparisons of
two trees on a busy machine, where CPU seconds move far less than wall seconds.

Run by hand, once per tree and round, each in its own process, sides alternating::

    PYTHONPATH=/path/to/tree .venv/bin/python bench/request_cpu.py /tmp/opendata-bench-api/home 200

The home is one bench/api.py prepared (1M rows as dataset ``bench``, 50,000 catalogue entries).
Prints JSON: per operation, [CPU ms, wall ms] per request, after 20 warm-up requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认", "其他"]
WORDS = ["财政", "环境", "交通", "教育", "卫生"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", help="an OPENDATA_HOME prepared by bench/api.py")
    parser.add_argument("requests", type=int, nargs="?", default=200, help="requests per operation")
    args = parser.parse_args()
    os.environ.pop("OPENDATA_BASE_URL", None)
    from opendata.app import close_app, create_app

    app = create_app(HOME=args.home, RATE_LIMIT_ENABLED=False)
    client = app.test_client()
    rnd = random.Random(7)
    operations = {
        "download (Range 100 B)": lambda i: ("/api/v1/datasets/bench/download.parquet", {"Range": "bytes=0-99"}),
        "rows filter+page (uncached)": lambda i: (
            f"/api/v1/datasets/bench/rows?category={CATEGORIES[i % 8]}&amount__gte={rnd.random():.6f}&limit=100", {}),
        "rows same URL (result cache)": lambda i: (f"/api/v1/datasets/bench/rows?category={CATEGORIES[0]}&limit=100", {}),
        "search q": lambda i: ("/api/v1/datasets?q=" + WORDS[i % len(WORDS)], {}),
        "dataset detail": lambda i: ("/api/v1/datasets/bench", {}),
    }
    out = {}
    for name, make in operations.items():
        for i in range(20):
            path, headers = make(i)
            response = client.get(path, headers=headers)
            response.close()
            if response.status_code not in (200, 206):
                raise SystemExit(f"{name}: {path} answered {response.status_code}")
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(args.requests):
            path, headers = make(i)
            client.get(path, headers=headers).close()
        out[name] = [(time.process_time() - cpu) / args.requests * 1000,
                     (time.perf_counter() - wall) / args.requests * 1000]
    close_app(app)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
