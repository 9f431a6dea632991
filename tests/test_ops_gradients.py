"""Gradients of every differentiable operation in API.md, checked against
independent central finite differences of a NumPy reference (tests/gradcheck.py),
plus higher orders against closed forms and ``at.testing.check_gradients``.

Cost note: Numba compiles kernels per dtype and layout, so float64 is exercised
over many shapes and float32 over one shape per operation.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autotape as at
from gradcheck import assert_close, numeric_grad, random_weights, scatter_add, unbroadcast

F64, F32 = np.float64, np.float32


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def resolve(path):
    """'nn.sigmoid' -> at.nn.sigmoid (looked up at test time, so a missing name fails one test)."""
    obj = at
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def uniform(lo, hi):
    return lambda rng, shape: np.asarray(rng.uniform(lo, hi, size=shape))


def away(lo, hi):
    """Magnitudes in [lo, hi) with random signs: away from a kink or pole at 0."""
    return lambda rng, shape: np.asarray(
        rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    )


def distinct(rng, shape):
    """Values with pairwise gaps >= 0.15: no ties for max/min, FD never crosses one."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = rng.permutation(n) * 0.25 - 0.125 * n + rng.uniform(-0.05, 0.05, size=n)
    return np.asarray(vals.reshape(shape))


def tape_gradients(at_fn, arrays, dtype, weights, wrt):
    xs = [at.constant(np.asarray(a), dtype=dtype) for a in arrays]
    with at.GradientTape() as tape:
        for i in wrt:
            tape.watch(xs[i])
        y = at_fn(*xs)
        loss = at.reduce_sum(y * at.constant(np.asarray(weights), dtype=y.dtype))
    grads = tape.gradient(loss, [xs[i] for i in wrt])
    return y, grads


def check_op(at_fn, np_fn, arrays, dtype=F64, wrt=None, seed=0, eps=1e-6, grad_rtol=None, grad_atol=None):
    """Forward value vs ``np_fn``; tape gradient vs finite differences of ``np_fn``.

    For float32 the inputs are rounded to float32 first and the reference is
    the float64 function at those rounded inputs.
    """
    arrays = [np.asarray(a, dtype=F64) for a in arrays]
    if dtype == F32:
        inputs = [a.astype(F32) for a in arrays]
        arrays = [a.astype(F64) for a in inputs]
        rtol, atol = 2e-5, 1e-6
        g_rtol, g_atol = 1e-3, 1e-4
    else:
        inputs = arrays
        rtol, atol = 1e-10, 1e-12
        g_rtol, g_atol = 1e-5, 1e-7
    g_rtol = grad_rtol if grad_rtol is not None else g_rtol
    g_atol = grad_atol if grad_atol is not None else g_atol
    wrt = list(range(len(arrays))) if wrt is None else list(wrt)

    expected = np.asarray(np_fn(*arrays), dtype=F64)
    weights = random_weights(expected.shape, seed)
    if dtype == F32:
        weights = weights.astype(F32).astype(F64)
    y, grads = tape_gradients(at_fn, inputs, dtype, weights, wrt)

    assert isinstance(y, at.Tensor)
    assert y.shape == expected.shape, f"output shape {y.shape} != {expected.shape}"
    assert y.dtype == dtype, f"output dtype {y.dtype} != {np.dtype(dtype)}"
    assert_close(y.numpy(), expected, rtol=rtol, atol=atol, what="forward value")

    numeric = numeric_grad(np_fn, *arrays, wrt=wrt, weights=weights, eps=eps)
    assert isinstance(grads, list) and len(grads) == len(wrt)
    for i, g, n in zip(wrt, grads, numeric):
        assert g is not None, f"gradient w.r.t. argument {i} is None"
        assert isinstance(g, at.Tensor)
        assert g.shape == arrays[i].shape, f"grad {i} shape {g.shape} != {arrays[i].shape}"
        assert g.dtype == dtype, f"grad {i} dtype {g.dtype} != {np.dtype(dtype)}"
        assert_close(g.numpy(), n, rtol=g_rtol, atol=g_atol, what=f"gradient w.r.t. argument {i}")


def derivatives(f, x):
    """[f(x), f', f'', f'''] elementwise, by nesting three tapes; unconnected -> zeros."""
    zero = at.UnconnectedGradients.ZERO
    with at.GradientTape() as t3:
        t3.watch(x)
        with at.GradientTape() as t2:
            t2.watch(x)
            with at.GradientTape() as t1:
                t1.watch(x)
                y = f(x)
            d1 = t1.gradient(y, x, unconnected_gradients=zero)
        d2 = t2.gradient(d1, x, unconnected_gradients=zero)
    d3 = t3.gradient(d2, x, unconnected_gradients=zero)
    return [y, d1, d2, d3]


# ---------------------------------------------------------------------------
# the API surface: every listed operation exists at top level and under at.math
# ---------------------------------------------------------------------------

MATH_NAMES = (
    "add subtract multiply divide negative square sqrt pow exp log log1p expm1 sin cos tan "
    "asin acos atan sinh cosh tanh abs sign floor round maximum minimum where clip_by_value "
    "reduce_sum reduce_mean reduce_max reduce_min reduce_prod reduce_logsumexp matmul "
    "transpose reshape concat stack expand_dims squeeze broadcast_to tile gather cast "
    "stop_gradient identity norm argmax equal greater less "
    "acosh asinh atanh atan2 ceil reciprocal is_nan is_inf is_finite argmin reduce_any "
    "reduce_all reduce_std reduce_variance cumsum cumprod"
).split()
SPECIAL_MATH_NAMES = {  # at.math (TensorFlow's names) -> at.scipy.special (SciPy's)
    "lgamma": "gammaln", "digamma": "digamma", "polygamma": "polygamma", "erf": "erf",
    "erfc": "erfc", "erfinv": "erfinv", "ndtri": "ndtri", "xlogy": "xlogy",
    "xlog1py": "xlog1py", "bessel_i0": "i0", "bessel_i0e": "i0e", "bessel_i1": "i1",
    "bessel_i1e": "i1e", "igamma": "gammainc", "igammac": "gammaincc", "betainc": "betainc",
}
NN_NAMES = "sigmoid softplus relu elu tanh softmax log_softmax l2_loss sparse_softmax_cross_entropy_with_logits".split()


@pytest.mark.parametrize("name", MATH_NAMES)
def test_operation_exists_top_level_and_in_math(name):
    assert callable(getattr(at, name))
    assert callable(getattr(at.math, name))


