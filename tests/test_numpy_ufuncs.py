"""NumPy's float ufuncs on Tensors: values, dtypes and broadcasting against NumPy, gradients
against finite differences (to third order), and the conventions at boundary points."""

import warnings

import numpy as np
import pytest

import autotape as at
from numpy_oracle import F32, F64, compare, sample

NAN, INF = np.nan, np.inf


def positive(shape, seed):
    return np.abs(sample(shape, seed))


def unit(shape, seed):  # magnitudes in [0.05, 0.9): inside atanh's domain
    return sample(shape, seed, 0.05, 0.9)


def above_one(shape, seed):
    return 1.0 + np.abs(sample(shape, seed))


def wide(shape, seed):  # both branches of sinc's derivative (|a| < 0.25 and beyond)
    return np.random.default_rng(seed).uniform(-2.5, 2.5, shape)


def real(shape, seed):
    return sample(shape, seed)


UNARY = [  # (NumPy function, domain where it is smooth)
    (np.log2, positive), (np.log10, positive), (np.exp2, real), (np.arcsinh, real),
    (np.arccosh, above_one), (np.arctanh, unit), (np.cbrt, real), (np.reciprocal, real),
    (np.sinc, wide), (np.deg2rad, real), (np.rad2deg, real), (np.radians, real),
    (np.degrees, real), (np.fabs, real), (np.positive, real),
]
BINARY = [
    (np.arctan2, real, real), (np.hypot, real, real), (np.logaddexp, real, real),
    (np.logaddexp2, real, real), (np.fmax, real, real), (np.fmin, real, real),
    (np.copysign, real, real), (np.float_power, positive, real),
]
SHAPES = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (5,)), ((4,), ()), ((2, 1, 3), (4, 1))]


def _name(function):
    return function.__name__


@pytest.mark.parametrize("dtype", [F64, F32])
@pytest.mark.parametrize("function, domain", UNARY, ids=[_name(f) for f, _ in UNARY])
def test_unary_ufuncs_match_numpy(function, domain, dtype):
    compare(lambda a: function(a), [domain((3, 4), 0)], dtype)
    compare(lambda a: function(a), [domain((), 1)], dtype)


@pytest.mark.parametrize("dtype", [F64, F32])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("function, domain_a, domain_b", BINARY,
                         ids=[_name(f) for f, _, _ in BINARY])
def test_binary_ufuncs_match_numpy_and_broadcast(function, domain_a, domain_b, shapes, dtype):
    a, b = domain_a(shapes[0], 2), domain_b(shapes[1], 3)
    if function is np.float_power and dtype == F32:  # always float64, as in NumPy
        x, y = at.constant(a.astype(F32)), at.constant(b.astype(F32))
        with at.GradientTape() as tape:
            tape.watch([x, y])
            z = np.float_power(x, y)
        expected = np.float_power(a.astype(F32), b.astype(F32))
        assert z.dtype == expected.dtype == F64
        np.testing.assert_array_equal(z.numpy(), expected)
        gx, gy = tape.gradient(z, [x, y])
        assert gx.dtype == gy.dtype == F32
        return
    compare(lambda a, b: function(a, b), [a, b], dtype)


@pytest.mark.parametrize("dtype", [F64, F32])
def test_float_ufuncs_are_exact_where_numpy_uses_the_same_arithmetic(dtype):
    # (NumPy's log2, cbrt, ... are its own SIMD code, a last bit apart from libm's at times;
    # its float32 deg2rad rounds the constant to float32 first, autotape does not.)
    x = sample((50,), 4).astype(dtype)
    for function in (np.fabs, np.positive, np.reciprocal, np.trunc, np.ceil) + (
            (np.deg2rad, np.rad2deg) if dtype == F64 else ()):
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(function(at.constant(x)).numpy(), function(x),
                                          err_msg=function.__name__)
    y = np.abs(x) + 0.5
    np.testing.assert_array_equal(np.float_power(at.constant(y), at.constant(x)).numpy(),
                                  np.float_power(y, x))


