"""Matrix functions built on the decompositions: the pseudo-inverse, least squares, integer
matrix powers, the matrix exponential, condition numbers and ranks.

Least squares and powers are compositions of recorded operations. The pseudo-inverse and
the exponential are primitives whose gradients are written in autotape operations (the
exponential's is the exponential again, of a matrix twice the size), so every order
works."""

import collections
import functools

import numpy as np

from . import registry
from .core import run
from .lapack import _square, inv, qr, svd
from .linalg import _float, matmul, matrix_transpose, reduced_svd
from .numpy_signatures import numpy_table


def _pseudo_inverse(x, rcond):
    """The pseudo-inverse, singular values at most ``rcond`` times the largest taken as
    zero (NumPy's forward, from the SVD)."""
    if np.ndim(rcond):  # one per matrix: attributes hold plain values, not arrays
        rcond = tuple(np.broadcast_to(rcond, x.shape[:-2]).ravel().tolist())
    return run("PseudoInverse", (x,), {"rcond": rcond})


def _pinv_forward(a, rcond):
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)
    rcond = np.reshape(rcond, a.shape[:-2]) if isinstance(rcond, tuple) else rcond
    return np.linalg.pinv(a, rcond=rcond).astype(a.dtype, copy=False)



registry.define("PseudoInverse", _pinv_forward, "both")


@registry.RegisterGradient("PseudoInverse", batch_aware=True)
def _pinv_grad(op, g):
    # Where the rank does not change (Golub and Pereyra 1973), with X = pinv(A):
    #     dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X,
    # whose adjoint is below. From the SVD instead, a repeated singular value (A = 2 I)
    # would drop terms of the singular vectors' gradient that do not cancel here.
    from .creation import eye

    (a,), (x,) = op.inputs, op.outputs
    m, n = a.shape[-2:]
    xt, gt = matrix_transpose(x), matrix_transpose(g)
    left = eye(m, dtype=a.dtype) - matmul(a, x)  # I - A X, (m, m)
    right = eye(n, dtype=a.dtype) - matmul(x, a)  # I - X A, (n, n)
    return (-matmul(matmul(xt, g), xt) + matmul(matmul(left, gt), matmul(x, xt))
            + matmul(matmul(xt, x), matmul(gt, right)))


def _eps_times_size(x):
    return max(x.shape[-2:]) * np.finfo(x.dtype).eps


def pinv(a, rcond=None, validate_args=False, name=None):
    """TensorFlow's ``linalg.pinv``: singular values at most ``rcond`` times the largest
    are dropped; ``rcond`` None is 10 * max(m, n) * eps, as in TensorFlow."""
    x = _float(a)
    _matrices(x, "pinv")
    return _pseudo_inverse(x, 10 * _eps_times_size(x) if rcond is None else rcond)


_UNSET = object()


def numpy_pinv(a, rcond=None, hermitian=False, rtol=_UNSET):
    """``np.linalg.pinv``: ``rcond`` (or ``rtol``) None is 1e-15, or max(m, n) * eps when
    ``rtol=None`` is given, as in NumPy. ``hermitian`` only tells NumPy which algorithm to
    run; the result is the same."""
    x = _float(a)
    _matrices(x, "pinv")
    if rcond is not None and rtol is not _UNSET:
        raise ValueError("pinv: `rtol` and `rcond` can't be both set.")
    if rcond is None:
        rcond = 1e-15 if rtol is _UNSET else _eps_times_size(x) if rtol is None else rtol
    return _pseudo_inverse(x, rcond)


def _matrices(x, what):
    if x.ndim < 2:
        raise ValueError(f"{what}: expected matrices in the last two axes, got shape {x.shape}")


def lstsq(a, b, rcond=None):
    """``np.linalg.lstsq``: (x, residuals, rank, s), x the least-squares solution of least
    norm, singular values at most ``rcond`` (None: max(m, n) * eps) times the largest
    taken as zero. ``residuals``: the squared 2-norms of the columns of b - a @ x when a
    has full column rank and more rows than columns, else empty."""
    from . import cast, greater, reduce_max, reduce_sum, stop_gradient
    from .shape import reshape

    x, rhs = _float(a), _float(b)
    if x.ndim != 2 or rhs.ndim not in (1, 2) or rhs.shape[0] != x.shape[0]:
        raise ValueError(f"lstsq: expected a matrix (m, n) and a right-hand side (m,) or "
                         f"(m, k), got shapes {x.shape} and {rhs.shape}")
    rcond = _eps_times_size(x) if rcond is None else rcond
    vector = rhs.ndim == 1
    columns = reshape(rhs, (-1, 1)) if vector else rhs
    solution = matmul(_pseudo_inverse(x, rcond), columns)
    s = reduced_svd(x)[0]
    rank = int(reduce_sum(cast(greater(s, rcond * reduce_max(stop_gradient(s))), np.int64)))
    m, n = x.shape
    if rank == n and m > n:
        residuals = reduce_sum((columns - matmul(x, solution)) ** 2, 0)
    else:
        residuals = np.zeros((0,), x.dtype)
    return (reshape(solution, (n,)) if vector else solution), residuals, rank, s


def tensorflow_lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """TensorFlow's ``linalg.lstsq``: the solution (..., n, k) of least squares, minimising
    |matrix @ x - rhs|^2 + l2_regularizer |x|^2 (the least-norm one without a regularizer;
    ``fast`` only chooses TensorFlow's algorithm)."""
    from .creation import eye
    from .lapack import solve

    x, b = _float(matrix), _float(rhs)
    _matrices(x, "lstsq")
    if not l2_regularizer:
        return matmul(_pseudo_inverse(x, _eps_times_size(x)), b)
    gram = matmul(matrix_transpose(x), x) + l2_regularizer * eye(x.shape[-1], dtype=x.dtype)
    return solve(gram, matmul(matrix_transpose(x), b))


