"""Reductions: sum, mean, max, min, prod, logsumexp, any, all, argmax, argmin; over axis
None|int|tuple."""

import functools
import math

import numpy as np

from ..kernels import openmp
from ..tensor import as_tensor
from . import registry
from .core import run
from .elementwise import parallel_kernels_available
from .shape import broadcast_to, expand_dims, reshape

PARALLEL_MIN_SIZE = openmp.parallel_min_size(65536)
SUM, PROD, MAX, MIN = 0, 1, 2, 3


@functools.cache
def _kernels():
    from ..kernels import reduce  # imports Numba: only once a reduction runs

    return reduce


def normalize_axes(axis, ndim, op_name):
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(int(a) for a in np.atleast_1d(np.asarray(axis)))
    for a in axes:
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ValueError(f"{op_name}: axis {a} is out of range for a tensor of rank {ndim}")
    normalized = tuple(sorted({a % max(ndim, 1) for a in axes})) if ndim else ()
    return normalized


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


@functools.lru_cache(maxsize=2048)
def reduction_plan(shape, axes):
    """Collapse to one of: ("all",), ("rows", outer, inner), ("cols", outer, inner),
    ("nd", output strides, extents) over merged runs of kept and reduced axes."""
    runs = []  # (extent, reduced)
    for i, n in enumerate(shape):
        if n == 1:
            continue
        reduced = i in axes
        if runs and runs[-1][1] == reduced:
            runs[-1] = (runs[-1][0] * n, reduced)
        else:
            runs.append((n, reduced))
    if all(reduced for _, reduced in runs):
        return ("all",)
    if len(runs) == 2:
        (n0, r0), (n1, _) = runs
        return ("cols", n0, n1) if r0 else ("rows", n0, n1)
    strides, stride = [], 1
    for n, reduced in reversed(runs):
        strides.append(0 if reduced else stride)
        stride *= 1 if reduced else n
    return ("nd", np.array(strides[::-1], np.int64),
            np.array([n for n, _ in runs], np.int64))


def _initial(kind, dtype):
    if kind == SUM:
        return 0
    if kind == PROD:
        return 1
    if dtype.kind == "f":
        return -np.inf if kind == MAX else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return kind == MIN  # bool
    return info.min if kind == MAX else info.max


def reduce_array(a, axes, kind, op_name):
    """The kernel call: ``a`` reduced over sorted ``axes`` (keepdims shape)."""
    out_shape = _keepdims_shape(a.shape, axes)
    if kind in (MAX, MIN) and a.size == 0 and any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"{op_name}: cannot reduce an empty axis of shape {a.shape}")
    if a.dtype.kind == "f":
        acc_dtype = np.float64 if kind in (SUM, PROD) else a.dtype
    elif a.dtype.kind == "b" and kind in (SUM, PROD):
        acc_dtype = np.int64
    elif kind in (SUM, PROD):
        acc_dtype = np.uint64 if a.dtype.kind == "u" else np.int64
    else:
        acc_dtype = a.dtype
    out = np.full(math.prod(out_shape), _initial(kind, np.dtype(acc_dtype)), acc_dtype)
    if a.size:
        plan = reduction_plan(a.shape, axes)
        k = _kernels()
        flat = np.ascontiguousarray(a).reshape(-1)
        parallel = a.size >= PARALLEL_MIN_SIZE and parallel_kernels_available()
        if plan[0] == "all":
            if kind == SUM:
                (k.sum_all_par if parallel else k.sum_all)(flat, out)
            else:
                k.reduce_all(flat, kind, out)
        elif plan[0] == "rows":
            if kind == SUM and not parallel:
                k.sum_rows(flat.reshape(plan[1], plan[2]), out)
            else:
                kernel = k.reduce_rows_par if parallel else k.reduce_rows
                kernel(flat.reshape(plan[1], plan[2]), kind, out)
        elif plan[0] == "cols":
            k.reduce_cols(flat.reshape(plan[1], plan[2]), kind, out)
        else:
            k.reduce_nd(flat, plan[1], plan[2], kind, out)
    result_dtype = a.dtype
    if kind in (SUM, PROD) and a.dtype.kind in "biu":  # as NumPy: small integers widen
        result_dtype = np.uint64 if a.dtype.kind == "u" else np.int64
    return out.astype(result_dtype, copy=False).reshape(out_shape)


def _reduction(op_type, public_name, kind, saves):
    def forward(a, axes, keepdims):
        out = reduce_array(a, axes, kind, public_name)
        return out if keepdims else out.reshape(
            tuple(n for i, n in enumerate(a.shape) if i not in axes))

    def operation(input_tensor, axis=None, keepdims=False, name=None):
        x = as_tensor(input_tensor)
        axes = normalize_axes(axis, x.ndim, public_name)
        return run(op_type, (x,), {"axes": axes, "keepdims": bool(keepdims)})

    registry.define(op_type, forward, saves)
    return operation


reduce_sum = _reduction("Sum", "reduce_sum", SUM, "none")
reduce_prod = _reduction("Prod", "reduce_prod", PROD, "both")
reduce_max = _reduction("Max", "reduce_max", MAX, "both")
reduce_min = _reduction("Min", "reduce_min", MIN, "both")


