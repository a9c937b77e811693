"""A bare WSGI callable that returns one file (the path in BENCH_FILE) through ``wsgi.file_wrapper``.

bench/api.py runs it under the same gunicorn settings as opendata: it is the ceiling a download
through gunicorn can reach, with no framework, routing, database or headers of our own.
"""

from __future__ import annotations

import os

PATH = os.environ.get("BENCH_FILE", "")


def app(environ, start_response):
    size = os.path.getsize(PATH)
    start_response("200 OK", [("Content-Type", "application/vnd.apache.parquet"), ("Content-Length", str(size))])
    return environ["wsgi.file_wrapper"](open(PATH, "rb"), 1 << 20)  # noqa: SIM115 (the server closes it)
