"""matmul (NumPy's semantics: 1-d promotion, broadcast batches), NumPy's dot, and the
vector and matrix norms of ``norm`` (TensorFlow's) and ``numpy_norm`` (``np.linalg.norm``)."""

import functools
import math
import numbers

import numpy as np

from ..tensor import as_tensor
from . import blas, registry
from .core import run
from .operands import binary_operands
from .reductions import normalize_axes, reduce_max, reduce_min, reduce_sum
from .shape import expand_dims, reshape, transpose


def matrix_transpose(t, name=None):
    """The matrices in the last two axes transposed (TensorFlow's ``linalg.matrix_transpose``)."""
    t = as_tensor(t)
    if t.ndim < 2:
        raise ValueError(f"matrix_transpose: expected at least 2 dimensions, got shape {t.shape}")
    perm = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return transpose(t, perm)


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """Matrix product; 1-d operands are promoted as in NumPy, leading axes broadcast."""
    x, y = binary_operands(a, b)
    given = (x.shape, y.shape)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes "
                         f"{x.shape} and {y.shape}")
    if transpose_a:
        x = matrix_transpose(x)
    if transpose_b:
        y = matrix_transpose(y)
    vector_a, vector_b = x.ndim == 1, y.ndim == 1
    if vector_a:
        x = reshape(x, (1,) + x.shape)
    if vector_b:
        y = reshape(y, y.shape + (1,))
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: {given[0]} @ {given[1]} "
                         f"({x.shape[-1]} != {y.shape[-2]})")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions do not broadcast: {x.shape} @ "
                         f"{y.shape}") from None
    out = run("MatMul", (x, y))
    if vector_a or vector_b:
        shape = out.shape[:-2] + (() if vector_a else out.shape[-2:-1]) + (
            () if vector_b else out.shape[-1:])
        out = reshape(out, shape)
    return out


# Products of at most this many multiply-adds run in autotape's loop kernel (about as fast as
# NumPy's call into BLAS there, and the same code tape_function's interpreter runs); larger
# ones in NumPy's matmul, which is BLAS (Numba reaches BLAS only through SciPy).
LOOP_MAX_WORK = 4096


_LOOP_DTYPES = frozenset([np.dtype(np.float32), np.dtype(np.float64)])


def product_plan(shape_a, shape_b, dtype_a, dtype_b):
    """(batch shape, m, k, n) for a product of ``(..., m, k) @ (..., k, n)`` operands that
    runs in the loop kernel, or None: it runs in BLAS."""
    if dtype_a != dtype_b or dtype_a not in _LOOP_DTYPES:
        return None
    batch_a, batch_b = shape_a[:-2], shape_b[:-2]
    batch = batch_a if batch_a == batch_b or not batch_b else (
        batch_b if not batch_a else np.broadcast_shapes(batch_a, batch_b))
    (m, k), n = shape_a[-2:], shape_b[-1]
    if (math.prod(batch) if batch else 1) * m * k * n > LOOP_MAX_WORK:
        return None
    return batch, m, k, n


def _matmul_forward(a, b):
    plan = product_plan(a.shape, b.shape, a.dtype, b.dtype)
    if plan is None:
        return blas.matmul(a, b)
    batch, m, k, n = plan
    count = math.prod(batch) if batch else 1
    out = np.empty(batch + (m, n), a.dtype)
    flat_a, step_a = _batched_flat(a, batch)
    flat_b, step_b = _batched_flat(b, batch)
    _kernels().matmul_into(flat_a, flat_b, out.reshape(-1), count, m, k, n, step_a, step_b)
    return out


@functools.cache
def _kernels():
    from ..kernels import matmul  # imports Numba: only once a product runs

    return matmul


def _batched_flat(v, batch):
    """(flat C-ordered elements, step between matrices) of an operand of the batch shape
    ``batch``: step 0 for a single matrix, else its matrices broadcast to the batch."""
    if v.ndim == 2 or math.prod(v.shape[:-2]) == 1:
        return v.ravel(), 0
    if v.shape[:-2] != batch:
        v = np.broadcast_to(v, batch + v.shape[-2:])
    return v.ravel(), v.shape[-2] * v.shape[-1]


registry.define("MatMul", _matmul_forward, "inputs")


@registry.RegisterGradient("MatMul", batch_aware=True)  # leading axes broadcast in matmul
def _matmul_grad(op, g):
    x, y = op.inputs
    needs_x, needs_y = op.needs_gradient
    # Batch axes that were broadcast are summed back centrally.
    gx = matmul(g, matrix_transpose(y)) if needs_x else None
    gy = matmul(matrix_transpose(x), g) if needs_y else None
    return gx, gy


