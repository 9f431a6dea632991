"""A tape_function's compiled code across processes: a second process compiles nothing (the
interpreter kernel and a fused loop both load), and a damaged cache entry (a fused loop's,
the quickest to compile again) is recovered from: warned about, compiled again, right answers.

Subprocesses get their own cache folder ($AUTOTAPE_CACHE_DIR under pytest's temporary
folder); NUMBA_DEBUG_CACHE=1 makes Numba print each cache save and load.
"""

import glob
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

COMPUTE = r'''
import json, time
start = time.perf_counter()
import autotape as at


def chain(x):
    for _ in range(20):
        x = at.sin(x) * 1.01
    return x


value_and_gradient = at.value_and_grad(at.tape_function(chain))
results = []
for v in (0.5, 0.25, 0.75):
    y, g = value_and_gradient(at.constant(v))
    results.append((float(y), float(g)))
    if len(results) == 2:
        first_compiled = time.perf_counter() - start
info = value_and_gradient.cache_info()

# A large elementwise function: its trace runs as a fused loop, a generated module of its own.
import numpy as np
large = at.value_and_grad(at.tape_function(lambda x: at.reduce_sum(at.sin(x) * 1.5 + x * x)))
points = np.linspace(-1.0, 1.0, 5000)
for _ in range(2):
    large_value, large_gradient = large(at.constant(points))
large_error = float(np.max(np.abs(large_gradient.numpy() - (1.5 * np.cos(points) + 2 * points))))
'''
SCRIPT = COMPUTE + r'''
print("RESULT " + json.dumps({"results": results, "compiled_calls": info.compiled_calls,
                              "compile_seconds": info.compile_seconds,
                              "large_error": large_error,
                              "large_compiled_calls": large.cache_info().compiled_calls,
                              "until_first_compiled_call": first_compiled}))
'''


def expected(v):
    derivative = 1.0
    for _ in range(20):
        derivative *= math.cos(v) * 1.01
        v = math.sin(v) * 1.01
    return v, derivative


def run(cache):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AUTOTAPE_CACHE_DIR", "NUMBA_CACHE_DIR", "PYTHONWARNINGS")}
    env.update(AUTOTAPE_CACHE_DIR=cache, NUMBA_DEBUG_CACHE="1")
    finished = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                              text=True, timeout=300)
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    assert finished.returncode == 0 and lines, finished.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    for (y, g), v in zip(result["results"], (0.5, 0.25, 0.75)):
        assert y == pytest.approx(expected(v)[0], rel=1e-12)
        assert g == pytest.approx(expected(v)[1], rel=1e-12)
    assert result["compiled_calls"] == 2
    assert result["large_compiled_calls"] == 1 and result["large_error"] < 1e-12
    result["saved"] = finished.stdout.count("[cache] data saved")
    result["loaded"] = finished.stdout.count("[cache] data loaded")
    result["stderr"] = finished.stderr
    return result


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A cache folder filled by this process (which runs the script's computation first, so
    that its own folder holds every kernel the script needs): a copy of that folder."""
    import autotape as at
    from autotape.kernels import cache as kernel_cache

    namespace = {}
    exec(COMPUTE, namespace)
    assert namespace["info"].compiled_calls == 2
    folder = kernel_cache.directory()
    assert folder is not None and at is not None
    cache = str(tmp_path_factory.mktemp("filled") / "cache")
    shutil.copytree(folder, os.path.join(cache, os.path.basename(folder)))
    return cache


def test_a_second_process_compiles_nothing(filled, tmp_path):
    cache = str(tmp_path / "cache")
    shutil.copytree(filled, cache)
    second = run(cache)
    assert second["saved"] == 0 and second["loaded"] >= 1, second
    assert second["compile_seconds"] < 0.5, second


def test_a_damaged_fused_loop_entry_is_compiled_again(filled, tmp_path):
    cache = str(tmp_path / "cache")
    shutil.copytree(filled, cache)
    damaged = glob.glob(os.path.join(cache, "**", "fused_*.nbc"), recursive=True)
    assert damaged, os.listdir(cache)
    for path in damaged:
        with open(path, "rb") as f:
            data = bytearray(f.read())
        middle = len(data) // 2
        data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
        with open(path, "wb") as f:
            f.write(bytes(data))
    recovered = run(cache)  # right answers (checked in run), a warning, compiled again
    assert recovered["saved"] >= 1
    assert any(path in recovered["stderr"] for path in damaged), recovered["stderr"][-2000:]
