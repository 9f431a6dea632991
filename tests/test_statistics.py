"""Statistics and scans on Tensors, through NumPy's functions and autotape's own: values
against NumPy, gradients against central finite differences (first order everywhere,
second and third for a few), every axis form, keepdims, ddof, both float dtypes, batched
Jacobians against per-row passes, and inside a tape_function."""

import warnings

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]
AXES = [None, 0, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_and_std(axis, keepdims, dtype):
    x = sample((3, 4, 2))
    compare(lambda a: np.var(a, axis=axis, keepdims=keepdims), [x], dtype)
    compare(lambda a: np.std(a, axis, ddof=1, keepdims=keepdims), [x], dtype)


def test_var_forms():
    x = sample((4, 3), 2)
    compare(lambda a: np.var(a, 0, None, None, 1), [x])  # positional ddof, as NumPy binds it
    compare(lambda a: np.var(a, axis=1, correction=1), [x])
    assert np.std(at.constant(x), dtype=np.float32).dtype == np.float32
    compare(lambda a: at.reduce_variance(a, 1) + at.reduce_std(a, 0)[:, None].T[0, 0], [x])
    ints = np.arange(12).reshape(3, 4)
    assert np.var(at.constant(ints), 1).dtype == np.float64
    assert_close(np.var(at.constant(ints), 1).numpy(), np.var(ints, 1))
    # N - ddof <= 0 divides by zero, as in NumPy (which warns)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isinf(np.var(at.constant([1.0, 2.0]), ddof=2).numpy())


def test_std_of_constant_values_has_nan_gradient_as_in_numpy_terms():
    # d sqrt(v) / dv at v == 0 is infinite; times a zero deviation it is NaN, as in JAX.
    x = at.constant([2.0, 2.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.std(x)
    assert y.numpy() == 0 and np.all(np.isnan(tape.gradient(y, x).numpy()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_average(dtype):
    x, w = sample((3, 4), 3), np.abs(sample((3, 4), 4))
    compare(lambda a, b: np.average(a, weights=b), [x, w], dtype)
    compare(lambda a, b: np.average(a, axis=1, weights=b), [x, w], dtype)
    compare(lambda a, b: np.average(a, axis=-1, weights=b, keepdims=True), [x, w[0]], dtype)
    compare(lambda a, b: np.average(a, axis=0, weights=b), [x, w[:, 0]], dtype)
    compare(lambda a: np.average(a, axis=(0, 1)), [x], dtype)
    compare(lambda b: np.average(x.astype(dtype), axis=0, weights=b, returned=True)[1],
            [w[:, 0]], dtype)
    y = sample((2, 3, 4), 5)
    compare(lambda a, b: np.average(a, axis=(0, 2), weights=b), [y, np.abs(sample((2, 4)))],
            dtype)


def test_average_errors_and_returned_counts():
    x = at.constant(np.ones((3, 4)))
    with pytest.raises(TypeError, match="average: axis must be specified"):
        np.average(x, weights=np.ones(4))
    with pytest.raises(ValueError, match=r"average: weights of shape \(3,\) do not fit"):
        np.average(x, axis=1, weights=np.ones(3))
    with pytest.raises(ZeroDivisionError, match="average: weights sum to zero"):
        np.average(x, axis=1, weights=np.array([1.0, -1.0, 0.0, 0.0]))
    mean, count = np.average(x, axis=1, returned=True)
    assert_close(count.numpy(), np.full(3, 4.0))
    got = np.average(at.constant(np.arange(4)), weights=np.arange(4))
    assert got.dtype == np.float64 and got.numpy() == np.average(np.arange(4), weights=np.arange(4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES[:4])
def test_ptp_amax_style_ranges(axis, dtype):
    compare(lambda a: np.ptp(a, axis=axis), [sample((3, 4, 2), 6)], dtype)
    compare(lambda a: np.ptp(a, axis, keepdims=True), [sample((3, 4, 2), 7)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nansum_and_nanmean(dtype):
    x = sample((3, 4), 8)
    x[0, 1] = x[2, 3] = x[2, 0] = np.nan
    compare(lambda a: np.nansum(a), [x], dtype)
    compare(lambda a: np.nansum(a, axis=1, keepdims=True), [x], dtype)
    compare(lambda a: np.nanmean(a, axis=0), [x], dtype)
    t = at.constant(x.astype(dtype))
    with at.GradientTape() as tape:
        tape.watch(t)
        y = np.nanmean(t)
    g = tape.gradient(y, t).numpy()
    assert np.all(g[np.isnan(x)] == 0) and np.allclose(g[~np.isnan(x)], 1 / 9)
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.nanmean(at.constant([np.nan, np.nan])).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_numpy_cumsum_and_cumprod(axis, dtype):
    x = sample((3, 5), 9)
    compare(lambda a: np.cumsum(a, axis=axis), [x], dtype)
    compare(lambda a: np.cumprod(a, axis), [x], dtype)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_tensorflow_cumsum_and_cumprod(exclusive, reverse):
    x = sample((4, 3), 10)
    x[1, 2] = 0.0  # a zero: the product's gradient takes no division

    def flipped(f, a, axis):
        return np.flip(f(np.flip(a, axis), axis), axis) if reverse else f(a, axis)

    def shifted(inclusive, a, axis, identity):
        if not exclusive:
            return inclusive
        edge = np.full_like(np.take(a, [0], axis), identity)
        if reverse:
            return np.concatenate([np.delete(inclusive, 0, axis), edge], axis)
        return np.concatenate([edge, np.delete(inclusive, -1, axis)], axis)

    for axis in (0, 1):
        compare(lambda a: at.cumsum(a, axis, exclusive, reverse) if isinstance(a, at.Tensor)
                else shifted(flipped(np.cumsum, a, axis), a, axis, 0), [x])
        compare(lambda a: at.cumprod(a, axis, exclusive, reverse) if isinstance(a, at.Tensor)
                else shifted(flipped(np.cumprod, a, axis), a, axis, 1), [x])


def test_scans_higher_orders_with_zeros():
    x = sample((7,), 11)
    x[2] = x[5] = 0.0
    at.testing.check_gradients(lambda a: at.cumprod(a) ** 2, x, order=3)
    at.testing.check_gradients(lambda a: at.cumsum(a * a, reverse=True) * a, x, order=3)
    at.testing.check_gradients(lambda a: np.var(a * a, ddof=1), x, order=3)


def test_scan_dtypes_and_errors():
    small = np.arange(1, 5, dtype=np.int32)
    for f in (np.cumsum, np.cumprod):
        got = f(at.constant(small))
        assert got.dtype == f(small).dtype and np.array_equal(got.numpy(), f(small))
    assert np.cumsum(at.constant(np.ones(3, np.float32))).dtype == np.float32
    assert np.cumsum(at.constant([True, True])).numpy().tolist() == [1, 2]
    with pytest.raises(ValueError, match="cumsum: axis 2 is out of range"):
        at.cumsum(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="cumprod: a scalar has no axis"):
        at.cumprod(3.0)


@pytest.mark.parametrize("f", [
    lambda a: at.cumsum(a, 1),
    lambda a: at.cumprod(a, 0, reverse=True),
    lambda a: np.var(a, axis=1, ddof=1),
    lambda a: np.average(a, axis=0, weights=np.array([1.0, 2.0, 3.0])),
    lambda a: np.median(a, axis=1),
    lambda a: np.quantile(a, [0.2, 0.7], axis=0),
])
def test_batched_jacobians_equal_rows(f):
    x = at.constant(sample((3, 4), 12))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    jacobian = tape.jacobian(y, x).numpy().reshape(-1, x.size)
    rows = []
    for k in range(y.size):
        with at.GradientTape() as tape:
            tape.watch(x)
            yk = at.reshape(f(x), (-1,))[k]
        rows.append(tape.gradient(yk, x).numpy().reshape(-1))
    assert_close(jacobian, np.array(rows), rtol=1e-12, atol=1e-14)



METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "hazen", "weibull",
           "median_unbiased", "normal_unbiased", "interpolated_inverted_cdf"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_median_quantile_percentile(axis, keepdims, dtype):
    x = sample((3, 4, 2), 20)
    compare(lambda a: np.median(a, axis=axis, keepdims=keepdims), [x], dtype)
    compare(lambda a: np.quantile(a, 0.3, axis=axis, keepdims=keepdims), [x], dtype)
    # (q of the sample's dtype: NumPy's result has the dtype of both)
    compare(lambda a: np.percentile(a, np.array([5, 50, 95], dtype), axis, keepdims=keepdims),
            [x], dtype)
    compare(lambda a: np.quantile(a, np.array([[0.0, 0.25], [0.6, 1.0]], dtype), axis=axis,
                                  keepdims=keepdims), [x], dtype)


@pytest.mark.parametrize("method", METHODS)
def test_quantile_methods(method):
    x = sample((5, 6), 21)
    compare(lambda a: np.quantile(a, [0.0, 0.1, 0.5, 0.77, 1.0], axis=1, method=method), [x])
    compare(lambda a: at.percentile(a, 37.5, method=method), [x])


def test_median_and_quantile_values_are_numpys_to_the_bit():
    for n in (1, 2, 5, 6):  # odd and even counts
        x = sample((3, n), n)
        assert np.array_equal(np.median(at.constant(x), axis=1).numpy(), np.median(x, axis=1))
        assert np.array_equal(np.quantile(at.constant(x), [0.3, 0.9], 1).numpy(),
                              np.quantile(x, [0.3, 0.9], 1))
    ints = np.array([[3, 1, 2, 8]])
    assert np.median(at.constant(ints)).dtype == np.float64 and np.median(ints) == 2.5
    assert np.quantile(at.constant(x.astype(F32)), 0.5).dtype == F32  # a Python q is weak
    assert np.quantile(at.constant(x.astype(F32)), np.float64(0.5)).dtype == F64


def test_quantile_gradient_reaches_q_where_it_interpolates():
    x = sample((4, 7), 22)
    for method in ("linear", "hazen", "median_unbiased"):
        compare(lambda a, q: np.quantile(a, q, axis=1, method=method),
                [x, np.array([0.13, 0.62, 0.91])])
    compare(lambda a, q: np.percentile(a, q), [x, np.array([12.0, 64.0])])


def test_quantiles_second_order():
    rng = np.random.default_rng(23)
    w = rng.normal(size=(2, 3))
    at.testing.check_gradients(
        lambda t: at.reduce_sum(np.quantile(t * t, [0.35, 0.8], axis=0) * w),
        at.constant(sample((5, 3), 24)), order=2)
    at.testing.check_gradients(lambda t: np.median(at.sin(t)) ** 2,
                               at.constant(sample((6,), 25)), order=2)


def test_quantiles_of_nan_are_nan_and_bad_input_is_refused():
    x = np.array([[1.0, np.nan, 2.0], [3.0, 1.0, 2.0]])
    t = at.constant(x)
    for f in (lambda a: np.median(a, axis=1), lambda a: np.quantile(a, [0.2, 0.5], axis=1),
              lambda a: np.percentile(a, 90, axis=1, method="lower")):
        np.testing.assert_array_equal(f(t).numpy(), f(x))
    with pytest.raises(ValueError, match=r"quantile: Quantiles must be in the range \[0, 1\]"):
        np.quantile(t, 1.5)
    with pytest.raises(ValueError, match="percentile: Percentiles must be in the range"):
        at.percentile(t, [-1.0, 50.0])
    with pytest.raises(ValueError, match="quantile: 'cubic' is not a valid method"):
        np.quantile(t, 0.5, method="cubic")
    with pytest.raises(NotImplementedError, match="quantile: method 'inverted_cdf' is not"):
        np.quantile(t, 0.5, method="inverted_cdf")
    with pytest.raises(ValueError, match="quantile: cannot take a quantile of an empty axis"):
        np.quantile(at.constant(np.ones((2, 0))), 0.5, axis=1)
    with pytest.warns(RuntimeWarning):  # NumPy's median of nothing: NaN, with its warning
        assert np.isnan(np.median(at.constant(np.ones((0,)))).numpy())
    for bad in (lambda: np.quantile(x, 1.5), lambda: np.quantile(x, 0.5, method="cubic"),
                lambda: np.quantile(np.ones((2, 0)), 0.5, axis=1)):
        with pytest.raises((ValueError, IndexError)):  # NumPy refuses them too
            bad()


def with_nans(shape, seed, all_nan_row=False):
    """A sample with about a quarter of its values NaN (and if ``all_nan_row``, a row of
    NaNs only: NaN results, which no finite difference can check)."""
    x = sample(shape, seed)
    x[np.random.default_rng(seed).random(shape) < 0.25] = np.nan
    if all_nan_row:
        x[(0,) * (len(shape) - 1)] = np.nan
    return x


NAN_FUNCTIONS = [
    lambda a, axis, keepdims: np.nanmax(a, axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanmin(a, axis=axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanprod(a, axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanvar(a, axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanmedian(a, axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanquantile(a, 0.9, axis, keepdims=keepdims),
    lambda a, axis, keepdims: np.nanpercentile(a, 40, axis, method="nearest",
                                               keepdims=keepdims),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("k", range(len(NAN_FUNCTIONS)))
def test_nan_functions(k, axis, keepdims, dtype):
    x = with_nans((3, 4, 5), 26)
    assert not np.isnan(x).all(axis=-1).any() and not np.isnan(x).all(axis=1).any()
    f = NAN_FUNCTIONS[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's, for the all-NaN slices
        compare(lambda a: f(a, axis, keepdims), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nanstd(dtype):
    x = sample((4, 6), 31)
    x[np.arange(4), [0, 2, 3, 5]] = x[np.arange(4), [1, 1, 4, 0]] = np.nan  # 4 left a row
    compare(lambda a: np.nanstd(a, 1, ddof=1), [x], dtype)
    compare(lambda a: np.nanstd(a, keepdims=True), [x], dtype)
    # One value left: a zero deviation, so NaN gradients, as std's of constant values.
    t = at.constant([np.nan, 2.0])
    with at.GradientTape() as tape:
        tape.watch(t)
        y = np.nanstd(t)
    assert y.numpy() == 0 and np.isnan(tape.gradient(y, t).numpy()[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_scans_and_the_array_api_scans(dtype):
    x = with_nans((3, 4), 32)
    compare(lambda a: np.nancumsum(a), [x], dtype)
    compare(lambda a: np.nancumprod(a, axis=1), [x], dtype)
    y = sample((3, 4), 33)
    if hasattr(np, "cumulative_sum"):  # NumPy 2.1
        compare(lambda a: np.cumulative_sum(a, axis=0, include_initial=True), [y], dtype)
        compare(lambda a: np.cumulative_prod(a[1]), [y], dtype)
        with pytest.raises(ValueError, match="cumulative_sum: for arrays which have more"):
            np.cumulative_sum(at.constant(y))


def test_nan_functions_values_and_edges():
    x = with_nans((4, 6), 27, all_nan_row=True)
    t = at.constant(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for f in (lambda a: np.nanmedian(a, 1), lambda a: np.nanquantile(a, [0.3, 0.5], 1),
                  lambda a: np.nanvar(a, 1, ddof=5), lambda a: np.nanmax(a, 0)):
            np.testing.assert_array_equal(f(t).numpy(), f(x))  # NaN where NumPy's is NaN
    ints = np.array([[3, 1], [2, 8]])
    assert np.nanmax(at.constant(ints), 1).dtype == np.nanmax(ints, 1).dtype
    assert np.nanprod(at.constant(ints)).numpy() == 48


def test_nanquantile_inside_a_tape_function_serves_every_nan_pattern():
    def f(a):
        return at.reduce_sum(np.nanquantile(a, [0.25, 0.75], axis=1)) + np.nanmedian(a)

    compiled = at.value_and_grad(at.tape_function(f))
    for seed in (28, 29, 30):
        a = at.constant(with_nans((3, 5), seed, all_nan_row=seed == 30))
        value, grad = at.value_and_grad(f)(a)
        got_value, got_grad = compiled(a)
        np.testing.assert_array_equal(got_value.numpy(), value.numpy())
        np.testing.assert_array_equal(got_grad.numpy(), grad.numpy())
    assert compiled.cache_info().traces == 1 and compiled.cache_info().compiled_calls == 2

def test_argmin_any_all():
    x = np.array([[3.0, 1.0, 1.0], [2.0, np.nan, -1.0]])
    assert np.argmin(at.constant(x), axis=1).numpy().tolist() == [1, 1]
    assert at.argmin(x, 1).numpy().tolist() == np.argmin(x, 1).tolist()
    assert at.argmin(np.array([5, -2 ** 63, -2 ** 63])).numpy() == 1  # no negation overflows
    assert at.argmin(np.array([3, 0, 9], np.uint8)).numpy() == 1
    assert at.argmax(x, 1).numpy().tolist() == np.argmax(x, 1).tolist()
    with pytest.raises(ValueError, match="argmin: cannot take the argmin of an empty axis"):
        at.argmin(np.ones((2, 0)), 1)
    b = np.array([[1.0, 0.0], [np.nan, 0.0]])
    for axis in (None, 0, 1):
        assert np.array_equal(at.reduce_any(b, axis).numpy(), np.any(b, axis))
        assert np.array_equal(at.reduce_all(b, axis).numpy(), np.all(b, axis))
    assert at.reduce_all(np.ones((0,))).numpy() and not at.reduce_any(np.ones((0,))).numpy()


def test_tensor_methods_are_numpys():
    a = sample((2, 3), 13)
    t = at.constant(a)
    pairs = [
        (t.reshape(3, 2), a.reshape(3, 2)), (t.reshape((6,)), a.reshape((6,))),
        (t.reshape(-1, 1), a.reshape(-1, 1)), (t.T, a.T), (t.transpose(), a.transpose()),
        (t.transpose(1, 0), a.transpose(1, 0)), (t.transpose((1, 0)), a.transpose((1, 0))),
        (t.ravel(), a.ravel()), (t.flatten(), a.flatten()),
        (t[None].squeeze(), a[None].squeeze()), (t[None].squeeze(0), a[None].squeeze(0)),
        (t.sum(), a.sum()), (t.sum(0), a.sum(0)), (t.sum(axis=1, keepdims=True),
                                                   a.sum(axis=1, keepdims=True)),
        (t.mean(1), a.mean(1)), (t.max(0), a.max(0)), (t.min(), a.min()),
        (t.prod(1), a.prod(1)), (t.std(ddof=1), a.std(ddof=1)), (t.var(0), a.var(0)),
        (t.cumsum(), a.cumsum()), (t.cumsum(1), a.cumsum(1)), (t.cumprod(0), a.cumprod(0)),
        (t.dot(a.T), a.dot(a.T)), (t.clip(-0.5, 0.5), a.clip(-0.5, 0.5)),
        (t.argmax(), a.argmax()), (t.argmin(1), a.argmin(1)), (t.all(), a.all()),
        (t.any(0), a.any(0)), (t.astype(np.float32), a.astype(np.float32)),
        (t.astype("int64"), a.astype("int64")), (t.copy(), a.copy()),
    ]
    for got, expected in pairs:
        assert isinstance(got, at.Tensor) and got.dtype == expected.dtype
        assert_close(got.numpy(), expected, rtol=1e-12)
    assert t.item(1, 2) == a.item(1, 2) and t.item(4) == a.item(4)
    assert at.constant(2.5).item() == 2.5 and type(at.constant(2).item()) is int
    assert t.tolist() == a.tolist()
    with pytest.raises(TypeError, match=r"item\(\) needs a one-element tensor"):
        t.item()
    with at.GradientTape() as tape:  # methods are recorded like the functions
        tape.watch(t)
        y = (t.T.reshape(-1).copy() * t.T.ravel()).sum() + t.var(axis=1).sum()
    expected = 2 * a + 2 * (a - a.mean(1, keepdims=True)) / 3
    assert_close(tape.gradient(y, t).numpy(), expected, rtol=1e-12)


def test_inside_a_tape_function():
    def f(a, w):
        return at.reduce_sum(at.cumprod(a, 1) * w) + np.var(a, ddof=1) \
            + at.reduce_sum(np.cumsum(a * w, axis=0)) + np.median(a * w) \
            + at.reduce_sum(np.quantile(a, [0.3, 0.6], axis=0))

    compiled = at.value_and_grad(at.tape_function(f), argnums=(0, 1))
    for seed in (14, 15):
        a, w = at.constant(sample((3, 4), seed)), at.constant(sample((3, 4), seed + 10))
        value, grads = at.value_and_grad(f, argnums=(0, 1))(a, w)
        got_value, got_grads = compiled(a, w)
        assert_close(got_value.numpy(), value.numpy(), rtol=1e-12)
        for g, e in zip(got_grads, grads):
            assert_close(g.numpy(), e.numpy(), rtol=1e-12)
    assert compiled.cache_info().compiled_calls == 1  # the second call
    assert "Cumsum x1" in compiled.explain()  # run by its forward from the compiled trace