def dot(a, b, name=None):
    """NumPy's ``dot``: a product with a scalar if either is 0-d; otherwise the sum over the
    last axis of ``a`` and the second-to-last of ``b`` (its only axis if 1-d), of shape
    ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``. Unlike matmul, the leading axes of the
    two do not broadcast: each pairs with each."""
    from . import multiply

    x, y = binary_operands(a, b)
    if x.ndim == 0 or y.ndim == 0:
        return multiply(x, y)
    inner = 0 if y.ndim == 1 else y.ndim - 2
    if x.shape[-1] != y.shape[inner]:
        raise ValueError(f"dot: shapes {x.shape} and {y.shape} not aligned: {x.shape[-1]} "
                         f"(dim {x.ndim - 1}) != {y.shape[inner]} (dim {inner})")
    if x.ndim == 1 or y.ndim <= 2:
        return matmul(x, y)  # here matmul's 1-d promotion and broadcasting agree with dot
    # b: (..., k, n) -> (k, ... * n), so one matrix product pairs every row of a with every
    # matrix of b (tensordot's way), then the result takes dot's shape.
    k, n, lead_a, lead_b = x.shape[-1], y.shape[-1], x.shape[:-1], y.shape[:-2]
    perm = (y.ndim - 2,) + tuple(range(y.ndim - 2)) + (y.ndim - 1,)
    b2 = reshape(transpose(y, perm), (k, math.prod(lead_b) * n))
    a2 = reshape(x, (math.prod(lead_a), k))
    return reshape(matmul(a2, b2), lead_a + lead_b + (n,))


