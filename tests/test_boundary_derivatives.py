"""Derivatives at the points where the textbook formula gives 0 * inf or divides by zero."""

import numpy as np
import pytest

import autotape as at
from autotape.kernels.formulas import POW_CONVENTION

INF = np.inf


def _derivatives(f, a, b):
    """(f, df/da, df/db, d2f/da2, d2f/da db, d2f/db2) at (a, b) by nested tapes."""
    a, b = at.constant(float(a)), at.constant(float(b))
    with at.GradientTape(persistent=True) as outer:
        outer.watch([a, b])
        with at.GradientTape() as inner:
            inner.watch([a, b])
            y = f(a, b)
        da, db = inner.gradient(y, [a, b])
    daa, dab = outer.gradient(da, [a, b], unconnected_gradients="zero")
    _, dbb = outer.gradient(db, [a, b], unconnected_gradients="zero")
    return tuple(float(t) for t in (y, da, db, daa, dab, dbb))


# (b, d/da, d2/da2) of a ** b at a = 0, from the limits of the power rule.
POWER_AT_ZERO = [(0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (2.0, 0.0, 2.0), (3.0, 0.0, 0.0),
                 (0.5, INF, -INF), (-1.0, -INF, INF), (-2.0, -INF, INF)]


@pytest.mark.parametrize("b, first, second", POWER_AT_ZERO)
def test_pow_at_zero_follows_the_power_rule_limits(b, first, second):
    y, da, db, daa, dab, dbb = _derivatives(lambda a, b: a ** b, 0.0, b)
    with np.errstate(divide="ignore"):
        assert y == np.float64(0.0) ** b
        assert dab == (0.0 if b == 0 else np.float64(0.0) ** (b - 1))
    assert da == first and daa == second
    assert db == 0.0 and dbb == 0.0  # log(a) terms are 0 at a == 0


@pytest.mark.parametrize("b, expected", [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.5, np.nan),
                                         (-1.0, np.nan)])
def test_the_other_mixed_derivative_of_pow_at_zero_follows_the_convention(b, expected):
    a, exponent = at.constant(0.0), at.constant(b)
    with at.GradientTape() as outer:
        outer.watch([a, exponent])
        with at.GradientTape() as inner:
            inner.watch([a, exponent])
            y = a ** exponent
        db = inner.gradient(y, exponent)
    np.testing.assert_array_equal(
        outer.gradient(db, a, unconnected_gradients="zero").numpy(), expected)


@pytest.mark.parametrize("b", [0.0, 1.0, 2.0, 0.5, -1.0])
def test_pow_with_a_positive_base_matches_closed_forms_at_every_exponent(b):
    a = 1.7
    y, da, db, daa, dab, dbb = _derivatives(lambda a, b: a ** b, a, b)
    np.testing.assert_allclose(
        [y, da, db, daa, dab, dbb],
        [a ** b, b * a ** (b - 1), a ** b * np.log(a), b * (b - 1) * a ** (b - 2),
         a ** (b - 1) * (1 + b * np.log(a)), a ** b * np.log(a) ** 2], rtol=1e-12)


def test_pow_with_a_negative_base_and_integer_exponent():
    y, da, db, daa, dab, dbb = _derivatives(lambda a, b: a ** b, -2.0, 3.0)
    assert (y, da, daa) == (-8.0, 12.0, -12.0)
    assert db == 0.0 and dbb == 0.0  # as TensorFlow: no log of a negative base


def test_pow_of_an_array_through_the_compiled_reverse_pass():
    # Eight or more records run in one compiled kernel: the same convention must hold there.
    x = at.constant(np.array([0.0, 0.0, 1.5]))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(8):
            y = y * 1.0
        z = at.reduce_sum(y ** at.constant([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), [0.0, 1.0, 3.0])


def test_the_pow_convention_is_documented():
    assert "a == 0 and b == 0" in POW_CONVENTION


@pytest.mark.parametrize("values, expected", [
    ([INF, 0.0, 2.0], [0.0, INF, np.nan]),
    ([INF, 2.0], [2.0, INF]),
    ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
    ([1e200, 1e200], [1e200, 1e200]),  # y / x would be inf / 1e200
    ([np.nan, 2.0], [2.0, np.nan]),
])
def test_reduce_prod_gradient_is_the_product_of_the_others(values, expected):
    x = at.constant(values)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_prod(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, True), ((0, 2), False), (-1, False)])
def test_reduce_prod_with_zeros_matches_finite_differences_to_third_order(axis, keepdims):
    values = np.random.default_rng(0).uniform(0.5, 1.5, (3, 5, 2))
    values[1, 2, 0] = 0.0  # one zero, and a row with two
    values[2, 1, :] = 0.0
    at.testing.check_gradients(lambda x: at.reduce_prod(x, axis=axis, keepdims=keepdims),
                               values, order=3)
    # second derivatives at the zeros, against the closed form: d2 prod / dx_i dx_j
    x = at.constant(np.array([2.0, 0.0, 3.0, 0.0]))
    hessian = at.hessian(lambda x: at.reduce_prod(x))(x).numpy()
    expected = np.zeros((4, 4))
    expected[1, 3] = expected[3, 1] = 6.0
    np.testing.assert_array_equal(hessian, expected)
