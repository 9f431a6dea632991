"""TensorFlow 2 guide "Introduction to gradients and automatic differentiation", second
part, on autotape: when a gradient comes back as None, an operation with no gradient
registered, and zeros instead of None.

(The guide's first part is ``tutorial_gradients.py``.)

    python examples/tutorial_unconnected_gradients.py

Where autotape does better than TensorFlow 2 on purpose, the script checks autotape's
result and says so: a NumPy function applied to a Tensor is recorded (TensorFlow gives None
there), and an autotape operation can be added with ``at.primitive``.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing autotape
    import autotape as at
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autotape as at


def unconnected():
    print("== A target that does not depend on the source")
    x = at.Variable(2.0)
    y = at.Variable(3.0)
    with at.GradientTape() as tape:
        z = y * y
    g = tape.gradient(z, x)
    print("  dz/dx =", g)
    assert g is None


def replaced_a_variable_with_a_tensor():
    print("== 1. A Variable replaced by a Tensor")
    x = at.Variable(2.0)
    seen = []
    for epoch in range(2):
        with at.GradientTape() as tape:
            y = x + 1
        g = tape.gradient(y, x)
        print(f"  {type(x).__name__}: {g}")
        seen.append(g)
        x = x + 1  # a new Tensor, which no tape watches; x.assign_add(1) keeps the Variable
    assert seen[0].numpy() == 1.0
    assert seen[1] is None


def calculations_in_numpy():
    print("== 2. Calculations in NumPy")
    x = at.Variable([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    with at.GradientTape() as tape:
        x2 = x**2
        # autotape records np.mean on a Tensor (TensorFlow 2 computes it outside the tape
        # and the gradient below is None there).
        y = np.mean(x2, axis=0)
        y = at.reduce_mean(y, axis=0)
    g = tape.gradient(y, x)  # y = mean of x**2 over all four elements: 2 x / 4
    print("  dy/dx =", g.numpy().tolist(), g.dtype)
    assert g.dtype == np.float32  # a float32 source gets a float32 gradient
    np.testing.assert_allclose(g.numpy(), [[0.5, 1.0], [1.5, 2.0]], rtol=1e-6)

    # A NumPy function autotape has no operation for runs on the plain values: the
    # gradient is cut, and autotape warns about it instead of staying silent.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with at.GradientTape() as tape:
            y = np.unwrap(x**2)  # an ndarray, not a Tensor
            y = at.reduce_sum(y)
    print("  np.unwrap:", caught[0].message)
    assert any("np.unwrap" in str(w.message) for w in caught)
    assert tape.gradient(y, x) is None


def integers():
    print("== 3. Integers")
    x = at.Variable([[2, 2], [2, 2]])  # Python ints: an int64 Variable
    assert x.dtype == np.int64
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with at.GradientTape() as tape:
            y = at.cast(x, "float32")  # (computed, then not used, as in the guide)
            y = at.reduce_sum(x)  # an integer target
        g = tape.gradient(y, x)
    for w in caught:
        print("  warning:", w.message)
    print("  dy/dx =", g)
    assert g is None
    messages = [str(w.message) for w in caught]
    assert any("target" in m and "int64" in m for m in messages)
    assert any("source" in m and "int64" in m for m in messages)


def stateful_objects():
    print("== 4. State")
    x0 = at.Variable(3.0)
    x1 = at.Variable(0.0)
    with at.GradientTape() as tape:
        x1.assign_add(x0)  # x1 = x1 + x0: a new state, not a recorded operation
        y = x1**2  # the tape only sees x1's current value
    g = tape.gradient(y, x0)
    print("  x1 =", x1.numpy(), " dy/dx0 =", g)
    assert x1.numpy() == 3.0
    assert g is None


def adjust_contrast_numpy(image, delta):
    """TensorFlow's adjust_contrast on a NumPy image of shape (height, width, channels):
    each channel moves away from its mean by the factor delta."""
    mean = image.mean(axis=(-3, -2), keepdims=True)
    return ((image - mean) * delta + mean).astype(image.dtype)


# A new recorded operation, named as TensorFlow's raw op; no gradient is registered yet.
adjust_contrast = at.primitive(name="AdjustContrastv2")(adjust_contrast_numpy)


def no_gradient_registered():
    print("== No gradient registered")
    image = at.Variable([[[0.5, 0.0, 0.0]]])
    delta = at.Variable(0.1)
    with at.GradientTape() as tape:
        new_image = adjust_contrast(image, delta)
    try:
        print(tape.gradient(new_image, [image, delta]))
        raise AssertionError("expected a LookupError")
    except LookupError as e:
        print(f"  {type(e).__name__}: {e}")
        assert str(e) == "gradient registry has no entry for: AdjustContrastv2"

    # The fix the guide suggests: register a gradient. out = delta * image + (1 - delta) *
    # mean, with the mean over height and width per channel.
    @at.RegisterGradient("AdjustContrastv2")
    def _adjust_contrast_grad(op, g):
        image, delta = op.inputs
        mean = at.reduce_mean(image, axis=(-3, -2), keepdims=True)
        d_image = g * delta + (1 - delta) * at.reduce_mean(g, axis=(-3, -2), keepdims=True)
        d_delta = at.reduce_sum(g * (image - mean))
        return d_image, d_delta

    image = at.Variable(np.linspace(0.0, 1.0, 12).reshape(2, 2, 3))
    with at.GradientTape() as tape:
        loss = at.reduce_sum(at.square(adjust_contrast(image, delta)))
    d_image, d_delta = tape.gradient(loss, [image, delta])
    print("  with a registered gradient: d loss / d delta =", d_delta.numpy())
    assert d_image.shape == image.shape
    # checked against central finite differences, first and second order
    at.testing.check_gradients(
        lambda i, d: at.reduce_sum(at.square(adjust_contrast(i, d))), image, delta, order=2)


def zeros_instead_of_none():
    print("== Zeros instead of None")
    x = at.Variable([2.0, 2.0])
    y = at.Variable(3.0)
    with at.GradientTape() as tape:
        z = y**2
    g = tape.gradient(z, x, unconnected_gradients=at.UnconnectedGradients.ZERO)
    print(" ", g)
    assert g.shape == (2,) and g.numpy().tolist() == [0.0, 0.0]


def main():
    unconnected()
    replaced_a_variable_with_a_tensor()
    calculations_in_numpy()
    integers()
    stateful_objects()
    no_gradient_registered()
    zeros_instead_of_none()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