# --- triangles and bands ---------------------------------------------------------------------
def band(x, low=None, high=None):
    """The matrices in the last two axes with element (i, j) kept where
    ``low <= j - i <= high`` (None: no bound) and zero elsewhere: ``np.tril(x, k)`` is
    ``band(x, high=k)``, ``np.triu(x, k)`` is ``band(x, low=k)``. Linear: its gradient is
    the band of the gradient."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"band: expected at least 2 dimensions, got shape {x.shape}")
    return run("MatrixBandPart", (x,), {"low": low, "high": high})


def band_part(input, num_lower, num_upper, name=None):
    """TensorFlow's ``linalg.band_part``: ``num_lower`` diagonals below the main one and
    ``num_upper`` above it kept (a negative number: all of them)."""
    return band(input, low=None if num_lower < 0 else -int(num_lower),
                high=None if num_upper < 0 else int(num_upper))


def _band_forward(a, low, high):
    out = np.array(a) if high is None else np.tril(a, high)  # a fresh array either way
    return out if low is None else np.triu(out, low)


registry.define("MatrixBandPart", _band_forward, "none")
registry.register("MatrixBandPart", lambda op, g: (band(g, op.attrs["low"], op.attrs["high"]),),
                  batch_aware=True)


# --- norms ---------------------------------------------------------------------------------
# One implementation behind two front ends that differ in which orders they accept and in
# what axis=None means: ``norm`` is TensorFlow's tf.norm (axis None: the whole tensor as one
# vector), ``numpy_norm`` is np.linalg.norm (axis None: a matrix norm for a 2-d input).
#
# Conventions where a norm is not differentiable: the 2-norm (and Frobenius norm) of zeros
# has gradient 0, a subgradient (as in PyTorch; sqrt alone would give 0 * inf = NaN), and so
# has the p-norm of zeros for p > 0; max/min of |x| (ord inf, -inf, and the matrix 1, inf
# norms) share the gradient among ties; ord 0 (a count) has none. For singular values see
# _svd_grad.


def _float(x):
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else as_tensor(x, np.float64)


def _is_string(ord):
    return isinstance(ord, str)


def _euclidean(x, axes, keepdims):
    """sqrt(sum(x * x)) over ``axes``; where that is 0 its value is 0 and its gradient 0."""
    from . import equal, sqrt, where

    total = reduce_sum(x * x, axes, keepdims)
    zero = equal(total, 0)
    return where(zero, 0, sqrt(where(zero, 1, total)))


def _vector_norm(x, ord, axes, keepdims):
    """The norm of order ``ord`` (a number; None is 2) of the vectors along ``axes``."""
    from . import abs, cast, equal, not_equal, pow, where

    if ord is None or ord == 2:
        return _euclidean(x, axes, keepdims)
    if ord == np.inf:
        return reduce_max(abs(x), axes, keepdims)
    if ord == -np.inf:
        return reduce_min(abs(x), axes, keepdims)
    if ord == 0:  # the number of nonzero elements: no gradient
        return reduce_sum(cast(not_equal(x, 0), x.dtype), axes, keepdims)
    if ord == 1:
        return reduce_sum(abs(x), axes, keepdims)
    p = float(ord)
    total = reduce_sum(pow(abs(x), p), axes, keepdims)
    if p < 0:  # total is never 0 (an empty axis aside, where 0 ** (1/p) is inf, as in NumPy)
        return pow(total, 1.0 / p)
    zero = equal(total, 0)
    return where(zero, 0, pow(where(zero, 1, total), 1.0 / p))


_MATRIX_ORDS = (None, "fro", "f", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _matrix_norm(x, ord, row, col, keepdims):
    """The matrix norm of order ``ord`` (one of _MATRIX_ORDS) of the matrices whose rows run
    along axis ``row`` and columns along ``col`` (normalized, distinct); the other axes are
    batch axes."""
    from . import abs

    nd = x.ndim
    others = tuple(i for i in range(nd) if i not in (row, col))
    perm = others + (row, col)
    m = x if perm == tuple(range(nd)) else transpose(x, perm)  # (..., rows, cols)
    if ord is None or ord in ("fro", "f"):
        result = _euclidean(m, (nd - 2, nd - 1), False)
    elif ord in (1, -1):  # the largest (smallest) column sum of |x|
        sums = reduce_sum(abs(m), nd - 2)
        result = (reduce_max if ord == 1 else reduce_min)(sums, nd - 2)
    elif ord in (np.inf, -np.inf):  # the largest (smallest) row sum of |x|
        sums = reduce_sum(abs(m), nd - 1)
        result = (reduce_max if ord == np.inf else reduce_min)(sums, nd - 2)
    else:  # 2, -2, "nuc": from the singular values
        s = _singular_values(m)
        result = (reduce_max if ord == 2 else reduce_min if ord == -2 else reduce_sum)(
            s, nd - 2)
    if keepdims:
        result = reshape(result, tuple(1 if i in (row, col) else n
                                       for i, n in enumerate(x.shape)))
    return result


def _axis_index(axis, ndim, what):
    try:
        return normalize_axes(axis, ndim, what)[0]
    except (TypeError, IndexError):
        raise ValueError(f"{what}: axis {axis!r} is not an integer") from None


def norm(tensor, ord="euclidean", axis=None, keepdims=False, name=None):
    """TensorFlow's ``tf.norm``. ``axis`` None: the whole tensor is one vector (for a matrix
    too); an int: vectors along that axis; a pair of ints: matrices over those axes.
    Vector orders: 'euclidean', 1, 2, np.inf and any positive real p. Matrix orders:
    'euclidean' or 'fro' (Frobenius), 1, 2 (the largest singular value), np.inf."""
    x = _float(tensor)
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
            raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                             f"integers, got {axis!r}")
        row, col = (_axis_index(a, x.ndim, "norm") for a in axis)
        if row == col:
            raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                             f"integers, got {axis!r} for a tensor of rank {x.ndim}")
        supported = ("euclidean", "fro", 1, 2, np.inf)
        if not any(ord == s and type(ord) is not bool for s in supported):
            raise ValueError(f"norm: 'ord' must be a supported matrix norm in "
                             f"{list(supported)}, got {ord!r}")
        return _matrix_norm(x, "fro" if ord == "euclidean" else ord, row, col, keepdims)
    if axis is not None and not (isinstance(axis, numbers.Integral)
                                 and not isinstance(axis, bool)):
        raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                         f"integers, got {axis!r}")
    positive_real = (isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord > 0)
    if ord != "euclidean" and not positive_real:
        raise ValueError(f"norm: 'ord' must be a supported vector norm ('euclidean', 1, 2, "
                         f"np.inf or a positive real number), got {ord!r}")
    return _vector_norm(x, 2 if ord == "euclidean" else ord, axis, keepdims)


def numpy_norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``, recorded: with ``axis`` None, the vector norm of a 1-d input, the
    matrix norm of a 2-d one, and (ord None only) the 2-norm of the flattened input for any
    other rank; an int: vector norms along it; a pair: matrix norms over those axes."""
    x = _float(x)
    nd = x.ndim
    if axis is None:
        if ord is None or (_is_string(ord) and ord in ("f", "fro") and nd == 2) or (
                not _is_string(ord) and ord == 2 and nd == 1):
            return _euclidean(x, None, keepdims)
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = int(axis)
        except Exception:
            raise TypeError("norm: 'axis' must be None, an integer or a tuple of integers, "
                            f"got {axis!r}") from None
        axis = (axis,)
    if len(axis) == 1:
        if _is_string(ord):
            raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
        return _vector_norm(x, ord, (_axis_index(axis[0], nd, "norm"),), keepdims)
    if len(axis) == 2:
        row, col = (_axis_index(a, nd, "norm") for a in axis)
        if row == col:
            raise ValueError(f"norm: duplicate axes given: {axis}")
        if not any(ord == o if o is not None else ord is None for o in _MATRIX_ORDS):
            raise ValueError(f"norm: invalid norm order {ord!r} for matrices (use None, "
                             "'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf)")
        return _matrix_norm(x, ord, row, col, keepdims)
    raise ValueError(f"norm: improper number of dimensions to norm: ord {ord!r} with axis "
                     f"{axis} on a tensor of shape {x.shape} (a vector norm needs one axis, "
                     "a matrix norm two)")


