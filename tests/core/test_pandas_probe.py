"""without_pandas: Arrow work without pandas loaded, and pandas usable again afterwards."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from opendata.core.pandas_probe import without_pandas
with without_pandas():
    import pyarrow as pa, pyarrow.compute as pc
    arr = pa.array(["a", None, "b"])
    assert pc.equal(arr, "a").to_pylist() == [True, None, False]
    assert pa.scalar(1.5).as_py() == 1.5
    try:
        import pandas
    except ImportError:
        print("refused")
    assert "pandas" not in sys.modules
frame = pa.table({"x": [1, 2]}).to_pandas()  # pyarrow loads pandas when it is asked for
print(type(frame).__name__, list(frame["x"]))
"""


def test_pandas_is_not_loaded_inside_and_works_after():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["refused", "DataFrame [1, 2]"]


def test_nothing_changes_when_pandas_is_already_loaded():
    import pandas  # noqa: F401  (loaded, as in a server process)

    from opendata.core.pandas_probe import without_pandas

    with without_pandas():
        import pandas as again
    assert again.DataFrame({"x": [1]}).shape == (1, 1)
