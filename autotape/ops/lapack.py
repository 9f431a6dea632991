"""Matrix functions whose forward is LAPACK: Cholesky, triangular and general solves, the
inverse, the determinant and its logarithm, the symmetric eigendecomposition.

Every function works on the matrices in the last two axes, with NumPy's broadcasting of the
leading ones; integer inputs become float64, as in NumPy. The forwards are NumPy's (SciPy's
triangular solve where SciPy is installed; without it, NumPy's general solve of the
triangle). The gradients are the standard adjoint formulas, written in autotape operations so
that they differentiate again, and take leading batch axes (batched Jacobians).

Conventions: ``cholesky`` and ``eigh`` read the lower triangle, and their gradients are the
symmetric matrix of a symmetric argument (as in PyTorch and JAX). A triangular solve reads
only its triangle, and its gradient with respect to the matrix is zero in the other one.
"""

import functools

import numpy as np

from . import registry
from .core import run
from .linalg import _float, band, matmul, matrix_transpose


def _square(a, what):
    """``a`` as a float Tensor of square matrices in its last two axes (else a clear error)."""
    x = _float(a)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{what}: expected square matrices in the last two axes, got shape "
                         f"{x.shape}")
    return x


def _lapack(what, compute, *arrays):
    """``compute(*arrays)``, NumPy's LinAlgError named after the operation."""
    try:
        return compute(*arrays)
    except np.linalg.LinAlgError as error:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise np.linalg.LinAlgError(f"{what}: {error} (shape {shapes})") from None


def _system(matrix, rhs, what):
    """The float Tensors of a solve ``matrix @ X == rhs``, of one dtype: square matrices, and
    right-hand sides (..., n, k) whose leading axes broadcast with theirs (clear errors)."""
    from .selection import cast

    a, b = _square(matrix, what), _float(rhs)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ValueError(f"{what}: rhs of shape {b.shape} does not fit matrices of shape "
                         f"{a.shape} (expected (..., {a.shape[-1]}, k))")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"{what}: the leading axes of {a.shape} and {b.shape} do not "
                         "broadcast") from None
    dtype = np.promote_types(a.dtype, b.dtype)
    return (a if a.dtype == dtype else cast(a, dtype)), (b if b.dtype == dtype else cast(b, dtype))


def _triangle(x, lower):
    """x's lower (or upper) triangle, zeros elsewhere."""
    return band(x, high=0) if lower else band(x, low=0)


# --- Cholesky ----------------------------------------------------------------------------
def cholesky(a, name=None):
    """The lower-triangular L with ``L @ L.T == a``, of symmetric positive-definite matrices
    (only the lower triangle of ``a`` is read)."""
    return run("Cholesky", (_square(a, "cholesky"),))


registry.define("Cholesky", lambda a: _lapack("cholesky", np.linalg.cholesky, a), "outputs")


@registry.RegisterGradient("Cholesky", batch_aware=True)
def _cholesky_grad(op, g):
    # A's gradient is L^-T M L^-1, M = (P + P.T) / 2 for P = Phi(L.T @ g): the lower triangle
    # with the diagonal halved (Murray 2016, "Differentiation of the Cholesky
    # decomposition"); p below is P / 2, so M = p + p.T. Being symmetric, the gradient is
    # L^-T (L^-T M).T: two triangular solves.
    (L,) = op.outputs
    n = L.shape[-1]
    half_phi = (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)) * 0.5
    p = band(matmul(matrix_transpose(L), g), high=0) * half_phi.astype(L.dtype)
    half = triangular_solve(L, p + matrix_transpose(p), lower=True, adjoint=True)
    return (triangular_solve(L, matrix_transpose(half), lower=True, adjoint=True),)


# --- triangular solve -----------------------------------------------------------------------
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """X with ``matrix @ X == rhs`` (``matrix.T @ X == rhs`` if ``adjoint``), reading only
    the lower (or upper) triangle of ``matrix``; rhs is a matrix (..., n, k)."""
    a, b = _system(matrix, rhs, "triangular_solve")
    return run("MatrixTriangularSolve", (a, b), {"lower": bool(lower),
                                                 "adjoint": bool(adjoint)})


@functools.cache
def _scipy_triangular():
    try:
        from scipy.linalg import solve_triangular
    except ImportError:
        return None
    return solve_triangular


def _triangular_forward(a, b, lower, adjoint):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    solve = _scipy_triangular()
    if solve is None:  # NumPy has no triangular solve: its general one, on the triangle
        t = np.tril(a) if lower else np.triu(a)
        return _lapack("triangular_solve", np.linalg.solve,
                       np.swapaxes(t, -1, -2) if adjoint else t, b)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(b.shape, np.result_type(a, b))
    for index in np.ndindex(*batch):
        out[index] = _lapack("triangular_solve", functools.partial(
            solve, lower=lower, trans=1 if adjoint else 0, check_finite=False), a[index], b[index])
    return out


registry.define("MatrixTriangularSolve", _triangular_forward, "both")


@registry.RegisterGradient("MatrixTriangularSolve", batch_aware=True)
def _triangular_solve_grad(op, g):
    a, _ = op.inputs
    (x,) = op.outputs
    lower, adjoint = op.attrs["lower"], op.attrs["adjoint"]
    gb = triangular_solve(a, g, lower=lower, adjoint=not adjoint)
    ga = -(matmul(x, matrix_transpose(gb)) if adjoint else matmul(gb, matrix_transpose(x)))
    return _triangle(ga, lower), gb


# --- general solve, inverse, determinants -----------------------------------------------------
def solve(matrix, rhs, adjoint=False, name=None):
    """X with ``matrix @ X == rhs`` (``matrix.T`` if ``adjoint``), TensorFlow's
    ``linalg.solve``: rhs is a matrix (..., n, k)."""
    a, b = _system(matrix, rhs, "solve")
    return run("MatrixSolve", (matrix_transpose(a) if adjoint else a, b))


