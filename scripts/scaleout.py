"""The scale-out topology on one machine, from Debian and PyPI packages: PostgreSQL, Redis, an S3 server
(moto's), two gunicorn replicas, one `opendata worker` running the queued jobs, and nginx balancing between
the replicas (and, on one more port per replica, passing to that replica only), all on 127.0.0.1.

    python scripts/scaleout.py up [--dir var/scaleout] [--port 8080] [--store s3|folder]   # writes DIR/scaleout.json
    python scripts/scaleout.py down [--dir var/scaleout]               # stops every process by its PID

`make scaleout` and `make scaleout-down` run these. The replicas use PostgreSQL for metadata, Redis for
rate-limit counters (database 0) and the job queue (database 1): uploads are ingested by the worker, not by
the replica that received them. Where the artifacts live is --store:

- s3 (the default): every artifact (sources, versions' files, row databases, bulk archives) is an object in
  one bucket of the S3 server, as on several machines; the replicas stream downloads from it (Range, ETag =
  sha256) after checking the disclosure rules. moto keeps its objects in memory: they are gone after
  `down`, so `up` again in a folder whose database outlived them refuses to start.
- folder: the artifacts are files of the shared $OPENDATA_HOME (on several machines a shared volume) and
  downloads leave through nginx: a replica checks the request (disclosure, grants, conditional headers,
  usage counts) and answers with X-Accel-Redirect (OPENDATA_ACCEL_REDIRECT_PREFIX), nginx sends the file.

Either way $OPENDATA_HOME holds the uploads being received (tus), which every replica and the worker share.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opendata.api.files import nginx_location  # noqa: E402
from scripts.services import (  # noqa: E402
    PostgresServer,
    RedisServer,
    S3Server,
    free_fixed_port,
    stop_pid,
    wait_for_port,
)

REPLICAS = 2
REPLICA_KEEPALIVE = 75  # seconds gunicorn keeps an idle connection from nginx open (its default is 2)
FILES_PREFIX = "/_opendata_files/"  # nginx's internal location for the shared folder (X-Accel-Redirect)
BUCKET = "opendata-artifacts"


def replica_settings(state: dict) -> dict[str, str]:
    return {"OPENDATA_HOME": state["home"], "OPENDATA_DATABASE_URL": state["database_url"],
            "OPENDATA_RATE_LIMIT_STORAGE_URL": state["redis_url"], "OPENDATA_TRUSTED_PROXIES": "1",
            "OPENDATA_JOB_QUEUE_URL": state["redis_url"].rsplit("/", 1)[0] + "/1",
            "OPENDATA_BASE_URL": state["url"], "OPENDATA_ACCEL_REDIRECT_PREFIX": FILES_PREFIX,
            **state.get("store_settings", {}), **state["settings"]}


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.2)


def _nginx_conf(folder: Path, home: Path, port: int, replicas: list[int], pinned: list[int]) -> Path:
    """nginx balancing ``port`` between the replicas, and on each of ``pinned`` passing to one replica only
    (to reach a given replica as a client sees it); every server sends the shared folder's files for the
    replicas' X-Accel-Redirect answers (downloads and bulk archives: the app checks the disclosure rules,
    nginx sends the bytes with sendfile)."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                         "uwsgi", "scgi"))
    files = textwrap.indent(nginx_location(FILES_PREFIX, home), " " * 8)

    def upstream(name: str, ports: list[int]) -> str:
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
        # idle connections kept open to the replicas (per nginx worker): a request no longer pays a TCP
        # connect, an accept and a new gthread connection on the replica; closed here before gunicorn's
        # --keep-alive closes them, so nginx never sends on a connection being shut
        return (f"    upstream {name} {{\n{servers}\n        keepalive 16;\n"
                f"        keepalive_timeout {REPLICA_KEEPALIVE - 15}s;\n    }}")

    def server(listen: int, name: str) -> str:
        return f"""    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://{name};
            proxy_http_version 1.1;  # keep-alive to the upstream needs HTTP/1.1 without "Connection: close"
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
        }}
{files}    }}"""

    blocks = [upstream("opendata", replicas), server(port, "opendata")]
    for i, (listen, replica) in enumerate(zip(pinned, replicas, strict=True)):
        blocks += [upstream(f"replica{i}", [replica]), server(listen, f"replica{i}")]
    conf = folder / "nginx.conf"
    body = "\n".join(blocks)
    conf.write_text(f"""{user}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_max_body_size 0;
{temp}
{body}
}}
""")
    return conf