def test_heaviside_values_and_no_gradient():
    a = np.array([-2.0, -0.0, 0.0, 1.5, NAN, -INF, INF])
    for h in (0.5, np.array([0.25, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])):
        np.testing.assert_array_equal(np.heaviside(at.constant(a), h).numpy(),
                                      np.heaviside(a, h))
    compare(lambda a, b: np.heaviside(a, b), [sample((3, 1), 0), sample((4,), 1)], F32,
            grads=False)
    x = at.constant(a)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.heaviside(x, 0.5)
    assert tape.gradient(y, x) is None


@pytest.mark.parametrize("dtype", [F64, F32])
def test_rounding_and_classification_ufuncs_match_numpy(dtype):
    x = np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.7, NAN, INF, -INF], dtype)
    for function in (np.trunc, np.ceil, np.signbit, np.isnan, np.isinf, np.isfinite):
        result = function(at.constant(x))
        expected = function(x)
        assert result.dtype == expected.dtype, function.__name__
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=function.__name__)
        np.testing.assert_array_equal(np.signbit(result.numpy()), np.signbit(expected))
    fixed = np.fix(at.constant(x))  # not a ufunc: through __array_function__
    assert isinstance(fixed, at.Tensor)
    np.testing.assert_array_equal(fixed.numpy(), np.trunc(x))  # NumPy 2.5 deprecates fix for it
    t = at.constant(x)
    with at.GradientTape() as tape:
        tape.watch(t)
        ys = [at.trunc(t), at.ceil(t), at.fix(t)]
    assert tape.gradient(ys, t) is None  # not differentiable, like floor


