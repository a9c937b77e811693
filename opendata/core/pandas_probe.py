"""Run Arrow work without letting pyarrow import pandas behind our back.

The first time pyarrow converts Python values (``pa.array([...])``, ``pa.scalar(x)``, a compute
function given a Python scalar) it imports pandas to recognise pandas objects, in its Python
layer and again in its C++ converter (which retries on every conversion until the import
succeeds). That import costs about half a second of CPU: more than the rest of validating a
small file. Code that never handles pandas objects (``opendata validate``) runs inside
:func:`without_pandas`, where importing pandas fails: pyarrow then treats every value as a plain
Python value, as it does when pandas is not installed. Afterwards pandas imports normally again,
and pyarrow's own pandas functions (``to_pandas``) import it on their first use.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from importlib.abc import MetaPathFinder


class _NoPandas(MetaPathFinder):
    """An import finder that refuses pandas."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not loaded for this work (opendata.core.pandas_probe)", name=name)
        return None


@contextlib.contextmanager
def without_pandas() -> Iterator[None]:
    """Inside, importing pandas raises ImportError (unless pandas is already loaded)."""
    if "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