def numpy_solve(a, b):
    """``np.linalg.solve``: b is one vector (n,) or matrices (..., n, k)."""
    x = _float(b)
    if x.ndim == 1:
        from .shape import reshape

        return reshape(solve(a, reshape(x, (x.shape[0], 1))), x.shape)
    return solve(a, x)


registry.define("MatrixSolve", lambda a, b: _lapack("solve", np.linalg.solve, a, b), "both")


@registry.RegisterGradient("MatrixSolve", batch_aware=True)
def _solve_grad(op, g):
    a, _ = op.inputs
    (x,) = op.outputs
    gb = solve(a, g, adjoint=True)
    return -matmul(gb, matrix_transpose(x)), gb


def inv(a, name=None):
    """The inverse of each matrix."""
    return run("MatrixInverse", (_square(a, "inv"),))


registry.define("MatrixInverse", lambda a: _lapack("inv", np.linalg.inv, a), "outputs")


@registry.RegisterGradient("MatrixInverse", batch_aware=True)
def _inv_grad(op, g):
    (y,) = op.outputs
    yt = matrix_transpose(y)
    return (-matmul(matmul(yt, g), yt),)


def det(a, name=None):
    """The determinant of each matrix. Its gradient is det(a) inv(a).T, so at a singular
    matrix it raises (as inv does); slogdet's log|det| is the stable route."""
    return run("MatrixDeterminant", (_square(a, "det"),))


registry.define("MatrixDeterminant", lambda a: np.asarray(_lapack("det", np.linalg.det, a)),
                "both")


@registry.RegisterGradient("MatrixDeterminant", batch_aware=True)
def _det_grad(op, g):
    from .shape import expand_dims

    (a,), (d,) = op.inputs, op.outputs
    scale = expand_dims(expand_dims(g * d, -1), -1)
    return (scale * matrix_transpose(inv(a)),)


def slogdet(a, name=None):
    """(sign, log|det|) of each matrix, as ``np.linalg.slogdet``; only log|det| has a
    gradient (inv(a).T)."""
    return run("LogMatrixDeterminant", (_square(a, "slogdet"),))


def _slogdet_forward(a):
    sign, logabsdet = _lapack("slogdet", np.linalg.slogdet, a)
    return np.asarray(sign), np.asarray(logabsdet)


registry.define("LogMatrixDeterminant", _slogdet_forward, "inputs")


@registry.RegisterGradient("LogMatrixDeterminant", batch_aware=True, accepts_missing=True)
def _slogdet_grad(op, g_sign, g_logabsdet):
    from .shape import expand_dims

    if g_logabsdet is None:
        return (None,)
    (a,) = op.inputs
    return (expand_dims(expand_dims(g_logabsdet, -1), -1) * matrix_transpose(inv(a)),)


# --- symmetric eigendecomposition -------------------------------------------------------------
def eigh(a, name=None):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices, reading the
    lower triangle, as ``np.linalg.eigh``. The gradient is the symmetric one. Eigenvectors
    are defined up to sign (and, for a repeated eigenvalue, up to a rotation within its
    eigenspace): differentiate functions that do not depend on that choice. Where two
    eigenvalues are equal, the terms 1 / (w_j - w_i) of the eigenvectors' gradient are
    taken as 0, which is exact for such functions; close eigenvalues make those terms large,
    as in every library."""
    return run("SelfAdjointEigV2", (_square(a, "eigh"),))


def _eigh_forward(a):
    w, v = _lapack("eigh", np.linalg.eigh, a)
    return w, v


registry.define("SelfAdjointEigV2", _eigh_forward, "outputs")


@registry.RegisterGradient("SelfAdjointEigV2", batch_aware=True, accepts_missing=True)
def _eigh_grad(op, gw, gv):
    # A's gradient: V (diag(gw) + F o (V.T gv)) V.T, symmetrized, F_ij = 1 / (w_j - w_i)
    # off the diagonal (0 where the eigenvalues are equal, and on the diagonal).
    from . import equal, where
    from .shape import expand_dims

    w, v = op.outputs
    n = w.shape[-1]
    middle = 0.0
    if gw is not None:
        middle = expand_dims(gw, -1) * np.eye(n, dtype=w.dtype)
    if gv is not None:
        gap = expand_dims(w, -2) - expand_dims(w, -1)
        same = equal(gap, 0.0)
        f = where(same, 0.0, 1.0 / where(same, 1.0, gap))
        middle = middle + f * matmul(matrix_transpose(v), gv)
    if gw is None and gv is None:
        return (None,)
    ga = matmul(matmul(v, middle), matrix_transpose(v))
    return (0.5 * (ga + matrix_transpose(ga)),)


def eigvalsh(a, name=None):
    """The eigenvalues (ascending) of symmetric matrices, from their lower triangle."""
    return eigh(a)[0]


def logdet(matrix, name=None):
    """log det of Hermitian positive-definite matrices (TensorFlow's ``linalg.logdet``):
    twice the sum of the logs of the Cholesky factor's diagonal."""
    from . import log, reduce_sum
    from .indexing import getitem

    L = cholesky(matrix)
    n = L.shape[-1]
    diagonal = getitem(L, (Ellipsis, np.arange(n), np.arange(n)))
    return 2.0 * reduce_sum(log(diagonal), axis=-1)


def cholesky_solve(chol, rhs, name=None):
    """X with ``L @ L.T @ X == rhs`` for ``chol`` = L (TensorFlow's ``linalg.cholesky_solve``)."""
    return triangular_solve(chol, triangular_solve(chol, rhs, lower=True), lower=True,
                            adjoint=True)


