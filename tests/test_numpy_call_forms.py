"""NumPy's other call forms on Tensors: the recorded operation where one exists, NumPy on
read-only values otherwise, and nothing written into a tensor."""

import warnings

import numpy as np
import pytest

import autotape as at


def _gradient(f, value):
    x = at.constant(value)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(f(x))
    return y.numpy(), tape.gradient(y, x).numpy()


M = np.array([[1.0, -2.0], [3.0, 4.0]])


@pytest.mark.parametrize("f, grad", [
    (lambda t: np.clip(t, 0, None), [[1, 0], [1, 1]]),
    (lambda t: np.clip(t, None, 2.0), [[1, 1], [0, 0]]),
    (lambda t: np.clip(t, min=-1.0), [[1, 0], [1, 1]]),
    (lambda t: np.clip(t, -1.0, 2.0), [[1, 0], [0, 0]]),
    (lambda t: np.concatenate([t, t], axis=None), [[2, 2], [2, 2]]),
    (lambda t: np.concatenate([t, t], axis=1, dtype=np.float32), [[2, 2], [2, 2]]),
    (lambda t: np.stack([t, t * 3], axis=0, out=None), [[4, 4], [4, 4]]),
    # NumPy's own signature binds the arguments: positional or by name
    (lambda t: np.sum(t, 0, None, None, True), [[1, 1], [1, 1]]),
    (lambda t: np.mean(t, axis=1, keepdims=True) * 4, [[2, 2], [2, 2]]),
    (lambda t: np.max(t, 1, None, False), [[1, 0], [0, 1]]),
])
def test_call_forms_are_recorded_with_numpys_values(f, grad):
    value, gradient = _gradient(f, M)
    assert value == pytest.approx(np.sum(f(M)))
    np.testing.assert_array_equal(gradient, grad)


def test_one_argument_where_gives_numpys_indices_quietly():
    t = at.constant(M)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with at.GradientTape() as tape:
            tape.watch(t)
            rows, cols = np.where(t > 0)
    np.testing.assert_array_equal(rows, [0, 1, 1])
    np.testing.assert_array_equal(cols, [0, 0, 1])


def test_an_argument_autotape_does_not_take_leaves_the_call_to_numpy():
    t = at.constant(M)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with at.GradientTape() as tape:
            tape.watch(t)
            total = np.sum(t, where=M > 0)
    assert not isinstance(total, at.Tensor) and total == 8.0
    assert any("np.sum is not an autotape operation" in str(w.message) for w in caught)
    with pytest.raises(TypeError):  # what NumPy's signature rejects, NumPy's own error
        np.sum(t, 0, axis=1)


def test_numpy_functions_cannot_write_into_a_tensor():
    t = at.constant(M)
    with pytest.raises(ValueError, match="read-only"):
        np.fill_diagonal(t, 0.0)
    with pytest.raises(ValueError, match="read-only"):
        np.exp(t, out=t)
    np.testing.assert_array_equal(t.numpy(), M)


def test_the_namespaces_are_the_public_ones():
    assert at.nn.__name__ == "autotape.nn" and at.math.__name__ == "autotape.math"
    assert at.linalg.__name__ == "autotape.linalg"  # TensorFlow's names, not ops.linalg
    for internal in ("shape", "lapack", "core", "creation", "registry", "numpy_dispatch"):
        assert not hasattr(at, internal), internal
    assert not hasattr(at.nn, "UNARY")
