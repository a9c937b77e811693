"""Work in a child process: errors, progress and results come back; memory is limited; a killed
parent leaves no child behind."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opendata.core.childprocess import ChildFailedError, run_in_child
from opendata.core.errors import LimitError, Problem, StorageFullError, ValidationError
from opendata.core.pipeline import run_pipeline
from opendata.core.tableschema import load_table_schema

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def add(a: int, b: int, *, progress=None) -> int:
    for i in range(3):
        progress(i, a + b)
        time.sleep(0.06)  # progress is sent at most every 50 ms
    return a + b


def refuse() -> None:
    raise ValidationError("no", problems=[Problem("bad", "really", path="x")])


def grow(step_mb: int) -> None:
    kept = []
    while True:
        kept.append(bytearray(step_mb * MB))  # touched: resident, not only reserved


def allocate_at_once(gb: int) -> None:
    bytearray(gb * 1024 * MB)


def thread_refused() -> None:
    # what threading raises when a new thread's stack cannot be mapped under RLIMIT_AS
    raise RuntimeError("can't start new thread")


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def address_space_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def pipeline_with_small_files(limit_bytes: int, *args, **kwargs):
    """run_pipeline where no file may grow beyond ``limit_bytes`` (as if the disk were full)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then write() fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return run_pipeline(*args, **kwargs)


def test_results_and_progress_come_back_from_the_child():
    seen = []
    assert run_in_child(add, 2, 3, memory_bytes=512 * MB, progress=lambda *v: seen.append(v)) == 5
    assert seen and all(v[1] == 5 for v in seen)


def test_errors_come_back_as_the_same_exception_with_their_problems():
    with pytest.raises(ValidationError) as caught:
        run_in_child(refuse, memory_bytes=512 * MB)
    assert caught.value.problems == [Problem("bad", "really", path="x")]


def test_a_child_growing_past_its_memory_limit_is_stopped_and_named():
    with pytest.raises(LimitError, match=r"^reading x.csv needs more memory than the limit of 300 MB"):
        run_in_child(grow, 20, memory_bytes=300 * MB, what="reading x.csv")


def test_one_huge_allocation_fails_at_once_against_the_address_space_cap():
    limit = run_in_child(address_space_limit, memory_bytes=300 * MB)
    assert limit != resource.RLIM_INFINITY and limit < 16 * 1024 * MB
    with pytest.raises(LimitError, match="needs more memory than the limit of 300 MB"):
        run_in_child(allocate_at_once, 64, memory_bytes=300 * MB)


def test_a_thread_that_cannot_start_under_the_cap_is_the_memory_limit_not_an_internal_error():
    # reading ahead starts a thread inside the child; at the address-space cap that fails this way
    with pytest.raises(LimitError, match=r"^reading x\.csv needs more memory than the limit of 300 MB\n"):
        run_in_child(thread_refused, memory_bytes=300 * MB, what="reading x.csv")


def test_a_crashing_child_is_an_internal_error_not_a_crash_of_the_caller():
    with pytest.raises(ChildFailedError, match="stopped unexpectedly"):
        run_in_child(crash, memory_bytes=300 * MB)
    assert run_in_child(add, 1, 1, memory_bytes=300 * MB, progress=lambda *v: None) == 2  # still usable


def test_the_child_dies_with_the_process_that_started_it(tmp_path):
    script = (
        "import sys, time\n"
        "from opendata.core.childprocess import run_in_child\n"
        "if __name__ == '__main__':\n"
        "    run_in_child(time.sleep, 120, memory_bytes=300 * 2**20)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        tree = _wait_for_forked_child(parent.pid)
    finally:
        parent.kill()  # SIGKILL: no clean-up code runs in the parent
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in tree if _alive(pid)], "the child (or the fork server) outlived its killed parent"


def test_a_full_disk_while_writing_outputs_names_the_file_and_leaves_nothing(tmp_path):
    source = tmp_path / "big.csv"
    source.write_text("id,name\n" + "".join(f"{i},名称{i}\n" for i in range(200_000)), encoding="gb18030")
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "name"}]})
    out = tmp_path / "out"
    # the GB18030 source fits; its UTF-8 copies (1.5 times larger) do not
    with pytest.raises(StorageFullError, match=r"the server could not write the working files of this ingest .* "
                                               r"file too large; nothing was changed"):
        run_in_child(pipeline_with_small_files, source.stat().st_size + 1000, source, schema, out,
                     memory_bytes=1024 * MB)
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for c in children.get(parent, []):
            out.append((c, parent))
            todo.append(c)
    return out


def _wait_for_forked_child(pid: int) -> list[int]:
    """The processes below ``pid`` once the fork server has forked the child (a grandchild)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tree = _descendants(pid)
        if any(parent != pid for _, parent in tree):
            return [p for p, _ in tree]
        time.sleep(0.1)
    raise AssertionError(f"no child was forked below {pid}: {_descendants(pid)}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
