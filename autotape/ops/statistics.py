"""Statistics and scans: variance, standard deviation, weighted averages, ranges, NaN-aware
sums and means, cumulative sums and products, medians and quantiles.

Everything but the cumulative sum is composed of recorded operations; the cumulative sum
is a primitive whose gradient is the cumulative sum the other way, so every order works."""

import math

import numpy as np

from ..recording import concrete
from ..tensor import Tensor, as_tensor
from . import registry
from .core import run
from .numpy_signatures import numpy_table
from .reductions import normalize_axes, reduce_max, reduce_min, reduce_sum
from .shape import concat, reshape, transpose

__all__ = ["average", "cumprod", "cumsum", "median", "nancumprod", "nancumsum", "nanmax",
           "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd",
           "nansum", "nanvar", "percentile", "ptp", "quantile", "reduce_std", "reduce_variance",
           "std", "var"]


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


def _numpy_nan_scan(tensorflow_scan, identity):
    """np.nancumsum / np.nancumprod: the scan with NaNs counted as ``identity``."""
    scan = _numpy_scan(tensorflow_scan)

    def nan_scan(a, axis=None, dtype=None):
        x = as_tensor(a)
        return scan(_without_nan(x, identity) if x.dtype.kind == "f" else x, axis, dtype)
    return nan_scan


def _array_api_scan(tensorflow_scan, identity, what):
    """NumPy 2.1's cumulative_sum / cumulative_prod: ``axis`` needed beyond one axis, and
    ``include_initial`` puts the identity first."""
    scan = _numpy_scan(tensorflow_scan)

    def cumulative(x, axis=None, dtype=None, include_initial=False):
        from . import fill

        t = as_tensor(x)
        if axis is None and t.ndim > 1:
            raise ValueError(f"{what}: for arrays which have more than one dimension "
                             "``axis`` argument is required.")
        result = scan(t, axis, dtype)
        if not include_initial:
            return result
        axis = 0 if axis is None else axis % t.ndim
        first = fill(result.shape[:axis] + (1,) + result.shape[axis + 1:],
                     np.array(identity, result.dtype))
        return concat([first, result], axis)
    return cumulative


# --- medians and quantiles: order statistics of the sorted values ------------------------
# NumPy's continuous methods, by their (alpha, beta): the sample's q-quantile sits at the
# virtual index n q + alpha + q (1 - alpha - beta) - 1 of the sorted values, between the two
# neighbouring elements (both the end one beyond either end).
_PLOTTING_POSITIONS = {
    "linear": (1.0, 1.0), "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
    "interpolated_inverted_cdf": (0.0, 1.0), "median_unbiased": (1 / 3, 1 / 3),
    "normal_unbiased": (3 / 8, 3 / 8),
}
# The methods that pick one element (or the midpoint of two) for index (n - 1) q. (NumPy's
# ufuncs: through NumPy's protocol they apply to nanquantile's tensors of counts too.)
_PICKS = {"lower": np.floor, "higher": np.ceil, "nearest": np.rint, "midpoint": None}


def _sorted_along_last(x, axes):
    """x's values at ``axes`` merged into one last axis and sorted there (NaNs last)."""
    from .assembly import sort

    others = [i for i in range(x.ndim) if i not in axes]
    moved = transpose(x, others + list(axes)) if others + list(axes) != list(range(x.ndim)) \
        else x
    merged = reshape(moved, tuple(x.shape[i] for i in others) + (_count(x, axes),))
    return sort(merged, -1)


def _virtual_index(q, n, method):
    """Where in the n sorted values q's quantile sits, NumPy's arithmetic (the same
    operators on an array of q or on a tensor: recorded then, so the gradient reaches q)."""
    if method == "linear":  # NumPy's own form for it, for its rounding
        return (n - 1) * q
    alpha, beta = _PLOTTING_POSITIONS[method]
    return n * q + (alpha + q * (1 - alpha - beta)) - 1