def matrix_power(a, n):
    """``a`` to the integer power ``n`` (a negative one inverts first), by repeated
    squaring, as ``np.linalg.matrix_power``."""
    from .creation import eye
    from .shape import broadcast_to

    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}")
    x = _square(a, "matrix_power")
    if n == 0:
        return broadcast_to(eye(x.shape[-1], dtype=x.dtype), x.shape)
    base, n, result = (inv(x) if n < 0 else x), abs(int(n)), None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


# --- the matrix exponential -------------------------------------------------------------------
@functools.cache
def _scipy_expm():
    try:
        from scipy.linalg import expm
    except ImportError:
        raise ImportError("expm: the matrix exponential needs SciPy (pip install scipy)") from None
    return expm


def expm(input, name=None):
    """The matrix exponential of the square matrices in the last two axes (SciPy's
    forward)."""
    x = _square(input, "expm")
    _scipy_expm()
    return run("MatrixExponential", (x,))


registry.define("MatrixExponential", lambda a: _scipy_expm()(a), "inputs")


@registry.RegisterGradient("MatrixExponential", batch_aware=True)
def _expm_grad(op, g):
    # The gradient is the adjoint of the Frechet derivative, L(A.T, g), the upper right
    # block of expm([[A.T, g], [0, A.T]]) (Najfeld and Havel 1995; as in PyTorch).
    from .creation import zeros
    from .shape import broadcast_to, concat

    (a,) = op.inputs
    n = a.shape[-1]
    at = broadcast_to(matrix_transpose(a), g.shape)
    block = concat([concat([at, g], -1), concat([zeros(g.shape, g.dtype), at], -1)], -2)
    return expm(block)[..., :n, n:]


# --- NumPy's signatures and result types ------------------------------------------------------
SVDResult = collections.namedtuple("SVDResult", "U S Vh")
QRResult = collections.namedtuple("QRResult", "Q R")


def numpy_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``np.linalg.svd``: (U, S, Vh). ``hermitian`` only tells NumPy which algorithm to
    run: the singular values are the same, the vectors the same up to sign."""
    if not compute_uv:
        return svd(a, compute_uv=False)
    s, u, v = svd(a, full_matrices)
    return SVDResult(u, s, matrix_transpose(v))


def numpy_qr(a, mode="reduced"):
    """``np.linalg.qr`` in modes 'reduced' and 'r'; 'complete' (for a matrix with more
    rows than columns, whose extra columns of Q are not differentiable) and 'raw' are
    left to NumPy."""
    x = _float(a)
    if mode == "complete" and x.ndim >= 2 and x.shape[-2] <= x.shape[-1]:
        mode = "reduced"  # the same result
    if mode not in ("reduced", "r"):
        return NotImplemented
    q, r = qr(x)
    return QRResult(q, r) if mode == "reduced" else r



def cond(x, p=None):
    """``np.linalg.cond``: for p None, 2 or -2 the ratio of the extreme singular values
    (differentiable through them); otherwise norm(x, p) * norm(inv(x), p) of square
    matrices. A singular matrix's condition number is inf (NaN only where x holds NaN)."""
    from . import equal, is_nan, logical_and, logical_not, reduce_any, where

    a = _float(x)
    if a.ndim < 2:
        raise np.linalg.LinAlgError(f"cond: {a.ndim}-dimensional array given. Array must be "
                                    "at least two-dimensional")
    if p is None or p == 2 or p == -2:
        s = svd(a, compute_uv=False)
        largest, smallest = s[..., 0], s[..., -1]
        ratio = smallest / largest if p == -2 else largest / smallest
    else:
        from .creation import eye
        from .lapack import det

        _square(a, "cond")
        # An exactly singular matrix (LU's zero pivot, det 0) is inverted as I instead,
        # and its condition number set to inf below, as NumPy's.
        exactly_singular = equal(det(a), 0)[..., None, None]
        invertible = where(exactly_singular, eye(a.shape[-1], dtype=a.dtype), a)
        # (NumPy's norm, through its protocol: its orders, "nuc" and -1 among them)
        ratio = np.linalg.norm(a, p, axis=(-2, -1)) * np.linalg.norm(
            inv(invertible), p, axis=(-2, -1))
        ratio = where(exactly_singular[..., 0, 0], np.nan, ratio)
    singular = logical_and(is_nan(ratio), logical_not(reduce_any(is_nan(a), (-2, -1))))
    return where(singular, np.inf, ratio)


def matrix_rank(A, tol=None, hermitian=False, rtol=None):
    """``np.linalg.matrix_rank``: the number of singular values above ``tol`` (default
    the largest times ``rtol``, itself max(m, n) * eps by default). An integer: no
    gradient."""
    from . import cast, greater, not_equal, reduce_any, reduce_max, reduce_sum

    a = _float(A)
    if a.ndim < 2:
        return cast(reduce_any(not_equal(a, 0)), np.int64)
    s = svd(a, compute_uv=False)
    if tol is None:
        relative = _eps_times_size(a) if rtol is None else np.asarray(rtol)[..., None]
        tol = reduce_max(s, -1, keepdims=True) * relative
    else:
        tol = np.asarray(tol)[..., None]
    return reduce_sum(cast(greater(s, tol), np.int64), -1)

NUMPY_FUNCTIONS = numpy_table([
    (np.linalg.svd, numpy_svd), (np.linalg.qr, numpy_qr), (np.linalg.pinv, numpy_pinv),
    (np.linalg.lstsq, lstsq), (np.linalg.matrix_power, matrix_power), (np.linalg.cond, cond),
    (np.linalg.matrix_rank, matrix_rank),
])