# --- singular values -----------------------------------------------------------------------


def _singular_values(tensor):
    """The singular values of the matrices in the last two axes, largest first (shape
    ``(..., min(m, n))``), differentiable to every order."""
    x = _float(tensor)
    if x.ndim < 2:
        raise ValueError(f"norm: singular values need a matrix (or a batch of them), got shape "
                         f"{x.shape}")
    return reduced_svd(x)[0]


def reduced_svd(tensor):
    """The reduced singular value decomposition of the matrices in the last two axes:
    ``(s, u, vh)`` with ``x = u @ (s[..., None] * vh)``. Singular vectors are defined up to
    sign (and, for repeated singular values, up to rotation): a function of them has a
    gradient only where it does not depend on that choice."""
    x = _float(tensor)
    return run("Svd", (x,))


def _svd_forward(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return s, u, vh


registry.define("Svd", _svd_forward, "outputs")


def _safe_reciprocal(t):
    """1 / t where t != 0, else 0 (with a gradient free of NaN)."""
    from . import equal, where

    zero = equal(t, 0)
    return where(zero, 0, 1 / where(zero, 1, t))


@registry.RegisterGradient("Svd", batch_aware=True, accepts_missing=True)
def _svd_grad(op, gs, gu, gvh):
    """The real SVD's gradient (J. Townsend, "Differentiating the singular value
    decomposition", 2016; as in PyTorch's svd_backward), written in autotape operations so
    that it differentiates again. With F[i, j] = 1 / (s_j**2 - s_i**2) off the diagonal:

        gA = U [(F o skew(U^T gU)) S + diag(gs) + S (F o skew(V^T gV))] V^T
             + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),   skew(X) = X - X^T.

    Where singular values repeat (s_i == s_j) F[i, j] is taken as 0, and 1/s as 0 where
    s == 0, so the gradient stays finite: the gradient of the singular values themselves,
    U diag(gs) V^T, is exact there, while terms from the singular vectors (any second
    derivative) are not defined at repeated values and come out with those terms dropped."""
    from . import eye

    s, u, vh = op.outputs
    k, m, n = s.shape[-1], u.shape[-2], vh.shape[-1]
    use_s, use_u, use_v = (g is not None for g in (gs, gu, gvh))  # None: nothing reached it
    if not (use_u or use_v):
        return matmul(u * expand_dims(gs, -2), vh)  # U diag(gs) V^T
    core = expand_dims(gs, -1) * eye(k, dtype=s.dtype) if use_s else None
    f = _safe_reciprocal(expand_dims(s * s, -2) - expand_dims(s * s, -1))
    inv_s = _safe_reciprocal(s)
    if use_u:
        j = matmul(matrix_transpose(u), gu)
        term = (j - matrix_transpose(j)) * f * expand_dims(s, -2)
        core = term if core is None else core + term
    if use_v:
        j = matmul(vh, matrix_transpose(gvh))
        term = expand_dims(s, -1) * ((j - matrix_transpose(j)) * f)
        core = term if core is None else core + term
    ga = matmul(matmul(u, core), vh)
    if use_u and m > k:
        projected = gu - matmul(u, matmul(matrix_transpose(u), gu))
        ga = ga + matmul(projected * expand_dims(inv_s, -2), vh)
    if use_v and n > k:
        projected = gvh - matmul(matmul(gvh, matrix_transpose(vh)), vh)
        ga = ga + matmul(u, expand_dims(inv_s, -1) * projected)
    return ga
