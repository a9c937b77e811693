import subprocess
import sys


def test_streaming_passes_use_jemalloc_unless_the_operator_chose_a_pool():
    code = ("from opendata.core.memory import use_streaming_memory_pool; "
            "import pyarrow as pa; print(use_streaming_memory_pool(), pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == out[1] and out[0] in ("jemalloc", "mimalloc", "system")
    env_out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"ARROW_DEFAULT_MEMORY_POOL": "system", "PATH": ""}).stdout.split()
    assert env_out == ["system", "system"]
