"""NumPy functions applied to Tensors return Tensors and are recorded on tapes
(``__array_ufunc__`` / ``__array_function__``; a difference from TensorFlow)."""

import warnings

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close, numeric_grad, random_weights

X2 = np.array([[0.3, -0.8, 1.2], [0.5, 0.9, -0.4]])
POS = np.array([[0.3, 0.8, 1.2], [0.5, 0.9, 1.7]])


def recorded(np_call, *arrays, dtype=np.float64):
    """Apply ``np_call`` to Tensors under a tape; return (output, gradients, weights)."""
    xs = [at.constant(np.asarray(a, dtype=dtype)) for a in arrays]
    with at.GradientTape() as tape:
        tape.watch(xs)
        y = np_call(*xs)
    assert isinstance(y, at.Tensor), f"{np_call} returned {type(y).__name__}, not a Tensor"
    w = random_weights(y.shape, seed=1)
    grads = tape.gradient(y, xs, output_gradients=at.constant(w, dtype=y.dtype))
    return y, grads, w


UFUNCS = {
    "sin": (np.sin, X2),
    "cos": (np.cos, X2),
    "tan": (np.tan, X2),
    "exp": (np.exp, X2),
    "log": (np.log, POS),
    "log1p": (np.log1p, POS),
    "expm1": (np.expm1, X2),
    "sqrt": (np.sqrt, POS),
    "square": (np.square, X2),
    "abs": (np.abs, X2),
    "negative": (np.negative, X2),
    "tanh": (np.tanh, X2),
    "sinh": (np.sinh, X2),
    "cosh": (np.cosh, X2),
    "arcsin": (np.arcsin, X2 * 0.7),  # |x| <= 0.84
    "arccos": (np.arccos, X2 * 0.7),
    "arctan": (np.arctan, X2),
}


@pytest.mark.parametrize("name", sorted(UFUNCS))
def test_unary_ufunc_on_tensor_is_recorded(name):
    fn, xv = UFUNCS[name]
    y, (g,), w = recorded(fn, xv)
    assert y.dtype == np.float64 and y.shape == xv.shape
    assert_close(y.numpy(), fn(xv), rtol=1e-12, atol=1e-14)
    assert g is not None, f"np.{name} on a Tensor was not recorded"
    assert_close(g.numpy(), numeric_grad(fn, xv, weights=w)[0], rtol=1e-6, atol=1e-8)


BINARY_UFUNCS = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY_UFUNCS))
def test_binary_ufunc_on_tensors_is_recorded(name):
    fn = BINARY_UFUNCS[name]
    a, b = POS, np.array([0.7, 1.1, -0.6])  # broadcast (2, 3) with (3,), no ties
    y, (ga, gb), w = recorded(fn, a, b)
    assert y.shape == (2, 3)
    assert_close(y.numpy(), fn(a, b), rtol=1e-12)
    na, nb = numeric_grad(fn, a, b, weights=w)
    assert ga is not None and gb is not None
    assert ga.shape == a.shape and gb.shape == b.shape
    assert_close(ga.numpy(), na, rtol=1e-6, atol=1e-8)
    assert_close(gb.numpy(), nb, rtol=1e-6, atol=1e-8)


def test_ufunc_mixing_ndarray_and_tensor():
    x = at.constant([1.0, 2.0, 3.0])
    c = np.array([10.0, 20.0, 30.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y1 = np.multiply(c, x)
        y2 = c + x  # ndarray.__add__ defers to the Tensor through __array_ufunc__
        y3 = c * x
    for y in (y1, y2, y3):
        assert isinstance(y, at.Tensor)
    assert_close(tape.gradient([y1, y2, y3], x).numpy(), 2 * c + 1.0)


REDUCTIONS = {
    "sum-axis0": (lambda t: np.sum(t, axis=0), lambda a: np.sum(a, axis=0)),
    "sum-all": (lambda t: np.sum(t), lambda a: np.sum(a)),
    "mean-axis0": (lambda t: np.mean(t, axis=0), lambda a: np.mean(a, axis=0)),
    "mean-axis1-keepdims": (lambda t: np.mean(t, axis=1, keepdims=True), lambda a: np.mean(a, axis=1, keepdims=True)),
    "max-axis1": (lambda t: np.max(t, axis=1), lambda a: np.max(a, axis=1)),
    "min-all": (lambda t: np.min(t), lambda a: np.min(a)),
    "prod-axis0": (lambda t: np.prod(t, axis=0), lambda a: np.prod(a, axis=0)),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_numpy_reductions_on_tensor_are_recorded(name):
    call, ref = REDUCTIONS[name]
    y, (g,), w = recorded(call, X2)
    assert y.shape == np.shape(ref(X2))
    assert_close(y.numpy(), ref(X2), rtol=1e-12)
    assert g is not None
    assert_close(g.numpy(), numeric_grad(ref, X2, weights=w)[0], rtol=1e-6, atol=1e-8)


def test_seed_np_mean_then_reduce_mean():
    x = at.Variable([[1.0, 2.0], [3.0, 4.0]])
    with at.GradientTape() as tape:
        y = at.reduce_mean(np.mean(x**2, axis=0), axis=0)
    assert y.numpy() == 7.5
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0.5, 1.0], [1.5, 2.0]])