@pytest.mark.parametrize("name", NN_NAMES)
def test_nn_operation_exists(name):
    assert callable(getattr(at.nn, name))


@pytest.mark.parametrize("name, scipy_name", sorted(SPECIAL_MATH_NAMES.items()))
def test_special_functions_under_tensorflow_names(name, scipy_name):
    assert getattr(at.math, name) is getattr(at.scipy.special, scipy_name)


def test_math_namespace_computes_the_same_as_top_level():
    x = at.constant([0.3, 1.1, 2.0])
    for name in ["sin", "exp", "log", "sqrt", "tanh", "square"]:
        np.testing.assert_array_equal(getattr(at.math, name)(x).numpy(), getattr(at, name)(x).numpy())


# ---------------------------------------------------------------------------
# elementwise unary operations
# ---------------------------------------------------------------------------


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _zero(x):
    return np.zeros_like(x)


def _one(x):
    return np.ones_like(x)


# name -> (path, numpy reference, sampler, (f', f'', f'''))
UNARY = {
    "negative": ("negative", np.negative, uniform(-2, 2), (lambda x: -_one(x), _zero, _zero)),
    "square": ("square", np.square, uniform(-2, 2), (lambda x: 2 * x, lambda x: 2 * _one(x), _zero)),
    "sqrt": (
        "sqrt",
        np.sqrt,
        uniform(0.3, 2.5),
        (lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    ),
    "exp": ("exp", np.exp, uniform(-2, 2), (np.exp, np.exp, np.exp)),
    "log": ("log", np.log, uniform(0.3, 3.0), (lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3)),
    "log1p": (
        "log1p",
        np.log1p,
        uniform(-0.5, 2.0),
        (lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2, lambda x: 2 / (1 + x) ** 3),
    ),
    "expm1": ("expm1", np.expm1, uniform(-2, 2), (np.exp, np.exp, np.exp)),
    "sin": ("sin", np.sin, uniform(-3, 3), (np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x))),
    "cos": ("cos", np.cos, uniform(-3, 3), (lambda x: -np.sin(x), lambda x: -np.cos(x), np.sin)),
    "tan": (
        "tan",
        np.tan,
        uniform(-1.2, 1.2),
        (
            lambda x: 1 + np.tan(x) ** 2,
            lambda x: 2 * np.tan(x) * (1 + np.tan(x) ** 2),
            lambda x: 2 * (1 + np.tan(x) ** 2) * (1 + 3 * np.tan(x) ** 2),
        ),
    ),
    "asin": (
        "asin",
        np.arcsin,
        uniform(-0.9, 0.9),
        (
            lambda x: (1 - x**2) ** -0.5,
            lambda x: x * (1 - x**2) ** -1.5,
            lambda x: (1 + 2 * x**2) * (1 - x**2) ** -2.5,
        ),
    ),
    "acos": (
        "acos",
        np.arccos,
        uniform(-0.9, 0.9),
        (
            lambda x: -((1 - x**2) ** -0.5),
            lambda x: -x * (1 - x**2) ** -1.5,
            lambda x: -(1 + 2 * x**2) * (1 - x**2) ** -2.5,
        ),
    ),
    "atan": (
        "atan",
        np.arctan,
        uniform(-3, 3),
        (
            lambda x: 1 / (1 + x**2),
            lambda x: -2 * x / (1 + x**2) ** 2,
            lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3,
        ),
    ),
    "sinh": ("sinh", np.sinh, uniform(-2, 2), (np.cosh, np.sinh, np.cosh)),
    "cosh": ("cosh", np.cosh, uniform(-2, 2), (np.sinh, np.cosh, np.sinh)),
    "tanh": (
        "tanh",
        np.tanh,
        uniform(-2, 2),
        (
            lambda x: 1 - np.tanh(x) ** 2,
            lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
            lambda x: (6 * np.tanh(x) ** 2 - 2) * (1 - np.tanh(x) ** 2),
        ),
    ),
    "abs": ("abs", np.abs, away(0.2, 2), (np.sign, _zero, _zero)),
    "identity": ("identity", lambda x: x * 1.0, uniform(-2, 2), (_one, _zero, _zero)),
    "nn.sigmoid": (
        "nn.sigmoid",
        _sig,
        uniform(-4, 4),
        (
            lambda x: _sig(x) * (1 - _sig(x)),
            lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
            lambda x: _sig(x) * (1 - _sig(x)) * (1 - 6 * _sig(x) + 6 * _sig(x) ** 2),
        ),
    ),
    "nn.softplus": (
        "nn.softplus",
        lambda x: np.logaddexp(0.0, x),
        uniform(-4, 4),
        (
            _sig,
            lambda x: _sig(x) * (1 - _sig(x)),
            lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
        ),
    ),
    "nn.relu": ("nn.relu", lambda x: np.maximum(x, 0.0), away(0.2, 2), (lambda x: (x > 0) * 1.0, _zero, _zero)),
    "nn.elu": (
        "nn.elu",
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
        away(0.2, 2),
        (
            lambda x: np.where(x > 0, 1.0, np.exp(x)),
            lambda x: np.where(x > 0, 0.0, np.exp(x)),
            lambda x: np.where(x > 0, 0.0, np.exp(x)),
        ),
    ),
    "nn.tanh": (
        "nn.tanh",
        np.tanh,
        uniform(-2, 2),
        (
            lambda x: 1 - np.tanh(x) ** 2,
            lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
            lambda x: (6 * np.tanh(x) ** 2 - 2) * (1 - np.tanh(x) ** 2),
        ),
    ),
}

SHAPES = [(), (3,), (2, 3), (2, 3, 4)]
SHAPE_IDS = ["scalar", "vector", "matrix", "3d"]


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_first_order_float64(name, shape, rng):
    path, ref, sampler, _ = UNARY[name]
    x = sampler(rng, shape)
    check_op(resolve(path), ref, [x], dtype=F64)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_first_order_float32(name, rng):
    path, ref, sampler, _ = UNARY[name]
    x = sampler(rng, (2, 3))
    check_op(resolve(path), ref, [x], dtype=F32)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_and_third_order_closed_form(name, rng):
    path, ref, sampler, (d1, d2, d3) = UNARY[name]
    xv = sampler(rng, (5,))
    x = at.constant(xv)
    f0, g1, g2, g3 = derivatives(resolve(path), x)
    for k, (got, want) in enumerate(zip((f0, g1, g2, g3), (ref(xv), d1(xv), d2(xv), d3(xv)))):
        assert got is not None, f"derivative {k} is None"
        assert got.shape == (5,), f"derivative {k} has shape {got.shape}"
        assert got.dtype == F64
        assert_close(got.numpy(), want, rtol=1e-9, atol=1e-10, what=f"{name} derivative {k}")


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_third_order_library_checker(name, rng):
    path, _, sampler, _ = UNARY[name]
    x = at.constant(sampler(rng, (3,)))
    at.testing.check_gradients(resolve(path), x, order=3, atol=1e-4, rtol=1e-3)


