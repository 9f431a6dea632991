"""Whether parallel kernels may run: only on a thread-safe threading layer (TBB or OpenMP).

Numba's fallback layer, workqueue, aborts the process when two Python threads run parallel
kernels at once; where it is all there is, autotape runs serial kernels only."""

import functools
import os

import numba
import numpy as np
from numba import prange

from .cache import kernel


@kernel(parallel=True)
def _probe(x):
    total = 0.0
    for i in prange(x.size):
        total += x[i]
    return total


@functools.cache
def thread_safe_layer():
    # Idle OpenMP threads sleep instead of spinning: spinning threads starve NumPy's BLAS
    # threads and other processes on small machines (tanh(x @ w) ran 20-50x slower on
    # 2 cores). Read when OpenMP starts, so it must be set before the first parallel
    # kernel; a value the user set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "threadsafe"  # TBB or OpenMP, never workqueue
    try:
        _probe(np.ones(4))
    except (ValueError, ImportError, RuntimeError):
        return False
    return numba.threading_layer() in ("tbb", "omp")
