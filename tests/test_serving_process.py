"""The process that answers requests holds the interpreter lock for nothing long of its own.

Seen in bench/hostile.py's trace, each of these made every request in flight wait 100-330 ms:

- the serving process imported the ingest pipeline (pandas, the readers, the PII scanner) on its
  first ingest, although the pipeline runs in a child forked from the fork server, which imported
  it once; now the parent only sends the arguments and unpickles plain data back;
- publishing read the files back with pandas and frictionless in the serving process (now in a
  child too);
- a full garbage collection walked the ~160,000 objects start-up built; they are now frozen;
- receiving a large request body faulted in fresh memory on every 1 MiB chunk (the allocator gave
  the chunk's buffers back to the kernel each time), about 1.1 page faults per 4 KiB received,
  each with the lock held; now the buffers are reused (opendata.core.allocator, copy_stream).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.accounts_fixtures import seed_accounts
from tests.hostile_files import wide_header_csv

ROOT = Path(__file__).resolve().parents[1]
# what a job would load into the serving process if it ran (or unpickled) the pipeline there
PIPELINE_ONLY = ("pandas", "frictionless", "opendata.core.pipeline", "opendata.core.pii", "opendata.core.readers",
                 "opendata.core.writers", "opendata.core.validation")

JOBS = """
import json, sys
import opendata.wsgi  # the serving process as gunicorn loads it
from opendata.config import load_config
from opendata.core.errors import OpendataError
from opendata.services.runtime import Runtime
from opendata.services.publication import publish_if_clean
from opendata.services.versions import ingest_file
from opendata.store.models import Version


def get_entry_state(runtime, version_id):
    with runtime.sessions() as session:
        return session.get(Version, version_id).state

runtime = Runtime(load_config())
before = set(sys.modules)
answers = []
for name in sys.argv[1:]:
    try:
        outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=name,
                              actor="tester")
        answer = {"state": outcome.state, "pii": outcome.pii, "artifacts": sorted(outcome.artifacts)}
        publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="tester")  # reads the files back
        answers.append({**answer, "then": get_entry_state(runtime, outcome.version_id)})
    except OpendataError as exc:
        answers.append({"error": exc.message})
print(json.dumps({"answers": answers, "loaded": sorted(set(sys.modules) - before)}))
runtime.close()
"""


FROZEN = """
import gc, json
import opendata.wsgi  # the serving process as gunicorn loads it
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""

BODY = """
import json, resource, socket, sys, threading
from pathlib import Path
import opendata.wsgi  # the serving process as gunicorn loads it
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader
from werkzeug.wrappers import Request
from opendata.services.uploads import receive_upload

size = int(sys.argv[1])
server, client = socket.socketpair()
block = memoryview(b"x" * (1024 * 1024))
sender = threading.Thread(target=lambda: [client.sendall(block) for _ in range(size // len(block))])
sender.start()
# the body as a gunicorn worker hands it to the app (wsgi.input), read through the app's request.stream
request = Request({"wsgi.input": Body(LengthReader(SocketUnreader(server), size)), "CONTENT_LENGTH": str(size),
                   "REQUEST_METHOD": "POST", "wsgi.input_terminated": False})
out = {}


def receive():  # in a thread of its own, as a gthread worker's request thread
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    out["received"] = receive_upload(request.stream, Path(sys.argv[2]), limit=size, expected=size)[0]
    out["faults"] = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


receiver = threading.Thread(target=receive)
receiver.start()
receiver.join()
sender.join()
print(json.dumps(out))
"""


def _python(runtime, script: str, *args: str) -> dict:
    """The last line of ``script``'s output (JSON), run by a fresh interpreter over the runtime's home."""
    # the home's database as this test sees it (its own PostgreSQL database on that pass)
    env = {**os.environ, "OPENDATA_HOME": str(runtime.config.home), "OPENDATA_DATABASE_URL": runtime.config.database_url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_serving_process_leaves_what_start_up_built_out_of_full_garbage_collections(runtime):
    out = _python(runtime, FROZEN)
    assert out["frozen"] > 50_000  # the modules, the app, its mappers
    assert out["tracked"] < out["frozen"] // 10  # what a full collection still walks


def test_ingest_jobs_and_publishing_leave_the_pipeline_modules_out_of_the_serving_process(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    valid = tmp_path / "budget.csv"
    valid.write_text("id,name,amount\n" + "".join(f"{i},项目{i},{i}.5\n" for i in range(1, 51)), "utf-8")
    wide = tmp_path / "wide.csv"
    wide.write_bytes(wide_header_csv(5_000))
    out = _python(runtime, JOBS, str(valid), str(wide))

    accepted, refused = out["answers"]
    assert accepted["state"] == "awaiting-review"
    assert accepted["then"] == "published"
    assert {"csv", "parquet", "datapackage", "source"} <= set(accepted["artifacts"])
    assert accepted["pii"] is not None and "findings" in accepted["pii"]
    assert "5,000 columns" in refused["error"]
    assert [m for m in out["loaded"] if m.split(".")[0] in PIPELINE_ONLY or m.startswith(PIPELINE_ONLY)] == []


def test_receiving_a_body_reuses_its_buffers_instead_of_faulting_in_fresh_memory_per_chunk(runtime, tmp_path):
    size = 256 * 1024 * 1024
    out = _python(runtime, BODY, str(size), str(tmp_path / "body.upload"))
    assert out["received"] == size
    # before: about 1.25 faults per 4 KiB page received (41,000 here); reused buffers: a few hundred
    assert out["faults"] < size // 4096 // 10, out