def test_library_checker_detects_a_wrong_gradient():
    @at.custom_gradient
    def bad_square(x):
        def grad(dy):
            return dy * 3.0 * x  # wrong: should be 2 x

        return x * x, grad

    x = at.constant([0.5, -1.0, 2.0])
    with pytest.raises(AssertionError):
        at.testing.check_gradients(bad_square, x, order=1, atol=1e-6, rtol=1e-6)


def test_library_checker_detects_a_wrong_second_derivative():
    @at.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * at.stop_gradient(x * x)  # first order right, second order lost

        return x * x * x, grad

    x = at.constant([0.5, -1.0, 2.0])
    at.testing.check_gradients(cube, x, order=1, atol=1e-6, rtol=1e-5)
    with pytest.raises(AssertionError):
        at.testing.check_gradients(cube, x, order=2, atol=1e-6, rtol=1e-5)


def test_pow_with_python_exponents_first_to_third_order():
    xv = np.array([0.5, 1.3, 2.0])
    x = at.constant(xv)
    _, g1, g2, g3 = derivatives(lambda t: at.pow(t, 3.5), x)
    assert_close(g1.numpy(), 3.5 * xv**2.5, rtol=1e-10)
    assert_close(g2.numpy(), 3.5 * 2.5 * xv**1.5, rtol=1e-10)
    assert_close(g3.numpy(), 3.5 * 2.5 * 1.5 * xv**0.5, rtol=1e-10)
    _, h1, h2, h3 = derivatives(lambda t: t**3, x)
    assert_close(h1.numpy(), 3 * xv**2, rtol=1e-12)
    assert_close(h2.numpy(), 6 * xv, rtol=1e-12)
    assert_close(h3.numpy(), 6 * np.ones(3), rtol=1e-12)


