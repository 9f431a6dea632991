"""Matrix products on C-contiguous stacks of matrices, through the same BLAS as NumPy."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def matmul_float(A, B, OUT):
    """A (batch, n, k) @ B (batch, k, m) -> OUT (batch, n, m), float32 or float64."""
    for i in range(A.shape[0]):
        np.dot(A[i], B[i], OUT[i])


@njit(cache=True, nogil=True)
def matmul_generic(A, B, OUT):
    """The same for dtypes BLAS has no routine for (integers)."""
    for i in range(A.shape[0]):
        for r in range(A.shape[1]):
            for c in range(B.shape[2]):
                acc = OUT[i, r, c]
                for k in range(A.shape[2]):
                    acc += A[i, r, k] * B[i, k, c]
                OUT[i, r, c] = acc