def up(folder: Path, port: int | None, settings: dict[str, str] | None = None, store: str = "s3") -> dict:
    """Start everything (or fail, stopping what was started) and write the state file; ``settings`` are
    more OPENDATA_ variables for the replicas, ``store`` where the artifacts live (s3 or folder)."""
    folder = folder.resolve()
    state_file = folder / "scaleout.json"
    if state_file.exists():
        raise SystemExit(f"{state_file} exists: the topology is up (`scaleout.py down --dir {folder}` first)")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the postgres user enters it to reach its cluster
    state: dict = {"folder": str(folder), "home": str(folder / "home"), "pids": {}, "store": store,
                   "settings": dict(settings or {})}
    try:
        pg = PostgresServer(folder / "postgresql").start()
        state["pids"]["postgresql"] = pg.pid
        state["postgresql_data"] = str(pg.data)
        # a topology brought up again in its folder keeps its data (`opendata init` below migrates it)
        try:
            pg.execute("CREATE DATABASE opendata")
        except psycopg.errors.DuplicateDatabase:
            if store == "s3":
                raise SystemExit(f"{folder} holds the database of an earlier topology whose objects were in "
                                 "moto's memory and are gone: remove the folder, or use --store folder") from None
        state["database_url"] = pg.url("opendata")
        redis = RedisServer(folder / "redis").start()
        state["pids"]["redis"] = int(redis.pidfile.read_text().strip())
        state["redis_url"] = redis.url
        if store == "s3":
            s3 = S3Server(folder / "s3").start()
            state["pids"]["s3"] = s3.pid
            state["s3_endpoint"] = s3.endpoint
            state["store_settings"] = {f"OPENDATA_{k}": str(v) for k, v in s3.settings(s3.new_bucket(BUCKET)).items()
                                       if k != "S3_PART_MB"}  # parts of the default size (tests use small ones)
        port = port or free_fixed_port()
        state["url"] = f"http://127.0.0.1:{port}"
        env = {**os.environ, **replica_settings(state), "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", "from opendata.cli import run; run()", "init"], env=env, check=True,
                       cwd=ROOT, capture_output=True)
        state["replicas"] = []
        for i in range(REPLICAS):
            replica_port = free_fixed_port()
            log = open(folder / f"replica-{i}.log", "ab")  # noqa: SIM115 - the child keeps it
            proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                                     "--keep-alive", str(REPLICA_KEEPALIVE),
                                     "-b", f"127.0.0.1:{replica_port}", "opendata.wsgi:app"],
                                    env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
            state["pids"][f"replica-{i}"] = proc.pid
            state["replicas"].append(f"http://127.0.0.1:{replica_port}")
            wait_for_port(replica_port, timeout=60, alive=lambda p=proc: p.poll() is None)
        log = open(folder / "worker.log", "ab")  # noqa: SIM115 - the child keeps it
        worker = subprocess.Popen([sys.executable, "-c", "from opendata.cli import run; run()", "worker", "--threads", "2"],
                                  env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
        state["pids"]["worker"] = worker.pid
        nginx_dir = folder / "nginx"
        nginx_dir.mkdir(exist_ok=True)
        pinned: list[int] = []
        while len(pinned) < len(state["replicas"]):
            if (candidate := free_fixed_port()) != port and candidate not in pinned:
                pinned.append(candidate)
        state["pinned"] = [f"http://127.0.0.1:{p}" for p in pinned]
        conf = _nginx_conf(nginx_dir, Path(state["home"]), port, [int(u.rsplit(":", 1)[1]) for u in state["replicas"]],
                           pinned)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        subprocess.run([nginx, "-p", str(nginx_dir), "-c", str(conf)], check=True, capture_output=True)
        state["pids"]["nginx"] = int((nginx_dir / "nginx.pid").read_text().strip())
        for url in [*state["replicas"], state["url"], *state["pinned"]]:
            _wait_http(url + "/api/v1/status")
    except BaseException:
        _stop(state)
        raise
    state_file.write_text(json.dumps(state, indent=2))
    return state


def _stop(state: dict) -> None:
    """Stop in reverse order of starting: nginx, the worker, replicas, S3, Redis, PostgreSQL (each by its PID)."""
    for name, pid in reversed(list(state["pids"].items())):
        stop_pid(pid, signal.SIGINT if name == "postgresql" else signal.SIGTERM)


def down(folder: Path) -> None:
    """Stop what `up` started in ``folder`` and remove the state file (data stays)."""
    state_file = folder.resolve() / "scaleout.json"
    if not state_file.exists():
        raise SystemExit(f"nothing is up in {folder} (no {state_file.name})")
    _stop(json.loads(state_file.read_text()))
    state_file.unlink()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "scaleout", help="where every service keeps its files")
    parser.add_argument("--port", type=int, default=None, help="nginx's port (default: a free one below 32768)")
    parser.add_argument("--store", choices=("s3", "folder"), default="s3",
                        help="artifacts in a bucket of an S3 server (default) or in the shared folder")
    parser.add_argument("--set", action="append", default=[], metavar="OPENDATA_NAME=VALUE",
                        help="another setting for the replicas (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "down":
        down(args.dir)
        return
    state = up(args.dir, args.port, dict(item.split("=", 1) for item in args.set), args.store)
    print(f"opendata (nginx):   {state['url']}")
    for i, (url, pinned) in enumerate(zip(state["replicas"], state["pinned"], strict=True)):
        print(f"replica {i}:          {url} (through nginx: {pinned})")
    print(f"PostgreSQL:         {state['database_url']}")
    print(f"Redis:              {state['redis_url']}")
    if "s3_endpoint" in state:
        print(f"S3 (moto):          {state['s3_endpoint']} bucket {BUCKET}")
    print(f"worker (jobs):      pid {state['pids']['worker']}, log {Path(state['folder']) / 'worker.log'}")
    print("settings for the CLI:")
    for name, value in replica_settings(state).items():
        print(f"  export {name}={value}")


if __name__ == "__main__":
    main()
