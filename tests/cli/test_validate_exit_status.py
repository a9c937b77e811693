"""`opendata validate` run as a process ends with its own exit status, never an abort at exit.

Once in about 150 runs the process used to die after printing its report with "terminate called
without an active exception" (SIGABRT), so a valid file did not exit 0. The files here are large
enough for several CSV blocks, and the invalid ones make the reader stop a pass early and read
again (a blank line), call the invalid-row handler (rows with extra cells) and transcode
(GB18030): the paths that leave Arrow work behind a closed reader. Generated with random.Random(42).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

OPENDATA = Path(sys.executable).parent / "opendata"
SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "day", "type": "date"},
        {"name": "org", "type": "string"},
    ],
    "primaryKey": "id",
}
ROWS = 160_000  # about 6 MB: two 4 MB blocks


def _rows(rng: random.Random, spoil: bool) -> list[str]:
    lines = ["id,amount,day,org"]
    for i in range(1, ROWS + 1):
        cells = [str(i), f"{rng.uniform(0, 9999):.2f}", f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-"
                 f"{rng.randint(1, 28):02d}", rng.choice(["朝阳区税务局", "西湖区教育局", "财政局"])]
        if spoil and rng.randrange(500) == 0:
            rng.choice([lambda c: c.append("多余"), lambda c: c.__setitem__(1, "-5"),
                        lambda c: c.__setitem__(2, "2020-13-45")])(cells)
        lines.append(",".join(cells))
        if spoil and i == ROWS // 2:
            lines.append("")  # a blank line half-way: the reader reads the file again
    return lines


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exit")
    rng = random.Random(42)
    (folder / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    (folder / "valid.csv").write_text("\n".join(_rows(rng, False)) + "\n", encoding="utf-8")
    (folder / "invalid.csv").write_text("\n".join(_rows(rng, True)) + "\n", encoding="utf-8")
    (folder / "invalid-gb18030.csv").write_bytes(("\n".join(_rows(rng, True)) + "\n").encode("gb18030"))
    (folder / "binary.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    return {p.name: p for p in folder.iterdir()}


@pytest.mark.parametrize(("name", "status"), [
    ("valid.csv", 0), ("invalid.csv", 1), ("invalid-gb18030.csv", 1), ("binary.csv", 2), ("missing.csv", 2),
])
def test_validate_as_a_process_exits_with_its_status_and_no_abort(files, name, status):
    folder = files["schema.json"].parent
    for _ in range(2):
        proc = subprocess.run([str(OPENDATA), "validate", name, "--schema", "schema.json", "--json"], cwd=folder,
                              capture_output=True, text=True, timeout=300, check=False)
        assert "terminate called" not in proc.stderr
        assert proc.returncode == status, proc.stderr[-2000:]
        if status != 2 or name == "binary.csv":
            assert json.loads(proc.stdout)["valid"] is (status == 0)