def test_integer_and_bool_operands_take_numpy_result_dtypes():
    i = np.array([1, 2, -3, 4])
    j = np.array([3, -1, 2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for function in (np.log2, np.exp2, np.cbrt, np.fabs, np.trunc, np.ceil, np.reciprocal,
                         np.deg2rad, np.signbit, np.isnan, np.isinf, np.isfinite, np.positive):
            result, expected = function(at.constant(i)), function(i)
            assert result.dtype == expected.dtype, function.__name__
            np.testing.assert_allclose(result.numpy(), expected, rtol=1e-15,
                                       err_msg=function.__name__)
        for function in (np.arctan2, np.hypot, np.logaddexp, np.fmax, np.fmin, np.copysign,
                         np.float_power, np.heaviside):
            result, expected = function(at.constant(i), at.constant(j)), function(i, j)
            assert result.dtype == expected.dtype, function.__name__
            np.testing.assert_allclose(result.numpy(), expected, rtol=1e-15,
                                       err_msg=function.__name__)
    b = np.array([True, False])
    for function in (np.isnan, np.isfinite, np.signbit):
        np.testing.assert_array_equal(function(at.constant(b)).numpy(), function(b))
    with pytest.raises(TypeError):
        np.positive(at.constant(b))


def test_ufunc_keywords_still_run_in_numpy():
    x = at.constant([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = np.log2(x, dtype=np.float32)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32


# --- higher orders ------------------------------------------------------------------------
HIGHER_UNARY = [
    (at.log2, positive), (at.log10, positive), (at.exp2, real), (at.asinh, real),
    (at.acosh, above_one), (at.atanh, unit), (at.cbrt, real), (at.reciprocal, real),
    (at.sinc, wide), (at.deg2rad, real), (at.rad2deg, real), (at.fabs, real),
]
HIGHER_BINARY = [at.atan2, at.hypot, at.logaddexp, at.logaddexp2, at.fmax, at.fmin,
                 at.copysign, at.float_power]


@pytest.mark.parametrize("op, domain", HIGHER_UNARY, ids=[op.__name__ for op, _ in HIGHER_UNARY])
def test_unary_derivatives_to_third_order(op, domain):
    at.testing.check_gradients(op, domain((6,), 5), order=3)


@pytest.mark.parametrize("op", HIGHER_BINARY, ids=lambda op: op.__name__)
def test_binary_derivatives_to_third_order(op):
    a = positive((3, 1), 6) if op is at.float_power else sample((3, 1), 6)
    at.testing.check_gradients(op, a, sample((4,), 7), order=3)


def test_sinc_derivatives_near_zero_to_third_order():
    # Both sides of the switch between the series and the closed form (|a| = 0.25).
    at.testing.check_gradients(at.sinc, np.array([1e-3, -0.05, 0.2499, 0.2501, -0.3, 0.9]),
                               order=3)


def test_nan_to_num_to_second_order():
    x = np.array([NAN, INF, -INF, 0.5, -1.5])
    at.testing.check_gradients(lambda t: at.nan_to_num(t) * at.nan_to_num(t),
                               np.where(np.isfinite(x), x, 0.3), order=2)


# --- boundary points ----------------------------------------------------------------------
def _derivatives(f, *points, order=3):
    """[f, f', f'', ...] of a function of one variable at ``points``, by nested tapes."""
    x = at.constant(np.array(points, F64))
    tapes = [at.GradientTape() for _ in range(order)]
    for tape in tapes:
        tape.__enter__()
        tape.watch(x)
    values = [f(x)]
    for tape in reversed(tapes):
        tape.__exit__(None, None, None)
        values.append(tape.gradient(values[-1], x, unconnected_gradients="zero"))
    return [v.numpy() for v in values]


def test_sinc_at_zero_is_one_with_exact_derivatives():
    value, first, second, third = _derivatives(at.sinc, 0.0, -0.0)
    np.testing.assert_array_equal(value, [1.0, 1.0])
    np.testing.assert_array_equal(first, [0.0, 0.0])
    np.testing.assert_allclose(second, -np.pi ** 2 / 3, rtol=1e-15)
    np.testing.assert_array_equal(third, [0.0, 0.0])
    np.testing.assert_allclose(at.sinc([0.0, 1.0, 2.5]).numpy(), np.sinc([0.0, 1.0, 2.5]),
                               rtol=1e-15, atol=1e-16)


def test_sinc_derivative_is_accurate_near_zero_and_at_the_switch():
    import mpmath  # a test dependency (pyproject's "test" extra)

    points = [1e-9, 1e-4, 0.01, 0.1, 0.2499999, 0.25, 0.2500001, 0.4, 1.3, -0.7]
    _, first, second, _ = _derivatives(at.sinc, *points)
    with mpmath.workdps(40):
        exact = [float(mpmath.diff(lambda t: mpmath.sinc(mpmath.pi * t), mpmath.mpf(p)))
                 for p in points]
        exact2 = [float(mpmath.diff(lambda t: mpmath.sinc(mpmath.pi * t), mpmath.mpf(p), 2))
                  for p in points]
    np.testing.assert_allclose(first, exact, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(second, exact2, rtol=1e-13)


def test_hypot_at_the_origin_has_zero_gradient():
    # A cone's vertex: (0, 0) is a subgradient (as abs' = sign is 0 at 0); no NaN at any order.
    a, b = at.constant(0.0), at.constant(0.0)
    with at.GradientTape(persistent=True) as outer:
        outer.watch([a, b])
        with at.GradientTape() as inner:
            inner.watch([a, b])
            y = at.hypot(a, b)
        da, db = inner.gradient(y, [a, b])
    assert (float(y), float(da), float(db)) == (0.0, 0.0, 0.0)
    second = outer.gradient(da, [a, b], unconnected_gradients="zero")
    assert [float(s) for s in second] == [0.0, 0.0]
    np.testing.assert_allclose([float(g) for g in at.gradients_function(at.hypot)(3.0, 4.0)],
                               [0.6, 0.8], rtol=1e-15)


def test_atan2_at_the_origin_is_nan_and_stable_elsewhere():
    grads = at.gradients_function(at.atan2)
    # No limit exists at (0, 0): NaN, as TensorFlow, JAX and PyTorch give.
    assert all(np.isnan(float(g)) for g in grads(0.0, 0.0))
    # Neither a*a + b*b's underflow nor its overflow reaches the gradient.
    for scale in (1e-200, 1e200):
        ga, gb = grads(scale, 2 * scale)
        np.testing.assert_allclose([float(ga), float(gb)], [0.4 / scale, -0.2 / scale],
                                   rtol=1e-15)
    np.testing.assert_allclose(float(at.gradients_function(at.asinh)(1e200)[0]), 1e-200,
                               rtol=1e-15)


@pytest.mark.parametrize("dtype", [F64, F32])
@pytest.mark.parametrize("function", [np.fmax, np.fmin])
def test_fmax_fmin_take_the_non_nan_operand_and_its_gradient(function, dtype):
    a = np.array([NAN, 1.0, NAN, 2.0, 3.0, -1.0], dtype)
    b = np.array([1.0, NAN, NAN, 2.0, -1.0, 3.0], dtype)
    op = at.fmax if function is np.fmax else at.fmin
    np.testing.assert_array_equal(op(a, b).numpy(), function(a, b))
    np.testing.assert_array_equal(op(a, dtype(NAN)).numpy(), function(a, dtype(NAN)))
    np.testing.assert_array_equal(op(a.reshape(6, 1), b).numpy(), function(a.reshape(6, 1), b))
    x, y = at.constant(a), at.constant(b)
    with at.GradientTape() as tape:
        tape.watch([x, y])
        z = function(x, y)
    gx, gy = tape.gradient(z, [x, y])
    chosen_a = [0, 1, 1, 1, function is np.fmax, function is np.fmin]  # ties, NaNs: to a
    np.testing.assert_array_equal(gx.numpy(), chosen_a)
    np.testing.assert_array_equal(gy.numpy(), 1 - np.array(chosen_a))


@pytest.mark.parametrize("dtype", [F64, F32])
def test_copysign_with_signed_zeros(dtype):
    a = np.array([0.0, -0.0, 0.0, -0.0, 2.0, -2.0, 2.0, NAN], dtype)
    b = np.array([1.0, 1.0, -0.0, 0.0, -0.0, -1.0, NAN, -1.0], dtype)
    x, y = at.constant(a), at.constant(b)
    with at.GradientTape() as tape:
        tape.watch([x, y])
        z = np.copysign(x, y)
    expected = np.copysign(a, b)
    np.testing.assert_array_equal(z.numpy(), expected)
    np.testing.assert_array_equal(np.signbit(z.numpy()), np.signbit(expected))
    gx, gy = tape.gradient(z, [x, y])
    # +1 where the result's sign bit is a's, else -1; 0 for b (piecewise constant).
    np.testing.assert_array_equal(
        gx.numpy(), np.where(np.signbit(a) == np.signbit(expected), 1.0, -1.0))
    np.testing.assert_array_equal(gy.numpy(), np.zeros(8))


@pytest.mark.parametrize("dtype", [F64, F32])
def test_nan_to_num_replaces_and_passes_gradients_only_where_finite(dtype):
    values = np.array([NAN, INF, -INF, 1.5, -0.0], dtype)
    x = at.constant(values)
    np.testing.assert_array_equal(at.nan_to_num(x).numpy(), np.nan_to_num(values))
    assert at.nan_to_num(x).dtype == dtype
    custom = np.nan_to_num(x, nan=-1.0, posinf=7.0, neginf=-9.0)  # __array_function__
    assert isinstance(custom, at.Tensor)
    np.testing.assert_array_equal(custom.numpy(),
                                  np.nan_to_num(values, nan=-1.0, posinf=7.0, neginf=-9.0))
    replacement = at.constant(dtype(2.0))
    with at.GradientTape() as tape:
        tape.watch([x, replacement])
        y = at.nan_to_num(x, nan=replacement)
    gx, gr = tape.gradient(y, [x, replacement])
    np.testing.assert_array_equal(gx.numpy(), [0, 0, 0, 1, 1])
    assert gx.dtype == dtype and float(gr) == 1.0
    np.testing.assert_array_equal(at.nan_to_num(np.array([1, -2])).numpy(), [1, -2])


def test_logaddexp_at_equal_and_infinite_operands():
    a = np.array([INF, -INF, 1e20, 1000.0, -INF, 0.5, NAN])
    b = np.array([INF, -INF, 1e20, 0.0, 3.0, 0.5, 1.0])
    for op, function, tail in ((at.logaddexp, np.logaddexp, 0.0),
                               (at.logaddexp2, np.logaddexp2, 2.0 ** -1000)):
        x, y = at.constant(a), at.constant(b)
        with at.GradientTape() as tape:
            tape.watch([x, y])
            z = op(x, y)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(z.numpy(), function(a, b))
        gx, gy = tape.gradient(z, [x, y])
        np.testing.assert_array_equal(gx.numpy(), [0.5, 0.5, 0.5, 1.0, 0.0, 0.5, NAN])
        # (2**-1000 as sigmoid(-1000 ln 2): the product's rounding, times 1000, is 1e-13)
        np.testing.assert_allclose(gy.numpy(), [0.5, 0.5, 0.5, tail, 1.0, 0.5, NAN],
                                   rtol=1e-12, atol=0)



def test_logaddexp_second_derivative_at_a_tie():
    # d2/da2 logaddexp(a, b) = s (1 - s) with s = sigmoid(a - b): 1/4 at a == b (times
    # ln(2) for logaddexp2), not the 0 a constant 1/2 there would give.
    for op, scale in ((at.logaddexp, 1.0), (at.logaddexp2, np.log(2.0))):
        x, y = at.constant(0.75), at.constant(0.75)
        with at.GradientTape() as outer:
            outer.watch([x, y])
            with at.GradientTape() as inner:
                inner.watch(x)
                z = op(x, y)
            gx = inner.gradient(z, x)
        gxx, gxy = outer.gradient(gx, [x, y])
        np.testing.assert_allclose([float(gxx), float(gxy)], [0.25 * scale, -0.25 * scale],
                                   rtol=1e-12)

def test_one_sided_infinite_derivatives_at_domain_edges():
    def first(op, *points):
        return _derivatives(op, *points, order=1)[1]

    np.testing.assert_array_equal(first(at.cbrt, 0.0, -0.0), [INF, INF])
    np.testing.assert_array_equal(first(at.reciprocal, 0.0), [-INF])
    np.testing.assert_array_equal(first(at.acosh, 1.0), [INF])
    np.testing.assert_array_equal(first(at.atanh, 1.0, -1.0), [INF, INF])
    np.testing.assert_allclose(first(at.atanh, 1 - 2.0 ** -40), 2.0 ** 39, rtol=1e-12)


# --- compiled -----------------------------------------------------------------------------
def _program(x, y):
    u = at.logaddexp(at.log2(x * x + 1.0), at.hypot(x, y))
    v = at.sinc(y) * at.atan2(x, y) + at.fmax(at.cbrt(x), at.asinh(y))
    return at.reduce_sum(u * v + at.copysign(at.exp2(x), y))


@pytest.mark.parametrize("n", [5, 5000], ids=["interpreter", "fused"])
def test_tape_function_over_new_ops_equals_eager(n):
    x = at.constant(sample((n,), 8))
    y = at.constant(sample((n,), 9))
    f = at.tape_function(_program)
    for _ in range(2):  # traced, then compiled
        with at.GradientTape(persistent=True) as tape:
            tape.watch([x, y])
            value = f(x, y)
            expected = _program(x, y)
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-13)
        for g, e in zip(tape.gradient(value, [x, y]), tape.gradient(expected, [x, y])):
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-13, atol=1e-15)
    assert f.cache_info().compiled_calls == 1


def _chain(x, y):
    z = at.atan2(at.log2(at.hypot(x, y)), y)
    z = at.copysign(at.fmax(at.logaddexp(z, x), y), x)
    return at.asinh(at.cbrt(at.sinc(z))) * at.exp2(x) + at.logaddexp2(x, at.fmin(z, y))


def test_compiled_reverse_pass_over_new_ops_equals_the_general_one(monkeypatch):
    from autotape import fused_reverse

    ran = []
    run = fused_reverse.run

    def counting(*args):
        result = run(*args)
        ran.append(result is not None)
        return result

    monkeypatch.setattr(fused_reverse, "run", counting)
    x, y = at.constant(sample((6,), 10)), at.constant(sample((6,), 11))
    with at.GradientTape() as tape:
        tape.watch([x, y])
        z = _chain(x, y)
    compiled = tape.gradient(z, [x, y])
    assert ran == [True]
    with at.GradientTape() as outer:  # an outer tape records the pass: the general one runs
        outer.watch([x, y])
        with at.GradientTape() as tape:
            tape.watch([x, y])
            z = _chain(x, y)
        general = tape.gradient(z, [x, y])
    assert ran == [True]  # not even tried
    for c, g in zip(compiled, general):
        np.testing.assert_allclose(c.numpy(), g.numpy(), rtol=1e-14, atol=1e-300)


# --- the remaining float ufuncs: fmod, ldexp, frexp, modf, divmod; the logical ones -------
@pytest.mark.parametrize("dtype", [F64, F32])
def test_fmod_ldexp_frexp_modf_divmod(dtype):
    a, b = sample((3, 4), 30) * 3, sample((4,), 31)
    compare(np.fmod, [a, b], dtype)  # d/da 1, d/db -trunc(a / b)
    exponents = np.array([-3, 0, 2, 5])
    compare(lambda x: np.ldexp(x, exponents), [a], dtype)
    compare(lambda x: np.frexp(x)[0], [a], dtype)
    compare(lambda x: np.modf(x)[0], [a], dtype)
    for function in (np.frexp, np.modf, np.divmod):
        args = (a.astype(dtype), b.astype(dtype))[:2 if function is np.divmod else 1]
        got = function(*[at.constant(v) for v in args])
        for g, e in zip(got, function(*args)):
            assert isinstance(g, at.Tensor) and g.dtype == e.dtype
            np.testing.assert_array_equal(g.numpy(), e)


def test_float_function_edges_are_numpys():
    x = np.array([-2.0, -0.0, 0.0, 0.5, -INF, INF, NAN, 5e-324, 1e308, -1.75])
    for function in (np.modf, np.frexp):
        for got, expected in zip(function(at.constant(x)), function(x)):
            np.testing.assert_array_equal(got.numpy(), expected)
            np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(expected))
    exponents = np.array([1, -1074, 2000, -2000, 3, 0, 1, 1074, -1, 1])
    np.testing.assert_array_equal(np.ldexp(at.constant(x), exponents).numpy(),
                                  np.ldexp(x, exponents))  # exact, no intermediate overflow
    a, b = np.array([7.0, -7.0, 7.0, INF, 1.0]), np.array([-2.0, 2.0, 0.0, 2.0, INF])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.fmod(at.constant(a), b).numpy(), np.fmod(a, b))
    ints = np.array([7, -7, 9])
    assert np.fmod(at.constant(ints), 4).dtype == np.fmod(ints, 4).dtype
    np.testing.assert_array_equal(np.fmod(at.constant(ints), 4).numpy(), np.fmod(ints, 4))
    with pytest.raises(TypeError, match="ldexp: the exponent must be an integer"):
        at.ldexp(1.0, 2.5)


def test_ldexp_and_frexp_gradients_are_exact_to_higher_orders():
    x = at.constant([0.3, -1.7, 6.0])
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as inner:
            inner.watch(x)
            y = at.reduce_sum(np.ldexp(x * x, np.array([3, -2, 10])))
        g = inner.gradient(y, x)
    np.testing.assert_array_equal(g.numpy(), 2 * x.numpy() * np.array([8, 0.25, 1024]))
    np.testing.assert_array_equal(outer.gradient(g, x).numpy(), [16, 0.5, 2048])
    with at.GradientTape() as tape:
        tape.watch(x)
        mantissa, _ = np.frexp(x)
    np.testing.assert_array_equal(tape.gradient(mantissa, x).numpy(), [2.0, 0.5, 0.125])


def test_logical_ufuncs_and_conjugate():
    a = np.array([[0.0, 1.5, -2.0], [NAN, 0.0, 3.0]])
    b = np.array([1.0, 0.0, 0.0])
    for function in (np.logical_and, np.logical_or, np.logical_xor):
        got = function(at.constant(a), b)
        assert isinstance(got, at.Tensor) and got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), function(a, b))
    np.testing.assert_array_equal(np.logical_not(at.constant(a)).numpy(), np.logical_not(a))
    compare(np.conjugate, [sample((2, 3), 32)])  # real tensors: the identity