# ---------------------------------------------------------------------------
# non-differentiable operations: None, never an error
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sign", "floor", "round"])
def test_non_differentiable_unary_gives_none(name):
    x = at.constant([-1.7, 0.3, 2.6])
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = getattr(at, name)(x)
    assert y.dtype == F64
    assert tape.gradient(y, x) is None
    z = tape.gradient(y, x, unconnected_gradients=at.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(z.numpy(), [0.0, 0.0, 0.0])


def test_non_differentiable_values():
    x = at.constant([-1.7, -0.5, 0.0, 0.5, 1.5, 2.5, 2.6])
    np.testing.assert_array_equal(at.sign(x).numpy(), [-1, -1, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(at.floor(x).numpy(), [-2, -1, 0, 0, 1, 2, 2])
    # round half to even, as NumPy and TensorFlow
    np.testing.assert_array_equal(at.round(x).numpy(), [-2, -0.0, 0, 0, 2, 2, 3])


def test_non_differentiable_op_inside_a_differentiable_path():
    xv = np.array([-1.7, 0.3, 2.6])
    x = at.constant(xv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y1 = x * at.sign(x)  # |x|: d/dx = sign(x), the sign factor is a constant
        y2 = at.floor(x) + 2.0 * x
        y3 = at.round(x) * x
    assert_close(tape.gradient(y1, x).numpy(), np.sign(xv))
    assert_close(tape.gradient(y2, x).numpy(), [2.0, 2.0, 2.0])
    assert_close(tape.gradient(y3, x).numpy(), np.round(xv))


@pytest.mark.parametrize("name", ["equal", "greater", "less"])
def test_comparison_ops_give_none(name):
    a = at.constant([1.0, 2.0, 3.0])
    b = at.constant([3.0, 2.0, 1.0])
    with at.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        c = getattr(at, name)(a, b)
        y = at.cast(c, F64) * 5.0
    assert c.dtype == np.bool_
    expected = {"equal": [False, True, False], "greater": [False, False, True], "less": [True, False, False]}[name]
    np.testing.assert_array_equal(c.numpy(), expected)
    ga, gb = tape.gradient(y, [a, b])
    assert ga is None and gb is None


def test_argmax_gives_none_and_indexes_a_gather():
    xv = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2]])
    x = at.constant(xv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        idx = at.argmax(x, axis=1)
        as_float = at.cast(idx, F64)
        picked = at.gather(at.reshape(x, (-1,)), idx + at.constant([0, 3]), axis=0)
    np.testing.assert_array_equal(idx.numpy(), [1, 0])
    assert np.issubdtype(idx.dtype, np.integer)
    np.testing.assert_array_equal(picked.numpy(), [2.0, 3.0])
    assert tape.gradient(as_float, x) is None
    assert_close(tape.gradient(picked, x).numpy(), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(at.argmax(x, axis=0).numpy(), [1, 0, 1])


# ---------------------------------------------------------------------------
# binary operations with broadcasting
# ---------------------------------------------------------------------------

BINARY = {
    "add": (np.add, uniform(-2, 2), uniform(-2, 2)),
    "subtract": (np.subtract, uniform(-2, 2), uniform(-2, 2)),
    "multiply": (np.multiply, uniform(-2, 2), uniform(-2, 2)),
    "divide": (np.divide, uniform(-2, 2), away(0.5, 2)),
    "pow": (np.power, uniform(0.5, 2), uniform(-1.5, 1.5)),
    "maximum": (np.maximum, None, None),
    "minimum": (np.minimum, None, None),
}

PAIRS = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((4, 1, 3), (2, 1)),
]
PAIR_IDS = ["s-s", "v-v", "m-m", "m-v", "v-m", "col-row", "s-m", "3d-col"]


def sample_pair(name, rng, sa, sb):
    _, da, db = BINARY[name]
    if da is not None:
        return da(rng, sa), db(rng, sb)
    for _ in range(100):  # maximum/minimum: no (near-)ties after broadcasting
        a, b = np.asarray(rng.uniform(-2, 2, size=sa)), np.asarray(rng.uniform(-2, 2, size=sb))
        if np.min(np.abs(a - b)) > 0.05:
            return a, b
    raise RuntimeError("could not sample tie-free inputs")


@pytest.mark.parametrize("shapes", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_float64(name, shapes, rng):
    a, b = sample_pair(name, rng, *shapes)
    check_op(resolve(name), BINARY[name][0], [a, b], dtype=F64)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_float32(name, rng):
    a, b = sample_pair(name, rng, (2, 3), (3,))
    check_op(resolve(name), BINARY[name][0], [a, b], dtype=F32)


OPERATORS = {
    "a+b": (lambda a, b: a + b, np.add),
    "a-b": (lambda a, b: a - b, np.subtract),
    "a*b": (lambda a, b: a * b, np.multiply),
    "a/b": (lambda a, b: a / b, np.divide),
    "a**b": (lambda a, b: a**b, np.power),
}


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_binary_operators_broadcast(op, rng):
    at_fn, np_fn = OPERATORS[op]
    a = rng.uniform(0.5, 2.0, size=(2, 3))
    b = rng.uniform(0.5, 2.0, size=(3,)) * np.array([1.0, -1.0, 1.0])
    check_op(at_fn, np_fn, [a, b])


SCALAR_OPERATORS = {
    "2-a": (lambda a: 2.0 - a, lambda a: 2.0 - a, uniform(-2, 2)),
    "2/a": (lambda a: 2.0 / a, lambda a: 2.0 / a, away(0.5, 2)),
    "2**a": (lambda a: 2.0**a, lambda a: 2.0**a, uniform(-2, 2)),
    "a**3": (lambda a: a**3, lambda a: a**3, uniform(-2, 2)),
    "a*3": (lambda a: a * 3, lambda a: a * 3.0, uniform(-2, 2)),
    "1+a": (lambda a: 1 + a, lambda a: 1.0 + a, uniform(-2, 2)),
    "-a": (lambda a: -a, lambda a: -a, uniform(-2, 2)),
    "abs(a)": (lambda a: abs(a), np.abs, away(0.2, 2)),
    "a%1.5": (lambda a: a % 1.5, lambda a: np.mod(a, 1.5), uniform(1.6, 2.9)),
}


@pytest.mark.parametrize("op", sorted(SCALAR_OPERATORS))
def test_operators_with_python_scalars(op, rng):
    at_fn, np_fn, sampler = SCALAR_OPERATORS[op]
    check_op(at_fn, np_fn, [sampler(rng, (2, 3))])


@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
    seed=st.integers(0, 2**31 - 1),
)
def test_multiply_gradient_is_summed_back_to_each_input_shape(shapes, seed):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    w = rng.normal(size=out_shape)
    ta, tb = at.constant(a), at.constant(b)
    with at.GradientTape() as tape:
        tape.watch([ta, tb])
        y = ta * tb
    ga, gb = tape.gradient(y, [ta, tb], output_gradients=at.constant(w))
    assert y.shape == out_shape
    assert ga.shape == tuple(sa) and gb.shape == tuple(sb)
    assert_close(ga.numpy(), unbroadcast(w * np.broadcast_to(b, out_shape), sa), rtol=1e-10, atol=1e-12)
    assert_close(gb.numpy(), unbroadcast(w * np.broadcast_to(a, out_shape), sb), rtol=1e-10, atol=1e-12)


@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
    seed=st.integers(0, 2**31 - 1),
)
def test_add_and_subtract_gradients_summed_back(shapes, seed):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    ta, tb = at.constant(rng.normal(size=sa)), at.constant(rng.normal(size=sb))
    w = rng.normal(size=out_shape)
    with at.GradientTape() as tape:
        tape.watch([ta, tb])
        y = at.subtract(ta, tb) + at.add(ta, tb) * 2.0  # = 3a + b
    ga, gb = tape.gradient(y, [ta, tb], output_gradients=at.constant(w))
    assert_close(ga.numpy(), 3.0 * unbroadcast(w, sa), rtol=1e-12, atol=1e-12)
    assert_close(gb.numpy(), unbroadcast(w, sb), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# where / clip_by_value
# ---------------------------------------------------------------------------


def test_where_gradients(rng):
    cond = np.array([[True, False, True], [False, False, True]])
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    check_op(lambda a, b: at.where(at.constant(cond), a, b), lambda a, b: np.where(cond, a, b), [x, y])


def test_where_broadcasting_gradients(rng):
    cond = np.array([[True, False, True], [False, False, True]])
    x, y = rng.normal(size=(3,)), rng.normal(size=())
    check_op(lambda a, b: at.where(at.constant(cond), a, b), lambda a, b: np.where(cond, a, b), [x, y])


def test_where_float32(rng):
    cond = np.array([True, False, True])
    check_op(
        lambda a, b: at.where(at.constant(cond), a, b),
        lambda a, b: np.where(cond, a, b),
        [rng.normal(size=(3,)), rng.normal(size=(3,))],
        dtype=F32,
    )


def test_where_condition_from_comparison_has_no_gradient():
    x = at.constant([-2.0, 3.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.where(x > 0.0, x * x, -x)
    assert_close(tape.gradient(y, x).numpy(), [-1.0, 6.0])


@pytest.mark.parametrize("dtype", [F64, F32], ids=["float64", "float32"])
def test_clip_by_value_gradient(dtype):
    xv = np.array([[0.05, 0.3, 0.5], [0.7, 0.95, 0.1]])
    check_op(lambda t: at.clip_by_value(t, 0.2, 0.8), lambda t: np.clip(t, 0.2, 0.8), [xv], dtype=dtype)
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.clip_by_value(x, 0.2, 0.8)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1, 1], [1, 0, 0]])


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    if axis is None:
        return out.reshape(())
    return np.squeeze(out, axis=axis)


REDUCTIONS = {
    "reduce_sum": (np.sum, uniform(-2, 2)),
    "reduce_mean": (np.mean, uniform(-2, 2)),
    "reduce_max": (np.max, distinct),
    "reduce_min": (np.min, distinct),
    "reduce_prod": (np.prod, away(0.5, 1.5)),
    "reduce_logsumexp": (np_logsumexp, uniform(-2, 2)),
}

REDUCE_CASES = [
    ((), None),
    ((3,), None),
    ((3,), 0),
    ((3,), -1),
    ((2, 3), None),
    ((2, 3), 0),
    ((2, 3), -1),
    ((2, 3, 4), None),
    ((2, 3, 4), 0),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
]
REDUCE_IDS = [f"{len(s)}d-axis{a}" for s, a in REDUCE_CASES]


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keep"])
@pytest.mark.parametrize("shape, axis", REDUCE_CASES, ids=REDUCE_IDS)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_float64(name, shape, axis, keepdims, rng):
    ref, sampler = REDUCTIONS[name]
    x = sampler(rng, shape)
    expected_shape = np.asarray(ref(x, axis=axis, keepdims=keepdims)).shape
    check_op(
        lambda t: resolve(name)(t, axis=axis, keepdims=keepdims),
        lambda t: ref(t, axis=axis, keepdims=keepdims),
        [x],
    )
    assert resolve(name)(at.constant(x), axis=axis, keepdims=keepdims).shape == expected_shape


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_float32(name, rng):
    ref, sampler = REDUCTIONS[name]
    x = sampler(rng, (2, 3, 4))
    check_op(lambda t: resolve(name)(t, axis=(0, 2)), lambda t: ref(t, axis=(0, 2)), [x], dtype=F32)


def test_reduction_default_axis_is_all():
    xv = np.arange(1.0, 7.0).reshape(2, 3)
    x = at.constant(xv)
    assert at.reduce_sum(x).shape == ()
    assert at.reduce_sum(x).numpy() == 21.0
    assert at.reduce_mean(x).numpy() == 3.5
    assert at.reduce_max(x).numpy() == 6.0
    assert at.reduce_min(x).numpy() == 1.0
    assert at.reduce_prod(x).numpy() == 720.0
    assert at.reduce_logsumexp(x).numpy() == pytest.approx(np_logsumexp(xv), rel=1e-12)


@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_reduce_sum_mean_max_any_axes(shape, data, keepdims, seed):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim))
    # mix positive and negative spellings of the same axes
    axes = tuple(a - ndim if (a + seed) % 2 else a for a in axes)
    rng = np.random.default_rng(seed)
    xv = distinct(rng, shape)
    x = at.constant(xv)
    w_shape = np.sum(xv, axis=axes, keepdims=keepdims).shape
    w = rng.normal(size=w_shape)
    w_keep = np.reshape(w, np.sum(xv, axis=axes, keepdims=True).shape)
    count = np.prod([shape[a] for a in axes])
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = at.reduce_sum(x, axis=axes, keepdims=keepdims)
        m = at.reduce_mean(x, axis=axes, keepdims=keepdims)
        mx = at.reduce_max(x, axis=axes, keepdims=keepdims)
    assert s.shape == w_shape and m.shape == w_shape and mx.shape == w_shape
    assert_close(s.numpy(), np.sum(xv, axis=axes, keepdims=keepdims), rtol=1e-12)
    assert_close(mx.numpy(), np.max(xv, axis=axes, keepdims=keepdims), rtol=0)
    wt = at.constant(w)
    assert_close(tape.gradient(s, x, output_gradients=wt).numpy(), np.broadcast_to(w_keep, shape))
    assert_close(tape.gradient(m, x, output_gradients=wt).numpy(), np.broadcast_to(w_keep, shape) / count)
    is_max = xv == np.max(xv, axis=axes, keepdims=True)
    assert_close(tape.gradient(mx, x, output_gradients=wt).numpy(), is_max * w_keep)


