"""Statistics and scans: variance, standard deviation, weighted averages, ranges, NaN-aware
sums and means, cumulative sums and products, medians and quantiles.

Everything but the cumulative sum is composed of recorded operations; the cumulative sum
is a primitive whose gradient is the cumulative sum the other way, so every order works."""

import math

import numpy as np

from ..tensor import as_tensor
from . import registry
from .core import run
from .numpy_signatures import numpy_table
from .reductions import normalize_axes, reduce_max, reduce_min, reduce_sum
from .shape import concat, reshape

__all__ = ["average", "cumprod", "cumsum", "nanmean", "nansum", "ptp", "reduce_std",
           "reduce_variance", "std", "var"]


def _floating(x, dtype=None):
    """x as a tensor of ``dtype``, or of its own float dtype (float64 for ints and bools,
    as NumPy's statistics compute)."""
    x = as_tensor(x)
    if dtype is not None:
        return as_tensor(x, np.dtype(dtype)) if x.dtype != np.dtype(dtype) else x
    return x if x.dtype.kind == "f" else as_tensor(x, np.float64)


def _count(x, axes):
    return math.prod(x.shape[i] for i in axes)


def _drop_axes(t, shape, axes, keepdims):
    """A keepdims result ``t`` of reducing ``shape`` over ``axes``, with those axes removed
    unless ``keepdims``."""
    return t if keepdims else reshape(t, tuple(n for i, n in enumerate(shape) if i not in axes))


def var(a, axis=None, dtype=None, ddof=0, keepdims=False, correction=None):
    """NumPy's variance: the mean squared deviation from the mean, divided by
    ``N - ddof`` (``correction`` is the Array API's name for ``ddof``)."""
    if correction is not None:
        if ddof != 0:
            raise ValueError("var: give ddof or correction, not both")
        ddof = correction
    x = _floating(a, dtype)
    axes = normalize_axes(axis, x.ndim, "var")
    deviation = x - reduce_sum(x, axes, keepdims=True) / np.array(_count(x, axes), x.dtype)
    # N - ddof <= 0 divides by zero (inf or nan), as NumPy does (with its warning).
    dof = np.array(max(_count(x, axes) - ddof, 0), x.dtype)
    return reduce_sum(deviation * deviation, axes, keepdims) / dof


