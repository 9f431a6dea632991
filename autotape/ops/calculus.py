"""Calculus on sampled values, NumPy's: differences (diff), numerical derivatives
(gradient), integrals (trapezoid), piecewise-linear interpolation (interp) and discrete
convolutions (convolve, correlate). Each is composed of recorded operations (slices,
differences, products, gathers), so it is differentiable in the sampled values to any
order; sample spacings and coordinates are constants."""

import numpy as np

from ..tensor import Tensor, as_tensor
from . import registry
from .core import run
from .indexing import getitem
from .numpy_signatures import numpy_table
from .shape import broadcast_to, concat, reshape

__all__ = ["convolve", "correlate", "diff", "gradient", "interp", "trapezoid"]


def _ops():
    from .. import ops

    return ops


def _axis(axis, ndim, what):
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, what)
    return axis % ndim


def _along(x, axis, key):
    return getitem(x, (slice(None),) * axis + (key,))


def _constant(value, what):
    """A spacing or coordinate: a constant, never a tensor (its gradient is not computed).
    A Python number stays one: weak, as in NumPy (float32 samples stay float32)."""
    if isinstance(value, Tensor):
        raise TypeError(f"{what}: sample spacings and coordinates must be constants (numbers "
                        f"or NumPy arrays), not tensors")
    return value if isinstance(value, (int, float)) else np.asarray(value)


# --- differences -------------------------------------------------------------------------------
def _difference(x, axis):
    """Neighbouring differences along ``axis`` (a bool array's: where they differ)."""
    later, earlier = _along(x, axis, slice(1, None)), _along(x, axis, slice(None, -1))
    if x.dtype == np.bool_:
        return _ops().not_equal(later, earlier)
    return later - earlier


def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """``np.diff``: the n-th differences along ``axis``, after ``prepend`` and ``append``
    (scalars broadcast along the other axes)."""
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n!r}")
    x = as_tensor(a)
    if x.ndim == 0:
        raise ValueError("diff: diff requires input that is at least one dimensional")
    axis = _axis(axis, x.ndim, "diff")
    if n == 0:
        return x
    parts = []
    for extra in (prepend, x, append):
        if extra is np._NoValue:
            continue
        part = as_tensor(extra)
        if part.ndim == 0:
            part = broadcast_to(part, x.shape[:axis] + (1,) + x.shape[axis + 1:])
        parts.append(part)
    if len(parts) > 1:
        dtype = np.result_type(*[p.dtype for p in parts])
        x = concat([as_tensor(p, dtype) for p in parts], axis)
    for _ in range(n):
        x = _difference(x, axis)
    return x