def _neighbours(q, n, method):
    """(lower index, upper index, the weight of the upper one) for each of the flat q's, in
    n sorted values: n an int, or a tensor of counts (..., 1) (nanquantile's: the indices
    are tensors then, (..., len(q))). The weight is an array, or a tensor where q or n is
    one; NumPy's ufuncs on either, so one arithmetic serves both."""
    values = np.asarray(concrete(q, "quantile: q") if isinstance(q, Tensor) else q,
                        np.float64)
    last = np.maximum(n - 1, 0)
    if method in _PICKS:
        position = last * values
        lower, upper = np.floor(position), np.ceil(position)
        if method == "midpoint":
            return lower, upper, np.where(lower == upper, 0.0, 0.5)
        index = _PICKS[method](position)
        return index, index, np.zeros(values.shape)
    virtual = _virtual_index(q if isinstance(q, Tensor) else values, n, method)
    previous = np.floor(_virtual_index(values, n, method))
    # Beyond either end both neighbours are the end value (the weight then does not matter).
    lower = np.minimum(np.maximum(previous, 0), last)
    upper = np.minimum(np.maximum(previous + 1, 0), last)
    return lower, upper, virtual - previous


def _lerp(a, b, t):
    """a + (b - a) t, from b's end where t >= 1/2 (NumPy's _lerp, for its rounding)."""
    from . import where

    difference = b - a
    return where(t >= 0.5, b - difference * (1 - t), a + difference * t)


def _check_method(method, what):
    if method not in _PLOTTING_POSITIONS and method not in _PICKS:
        if method in ("inverted_cdf", "averaged_inverted_cdf", "closest_observation"):
            raise NotImplementedError(f"{what}: method {method!r} is not supported yet "
                                      f"(the supported ones: {_METHODS})")
        raise ValueError(f"{what}: {method!r} is not a valid method. Use one of: {_METHODS}")


_METHODS = ", ".join(list(_PLOTTING_POSITIONS) + list(_PICKS))


def _floating_for_quantile(a, q):
    """a as a float tensor of NumPy's dtype for its quantiles at q (a Python number q is
    weak: a float32 sample keeps float32)."""
    q_dtype = q.dtype if isinstance(q, Tensor) else q if isinstance(q, (int, float)) \
        else np.asarray(q).dtype
    x = _floating(a)
    return as_tensor(x, np.result_type(x.dtype, q_dtype))


def _at(values, index):
    """values (..., n) at the indices along their last axis: the same ones for every row
    (an array), or each row's own (a tensor of values' leading shape)."""
    from . import cast
    from .indexing import getitem

    if isinstance(index, Tensor):
        return run("TakeAlongAxis", (values, cast(index, np.int64)), {"axis": values.ndim - 1})
    return getitem(values, (Ellipsis, np.reshape(index, (-1,)).astype(np.int64)))


def _propagating_nan(result, values):
    """A NaN sorts last: where the last value is NaN, so is every order statistic (NumPy's
    rule)."""
    from . import is_nan, where

    last = _at(values, [-1])
    return where(is_nan(last), last, result)


def _quantile(a, q, axis, method, keepdims, what, skip_nan=False):
    """The quantiles at q of the values along ``axis``; with ``skip_nan``, of the values
    that are not NaN (NaN where there are none)."""
    from . import cast, equal, where

    _check_method(method, what)
    x = _floating_for_quantile(a, q)
    axes = normalize_axes(axis, x.ndim, what)
    n = _count(x, axes)
    if n == 0:
        raise ValueError(f"{what}: cannot take a quantile of an empty axis (shape {x.shape})")
    values = _sorted_along_last(x, axes)
    if skip_nan:  # the NaNs sort last: each row's quantiles are of its first `count` values
        n = reduce_sum(cast(equal(values, values), x.dtype), -1, keepdims=True)
    flat_q = reshape(q, (-1,)) if isinstance(q, Tensor) else np.reshape(q, (-1,))
    lower, upper, weight = _neighbours(flat_q, n, method)
    weight = as_tensor(weight, x.dtype) if isinstance(weight, Tensor) else weight.astype(x.dtype)
    result = _lerp(_at(values, lower), _at(values, upper), weight)
    result = where(equal(n, 0), np.nan, result) if skip_nan else \
        _propagating_nan(result, values)
    return _quantiles_first(result, x.shape, axes, np.shape(q), keepdims)


