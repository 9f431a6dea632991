"""Keeping OpenMP's idle threads from spinning, whatever was imported before autotape.

Numba's parallel kernels run on OpenMP. Idle OpenMP threads spin by default, and spinning
threads starve NumPy's BLAS threads on small machines (a 784-256-10 training step ran 4x
slower). ``OMP_WAIT_POLICY=PASSIVE`` makes them sleep, but an OpenMP runtime reads it once,
when it is loaded: ``import autotape`` sets it (unless the user did) before any runtime is
loaded where it can, and remembers whether another library (PyTorch, scikit-learn) had
already loaded one. Then the runtime Numba would share spins after every parallel kernel,
so autotape keeps parallel kernels for arrays large enough that the kernel itself outlasts
that spinning (``parallel_min_size``). No Numba import here: it runs at ``import autotape``.

OpenBLAS's idle threads spin too (a pthreads build, as in NumPy's and SciPy's wheels, each
with its own pool, spinning about 0.1 s after each call by default): NumPy's Cholesky next to
SciPy's triangular solves ran 2x slower. autotape's own products and factorizations share one
pool (``autotape.ops.blas``), and ``OPENBLAS_THREAD_TIMEOUT=20``, also read once at load,
bounds the spinning of the pools loaded after ``import autotape`` (SciPy's, which Numba
loads; not a NumPy loaded before) to 2**20 cycles, under a millisecond: long enough to span
the gaps between one computation's consecutive products (a shorter timeout made the mlp
step wake its threads for each: 1.88 -> 2.03 ms), short enough to leave the cores to others
soon after. ``import autotape`` sets it unless the user did.
"""

import os
import sys

# Shared-library names of the OpenMP runtimes in use (GNU, LLVM, Intel).
_RUNTIMES = ("libgomp", "libomp", "libiomp5")
_state = {}


def prefer_passive_waiting():
    """Set OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=20 unless the user set them,
    and note whether an OpenMP runtime had been loaded before (it then ignores the
    setting). Idempotent."""
    if not _state:
        user_policy = os.environ.get("OMP_WAIT_POLICY")
        _state["spins"] = user_policy is None and _runtime_loaded()
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")  # 2**20 cycles of spinning


def runtime_spins():
    """Whether the OpenMP runtime in this process was started without the passive policy."""
    prefer_passive_waiting()
    return _state["spins"]


# Elements from which a parallel kernel runs for longer than a spinning runtime's idle
# threads spin after it (milliseconds), measured on 2 cores: below it, serial kernels.
SPINNING_PARALLEL_MIN_SIZE = 1 << 20


def parallel_min_size(default):
    """The size from which parallel kernels pay: ``default`` unless the runtime spins."""
    return max(default, SPINNING_PARALLEL_MIN_SIZE) if runtime_spins() else default


def _runtime_loaded():
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as maps:
                return any(name in line for line in maps for name in _RUNTIMES)
        except OSError:
            return False
    if sys.platform == "darwin":
        import ctypes

        for name in ("libomp.dylib", "libiomp5.dylib", "libgomp.1.dylib"):
            try:
                ctypes.CDLL(name, mode=os.RTLD_NOLOAD)  # succeeds only if already loaded
                return True
            except OSError:
                pass
    return False
