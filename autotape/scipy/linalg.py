"""``at.scipy.linalg``: scipy.linalg's triangular and Cholesky solves and the matrix
exponential, differentiable, with SciPy's signatures and defaults (``lower=False``). The
``overwrite_*`` and ``check_finite`` arguments only tune SciPy's own work: they change
nothing here."""

import numpy as np

from ..ops import lapack
from ..ops.linalg import band, matrix_transpose
from ..ops.matrix_functions import expm
from ..tensor import as_tensor

__all__ = ["cho_factor", "cho_solve", "expm", "solve_triangular"]

_TRANSPOSES = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _as_columns(b, solve):
    """``solve`` of b as a matrix: a vector (n,) is solved as (n, 1), as SciPy solves it."""
    from ..ops import reshape

    b = as_tensor(b)
    if b.ndim == 1:
        return reshape(solve(reshape(b, (-1, 1))), b.shape)
    return solve(b)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """x with ``a @ x == b`` (``a.T @ x`` for trans 1, 'T', 2 or 'C'), reading only a's lower
    or upper triangle; ``unit_diagonal``: its diagonal taken as ones, not read."""
    if trans not in _TRANSPOSES:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
                         f"{trans!r}")
    a = as_tensor(a)
    if unit_diagonal:
        a = band(a, high=-1) if lower else band(a, low=1)
        a = a + np.eye(a.shape[-1], dtype=a.dtype)
    return _as_columns(b, lambda rhs: lapack.triangular_solve(
        a, rhs, lower=lower, adjoint=_TRANSPOSES[trans]))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): c holds the Cholesky factor of a in its lower (``lower``) or upper
    triangle, read from that triangle of a. SciPy leaves arbitrary values in c's other
    triangle; here it is zero."""
    factor = lapack.cholesky(a) if lower else matrix_transpose(
        lapack.cholesky(matrix_transpose(a)))
    return factor, lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with ``a @ x == b``, from ``cho_factor(a)``'s (c, lower)."""
    c, lower = c_and_lower
    c = as_tensor(c)
    if lower:
        return _as_columns(b, lambda rhs: lapack.cholesky_solve(c, rhs))
    # a == U.T @ U: solve U.T y == b, then U x == y
    return _as_columns(b, lambda rhs: lapack.triangular_solve(
        c, lapack.triangular_solve(c, rhs, lower=False, adjoint=True), lower=False))
