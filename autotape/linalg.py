"""``at.linalg``: TensorFlow's ``tf.linalg`` names for autotape's matrix operations."""

from .ops.lapack import (cholesky, cholesky_solve, det, eigh, eigvalsh, inv, logdet, slogdet,
                         solve, triangular_solve)
from .ops.linalg import band_part, matmul, matrix_transpose, norm

__all__ = ["band_part", "cholesky", "cholesky_solve", "det", "eigh", "eigvalsh", "inv", "logdet",
           "matmul", "matrix_transpose", "norm", "slogdet", "solve", "triangular_solve"]
