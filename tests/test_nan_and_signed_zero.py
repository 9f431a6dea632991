"""NaN propagates through the selecting primitives, and signed zeros come out as NumPy's."""

import numpy as np
import pytest

import autotape as at

NAN = np.nan


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, reference", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_minimum_propagate_nan_like_numpy(name, reference, dtype):
    a = np.array([NAN, 1.0, NAN, 2.0, 3.0], dtype)
    b = np.array([1.0, NAN, NAN, 2.0, -1.0], dtype)
    op = getattr(at, name)
    np.testing.assert_array_equal(op(a, b).numpy(), reference(a, b))
    # broadcasting kernels (single element, general strides) too
    np.testing.assert_array_equal(op(a, dtype(NAN)).numpy(), reference(a, dtype(NAN)))
    np.testing.assert_array_equal(op(a.reshape(5, 1), b).numpy(), reference(a.reshape(5, 1), b))
    np.testing.assert_array_equal(reference(at.constant(a), b).numpy(), reference(a, b))


def test_gradient_of_maximum_goes_to_the_nan_operand():
    x, y = at.constant([NAN, 1.0, 3.0, 2.0]), at.constant([1.0, NAN, 2.0, 2.0])
    with at.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        high = at.reduce_sum(at.maximum(x, y))
        low = at.reduce_sum(at.minimum(x, y))
    gx, gy = tape.gradient(high, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [1, 0, 1, 1])  # ties go to the first argument
    np.testing.assert_array_equal(gy.numpy(), [0, 1, 0, 0])
    gx, gy = tape.gradient(low, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [1, 0, 0, 1])
    np.testing.assert_array_equal(gy.numpy(), [0, 1, 1, 0])


def test_relu_and_clipping_keep_nan():
    values = np.array([NAN, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(at.nn.relu(values).numpy(), [NAN, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(at.clip_by_value(values, -0.5, 1.0).numpy(),
                                  np.clip(values, -0.5, 1.0))
    np.testing.assert_array_equal(np.clip(at.constant(values), -0.5, 1.0).numpy(),
                                  np.clip(values, -0.5, 1.0))
    x = at.constant(values)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(at.nn.relu(x))
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 1.0])  # NaN passes its gradient on
    assert np.isnan(y.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_abs_and_sign_of_negative_zero_are_positive_zero(dtype):
    values = np.array([-0.0, 0.0, -2.0, 3.0, NAN], dtype)
    for op, reference in ((at.abs, np.abs), (at.sign, np.sign)):
        result = op(values).numpy()
        np.testing.assert_array_equal(result, reference(values))
        np.testing.assert_array_equal(np.signbit(result), np.signbit(reference(values)))
    assert not np.signbit(abs(at.constant(dtype(-0.0))).numpy())
    np.testing.assert_array_equal(at.sign(np.array([-3, 0, 4])).numpy(), [-1, 0, 1])
