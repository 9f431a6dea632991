"""``at.linalg``: TensorFlow's ``tf.linalg`` names for autotape's matrix operations."""

from .ops.lapack import (cholesky, cholesky_solve, det, eigh, eigvalsh, inv, logdet, qr,
                         slogdet, solve, svd, triangular_solve)
from .ops.linalg import band_part, matmul, matrix_transpose, norm
from .ops.matrix_functions import expm, matrix_power, pinv
from .ops.matrix_functions import tensorflow_lstsq as lstsq

__all__ = ["band_part", "cholesky", "cholesky_solve", "det", "eigh", "eigvalsh", "expm", "inv",
           "logdet", "lstsq", "matmul", "matrix_power", "matrix_transpose", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "triangular_solve"]
