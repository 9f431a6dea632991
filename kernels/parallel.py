"""Whether parallel kernels may run: only on a thread-safe threading layer (TBB or OpenMP).

Numba's fallback layer, workqueue, aborts the process when two Python threads run parallel
kernels at once; where it is all there is, autotape runs serial kernels only."""

import functools

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
    # (Where another library started OpenMP spinning, callers raise their size thresholds:
    # kernels.openmp.parallel_min_size.)
    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "threadsafe"  # TBB or OpenMP, never workqueue
    try:
        _probe(np.ones(4))
    except (ValueError, ImportError, RuntimeError):
        return False
    return numba.threading_layer() in ("tbb", "omp")