def test_reduce_max_and_min_gradient_goes_to_the_extreme():
    x = at.constant([[1.0, 5.0, 3.0], [7.0, -2.0, 0.0]])
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        mx = at.reduce_max(x, axis=1)
        mn = at.reduce_min(x)
    np.testing.assert_array_equal(tape.gradient(mx, x).numpy(), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(tape.gradient(mn, x).numpy(), [[0, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4)], ids=["vector", "matrix", "3d"])
def test_norm_gradient(shape, rng):
    x = away(0.5, 1.5)(rng, shape)
    check_op(lambda t: at.norm(t), lambda t: np.sqrt(np.sum(t * t)), [x])


def test_norm_axis_gradient(rng):
    x = away(0.5, 1.5)(rng, (2, 3))
    check_op(lambda t: at.norm(t, axis=-1), lambda t: np.linalg.norm(t, axis=-1), [x])
    check_op(lambda t: at.norm(t, axis=-1), lambda t: np.linalg.norm(t, axis=-1), [x], dtype=F32)


# ---------------------------------------------------------------------------
# linear algebra and shape manipulation
# ---------------------------------------------------------------------------

MATMUL_CASES = [
    ((2, 3), (3, 4)),
    ((1, 3), (3, 1)),
    ((3, 3), (3, 3)),
    ((2, 2, 3), (2, 3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch axes that broadcast each other
    ((1, 3, 4), (2, 4, 1)),
    ((3, 20, 20), (20, 20)),  # beyond the loop kernel: BLAS
]


@pytest.mark.parametrize("sa, sb", MATMUL_CASES, ids=[f"{a}@{b}" for a, b in MATMUL_CASES])
def test_matmul_gradient(sa, sb, rng):
    check_op(at.matmul, np.matmul, [rng.normal(size=sa), rng.normal(size=sb)])


def test_matmul_gradient_float32(rng):
    check_op(at.matmul, np.matmul, [rng.normal(size=(2, 3)), rng.normal(size=(3, 4))], dtype=F32)


def test_matmul_operator_gradient(rng):
    check_op(lambda a, b: a @ b, np.matmul, [rng.normal(size=(2, 3)), rng.normal(size=(3, 2))])


def test_small_products_sum_each_element_in_order_in_any_layout(rng):
    """Below LOOP_MAX_WORK a product runs in autotape's loop kernel: each element is its sum
    in order in float64 (so a Fortran-ordered or transposed operand gives the same bits) and
    a float32 product is that sum rounded once. Larger products are NumPy's (BLAS)."""
    from autotape.ops.linalg import LOOP_MAX_WORK, product_plan

    def in_order_sum(terms):  # not sum(): from Python 3.12 it compensates its rounding
        total = 0.0
        for term in terms:
            total += term
        return total

    a, b = rng.normal(size=(6, 5)), rng.normal(size=(5, 7))
    assert product_plan(a.shape, b.shape, a.dtype, b.dtype) is not None
    for dtype in (F64, F32):
        x, y = a.astype(dtype), b.astype(dtype)
        in_order = np.array([[in_order_sum(float(x[i, p]) * float(y[p, j]) for p in range(5))
                              for j in range(7)] for i in range(6)]).astype(dtype)
        np.testing.assert_array_equal(at.matmul(x, y).numpy(), in_order)
        np.testing.assert_array_equal(at.matmul(np.asfortranarray(x), y).numpy(), in_order)
        np.testing.assert_array_equal(at.transpose(at.matmul(y.T, x.T)).numpy(), in_order)
    big = rng.normal(size=(2, 30, 40)), rng.normal(size=(40, 10))
    assert 2 * 30 * 40 * 10 > LOOP_MAX_WORK
    np.testing.assert_array_equal(at.matmul(*big).numpy(), np.matmul(*big))


def test_matmul_closed_form_gradients():
    av = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    bv = np.array([[1.0, -1.0], [0.5, 2.0], [-3.0, 1.0]])
    a, b = at.constant(av), at.constant(bv)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    with at.GradientTape() as tape:
        tape.watch([a, b])
        y = at.matmul(a, b)
    ga, gb = tape.gradient(y, [a, b], output_gradients=at.constant(w))
    assert_close(ga.numpy(), w @ bv.T, rtol=1e-14)
    assert_close(gb.numpy(), av.T @ w, rtol=1e-14)


SHAPE_OPS = {
    "transpose-2d": (lambda t: at.transpose(t), lambda t: np.transpose(t), [(2, 3)]),
    "transpose-3d-default": (lambda t: at.transpose(t), lambda t: np.transpose(t), [(2, 3, 4)]),
    "transpose-3d-perm": (
        lambda t: at.transpose(t, perm=[2, 0, 1]),
        lambda t: np.transpose(t, (2, 0, 1)),
        [(2, 3, 4)],
    ),
    "reshape-2d": (lambda t: at.reshape(t, (3, 2)), lambda t: np.reshape(t, (3, 2)), [(2, 3)]),
    "reshape-3d": (lambda t: at.reshape(t, (6, 4)), lambda t: np.reshape(t, (6, 4)), [(2, 3, 4)]),
    "reshape-infer": (lambda t: at.reshape(t, (4, -1)), lambda t: np.reshape(t, (4, -1)), [(2, 3, 4)]),
    "reshape-flat": (lambda t: at.reshape(t, (-1,)), lambda t: np.reshape(t, (-1,)), [(2, 3)]),
    "reshape-scalar": (lambda t: at.reshape(t, (1, 1)), lambda t: np.reshape(t, (1, 1)), [()]),
    "concat-0": (
        lambda a, b: at.concat([a, b], 0),
        lambda a, b: np.concatenate([a, b], 0),
        [(2, 3), (1, 3)],
    ),
    "concat-1": (
        lambda a, b: at.concat([a, b], axis=1),
        lambda a, b: np.concatenate([a, b], 1),
        [(2, 3), (2, 2)],
    ),
    "concat-neg": (
        lambda a, b: at.concat([a, b], axis=-1),
        lambda a, b: np.concatenate([a, b], -1),
        [(2, 3), (2, 2)],
    ),
    "concat-three": (
        lambda a, b, c: at.concat([a, b, c], axis=0),
        lambda a, b, c: np.concatenate([a, b, c], 0),
        [(1, 2), (1, 2), (3, 2)],
    ),
    "stack-0": (
        lambda a, b, c: at.stack([a, b, c]),
        lambda a, b, c: np.stack([a, b, c]),
        [(2, 3), (2, 3), (2, 3)],
    ),
    "stack-1": (
        lambda a, b: at.stack([a, b], axis=1),
        lambda a, b: np.stack([a, b], axis=1),
        [(2, 3), (2, 3)],
    ),
    "stack-neg": (
        lambda a, b: at.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        [(2, 3), (2, 3)],
    ),
    "stack-scalars": (
        lambda a, b, c: at.stack([a, b, c], axis=0),
        lambda a, b, c: np.stack([a, b, c], axis=0),
        [(), (), ()],
    ),
    "expand_dims-0": (lambda t: at.expand_dims(t, 0), lambda t: np.expand_dims(t, 0), [(2, 3)]),
    "expand_dims-1": (lambda t: at.expand_dims(t, axis=1), lambda t: np.expand_dims(t, 1), [(2, 3)]),
    "expand_dims-neg": (lambda t: at.expand_dims(t, -1), lambda t: np.expand_dims(t, -1), [(2, 3)]),
    "expand_dims-scalar": (lambda t: at.expand_dims(t, 0), lambda t: np.expand_dims(t, 0), [()]),
    "squeeze-all": (lambda t: at.squeeze(t), lambda t: np.squeeze(t), [(1, 3, 1)]),
    "squeeze-0": (lambda t: at.squeeze(t, axis=0), lambda t: np.squeeze(t, axis=0), [(1, 3, 1)]),
    "squeeze-neg": (lambda t: at.squeeze(t, axis=-1), lambda t: np.squeeze(t, axis=-1), [(1, 3, 1)]),
    "squeeze-list": (lambda t: at.squeeze(t, axis=[0, 2]), lambda t: np.squeeze(t, axis=(0, 2)), [(1, 3, 1)]),
    "broadcast_to-vector": (
        lambda t: at.broadcast_to(t, (2, 3)),
        lambda t: np.broadcast_to(t, (2, 3)),
        [(3,)],
    ),
    "broadcast_to-column": (
        lambda t: at.broadcast_to(t, (2, 3)),
        lambda t: np.broadcast_to(t, (2, 3)),
        [(2, 1)],
    ),
    "broadcast_to-scalar": (
        lambda t: at.broadcast_to(t, (2, 3)),
        lambda t: np.broadcast_to(t, (2, 3)),
        [()],
    ),
    "broadcast_to-3d": (
        lambda t: at.broadcast_to(t, (4, 2, 3)),
        lambda t: np.broadcast_to(t, (4, 2, 3)),
        [(1, 3)],
    ),
    "tile-rows": (lambda t: at.tile(t, [2, 1]), lambda t: np.tile(t, (2, 1)), [(2, 3)]),
    "tile-cols": (lambda t: at.tile(t, [1, 2]), lambda t: np.tile(t, (1, 2)), [(2, 3)]),
    "tile-vector": (lambda t: at.tile(t, [3]), lambda t: np.tile(t, 3), [(3,)]),
    "tile-3d": (lambda t: at.tile(t, [1, 2, 2]), lambda t: np.tile(t, (1, 2, 2)), [(2, 1, 3)]),
    "gather-rows-repeated": (
        lambda t: at.gather(t, at.constant([0, 2, 2, 3]), axis=0),
        lambda t: np.take(t, [0, 2, 2, 3], axis=0),
        [(4, 3)],
    ),
    "gather-cols": (
        lambda t: at.gather(t, at.constant([2, 0]), axis=1),
        lambda t: np.take(t, [2, 0], axis=1),
        [(4, 3)],
    ),
    "gather-2d-indices": (
        lambda t: at.gather(t, at.constant([[0, 1], [4, 4]]), axis=0),
        lambda t: np.take(t, [[0, 1], [4, 4]], axis=0),
        [(5,)],
    ),
    "gather-last-axis": (
        lambda t: at.gather(t, at.constant([3, 0, 3]), axis=2),
        lambda t: np.take(t, [3, 0, 3], axis=2),
        [(2, 3, 4)],
    ),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_gradient(name, rng):
    at_fn, np_fn, shapes = SHAPE_OPS[name]
    arrays = [np.asarray(rng.normal(size=s)) for s in shapes]
    check_op(at_fn, np_fn, arrays)


@pytest.mark.parametrize("name", ["transpose-3d-perm", "concat-1", "stack-0", "tile-rows", "gather-rows-repeated"])
def test_shape_op_gradient_float32(name, rng):
    at_fn, np_fn, shapes = SHAPE_OPS[name]
    check_op(at_fn, np_fn, [np.asarray(rng.normal(size=s)) for s in shapes], dtype=F32)


def test_gather_repeated_indices_scatter_add_closed_form():
    x = at.constant(np.arange(12.0).reshape(4, 3))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.gather(x, at.constant([0, 2, 2, 3, 2]), axis=0)
    g = tape.gradient(y, x)
    expected = scatter_add((4, 3), np.array([0, 2, 2, 3, 2]), np.ones((5, 3)))
    np.testing.assert_array_equal(g.numpy(), expected)
    np.testing.assert_array_equal(g.numpy()[:, 0], [1.0, 0.0, 3.0, 1.0])


def test_cast_gradient_keeps_source_dtype():
    x64 = at.constant([1.5, -2.0, 3.25])
    with at.GradientTape() as tape:
        tape.watch(x64)
        y = at.cast(x64, np.float32) * at.constant(np.array([1.0, 2.0, 3.0], dtype=F32))
    assert y.dtype == F32
    g = tape.gradient(y, x64)
    assert g.dtype == F64
    assert_close(g.numpy(), [1.0, 2.0, 3.0])

    x32 = at.constant(np.array([1.5, -2.0], dtype=F32))
    with at.GradientTape() as tape:
        tape.watch(x32)
        y = at.square(at.cast(x32, "float64"))
    g = tape.gradient(y, x32)
    assert g.dtype == F32
    assert_close(g.numpy(), [3.0, -4.0])


def test_cast_through_integer_cuts_the_gradient():
    x = at.constant([1.5, -2.7])
    with at.GradientTape() as tape:
        tape.watch(x)
        i = at.cast(x, np.int64)
        y = at.cast(i, np.float64) * 2.0
    np.testing.assert_array_equal(i.numpy(), [1, -2])  # truncation toward zero, as TF / NumPy astype
    assert tape.gradient(y, x) is None


def test_stop_gradient():
    xv = np.array([0.5, -1.5, 2.0])
    x = at.constant(xv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = at.stop_gradient(x)
        y = x * at.stop_gradient(x)
        z = at.stop_gradient(x * x) + 3.0 * x
    np.testing.assert_array_equal(s.numpy(), xv)
    assert tape.gradient(s, x) is None
    assert_close(tape.gradient(y, x).numpy(), xv)  # not 2x
    assert_close(tape.gradient(z, x).numpy(), [3.0, 3.0, 3.0])


def test_identity_gradient_is_passthrough():
    x = at.constant([[1.0, 2.0], [3.0, 4.0]])
    w = at.constant([[0.5, -1.0], [2.0, 3.0]])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.identity(x)
    np.testing.assert_array_equal(tape.gradient(y, x, output_gradients=w).numpy(), w.numpy())


# ---------------------------------------------------------------------------
# at.nn
# ---------------------------------------------------------------------------


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


SOFTMAX_CASES = [((3,), -1), ((2, 3), -1), ((2, 3, 4), -1), ((2, 3, 4), 1), ((2, 3), 0)]


@pytest.mark.parametrize("shape, axis", SOFTMAX_CASES, ids=[f"{len(s)}d-axis{a}" for s, a in SOFTMAX_CASES])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_gradient(name, shape, axis, rng):
    ref = np_softmax if name == "softmax" else np_log_softmax
    x = rng.uniform(-2, 2, size=shape)
    check_op(lambda t: getattr(at.nn, name)(t, axis=axis), lambda t: ref(t, axis=axis), [x])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_default_axis_and_float32(name, rng):
    ref = np_softmax if name == "softmax" else np_log_softmax
    x = rng.uniform(-2, 2, size=(2, 3))
    check_op(lambda t: getattr(at.nn, name)(t), ref, [x], dtype=F32)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_l2_loss(shape, rng):
    x = rng.normal(size=shape)
    check_op(at.nn.l2_loss, lambda t: np.sum(t * t) / 2.0, [x])


def test_l2_loss_float32(rng):
    check_op(at.nn.l2_loss, lambda t: np.sum(t * t) / 2.0, [rng.normal(size=(2, 3))], dtype=F32)


SPARSE_CASES = [([0, 2], (2, 3)), ([1, 0, 4, 4], (4, 5))]


@pytest.mark.parametrize("labels, shape", SPARSE_CASES, ids=["2x3", "4x5"])
@pytest.mark.parametrize("dtype", [F64, F32], ids=["float64", "float32"])
def test_sparse_softmax_cross_entropy_gradient(labels, shape, dtype, rng):
    labels_np = np.array(labels)
    lab = at.constant(labels_np)
    logits = rng.uniform(-2, 2, size=shape)

    def ref(z):
        return -np_log_softmax(z)[np.arange(len(labels_np)), labels_np]

    check_op(
        lambda z: at.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=z),
        ref,
        [logits],
        dtype=dtype,
    )
    # closed form: d loss_i / d logits_i = softmax(logits_i) - onehot(label_i)
    z = at.constant(logits)
    with at.GradientTape() as tape:
        tape.watch(z)
        loss = at.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=z)
    onehot = np.eye(shape[1])[labels_np]
    assert_close(tape.gradient(loss, z).numpy(), np_softmax(logits) - onehot, rtol=1e-10, atol=1e-12)


def test_sparse_softmax_cross_entropy_labels_have_no_gradient():
    lab = at.constant([1, 0])
    z = at.constant([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])
    with at.GradientTape() as tape:
        tape.watch(z)
        loss = at.reduce_sum(at.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=z))
    assert tape.gradient(loss, [z])[0] is not None
    assert loss.dtype == F64


# ---------------------------------------------------------------------------
# numerical stability (what a TensorFlow / JAX user expects of these functions)
# ---------------------------------------------------------------------------


def _stable_sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


@given(st.lists(st.floats(-1000.0, 1000.0), min_size=1, max_size=6))
def test_sigmoid_and_softplus_stable_values_and_gradients(values):
    xv = np.array(values)
    x = at.constant(xv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = at.nn.sigmoid(x)
        sp = at.nn.softplus(x)
    gs, gsp = tape.gradient(s, x), tape.gradient(sp, x)
    for t in (s, sp, gs, gsp):
        assert np.all(np.isfinite(t.numpy()))
    sig = _stable_sigmoid(xv)
    # atol 1e-15: both s * (1 - s) and exp(-|x|) / (1 + exp(-|x|))**2 are acceptable
    assert_close(s.numpy(), sig, rtol=1e-9, atol=1e-15)
    assert_close(sp.numpy(), np.logaddexp(0.0, xv), rtol=1e-9, atol=1e-15)
    assert_close(gsp.numpy(), sig, rtol=1e-9, atol=1e-15)
    assert_close(gs.numpy(), sig * (1.0 - sig), rtol=1e-6, atol=1e-15)


def test_logsumexp_softmax_and_cross_entropy_are_stable_for_large_logits():
    xv = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -999.0, -1001.0]])
    x = at.constant(xv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        lse = at.reduce_logsumexp(x, axis=1)
        ls = at.nn.log_softmax(x)
        sm = at.nn.softmax(x)
        ce = at.nn.sparse_softmax_cross_entropy_with_logits(labels=at.constant([0, 1]), logits=x)
    assert_close(lse.numpy(), np_logsumexp(xv, axis=1), rtol=1e-12)
    assert_close(ls.numpy(), np_log_softmax(xv), rtol=1e-12)
    assert_close(sm.numpy(), np_softmax(xv), rtol=1e-12, atol=1e-300)
    assert_close(ce.numpy(), [np.log(2.0), -np_log_softmax(xv)[1, 1]], rtol=1e-12)
    for t in (lse, ls, sm, ce):
        g = tape.gradient(t, x)
        assert np.all(np.isfinite(g.numpy()))
    assert_close(tape.gradient(lse, x).numpy(), np_softmax(xv), rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------
# higher orders of non-elementwise operations (library checker)
# ---------------------------------------------------------------------------

def _second_order_cases(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    pos = rng.uniform(0.5, 2.0, size=(2, 3))
    return {
        "matmul": (lambda p, q: at.matmul(p, q), [a, b]),
        "divide": (lambda p, q: p / q, [a, pos]),
        "pow": (lambda p, q: at.pow(p, q), [pos, a]),
        "reduce_logsumexp": (lambda p: at.reduce_logsumexp(p, axis=-1), [a]),
        "reduce_prod": (lambda p: at.reduce_prod(p, axis=0), [pos]),
        "reduce_max": (lambda p: at.reduce_max(at.exp(p), axis=1), [distinct(rng, (2, 3))]),
        "softmax": (lambda p: at.nn.softmax(p), [a]),
        "log_softmax": (lambda p: at.nn.log_softmax(p), [a]),
        "norm": (lambda p: at.norm(p), [pos]),
        "gather": (lambda p: at.gather(p * p, at.constant([1, 1, 0]), axis=0), [a]),
        "where": (lambda p, q: at.where(at.constant([True, False, True]), p * p, q * p), [a, b.T]),
        "concat-tile": (lambda p: at.tile(at.concat([p, p * p], 0), [1, 2]), [a]),
        "sparse_ce": (
            lambda p: at.nn.sparse_softmax_cross_entropy_with_logits(labels=at.constant([2, 0]), logits=p),
            [a],
        ),
        "l2_loss": (lambda p: at.nn.l2_loss(at.sin(p)), [a]),
    }


SECOND_ORDER_NAMES = [
    "matmul",
    "divide",
    "pow",
    "reduce_logsumexp",
    "reduce_prod",
    "reduce_max",
    "softmax",
    "log_softmax",
    "norm",
    "gather",
    "where",
    "concat-tile",
    "sparse_ce",
    "l2_loss",
]


@pytest.mark.parametrize("name", SECOND_ORDER_NAMES)
def test_second_order_library_checker(name, rng):
    fn, arrays = _second_order_cases(rng)[name]
    args = [at.constant(np.asarray(a)) for a in arrays]
    at.testing.check_gradients(fn, *args, order=2, atol=1e-5, rtol=1e-4)


def test_hessian_of_log_softmax_closed_form():
    # d/dz_j of (softmax(z)_i - onehot_i) = softmax_i (delta_ij - softmax_j)
    zv = np.array([0.3, -1.2, 2.0])
    z = at.constant(zv)
    with at.GradientTape() as outer:
        outer.watch(z)
        with at.GradientTape() as inner:
            inner.watch(z)
            loss = -at.nn.log_softmax(z)[1]
        g = inner.gradient(loss, z)
    h = outer.jacobian(g, z)
    p = np_softmax(zv)
    assert_close(g.numpy(), p - np.eye(3)[1], rtol=1e-12)
    assert_close(h.numpy(), np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------
# a composite function in both dtypes (conftest's float_dtype fixture)
# ---------------------------------------------------------------------------


def test_composite_function_in_both_dtypes(float_dtype, rng):
    """A small network-like function: value and gradients in the source dtype."""
    xv = rng.uniform(-1, 1, size=(4, 3))
    wv = rng.uniform(-1, 1, size=(3, 2))
    bv = rng.uniform(-0.5, 0.5, size=(2,))

    def f_np(x, w, b):
        h = np.tanh(x @ w + b)
        return np.mean(np.log1p(np.exp(h)) * np.sum(x * x, axis=1, keepdims=True))

    def f_at(x, w, b):
        h = at.tanh(at.matmul(x, w) + b)
        return at.reduce_mean(at.nn.softplus(h) * at.reduce_sum(x * x, axis=1, keepdims=True))

    dt = float_dtype.dtype
    inputs = [a.astype(dt) for a in (xv, wv, bv)]
    at_inputs = [at.constant(a) for a in inputs]
    with at.GradientTape() as tape:
        tape.watch(at_inputs)
        y = f_at(*at_inputs)
    grads = tape.gradient(y, at_inputs)
    ref_args = [a.astype(F64) for a in inputs]
    assert y.dtype == dt and y.shape == ()
    assert_close(y.numpy(), f_np(*ref_args), rtol=float_dtype.rtol * 10, atol=float_dtype.atol)
    for g, a, n in zip(grads, inputs, numeric_grad(f_np, *ref_args)):
        assert g.dtype == dt and g.shape == a.shape
        assert_close(g.numpy(), n, rtol=float_dtype.grad_rtol, atol=float_dtype.grad_atol)
