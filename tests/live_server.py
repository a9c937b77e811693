"""`opendata serve` in a subprocess on a free 127.0.0.1 port, started and stopped by a test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this interpreter, with this checkout first on the path, whatever state the editable install is in
OPENDATA = [sys.executable, "-c", "from opendata.cli import run; run()"]


_LIMITED = ("import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
            "os.execv(sys.argv[2], sys.argv[2:])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real server over an OPENDATA_HOME; ``env`` adds OPENDATA_ settings (rate limits are off)."""

    def __init__(self, home: str | Path, *, gunicorn: bool = False, file_size_limit: int | None = None, **env: str):
        self.gunicorn = gunicorn  # the production server (gthread workers) instead of `opendata serve`
        # RLIMIT_FSIZE for the server and its children, SIGXFSZ ignored: writing beyond it fails as on a full disk
        self.file_size_limit = file_size_limit
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        from opendata.config import load_config

        # the home's database as this test process sees it (its own PostgreSQL database on that pass)
        database_url = load_config({}, HOME=str(home)).database_url
        self.env = {**os.environ, "OPENDATA_HOME": str(home), "OPENDATA_RATE_LIMIT_ENABLED": "false",
                    "OPENDATA_DATABASE_URL": database_url,
                    "OPENDATA_BASE_URL": self.base,
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                    **env}
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="opendata-server-")) / "stderr.log"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run another `opendata` command against the same home."""
        return subprocess.run([*OPENDATA, *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)

    def start(self) -> LiveServer:
        """Start and wait until /api/v1/status answers."""
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            command = ([sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "2",
                        "-b", f"127.0.0.1:{self.port}", "opendata.wsgi:app"] if self.gunicorn
                       else [*OPENDATA, "serve", "--host", "127.0.0.1", "--port", str(self.port)])
            if self.file_size_limit is not None:
                command = [sys.executable, "-c", _LIMITED, str(self.file_size_limit), *command]
            self.proc = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/status", timeout=1):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = self.log.read_text(errors="replace")[-2000:]
                    raise AssertionError(f"the server did not start: {tail}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        """Status and body of a GET (an error status is returned, not raised)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base + path, headers=headers), timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sample_portal(home: str | Path, **settings: str) -> LiveServer:
    """`opendata init` and `opendata sync --ingest` of the sample catalogue (catalog.yaml, datasets/) in
    home, as `make demo` does, then the server; ``settings`` are OPENDATA_ variables."""
    server = LiveServer(home, **settings)
    for args in (("init",), ("sync", "--ingest")):
        done = server.cli(*args)
        assert done.returncode == 0, f"opendata {' '.join(args)}: {done.stdout}{done.stderr}"
    return server.start()
