"""The notebook "GradientTape API for AutoDiff" (TensorFlow 2), on autotape.

Its cells in order, with ``import autotape as at`` where it had ``import tensorflow as tf``:
the gradient of z = (sum x)**2 with respect to the input and to the intermediate sum, a
persistent tape giving two gradients, a loop with an ``if`` inside, and a second derivative
of a Variable from nested tapes.

    python examples/tutorial_gradient_tape_basics.py

Each number the notebook prints is asserted. autotape computes in float64 by default, so the
tensors show ``float64`` where the notebook shows ``float32``; the values are the same.
"""

import sys
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing autotape
    import autotape as at
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autotape as at


def gradient_with_respect_to_the_input():
    print("== dz/dx for z = (sum of x)**2")
    x = at.ones((2, 2))
    print("x:", x.numpy().tolist(), x.dtype)  # float64: autotape's default float
    with at.GradientTape() as t:
        t.watch(x)  # x is a Tensor, not a Variable: it has to be watched
        y = at.reduce_sum(x)
        print("y:", y.numpy())
        z = at.multiply(y, y)
        print("z:", z.numpy())
    assert y.numpy() == 4.0 and z.numpy() == 16.0

    # dz/dx = 2 y * dy/dx = 2 * 4 * 1 = 8 for every element
    dz_dx = t.gradient(z, x)
    print("dz/dx:", dz_dx.numpy().tolist())
    assert dz_dx.shape == (2, 2)
    for i in [0, 1]:
        for j in [0, 1]:
            assert dz_dx[i][j].numpy() == 8.0
    return x


def gradient_with_respect_to_an_intermediate_value(x):
    print("== dz/dy for the intermediate y = sum of x")
    with at.GradientTape() as t:
        t.watch(x)
        y = at.reduce_sum(x)
        z = at.multiply(y, y)
    dz_dy = t.gradient(z, y)  # dz/dy = 2 y = 8
    print("dz/dy:", dz_dy.numpy())
    assert dz_dy.numpy() == 8.0


def persistent_tape():
    print("== A persistent tape: two gradients from one recording")
    x = at.constant(3.0)
    with at.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        z = y * y
    print("y:", y.numpy(), " z:", z.numpy())
    assert y.numpy() == 9.0 and z.numpy() == 81.0

    dz_dx = t.gradient(z, x)  # 4 x**3 = 108
    dy_dx = t.gradient(y, x)  # 2 x = 6; a second call needs persistent=True
    print("dz/dx:", dz_dx.numpy(), " dy/dx:", dy_dx.numpy())
    assert dz_dx.numpy() == 108.0
    assert dy_dx.numpy() == 6.0
    del t  # the tape keeps its records until it is dropped


def sample(x, y):
    """x multiplied into the output for i = 2, 3, 4 only (while i < y)."""
    output = 1.0
    for i in range(y):
        if 1 < i < 5:
            output = at.multiply(output, x)
    return output


def gradient_of_sample(x, y):
    with at.GradientTape() as t:
        t.watch(x)
        out = sample(x, y)
        print("  output:", out)
    return out, t.gradient(out, x)


def control_flow():
    print("== Recording control flow: only the branch taken is on the tape")
    x = at.convert_to_tensor(2.0)
    # y = 6 and y = 5 multiply three times (x**3 = 8, gradient 3 x**2 = 12); y = 4 twice
    # (x**2 = 4, gradient 2 x = 4)
    for y, value, gradient in [(6, 8.0, 12.0), (5, 8.0, 12.0), (4, 4.0, 4.0)]:
        out, g = gradient_of_sample(x, y)
        print(f"  d sample(x, {y}) / dx =", g.numpy())
        assert out.numpy() == value
        assert g.numpy() == gradient


def higher_order():
    print("== Second derivative of a Variable with nested tapes")
    x = at.Variable(1.0)  # trainable Variables are watched by every tape that reads them
    with at.GradientTape() as t:
        with at.GradientTape() as t2:
            y = x * x * x
            print("y:", y.numpy())
        dy_dx = t2.gradient(y, x)  # 3 x**2 = 3, computed while t records
        print("dy/dx:", dy_dx.numpy())
    d2y_dx2 = t.gradient(dy_dx, x)  # 6 x = 6
    print("d2y/dx2:", d2y_dx2.numpy())
    assert y.numpy() == 1.0
    assert dy_dx.numpy() == 3.0
    assert d2y_dx2.numpy() == 6.0


def main():
    x = gradient_with_respect_to_the_input()
    assert np.array_equal(x.numpy(), np.ones((2, 2)))
    gradient_with_respect_to_an_intermediate_value(x)
    persistent_tape()
    control_flow()
    higher_order()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
