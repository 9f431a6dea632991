"""Calculus on samples (diff, gradient, trapezoid, interp, convolve, correlate) through NumPy's
functions: values and dtypes against NumPy in both float dtypes, gradients against central
finite differences, second order for a few, NumPy's errors, and a tape_function."""

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]
COORDINATES = np.array([0.0, 0.5, 1.7, 2.0, 3.1, 4.0])  # uneven


# (each of (samples, dtype): coordinates and prepended values of the samples' dtype, or
# NumPy's result would be float64)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("f", [
    lambda a, dtype: np.diff(a),
    lambda a, dtype: np.diff(a, 2, axis=0),
    lambda a, dtype: np.diff(a, axis=-1, prepend=dtype(0.5), append=np.ones((4, 2), dtype)),
    lambda a, dtype: np.diff(a, 0),
    lambda a, dtype: np.trapezoid(a),
    lambda a, dtype: np.trapezoid(a, dx=0.3, axis=0),
    lambda a, dtype: np.trapezoid(a, x=COORDINATES.astype(dtype)),
    lambda a, dtype: np.gradient(a, axis=1),
    lambda a, dtype: np.gradient(a, 0.5, COORDINATES, edge_order=2)[1],
    lambda a, dtype: np.gradient(a, COORDINATES[:4], 2.0)[0],
    lambda a, dtype: np.gradient(a, COORDINATES, axis=-1, edge_order=2),
])
def test_differences_derivatives_integrals(f, dtype):
    compare(lambda a: f(a, dtype), [sample((4, 6), 1)], dtype)


def test_gradient_returns_one_tensor_per_axis():
    a = sample((3, 4, 5), 2)
    got, expected = np.gradient(at.constant(a), 1.0, 2.0, 0.5), np.gradient(a, 1.0, 2.0, 0.5)
    assert isinstance(got, tuple) and len(got) == 3
    for g, e in zip(got, expected):
        assert_close(g.numpy(), e, rtol=1e-13)
    ints = np.array([1, 4, 9, 16])
    assert np.gradient(at.constant(ints)).dtype == np.gradient(ints).dtype == F64
    assert np.diff(at.constant(ints)).dtype == np.diff(ints).dtype
    flags = np.array([True, True, False, True])
    np.testing.assert_array_equal(np.diff(at.constant(flags)).numpy(), np.diff(flags))


XP = np.array([-1.0, 0.0, 0.5, 2.0, 3.5])
X = np.array([-2.0, -1.0, -0.3, 0.0, 0.2, 0.5, 1.9, 2.0, 3.4, 3.5, 5.0])


def test_interp():
    fp = sample((5,), 3)
    compare(lambda x, f: np.interp(x, XP, f), [X + 0.01, fp])  # off the knots
    compare(lambda x: np.interp(x, XP, fp, left=-5.0, right=7.0), [X.reshape(1, -1) + 0.01])
    compare(lambda f: np.interp(X, XP, f), [fp])  # at the knots too
    # float64 whatever the inputs, as NumPy's
    assert np.interp(at.constant(X.astype(F32)), XP, fp.astype(F32)).dtype == F64


def test_interp_values_at_knots_ends_and_nan():
    fp = sample((5,), 4)
    x = np.concatenate([X, [np.nan]])
    np.testing.assert_array_equal(np.interp(at.constant(x), XP, fp).numpy(),
                                  np.interp(x, XP, fp))
    assert np.interp(at.constant(0.25), [0.25], [3.0]).numpy() == 3.0
    t = at.constant(X)
    with at.GradientTape() as tape:  # the slope of the piece on the right at a knot
        tape.watch(t)
        y = np.interp(t, XP, fp)
    slopes = np.diff(fp) / np.diff(XP)
    expected = np.select([X < XP[0], X >= XP[-1]], [0.0, 0.0],
                         slopes[np.clip(np.searchsorted(XP, X, "right") - 1, 0, 3)])
    assert_close(tape.gradient(y, t).numpy(), expected, rtol=1e-13)
    with pytest.raises(ValueError, match="interp: xp and fp must be 1-d sequences"):
        np.interp(t, XP, fp[:3])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, m", [(6, 3), (6, 2), (3, 6), (2, 7), (5, 5), (4, 1)])
def test_convolve_and_correlate(n, m, mode, dtype):
    a, v = sample((n,), 5), sample((m,), 6)
    compare(lambda x, y: np.convolve(x, y, mode), [a, v], dtype)
    compare(lambda x, y: np.correlate(x, y, mode), [a, v], dtype)


def test_second_order_and_errors():
    v = sample((3,), 7)
    at.testing.check_gradients(lambda a: np.convolve(a * a, v, "same"), at.constant(
        sample((5,), 8)), order=2)
    at.testing.check_gradients(lambda a: np.gradient(at.sin(a), COORDINATES[:5],
                                                     edge_order=2), at.constant(
        sample((5,), 9)), order=2)
    t = at.constant(sample((4,), 10))
    for call, error, match in [
        (lambda: np.diff(t, -1), ValueError, "diff: order must be non-negative"),
        (lambda: np.diff(at.constant(1.0)), ValueError, "diff requires input that is at "
                                                         "least one dimensional"),
        (lambda: np.gradient(t[:1]), ValueError, "gradient: Shape of array too small"),
        (lambda: np.gradient(t, [0.0, 1.0]), ValueError, "distances must match the length"),
        (lambda: np.gradient(t, t), TypeError, "gradient: sample spacings and coordinates "
                                               "must be constants"),
        (lambda: np.convolve(t, np.ones((2, 2))), ValueError, "convolve: object too deep"),
        (lambda: np.convolve(t, []), ValueError, "convolve: v cannot be empty"),
        (lambda: np.correlate(t, v, "middle"), ValueError, "correlate: mode must be one of"),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_inside_a_tape_function():
    def f(a, x):
        return at.reduce_sum(np.convolve(a, np.array([0.25, 0.5, 0.25]), "same")
                             * np.gradient(a)) + np.trapezoid(a * a) \
            + at.reduce_sum(np.interp(x, XP, a[:5]))

    compiled = at.value_and_grad(at.tape_function(f), argnums=(0, 1))
    for seed in (11, 12):
        a, x = at.constant(sample((6,), seed)), at.constant(X * 0.9 + 0.01 * seed)
        value, grads = at.value_and_grad(f, argnums=(0, 1))(a, x)
        got_value, got_grads = compiled(a, x)
        assert_close(got_value.numpy(), value.numpy(), rtol=1e-12)
        for g, e in zip(got_grads, grads):
            assert_close(g.numpy(), e.numpy(), rtol=1e-12)
    assert compiled.cache_info().traces == 1 and compiled.cache_info().compiled_calls == 1
