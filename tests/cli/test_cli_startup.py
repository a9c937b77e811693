"""The CLI loads only what a command needs (start-up time is measured in bench/validate.py).

Each check runs the command in a fresh interpreter, because this test process has loaded
everything already, and lists which heavy packages the command imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "duckdb", "frictionless", "flask", "sqlalchemy", "jsonschema", "email_validator")
PROBE = """
import json, sys
from opendata.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.readline())))
print("\\nLOADED " + json.dumps(loaded))
"""


def _loaded(tmp_path: Path, *args: str) -> tuple[list[str], str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], input=json.dumps([*HEAVY, "pyarrow"]) + "\n",
                          capture_output=True, text=True, check=False, cwd=tmp_path, timeout=120,
                          env={"OPENDATA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    marker = proc.stdout.rfind("LOADED ")
    assert marker >= 0, proc.stderr
    return json.loads(proc.stdout[marker + 7:]), proc.stdout[:marker]


def _files(tmp_path: Path, rows: list[str]) -> tuple[str, str]:
    schema = {"fields": [{"name": "id", "type": "integer", "constraints": {"required": True}},
                         {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
                         {"name": "day", "type": "date"},
                         {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b"]}}],
              "primaryKey": "id"}
    (tmp_path / "s.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "t.csv").write_text("id,amount,day,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(tmp_path / "t.csv"), str(tmp_path / "s.json")


def test_help_loads_no_data_library(tmp_path):
    loaded, out = _loaded(tmp_path, "--help")
    assert "validate" in out and "sync" in out
    assert loaded == []  # not even pyarrow


def test_validate_of_a_small_file_loads_only_pyarrow(tmp_path):
    rows = [f"{i},{i * 1.5},2024-01-{i:02d},a" for i in range(1, 10)] + ["10,-1,2024-01-10,c"]
    csv_path, schema_path = _files(tmp_path, rows)
    loaded, out = _loaded(tmp_path, "validate", csv_path, "--schema", schema_path, "--json")
    report = json.loads(out)
    assert [(e["type"], e["rowNumber"], e["fieldName"]) for e in report["tasks"][0]["errors"]] == [
        ("constraint-error", 11, "amount"), ("constraint-error", 11, "kind")]
    assert loaded == ["pyarrow"]


def test_validate_decides_impossible_iso_dates_without_frictionless(tmp_path):
    rows = [f"{i},{i * 1.5},2024-01-{i:02d},a" for i in range(1, 10)] + ["10,1,2024-13-45,a", "11,1,2023-02-29,b"]
    csv_path, schema_path = _files(tmp_path, rows)
    loaded, out = _loaded(tmp_path, "validate", csv_path, "--schema", schema_path, "--json")
    report = json.loads(out)
    assert [(e["type"], e["rowNumber"], e["fieldName"]) for e in report["tasks"][0]["errors"]] == [
        ("type-error", 11, "day"), ("type-error", 12, "day")]
    assert loaded == ["pyarrow"]  # frictionless' reader was not needed to refuse them


def test_an_unusual_cell_is_still_judged_by_frictionless(tmp_path):
    # a full-width number is for frictionless' own reader to judge: it is loaded for that cell
    csv_path, schema_path = _files(tmp_path, ["1,１２,2024-01-01,a", "2,x,2024-01-02,b"])
    loaded, out = _loaded(tmp_path, "validate", csv_path, "--schema", schema_path, "--json")
    errors = json.loads(out)["tasks"][0]["errors"]
    assert [(e["type"], e["rowNumber"], e["cell"]) for e in errors] == [("type-error", 3, "x")]
    assert "frictionless" in loaded and "pandas" not in loaded



def test_the_cli_starts_numpy_without_a_thread_pool_of_its_own(tmp_path):
    """pyarrow imports numpy, whose OpenBLAS starts a thread per core on import (tens of ms of each
    command's start-up, for linear algebra no command does); the CLI keeps it to the main thread."""
    probe = "import os, opendata.cli, numpy; print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path,
                          timeout=120, env={"OPENDATA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    assert proc.stdout.split() == ["1", "1"], proc.stdout + proc.stderr
