"""Matrix functions whose forward is LAPACK: Cholesky, triangular and general solves, the
inverse, the determinant and its logarithm, the symmetric eigendecomposition, QR and the
singular value decomposition (whose reduced form, used by the norms, is in ``linalg``).

Every function works on the matrices in the last two axes, with NumPy's broadcasting of the
leading ones; integer inputs become float64, as in NumPy. The forwards are NumPy's, but for
the Cholesky factor and the triangular solve, which ``blas`` runs on SciPy's LAPACK and BLAS
where SciPy is installed (without it, a triangular solve is NumPy's general solve of the
triangle). The gradients are the standard adjoint formulas, written in autotape operations so
that they differentiate again, and take leading batch axes (batched Jacobians).

Conventions: ``cholesky`` and ``eigh`` read the lower triangle, and their gradients are the
symmetric matrix of a symmetric argument (as in PyTorch and JAX). A triangular solve reads
only its triangle, and its gradient with respect to the matrix is zero in the other one.
"""

import functools

import numpy as np

from . import blas, registry
from .core import run
from .linalg import _float, band, matmul, matrix_transpose, reduced_svd


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


registry.define("Cholesky", lambda a: _lapack("cholesky", blas.cholesky, a), "outputs")


@registry.RegisterGradient("Cholesky", batch_aware=True)
def _cholesky_grad(op, g):
    # A's gradient is L^-T M L^-1, M = (P + P.T) / 2 for P = Phi(L.T @ g): the lower triangle
    # with the diagonal halved (Murray 2016, "Differentiation of the Cholesky
    # decomposition"). With x the lower triangle of L.T @ g halved, M is x below and on the
    # diagonal and x's strict lower triangle transposed above it. Being symmetric, the
    # gradient is L^-T (L^-T M).T: two triangular solves.
    (L,) = op.outputs
    x = band(matmul(matrix_transpose(L), g), high=0) * 0.5
    half = triangular_solve(L, x + matrix_transpose(band(x, high=-1)), lower=True,
                            adjoint=True)
    return (triangular_solve(L, matrix_transpose(half), lower=True, adjoint=True),)


# --- triangular solve -----------------------------------------------------------------------
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """X with ``matrix @ X == rhs`` (``matrix.T @ X == rhs`` if ``adjoint``), reading only
    the lower (or upper) triangle of ``matrix``; rhs is a matrix (..., n, k)."""
    a, b = _system(matrix, rhs, "triangular_solve")
    return run("MatrixTriangularSolve", (a, b), {"lower": bool(lower),
                                                 "adjoint": bool(adjoint)})


def _triangular_forward(a, b, lower, adjoint):
    solve = functools.partial(blas.triangular_solve, lower=lower, adjoint=adjoint)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if not batch:
        return _lapack("triangular_solve", solve, a, b)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(b.shape, np.result_type(a, b))
    for index in np.ndindex(*batch):
        out[index] = _lapack("triangular_solve", solve, a[index], b[index])
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




# --- QR and the singular value decomposition ----------------------------------------------
def qr(a, full_matrices=False, name=None):
    """(q, r) with ``a == q @ r``, q's columns orthonormal and r upper triangular, of the
    matrices (..., m, n) in the last two axes: q (..., m, k), r (..., k, n), k = min(m, n).
    TensorFlow's ``linalg.qr``; ``full_matrices`` (a square q for m > n) has no gradient
    that is defined, as q's extra columns are any orthonormal completion: it is refused."""
    from .shape import concat

    x = _float(a)
    if x.ndim < 2:
        raise ValueError(f"qr: expected matrices in the last two axes, got shape {x.shape}")
    m, n = x.shape[-2:]
    if full_matrices and m > n:
        raise NotImplementedError("qr: full_matrices=True for a matrix with more rows than "
                                  f"columns ({x.shape}) is not differentiable; use the "
                                  "reduced decomposition")
    if m >= n:
        return run("Qr", (x,))
    # Wide: a = [X | Y] with X square, so q, r_x = qr(X) and r = [r_x | q.T @ Y].
    q, r = run("Qr", (x[..., :m],))
    return q, concat([r, matmul(matrix_transpose(q), x[..., m:])], -1)


registry.define("Qr", lambda a: _lapack("qr", np.linalg.qr, a), "outputs")


@registry.RegisterGradient("Qr", batch_aware=True, accepts_missing=True)
def _qr_grad(op, gq, gr):
    # For m >= n (as TensorFlow's QrGrad; Walter and Lehmann 2018, "Algorithmic
    # differentiation of linear algebra functions with application in optimum experimental
    # design"): with skew(X) = X - X.T and tril the lower triangle with its diagonal,
    #     gA = q (gr + tril(skew(q.T gq) + skew(r gr.T)) r^-T) + (gq - q q.T gq) r^-T.
    from . import zeros_like

    q, r = op.outputs
    if gq is None and gr is None:
        return (None,)
    gq = zeros_like(q) if gq is None else gq
    gr = zeros_like(r) if gr is None else gr

    def times_inverse_of_r_transposed(x):  # x r^-T, as (r^-1 x.T).T
        return matrix_transpose(triangular_solve(r, matrix_transpose(x), lower=False))

    qt_gq = matmul(matrix_transpose(q), gq)
    r_grt = matmul(r, matrix_transpose(gr))
    lower = band(qt_gq - matrix_transpose(qt_gq) + r_grt - matrix_transpose(r_grt), high=0)
    return (matmul(q, gr + times_inverse_of_r_transposed(lower))
            + times_inverse_of_r_transposed(gq - matmul(q, qt_gq)),)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """TensorFlow's ``linalg.svd``: s (..., k), largest first, k = min(m, n), and if
    ``compute_uv`` u (..., m, k) and v (..., n, k) with ``a == u @ diag(s) @ v.T``.
    ``full_matrices``: square u and v; their extra columns are any orthonormal completion,
    so for a matrix that is not square only s has a gradient (as in JAX)."""
    x = _float(tensor)
    if x.ndim < 2:
        raise ValueError(f"svd: expected matrices in the last two axes, got shape {x.shape}")
    if full_matrices and compute_uv and x.shape[-1] != x.shape[-2]:
        s, u, vh = run("SvdFull", (x,))
    else:
        s, u, vh = reduced_svd(x)
    return (s, u, matrix_transpose(vh)) if compute_uv else s


def _full_svd_forward(a):
    u, s, vh = _lapack("svd", np.linalg.svd, a)
    return s, u, vh


registry.define("SvdFull", _full_svd_forward, "outputs")


@registry.RegisterGradient("SvdFull", batch_aware=True, accepts_missing=True)
def _full_svd_grad(op, gs, gu, gvh):
    if gu is not None or gvh is not None:
        raise NotImplementedError(
            "svd: the singular vectors of full_matrices=True have no gradient for a matrix "
            f"that is not square (shape {op.inputs[0].shape}): their extra columns are any "
            "orthonormal completion; use full_matrices=False")
    if gs is None:
        return (None,)
    s, u, vh = op.outputs
    k = s.shape[-1]
    return (matmul(u[..., :k] * gs[..., None, :], vh[..., :k, :]),)  # U diag(gs) V^T