# --- integrals and derivatives of samples ------------------------------------------------------
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``np.trapezoid``: the integral of the samples ``y`` by the trapezoidal rule, at the
    coordinates ``x`` (1-d along ``axis``, or of y's shape) or ``dx`` apart."""
    values = as_tensor(y)
    axis = _axis(axis, values.ndim, "trapezoid")
    if x is None:
        spacing = _constant(dx, "trapezoid")
    else:
        coordinates = _constant(x, "trapezoid")
        spacing = np.diff(coordinates, axis=-1 if coordinates.ndim == 1 else axis)
        if coordinates.ndim == 1:
            spacing = spacing.reshape((-1,) + (1,) * (values.ndim - 1 - axis))
    pairs = _along(values, axis, slice(1, None)) + _along(values, axis, slice(None, -1))
    return _ops().reduce_sum(spacing * pairs / 2.0, axis)  # NumPy's order of operations


def _spacings(f, varargs, axes):
    """One spacing per axis, NumPy's way: a scalar, or the differences of 1-d coordinates
    (a scalar again where they are even)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(_constant(varargs[0], "gradient")) == 0:
        return [_constant(varargs[0], "gradient")] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("gradient: invalid number of arguments")
    spacings = []
    for axis, distances in zip(axes, varargs):
        distances = _constant(distances, "gradient")
        if np.ndim(distances) == 0:
            spacings.append(distances)
            continue
        if distances.ndim != 1:
            raise ValueError("gradient: distances must be either scalars or 1d")
        if len(distances) != f.shape[axis]:
            raise ValueError("gradient: when 1d, distances must match the length of the "
                             "corresponding dimension")
        differences = np.diff(distances.astype(np.float64) if distances.dtype.kind in "iub"
                              else distances)
        spacings.append(differences[0] if (differences == differences[0]).all()
                        else differences)
    return spacings


def _weighted(f, axis, terms):
    """sum of c * f[key] over the (coefficients, key) terms, each c along ``axis``."""
    total = None
    for c, key in terms:
        c = np.asarray(c)
        if c.ndim:
            c = c.reshape((-1,) + (1,) * (f.ndim - 1 - axis))
        term = c * _along(f, axis, key)
        total = term if total is None else total + term
    return total


def _derivative_along(f, axis, h, edge_order):
    """NumPy's np.gradient along one axis: second-order central differences inside, first-
    or second-order one-sided ones at the two ends."""
    uniform = np.ndim(h) == 0
    if uniform:
        inside = (_along(f, axis, slice(2, None)) - _along(f, axis, slice(None, -2))) / (2. * h)
    else:
        h1, h2 = h[:-1], h[1:]
        inside = _weighted(f, axis, [(-h2 / (h1 * (h1 + h2)), slice(None, -2)),
                                     ((h2 - h1) / (h1 * h2), slice(1, -1)),
                                     (h1 / (h2 * (h1 + h2)), slice(2, None))])
    if edge_order == 1:
        first = (_along(f, axis, slice(1, 2)) - _along(f, axis, slice(0, 1))) / (
            h if uniform else h[0])
        last = (_along(f, axis, slice(-1, None)) - _along(f, axis, slice(-2, -1))) / (
            h if uniform else h[-1])
    else:
        if uniform:
            start, end = (-1.5 / h, 2. / h, -0.5 / h), (0.5 / h, -2. / h, 1.5 / h)
        else:
            h1, h2 = h[0], h[1]
            start = (-(2. * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2),
                     -h1 / (h2 * (h1 + h2)))
            h1, h2 = h[-2], h[-1]
            end = (h2 / (h1 * (h1 + h2)), -(h2 + h1) / (h1 * h2),
                   (2. * h2 + h1) / (h2 * (h1 + h2)))
        first = _weighted(f, axis, zip(start, (slice(0, 1), slice(1, 2), slice(2, 3))))
        last = _weighted(f, axis, zip(end, (slice(-3, -2), slice(-2, -1), slice(-1, None))))
    return concat([first, inside, last], axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """``np.gradient``: the derivative of the samples along each axis (a tuple of them, or
    one tensor for one axis), spaced by the scalars or coordinates of ``varargs``."""
    values = as_tensor(f)
    if values.dtype.kind != "f":
        values = as_tensor(values, np.float64)
    axes = list(range(values.ndim)) if axis is None else [
        _axis(a, values.ndim, "gradient") for a in np.atleast_1d(axis)]
    if len(set(axes)) < len(axes):
        raise ValueError("gradient: duplicate value in 'axis'")
    if edge_order not in (1, 2):
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    derivatives = []
    for a, h in zip(axes, _spacings(values, varargs, axes)):
        if values.shape[a] < edge_order + 1:
            raise ValueError("gradient: Shape of array too small to calculate a numerical "
                             "gradient, at least (edge_order + 1) elements are required.")
        # NumPy writes each derivative into an array of f's float dtype
        derivatives.append(as_tensor(_derivative_along(values, a, h, edge_order),
                                     values.dtype))
    return derivatives[0] if len(derivatives) == 1 else tuple(derivatives)


# --- interpolation -----------------------------------------------------------------------------
registry.define("SearchSorted", lambda sorted_values, x, side: np.searchsorted(
    sorted_values, x, side).astype(np.int64), "none")
registry.no_gradient("SearchSorted")


def _gather(values, index):
    """The 1-d values at an integer index tensor (of any shape)."""
    flat = reshape(index, (-1,))
    return reshape(run("TakeAlongAxis", (values, flat), {"axis": 0}), index.shape)


def interp(x, xp, fp, left=None, right=None, period=None):
    """``np.interp``: the piecewise-linear interpolant of (xp, fp) at x, ``left`` / ``right``
    (fp's ends by default) outside. Differentiable in x (the slope of x's piece, the right
    one at a knot) and in fp; xp is found by a recorded search, so a tape_function needs no
    new trace for new x."""
    o = _ops()
    if period is not None:
        return NotImplemented
    points, values = as_tensor(xp), as_tensor(fp)
    if points.ndim != 1 or values.ndim != 1 or points.shape != values.shape:
        raise ValueError(f"interp: xp and fp must be 1-d sequences of the same length, got "
                         f"shapes {points.shape} and {values.shape}")
    if points.shape[0] == 0:
        raise ValueError("interp: array of sample points is empty")
    dtype = np.result_type(points.dtype, values.dtype, np.float64)
    x, points, values = (as_tensor(t, dtype) for t in (x, points, values))
    n = points.shape[0]
    # The piece [xp[j], xp[j + 1]] holding x: j = (the number of xp <= x) - 1, kept in range.
    j = o.minimum(o.maximum(run("SearchSorted", (points, x), {"side": "right"}) - 1, 0),
                  max(n - 2, 0))
    x0, f0 = _gather(points, j), _gather(values, j)
    result = f0  # one point: its value, at it
    if n > 1:
        x1, f1 = _gather(points, j + 1), _gather(values, j + 1)
        result = (f1 - f0) / (x1 - x0) * (x - x0) + f0  # NumPy's slope * (x - xp[j]) + fp[j]
        result = o.where(o.equal(x, x1), f1, result)
    below = values[0] if left is None else as_tensor(left, dtype)
    above = values[-1] if right is None else as_tensor(right, dtype)
    result = o.where(o.less(x, points[0]), below, o.where(o.greater(x, points[-1]), above,
                                                            result))
    return o.where(o.is_nan(x), x, result)


# --- convolutions ------------------------------------------------------------------------------
def _windows(a, m, mode, what):
    """The windows of m consecutive values of a (n >= m of them), zero-padded as ``mode``
    asks, one a row: 'full' slides over every overlap, 'same' keeps the n central
    positions of those, 'valid' the complete overlaps only."""
    n = a.shape[0]
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{what}: mode must be one of 'valid', 'same' or 'full', got {mode!r}")
    left = {"full": m - 1, "same": m // 2, "valid": 0}[mode]
    count = {"full": n + m - 1, "same": n, "valid": n - m + 1}[mode]
    right = count + m - 1 - n - left
    zeros = [_ops().zeros((k,), a.dtype) for k in (left, right)]
    pieces = [zeros[0]] * bool(left) + [a] + [zeros[1]] * bool(right)
    padded = concat(pieces, 0) if len(pieces) > 1 else a
    return getitem(padded, np.arange(count)[:, None] + np.arange(m)[None, :])


def _sequences(a, v, what):
    x, y = as_tensor(a), as_tensor(v)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{what}: object too deep for desired array (shapes {x.shape} and "
                         f"{y.shape}: 1-d sequences)")
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError(f"{what}: {'a' if x.shape[0] == 0 else 'v'} cannot be empty")
    dtype = np.result_type(x.dtype, y.dtype)
    return as_tensor(x, dtype), as_tensor(y, dtype)


def _slide(longer, shorter, mode, what):
    """sum over j of longer[k + j] shorter[j] at each window k: NumPy's correlation core."""
    from .linalg import matmul

    return matmul(_windows(longer, shorter.shape[0], mode, what), shorter)


def _reversed(x):
    return getitem(x, slice(None, None, -1))


def convolve(a, v, mode="full"):
    """``np.convolve`` of two 1-d sequences: sum over j of a[j] v[k - j]."""
    x, y = _sequences(a, v, "convolve")
    if y.shape[0] > x.shape[0]:  # symmetric: the longer one slides under the shorter
        x, y = y, x
    return _slide(x, _reversed(y), mode, "convolve")


def correlate(a, v, mode="valid"):
    """``np.correlate`` of two real 1-d sequences: sum over j of a[k + j] v[j] (where v is
    the longer one, NumPy's reversed correlation of v with a)."""
    x, y = _sequences(a, v, "correlate")
    if y.shape[0] > x.shape[0]:
        return _reversed(_slide(y, x, mode, "correlate"))
    return _slide(x, y, mode, "correlate")


NUMPY_FUNCTIONS = {
    np.gradient: gradient,  # *varargs: NumPy's own signature, not one numpy_table binds
    **numpy_table([(np.diff, diff), (np.interp, interp), (np.convolve, convolve),
                   (np.correlate, correlate)]
                  + ([(np.trapezoid, trapezoid)] if hasattr(np, "trapezoid") else [])),
}