def _quantiles_first(result, shape, axes, q_shape, keepdims):
    """(kept axes..., q's) -> (q's axes..., kept axes, with size-1 reduced axes if
    ``keepdims``), NumPy's layout."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape)) if keepdims \
        else tuple(n for i, n in enumerate(shape) if i not in axes)
    k = result.ndim - 1
    moved = transpose(result, [k] + list(range(k))) if k else result
    return reshape(moved, tuple(q_shape) + kept)


def quantile(a, q, axis=None, method="linear", keepdims=False, overwrite_input=False):
    """NumPy's quantile (q in [0, 1]) by sorting: the gradient goes to the one or two
    elements each quantile is made of (and, for the interpolating methods, to q when it is a
    tensor). ``overwrite_input`` is accepted: the input is never changed."""
    _checked_q(q, 1, "quantile")
    return _quantile(a, q, axis, method, keepdims, "quantile")


def _fraction(q):
    """q / 100; a Python number stays one (weak, for the result's dtype)."""
    if isinstance(q, Tensor):
        return q / 100
    return float(q) / 100 if isinstance(q, (int, float)) else np.true_divide(q, 100)


def percentile(a, q, axis=None, method="linear", keepdims=False, overwrite_input=False):
    """NumPy's percentile: the quantile at q / 100 (q in [0, 100])."""
    _checked_q(q, 100, "percentile")
    return _quantile(a, _fraction(q), axis, method, keepdims, "percentile")


def median(a, axis=None, keepdims=False, overwrite_input=False):
    """NumPy's median: the middle element, or the mean of the two middle ones (computed as
    NumPy does, so the values agree to the bit). Of an empty axis it is NaN, with NumPy's
    warning."""
    x = _floating(a)
    axes = normalize_axes(axis, x.ndim, "median")
    n = _count(x, axes)
    if n == 0:
        return as_tensor(np.median(np.zeros(x.shape, x.dtype), axis, keepdims=keepdims))
    values = _sorted_along_last(x, axes)
    middle = _at(values, [(n - 1) // 2])
    if n % 2 == 0:
        middle = (middle + _at(values, [n // 2])) / np.array(2, x.dtype)
    return _quantiles_first(_propagating_nan(middle, values), x.shape, axes, (), keepdims)



def _checked_q(q, high, what):
    values = np.asarray(concrete(q, f"{what}: q") if isinstance(q, Tensor) else q)
    if not np.all((values >= 0) & (values <= high)):
        noun = "Quantiles" if high == 1 else "Percentiles"
        raise ValueError(f"{what}: {noun} must be in the range [0, {high}]")


def nanquantile(a, q, axis=None, method="linear", keepdims=False, overwrite_input=False):
    """NumPy's nanquantile: the quantiles of the values that are not NaN (NaN for a slice
    of NaNs only). Each row's own count picks its elements inside the record, so a
    tape_function serves every pattern of NaNs with one trace."""
    _checked_q(q, 1, "nanquantile")
    return _quantile(a, q, axis, method, keepdims, "nanquantile", skip_nan=True)


def nanpercentile(a, q, axis=None, method="linear", keepdims=False, overwrite_input=False):
    _checked_q(q, 100, "nanpercentile")
    return _quantile(a, _fraction(q), axis, method, keepdims, "nanpercentile", skip_nan=True)


def nanmedian(a, axis=None, keepdims=False, overwrite_input=False):
    """NumPy's nanmedian: the median of the values that are not NaN (the mean of the two
    middle ones for an even count, as NumPy computes it); NaN for a slice of NaNs only."""
    from . import cast, equal, where

    x = _floating(a)
    axes = normalize_axes(axis, x.ndim, "nanmedian")
    if _count(x, axes) == 0:
        return as_tensor(np.median(np.zeros(x.shape, x.dtype), axis, keepdims=keepdims))
    values = _sorted_along_last(x, axes)
    count = reduce_sum(cast(equal(values, values), x.dtype), -1, keepdims=True)
    below = np.floor(np.maximum(count - 1, 0) / 2)
    above = np.ceil(np.maximum(count - 1, 0) / 2)
    low, high = _at(values, below), _at(values, above)
    middle = where(equal(below, above), low, (low + high) / np.array(2, x.dtype))
    middle = where(equal(count, 0), np.nan, middle)
    return _quantiles_first(middle, x.shape, axes, (), keepdims)


def _without_nan(x, fill):
    """x with its NaNs replaced by ``fill`` (which takes no gradient)."""
    from . import is_nan, where

    return where(is_nan(x), np.array(fill, x.dtype), x) if x.dtype.kind == "f" else x


def _nan_extremum(reduce, fill, what):
    def extremum(a, axis=None, keepdims=False):
        """The extremum of the values that are not NaN; NaN for a slice of NaNs only (as
        NumPy, which also warns)."""
        from . import is_nan, reduce_all, where

        x = as_tensor(a)
        result = reduce(_without_nan(x, fill), axis, keepdims)
        if x.dtype.kind != "f":
            return result
        return where(reduce_all(is_nan(x), axis, keepdims), np.array(np.nan, x.dtype), result)
    extremum.__name__ = extremum.__qualname__ = what
    return extremum


nanmax = _nan_extremum(reduce_max, -np.inf, "nanmax")
nanmin = _nan_extremum(reduce_min, np.inf, "nanmin")


def nanprod(a, axis=None, dtype=None, keepdims=False):
    """The product with NaNs counted as one."""
    from .reductions import reduce_prod

    x = as_tensor(a) if dtype is None else as_tensor(a, np.dtype(dtype))
    return reduce_prod(_without_nan(x, 1), axis, keepdims)


def nanvar(a, axis=None, dtype=None, ddof=0, keepdims=False, correction=None):
    """The variance of the values that are not NaN, divided by their count - ddof; NaN
    where that is <= 0 (NumPy's nanvar, which also warns)."""
    from . import cast, equal, where

    if correction is not None:
        if ddof != 0:
            raise ValueError("nanvar: give ddof or correction, not both")
        ddof = correction
    x = _floating(a, dtype)
    axes = normalize_axes(axis, x.ndim, "nanvar")
    count = reduce_sum(cast(equal(x, x), x.dtype), axes, keepdims=True)
    mean = nansum(x, axes, keepdims=True) / count
    deviation = _without_nan(x - mean, 0)
    dof = _drop_axes(count, x.shape, axes, keepdims) - np.array(ddof, x.dtype)
    total = reduce_sum(deviation * deviation, axes, keepdims)
    return where(dof > 0, total / where(dof > 0, dof, 1), np.array(np.nan, x.dtype))


def nanstd(a, axis=None, dtype=None, ddof=0, keepdims=False, correction=None):
    from . import sqrt

    return sqrt(nanvar(a, axis, dtype, ddof, keepdims, correction))


nancumsum = _numpy_nan_scan(cumsum, 0)
nancumprod = _numpy_nan_scan(cumprod, 1)
_scans = [(np.nancumsum, nancumsum), (np.nancumprod, nancumprod)] + [
    (getattr(np, name), _array_api_scan(scan, identity, name))
    for name, scan, identity in (("cumulative_sum", cumsum, 0), ("cumulative_prod", cumprod, 1))
    if hasattr(np, name)]  # NumPy 2.1

NUMPY_FUNCTIONS = numpy_table([
    (np.var, var), (np.std, std), (np.average, average), (np.ptp, ptp), (np.nansum, nansum),
    (np.nanmean, nanmean), (np.cumsum, _numpy_scan(cumsum)), (np.cumprod, _numpy_scan(cumprod)),
    (np.median, median), (np.quantile, quantile), (np.percentile, percentile),
    (np.nanmedian, nanmedian), (np.nanquantile, nanquantile),
    (np.nanpercentile, nanpercentile), (np.nanmax, nanmax), (np.nanmin, nanmin),
    (np.nanprod, nanprod), (np.nanvar, nanvar), (np.nanstd, nanstd), *_scans,
])
