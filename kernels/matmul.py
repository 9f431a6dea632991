"""Small matrix products as loops, on flat C-ordered arrays.

Eager matmuls of small operands run here rather than in BLAS, and the interpreter kernel of
``tape_function`` calls this same function, so a traced product is eager's to the bit. Each
output element is its sum over k in order from 0, accumulated in float64 (a float32 product
is exact in float64) and rounded once: whichever loop order runs, the result is the same.
"""

import numpy as np

from .cache import kernel

_ROW_MIN = 8  # output columns from which rows of B are accumulated at once (vectorised)


@kernel(nogil=True, error_model="numpy")
def matmul_into(A, B, OUT, batch, m, k, n, step_a, step_b):
    """OUT[b, i, j] = sum over p of A[b, i, p] B[b, p, j]: matrix b of A starts at
    b * step_a (a step of 0: one matrix for every b), of B at b * step_b."""
    ACC = np.empty(n)
    for b in range(batch):
        a0, b0, c0 = b * step_a, b * step_b, b * m * n
        for i in range(m):
            RA = A[a0 + i * k:a0 + i * k + k]
            C = OUT[c0 + i * n:c0 + i * n + n]
            if n < _ROW_MIN:  # a dot product per element
                for j in range(n):
                    acc = 0.0
                    for p in range(k):
                        acc += np.float64(RA[p]) * B[b0 + p * n + j]
                    C[j] = acc
                continue
            ACC[:] = 0.0
            for p in range(k):
                x = np.float64(RA[p])
                RB = B[b0 + p * n:b0 + p * n + n]
                for j in range(n):
                    ACC[j] += x * RB[j]
            for j in range(n):
                C[j] = ACC[j]