FUNCTIONS = {
    "matmul": (lambda a, b: np.matmul(a, b), [X2, X2.T * 2.0]),
    "where": (lambda a, b: np.where(np.array([True, False, True]), a, b), [X2, POS]),
    "transpose": (lambda a: np.transpose(a), [X2]),
    "reshape": (lambda a: np.reshape(a, (3, 2)), [X2]),
    "concatenate": (lambda a, b: np.concatenate([a, b], axis=0), [X2, POS]),
    "stack": (lambda a, b: np.stack([a, b], axis=1), [X2, POS]),
    "expand_dims": (lambda a: np.expand_dims(a, 0), [X2]),
    "squeeze": (lambda a: np.squeeze(a), [X2[:1]]),
    "clip": (lambda a: np.clip(a, -0.5, 1.0), [X2]),
    "broadcast_to": (lambda a: np.broadcast_to(a, (4, 3)), [X2[:1]]),
    "tile": (lambda a: np.tile(a, (1, 2)), [X2]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numpy_functions_on_tensors_are_recorded(name):
    call, arrays = FUNCTIONS[name]
    y, grads, w = recorded(call, *arrays)
    expected = call(*arrays)
    assert y.shape == expected.shape
    assert_close(y.numpy(), expected, rtol=1e-12)
    numeric = numeric_grad(call, *arrays, weights=w)
    for i, (g, n) in enumerate(zip(grads, numeric)):
        assert g is not None, f"np.{name}: no gradient for argument {i}"
        assert_close(g.numpy(), n, rtol=1e-6, atol=1e-8)


def test_tensor_matmul_with_ndarray_both_ways():
    x = at.constant(X2)
    m = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0]])
    with at.GradientTape() as tape:
        tape.watch(x)
        y1 = x @ m
        y2 = m.T @ at.transpose(x)  # ndarray @ Tensor
    assert isinstance(y1, at.Tensor) and isinstance(y2, at.Tensor)
    g = tape.gradient([y1, y2], x)
    # d sum(x m) / dx = 1 m^T ; y2 = (x m)^T has the same sum
    assert_close(g.numpy(), 2.0 * np.ones((2, 2)) @ m.T)


def test_numpy_on_float32_tensor_stays_float32():
    x = at.constant(np.array([0.5, 1.0], dtype=np.float32))
    for y in (np.sin(x), np.exp(x), np.sum(x), np.mean(x), x * 2.0):
        assert isinstance(y, at.Tensor)
        assert y.dtype == np.float32


def test_numpy_comparison_ufunc_gives_bool_tensor():
    x = at.constant([1.0, 2.0, 3.0])
    y = np.greater(x, 1.5)
    assert isinstance(y, at.Tensor) and y.dtype == np.bool_
    np.testing.assert_array_equal(np.asarray(y), [False, True, True])


def test_numpy_chain_second_order():
    x = at.constant(0.7)
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as inner:
            inner.watch(x)
            y = np.sin(x) * np.exp(x)
        g = inner.gradient(y, x)  # e^x (sin + cos)
    h = outer.gradient(g, x)  # 2 e^x cos
    assert g.numpy() == pytest.approx(np.exp(0.7) * (np.sin(0.7) + np.cos(0.7)), rel=1e-12)
    assert h.numpy() == pytest.approx(2 * np.exp(0.7) * np.cos(0.7), rel=1e-12)


def test_ndim_shape_and_size_read_metadata_without_a_warning():
    x = at.constant(np.ones((2, 3)))
    with at.GradientTape() as tape:
        tape.watch(x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert (np.ndim(x), np.shape(x), np.size(x), np.size(x, 1)) == (2, (2, 3), 6, 3)
