"""Reductions over axes: sum, prod, max, min, argmax and argmin.

Callers collapse the input to one of three layouts first (see autotape.ops.reductions):
everything (``*_all``), ``(outer, inner)`` reduced over inner (``*_rows``) or over outer
(``*_cols``), or the general case through output element strides (``reduce_nd``, 0 stride on
reduced axes). The output array comes initialised (0, 1, -inf, +inf) and in the accumulation
dtype (float64 for float32 sums), so the kernels only fold values into it.
"""

import numpy as np
from numba import njit, prange

from .cache import kernel

SUM, PROD, MAX, MIN = 0, 1, 2, 3


@njit(inline="always")
def _fold(kind, acc, x):
    if kind == SUM:
        return acc + x
    if kind == PROD:
        return acc * x
    if kind == MAX:
        return x if (x > acc or x != x) else acc  # NaN wins, as in NumPy
    return x if (x < acc or x != x) else acc


@kernel(nogil=True)
def reduce_all(X, kind, OUT):
    acc = OUT[0]
    for i in range(X.size):
        acc = _fold(kind, acc, X[i])
    OUT[0] = acc


# Sums may be reassociated, which lets LLVM vectorise them (NaN and inf still propagate).
SUM_MATH = {"reassoc"}


@kernel(nogil=True, fastmath=SUM_MATH)
def sum_all(X, OUT):
    acc = OUT[0]
    for i in range(X.size):
        acc += X[i]
    OUT[0] = acc


@kernel(nogil=True, parallel=True, fastmath=SUM_MATH)
def sum_all_par(X, OUT):
    acc = OUT[0]
    for i in prange(X.size):
        acc += X[i]
    OUT[0] = acc


@kernel(nogil=True, fastmath=SUM_MATH)
def sum_rows(X, OUT):
    for r in range(X.shape[0]):
        acc = OUT[r]
        for c in range(X.shape[1]):
            acc += X[r, c]
        OUT[r] = acc


@kernel(nogil=True)
def reduce_rows(X, kind, OUT):
    """X (outer, inner) -> OUT (outer,)."""
    for r in range(X.shape[0]):
        acc = OUT[r]
        for c in range(X.shape[1]):
            acc = _fold(kind, acc, X[r, c])
        OUT[r] = acc


@kernel(nogil=True, parallel=True)
def reduce_rows_par(X, kind, OUT):
    for r in prange(X.shape[0]):
        acc = OUT[r]
        for c in range(X.shape[1]):
            acc = _fold(kind, acc, X[r, c])
        OUT[r] = acc


@kernel(nogil=True)
def reduce_cols(X, kind, OUT):
    """X (outer, inner) -> OUT (inner,)."""
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            OUT[c] = _fold(kind, OUT[c], X[r, c])


@kernel(nogil=True)
def reduce_nd(X, SO, SHAPE, kind, OUT):
    nd = SHAPE.size
    idx = np.zeros(nd, np.int64)
    io = 0
    for i in range(X.size):
        OUT[io] = _fold(kind, OUT[io], X[i])
        d = nd - 1
        while d >= 0:
            idx[d] += 1
            io += SO[d]
            if idx[d] < SHAPE[d]:
                break
            io -= SO[d] * SHAPE[d]
            idx[d] = 0
            d -= 1


@kernel(nogil=True)
def arg_extremum_rows(X, largest, OUT):
    """X (outer, inner) -> OUT (outer,) int64: the first maximum (``largest``) or minimum
    of each row; NaN counts as both, as in NumPy."""
    for r in range(X.shape[0]):
        best = 0
        for c in range(1, X.shape[1]):
            x = X[r, c]
            b = X[r, best]
            if b != b:
                break
            if (x > b if largest else x < b) or x != x:
                best = c
        OUT[r] = best