def _expand_back(op, t, batch=()):
    """A reduction's output (or its gradient, with leading axes ``batch``) reshaped to
    keepdims form."""
    return reshape(t, batch + _keepdims_shape(op.inputs[0].shape, op.attrs["axes"]))


@registry.RegisterGradient("Sum", batch_aware=True)
def _sum_grad(op, g):
    return broadcast_to(_expand_back(op, g, op.batch), op.batch + op.inputs[0].shape)


def _extremum_grad(op, g):
    # The gradient is shared equally among the elements equal to the extremum.
    from . import cast, equal

    x = op.inputs[0]
    mask = cast(equal(x, _expand_back(op, op.outputs[0])), g.dtype)
    count = reduce_sum(mask, op.attrs["axes"], keepdims=True)
    return mask * (_expand_back(op, g, op.batch) / count)


registry.register("Max", _extremum_grad, batch_aware=True)
registry.register("Min", _extremum_grad, batch_aware=True)


@registry.RegisterGradient("Prod", batch_aware=True)
def _prod_grad(op, g):
    # d prod / d x_i is the product of the other elements, computed without dividing by x_i.
    return _expand_back(op, g, op.batch) * _products_of_others(op.inputs[0], op.attrs["axes"])


def _products_of_others(x, axes):
    """For each element of x, the product of the other elements along ``axes``.

    No division, so zeros and infinities give what the product itself gives (for [inf, 0, 2]:
    [0, inf, nan]). A pairwise product tree: upwards, each level multiplies neighbours;
    downwards, each element's "others" is its parent's times its sibling's product. Built from
    recorded operations, so it is differentiable again."""
    from . import concat, ones, transpose

    kept = tuple(i for i in range(x.ndim) if i not in axes)
    perm = kept + tuple(axes)
    moved = transpose(x, perm)
    outer = moved.shape[:len(kept)]
    n = math.prod(moved.shape[len(kept):])
    level = reshape(moved, outer + (n,))
    width = 1 << max(0, n - 1).bit_length()  # the next power of two, padded with ones
    if width > n:
        level = concat([level, ones(outer + (width - n,), x.dtype)], -1)
    levels = []
    while level.shape[-1] > 1:
        levels.append(reshape(level, outer + (-1, 2)))
        level = levels[-1][..., 0] * levels[-1][..., 1]
    others = ones(outer + (1,), x.dtype)
    for pairs in reversed(levels):
        others = reshape(expand_dims(others, -1) * pairs[..., ::-1], outer + (-1,))
    others = reshape(others[..., :n], moved.shape)
    return transpose(others, tuple(int(i) for i in np.argsort(perm)))


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    x = as_tensor(input_tensor)
    if x.dtype.kind != "f":
        x = as_tensor(x, np.float64)
    axes = normalize_axes(axis, x.ndim, "reduce_mean")
    count = math.prod(x.shape[i] for i in axes)
    return reduce_sum(x, axes, keepdims) / np.array(count, x.dtype)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    from . import abs, exp, less, log, stop_gradient, where

    x = as_tensor(input_tensor)
    axes = normalize_axes(axis, x.ndim, "reduce_logsumexp")
    if any(x.shape[i] == 0 for i in axes):  # log of an empty sum: -inf, as in NumPy
        return log(reduce_sum(exp(x), axes, keepdims))
    m = reduce_max(x, axes, keepdims=True)
    m = stop_gradient(where(less(abs(m), np.inf), m, 0))  # all -inf rows stay finite
    result = log(reduce_sum(exp(x - m), axes, keepdims=True)) + m
    return result if keepdims else reshape(
        result, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Whether any element along ``axis`` is true (nonzero); False over an empty axis."""
    from . import cast, greater

    truth = cast(as_tensor(input_tensor), np.bool_)
    return greater(reduce_sum(truth, axis, keepdims), 0)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Whether every element along ``axis`` is true (nonzero); True over an empty axis."""
    from . import cast, equal

    falsity = equal(cast(as_tensor(input_tensor), np.bool_), False)
    return equal(reduce_sum(falsity, axis, keepdims), 0)


def _arg_extremum(op_type, public_name):
    def operation(input, axis=None, output_type=np.int64, name=None):
        """Index of the first extreme value along ``axis`` (0 by default, as in TensorFlow)."""
        x = as_tensor(input)
        axis = 0 if axis is None else int(axis)
        if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
            raise ValueError(f"{public_name}: axis {axis} is out of range for a tensor of "
                             f"shape {x.shape}")
        return run(op_type, (x,), {"axis": axis % x.ndim,
                                   "output_type": np.dtype(output_type)})

    def forward(a, axis, output_type):
        if a.shape[axis] == 0:
            raise ValueError(f"{public_name}: cannot take the {public_name} of an empty axis, "
                             f"shape {a.shape}")
        moved = np.ascontiguousarray(np.moveaxis(a, axis, -1))
        rows = moved.reshape(-1, a.shape[axis])
        out = np.empty(rows.shape[0], np.int64)
        _kernels().arg_extremum_rows(rows, op_type == "ArgMax", out)
        return out.reshape(moved.shape[:-1]).astype(output_type)

    registry.define(op_type, forward, "none")
    registry.no_gradient(op_type)
    return operation


argmax = _arg_extremum("ArgMax", "argmax")
argmin = _arg_extremum("ArgMin", "argmin")
