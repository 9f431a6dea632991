"""autotape's parallel kernels and another library's OpenMP runtime loaded before it."""

import os
import subprocess
import sys

import pytest

REPORT = """
import os
import numpy as np
import autotape as at
from autotape.kernels import openmp
from autotape.ops import elementwise, reductions
x = at.constant(np.linspace(0.0, 1.0, 100_000))
with at.GradientTape() as tape:
    tape.watch(x)
    y = at.reduce_sum(at.sin(x) * x)
g = tape.gradient(y, x).numpy()
assert np.allclose(g, np.sin(x.numpy()) + x.numpy() * np.cos(x.numpy()), rtol=1e-12)
print(openmp.runtime_spins(), os.environ["OMP_WAIT_POLICY"], elementwise.PARALLEL_MIN_SIZE,
      reductions.PARALLEL_MIN_SIZE)
"""
# Another library's OpenMP runtime, loaded (and so started) before autotape: Numba's own
# OpenMP threading layer stands in for PyTorch's or scikit-learn's.
LOAD_OPENMP_FIRST = "import numba.np.ufunc.omppool\n"


def _report(prelude="", **environment):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env.update(environment)
    finished = subprocess.run([sys.executable, "-c", prelude + REPORT], capture_output=True,
                              text=True, env=env, timeout=300)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.split()


def _has_openmp_layer():
    try:
        import numba.np.ufunc.omppool  # noqa: F401
    except ImportError:
        return False
    return True


def test_autotape_imported_first_asks_openmp_to_sleep_and_keeps_its_thresholds():
    assert _report() == ["False", "PASSIVE", "16384", "65536"]


@pytest.mark.skipif(not _has_openmp_layer(), reason="this Numba build has no OpenMP layer")
def test_a_runtime_started_before_autotape_keeps_parallel_kernels_for_large_arrays_only():
    spins, policy, elementwise, reductions = _report(LOAD_OPENMP_FIRST)
    assert (spins, policy) == ("True", "PASSIVE")
    assert int(elementwise) == int(reductions) == 1 << 20


@pytest.mark.skipif(not _has_openmp_layer(), reason="this Numba build has no OpenMP layer")
def test_a_wait_policy_the_user_set_wins():
    assert _report(LOAD_OPENMP_FIRST, OMP_WAIT_POLICY="PASSIVE")[:3] == [
        "False", "PASSIVE", "16384"]
    assert _report(OMP_WAIT_POLICY="ACTIVE")[:2] == ["False", "ACTIVE"]


def test_openblas_idle_threads_are_asked_to_sleep_unless_the_user_said_otherwise():
    """OpenBLAS pools (NumPy's, SciPy's) spin when idle and starve their neighbours:
    autotape asks the ones loaded after it to sleep within a millisecond."""
    code = "import os, autotape; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"

    def timeout(**environment):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
        env.update(environment)
        finished = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  text=True, env=env, timeout=300)
        assert finished.returncode == 0, finished.stderr
        return finished.stdout.strip()

    assert timeout() == "20"
    assert timeout(OPENBLAS_THREAD_TIMEOUT="6") == "6"
