"""Whose BLAS and LAPACK run autotape's matrix products, Cholesky factors and triangular
solves: SciPy's where SciPy is installed, NumPy's otherwise.

NumPy's and SciPy's wheels each bring their own OpenBLAS, each with its own pool of threads,
and an idle pool spins for a while after every call: about 0.1 s, unless
OPENBLAS_THREAD_TIMEOUT was set before that library loaded, which ``import autotape`` cannot
do for a NumPy imported before it. A chain alternating NumPy's products and Cholesky factors
with SciPy's triangular solves (NumPy has none) then runs four busy threads on two cores:
the bench's gp gradient took 20.1-20.5 ms with NumPy's products and Cholesky factors, and
16.8-17.6 ms with these three in SciPy's library alone. So they share one library, and
NumPy's pool stays asleep.

Only 2-d float32/float64 matrices take SciPy's routines (the hot case); batches, other
dtypes and empty matrices take NumPy's, as does everything without SciPy. SciPy's routines
read C-ordered operands in place as the Fortran-ordered transposes they are.
"""

import functools

import numpy as np

_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}


@functools.cache
def _scipy_linalg():
    """scipy.linalg (with its blas and lapack modules loaded), or None without SciPy."""
    try:
        import scipy.linalg
        import scipy.linalg.blas  # noqa: F401
        import scipy.linalg.lapack  # noqa: F401
    except ImportError:
        return None
    return scipy.linalg


def _routine(module, name, *arrays):
    """SciPy's BLAS or LAPACK routine ``name`` for these 2-d non-empty float matrices of one
    dtype, or None (then NumPy's function runs)."""
    linalg = _scipy_linalg()
    dtype = arrays[0].dtype
    if linalg is None or dtype not in _PREFIX or any(
            a.ndim != 2 or a.dtype != dtype or a.size == 0 for a in arrays):
        return None
    return getattr(getattr(linalg, module), _PREFIX[dtype] + name)


def _fortran(x):
    """(matrix, trans): x as a Fortran-ordered matrix, or the transpose of one (trans 1), which
    BLAS reads in place; a copy only where x is neither."""
    if x.flags.f_contiguous:
        return x, 0
    if x.flags.c_contiguous:
        return x.T, 1
    return np.asfortranarray(x), 0


def matmul(a, b):
    """a @ b, in C order."""
    gemm = _routine("blas", "gemm", a, b)
    if gemm is None:
        return np.matmul(a, b)
    # (a b).T = b.T a.T: BLAS's column-major product of the transposes is the C-ordered
    # product, and every operand is read where it lies.
    (p, trans_p), (q, trans_q) = _fortran(b.T), _fortran(a.T)
    return gemm(1.0, p, q, trans_a=trans_p, trans_b=trans_q).T


def cholesky(a):
    """The lower-triangular Cholesky factor of a's lower triangle, in C order; NumPy's
    LinAlgError where it is not positive definite."""
    potrf = _routine("lapack", "potrf", a)
    if potrf is None:
        return np.linalg.cholesky(a)
    # a's lower triangle is the upper one of a.T (Fortran-ordered), whose factor U = L.T.
    u, info = potrf(a.T, lower=0, clean=1)
    if info > 0:
        raise np.linalg.LinAlgError("Matrix is not positive definite")
    if info < 0:
        raise ValueError(f"LAPACK potrf: illegal value in argument {-info}")
    return u.T


def triangular_solve(a, b, lower, adjoint):
    """X with ``a @ X == b`` (``a.T @ X == b`` if adjoint), reading only a's lower (or upper)
    triangle, in C order; a LinAlgError where a has a zero on its diagonal."""
    trsm = _routine("blas", "trsm", a, b)
    if trsm is None:  # NumPy has no triangular solve: its general one, on the triangle
        t = np.tril(a) if lower else np.triu(a)
        return np.linalg.solve(t.T if adjoint else t, b)
    zeros = np.flatnonzero(np.diagonal(a) == 0)
    if zeros.size:
        raise np.linalg.LinAlgError(f"Singular matrix: a zero on the diagonal, row {zeros[0]}")
    x = np.array(b, order="C")  # the solution takes its place
    # X.T = b.T op(a).T^-1: a solve from the right on the Fortran-ordered transposes. The
    # matrix stored is a.T (its triangle the other one), or a itself where only a is
    # Fortran-ordered (stored_is_a: then read transposed).
    stored, stored_is_a = _fortran(a.T)
    trsm(1.0, stored, x.T, side=1, lower=int(lower if stored_is_a else not lower),
         trans_a=int(bool(stored_is_a) != adjoint), overwrite_b=1)
    return x
