"""What SQLite serialises, PostgreSQL runs at once: several `opendata` processes acting together on one
database (two uploads, two reviewers, a sync during uploads) leave it as if they had run one by one.

Each process imports everything first and waits at a barrier, so the commands really overlap."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main
from tests.conftest import BASIC_CATALOG, write_catalog
from tests.live_server import ROOT

pytestmark = pytest.mark.postgresql


def _child(barrier, env: dict[str, str], cwd: str, commands: list[list[str]], log: str) -> None:
    os.environ.update(env)
    os.chdir(cwd)
    # everything is imported (the test module imports the CLI) before the barrier: only the commands race
    codes = []
    with open(log, "w", encoding="utf-8") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        barrier.wait(timeout=120)
        for args in commands:
            try:
                main(args, prog_name="opendata")
                codes.append(0)
            except SystemExit as stop:
                codes.append(stop.code if isinstance(stop.code, int) else 1)
            sys.stdout.flush()
    Path(log + ".codes").write_text(json.dumps(codes))


def at_once(env: dict[str, str], cwd: Path, *scripts: list[list[str]]) -> list[tuple[list[int], str]]:
    """Run each script (`opendata` commands in order) in a process of its own, all released together;
    returns each one's exit codes and output."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(scripts))
    logs = [str(cwd / f"process-{i}.log") for i in range(len(scripts))]
    procs = [ctx.Process(target=_child, args=(barrier, env, str(cwd), script, log))
             for script, log in zip(scripts, logs, strict=True)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return [(json.loads(Path(log + ".codes").read_text()), Path(log).read_text(encoding="utf-8")) for log in logs]


def _reviewer(barrier, env: dict[str, str], username: str, numbers: list[int], out: str) -> None:
    """Take step 'review' of each version as ``username``, released with the other reviewer: connected and
    signed in beforehand, so only the steps race (a few milliseconds each)."""
    os.environ.update(env)
    from opendata.config import load_config
    from opendata.core.errors import OpendataError
    from opendata.services.accounts import user_get, viewer_for_user
    from opendata.services.review import review_step
    from opendata.services.runtime import Runtime

    rt = Runtime(load_config())
    with rt.sessions() as session:
        viewer = viewer_for_user(session=session, user=user_get(session=session, username=username))
    outcomes = []
    barrier.wait(timeout=120)
    for n in numbers:
        try:
            review_step(runtime=rt, viewer=viewer, identifier="budget", number=n, step="review")
            outcomes.append("taken")
        except OpendataError as err:
            outcomes.append(f"{type(err).__name__}: {err}")
    rt.close()
    Path(out).write_text(json.dumps(outcomes), encoding="utf-8")


@pytest.fixture
def project_env(runtime, project, monkeypatch):
    """An initialised, synced project on the pass's PostgreSQL; returns (env, run): the settings the
    processes get, and `opendata ARGS` run in this process (quicker than an interpreter each)."""
    env = {"OPENDATA_HOME": str(runtime.config.home), "OPENDATA_DATABASE_URL": runtime.config.database_url,
           "PYTHONPATH": str(ROOT)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(project)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, f"opendata {' '.join(args)}: {result.output}"
        return result.output

    run("sync")
    return env, run


def _source(path: Path, seed: int, rows: int = 3000) -> Path:
    rng = random.Random(seed)
    lines = ["id,name,amount"] + [f"{i},项目{rng.randrange(10**6)},{rng.randrange(10**5) / 100}"
                                  for i in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _versions(run) -> list[dict]:
    return json.loads(run("versions", "budget", "--json"))


def test_two_uploads_at_once_make_versions_1_and_2_with_their_own_files(project_env, project, tmp_path):
    env, run = project_env
    first, second = _source(tmp_path / "first.csv", 1), _source(tmp_path / "second.csv", 2)
    results = at_once(env, project, [["ingest", "budget", str(first)]], [["ingest", "budget", str(second)]])
    assert [codes for codes, _ in results] == [[0], [0]], results
    versions = _versions(run)
    assert sorted(v["number"] for v in versions) == [1, 2]
    assert {v["state"] for v in versions} == {"awaiting-review"}
    assert {v["file"] for v in versions} == {"first.csv", "second.csv"}
    assert len({v["sha256"] for v in versions}) == 2 and {v["rows"] for v in versions} == {3000}


def test_two_reviewers_taking_the_same_step_at_once_record_it_once(project_env, project, tmp_path):
    env, run = project_env
    run("users", "create", "pub", "--organization", "finance", "--role", "publisher")
    for name in ("rev1", "rev2"):
        run("users", "create", name, "--organization", "finance", "--role", "reviewer")
    numbers = list(range(1, 7))
    for n in numbers:
        run("ingest", "budget", str(_source(tmp_path / f"v{n}.csv", 10 + n, rows=20)))
        run("review", "step", "budget", str(n), "submit", "--as", "pub")
    # both reviewers take step 'review' of each version, in the same order, together
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    outs = [tmp_path / f"{who}.json" for who in ("rev1", "rev2")]
    procs = [ctx.Process(target=_reviewer, args=(barrier, env, who, numbers, str(out)))
             for who, out in zip(("rev1", "rev2"), outs, strict=True)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0]
    first, second = (json.loads(out.read_text(encoding="utf-8")) for out in outs)
    for n, a, b in zip(numbers, first, second, strict=True):
        shown = json.loads(run("review", "show", "budget", str(n), "--json"))
        steps = [d["step"] for d in shown["decisions"] if d["outcome"] == "done"]
        assert steps == ["submit", "review"], (n, a, b, shown["decisions"])
        # one of them took it; the other was told the next step is now 'approve'
        assert sorted([a, b])[1] == "taken" and "the next step" in sorted([a, b])[0], (n, a, b)


def test_a_sync_during_two_uploads_loses_nothing(project_env, project, tmp_path):
    env, run = project_env
    write_catalog(project, BASIC_CATALOG.replace("示例市财政预算", "示例市财政预算（修订）"))
    first, second = _source(tmp_path / "first.csv", 3), _source(tmp_path / "second.csv", 4)
    results = at_once(env, project, [["ingest", "budget", str(first)]], [["sync"]],
                      [["ingest", "budget", str(second)]])
    assert [codes for codes, _ in results] == [[0], [0], [0]], results
    assert sorted(v["number"] for v in _versions(run)) == [1, 2]
    datasets = json.loads(run("datasets", "--json"))
    assert [d["title"] for d in datasets if d["id"] == "budget"] == ["示例市财政预算（修订）"]