def std(a, axis=None, dtype=None, ddof=0, keepdims=False, correction=None):
    from . import sqrt

    return sqrt(var(a, axis, dtype, ddof, keepdims, correction))


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """TensorFlow's name: the population variance (ddof 0)."""
    return var(input_tensor, axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return std(input_tensor, axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """NumPy's weighted average: sum(a * w) / sum(w) over ``axis``. Weights of another
    shape than ``a`` are 1-d along one ``axis`` (or of the shape of the ``axis`` tuple)."""
    x = as_tensor(a)
    axes = normalize_axes(axis, x.ndim, "average")
    if weights is None:
        mean = reduce_sum(_floating(x), axes, keepdims) / np.array(
            _count(x, axes), _floating(x).dtype)
        if not returned:
            return mean
        from . import fill

        return mean, fill(mean.shape, np.array(_count(x, axes), mean.dtype))
    w = as_tensor(weights)
    float_type = (np.float64,) if x.dtype.kind in "biu" else ()
    dtype = np.result_type(x.dtype, w.dtype, *float_type)
    x, w = as_tensor(x, dtype), as_tensor(w, dtype)
    if w.shape != x.shape:
        w = _weights_along(w, x.shape, axis, axes)
    total = reduce_sum(w, axes, keepdims=True)
    if bool(reduce_min(abs(total)) == 0):  # a guard on the outcome inside a tape_function
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    mean = reduce_sum(x * w, axes, keepdims=True) / total
    result = _drop_axes(mean, x.shape, axes, keepdims)
    if not returned:
        return result
    from .shape import broadcast_to

    return result, _drop_axes(broadcast_to(total, mean.shape), x.shape, axes, keepdims)


def _weights_along(w, shape, axis, axes):
    """Weights of the shape of the reduced axes, reshaped to broadcast against ``shape``."""
    if axis is None:
        raise TypeError("average: axis must be specified when shapes of a and weights differ")
    if w.shape != tuple(shape[i] for i in axes):
        if w.ndim != len(axes):
            raise TypeError(f"average: weights of shape {w.shape} need the shape of the "
                            f"averaged axes {tuple(shape[i] for i in axes)} of a {shape}")
        raise ValueError(f"average: weights of shape {w.shape} do not fit the averaged axes "
                         f"{tuple(shape[i] for i in axes)} of a {shape}")
    return reshape(w, tuple(n if i in axes else 1 for i, n in enumerate(shape)))


def ptp(a, axis=None, keepdims=False):
    """Peak to peak: the maximum minus the minimum along ``axis``."""
    return reduce_max(a, axis, keepdims) - reduce_min(a, axis, keepdims)


def nansum(a, axis=None, dtype=None, keepdims=False):
    """The sum with NaNs counted as zero (their gradient is zero)."""
    from . import not_equal, where

    x = as_tensor(a) if dtype is None else as_tensor(a, np.dtype(dtype))
    if x.dtype.kind == "f":
        x = where(not_equal(x, x), np.zeros((), x.dtype), x)
    return reduce_sum(x, axis, keepdims)


def nanmean(a, axis=None, dtype=None, keepdims=False):
    """The mean of the values that are not NaN: NaN where all are (0 / 0, as NumPy)."""
    from . import cast, equal

    x = _floating(a, dtype)
    count = reduce_sum(cast(equal(x, x), x.dtype), axis, keepdims)
    return nansum(x, axis, keepdims=keepdims) / count


# --- the cumulative sum -----------------------------------------------------------------------


def _cumsum_forward(a, axis, reverse):
    if not reverse:
        return np.cumsum(a, axis)
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


registry.define("Cumsum", _cumsum_forward, "none")


@registry.RegisterGradient("Cumsum", batch_aware=True)
def _cumsum_grad(op, g):
    # Each input adds into every output after it (before it, reversed): its gradient is
    # the sum of the output gradients from there on, a cumulative sum the other way.
    axis, reverse = op.attrs["axis"] + len(op.batch), not op.attrs["reverse"]
    return run("Cumsum", (g,), {"axis": axis, "reverse": reverse})


def _scan_axis(x, axis, op_name):
    if x.ndim == 0:
        raise ValueError(f"{op_name}: a scalar has no axis to scan along")
    return normalize_axes(axis, x.ndim, op_name)[0]


def _exclusive(scan, x, axis, reverse, identity):
    """An inclusive scan shifted by one along ``axis``: ``identity`` first, the last dropped
    (the other way round when ``reverse``)."""
    from . import fill

    edge = fill(x.shape[:axis] + (1,) + x.shape[axis + 1:], np.array(identity, scan.dtype))
    whole = (slice(None),) * axis
    if reverse:
        return concat([scan[whole + (slice(1, None),)], edge], axis)
    return concat([edge, scan[whole + (slice(0, -1),)]], axis)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """TensorFlow's cumulative sum along ``axis`` (0 by default); ``exclusive`` leaves each
    element out of its own sum, ``reverse`` sums from the end."""
    x = as_tensor(x)
    axis = _scan_axis(x, axis, "cumsum")
    scan = run("Cumsum", (x,), {"axis": axis, "reverse": bool(reverse)})
    return _exclusive(scan, x, axis, reverse, 0) if exclusive else scan


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """TensorFlow's cumulative product. A log-step scan of multiplications: each step
    multiplies every element by the partial product ``shift`` places before it, so no
    division is taken and zeros are exact at every derivative order."""
    from .indexing import getitem

    x = as_tensor(x)
    axis = _scan_axis(x, axis, "cumprod")
    n, scan, shift = x.shape[axis], x, 1
    whole = (slice(None),) * axis
    while shift < n:
        ones = np.ones(x.shape[:axis] + (shift,) + x.shape[axis + 1:], x.dtype)
        if reverse:
            before = concat([getitem(scan, whole + (slice(shift, None),)), ones], axis)
        else:
            before = concat([ones, getitem(scan, whole + (slice(0, n - shift),))], axis)
        scan, shift = scan * before, 2 * shift
    return _exclusive(scan, x, axis, reverse, 1) if exclusive else scan


def _numpy_scan(tensorflow_scan):
    """np.cumsum / np.cumprod: ``axis=None`` scans the flattened array; small integers
    widen to int64, as in NumPy."""
    def scan(a, axis=None, dtype=None):
        x = as_tensor(a)
        if dtype is None and x.dtype.kind in "biu" and x.dtype.itemsize < 8:
            dtype = np.uint64 if x.dtype.kind == "u" else np.int64
        if dtype is not None:
            x = as_tensor(x, np.dtype(dtype))
        if axis is None:
            x, axis = reshape(x, (-1,)), 0
        return tensorflow_scan(x, axis)
    return scan


NUMPY_FUNCTIONS = numpy_table([
    (np.var, var), (np.std, std), (np.average, average), (np.ptp, ptp), (np.nansum, nansum),
    (np.nanmean, nanmean), (np.cumsum, _numpy_scan(cumsum)), (np.cumprod, _numpy_scan(cumprod)),
])
