"""TensorFlow 1.x eager tutorial "Automatic differentiation and gradient tape", on autotape.

Every example of that tutorial, with ``import autotape as at`` where it had
``import tensorflow as tf`` and ``tfe = tf.contrib.eager``:

- derivatives of a function with ``at.gradients_function`` (``tfe.gradients_function``);
- higher derivatives by nesting it (sin(x)**2 and its first three derivatives);
- Python control flow (a loop whose length is an argument);
- ``at.GradientTape``: gradients with respect to an intermediate value, persistent tapes;
- second derivatives by nesting tapes.

    python examples/tutorial_autodiff_eager.py               # prints and checks the numbers
    python examples/tutorial_autodiff_eager.py --plot f.png  # also plots (needs matplotlib)

Each number the tutorial states is asserted; the script exits with an error if one differs.
"""

import argparse
import sys
import warnings
from math import pi
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing autotape
    import autotape as at
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autotape as at


def sin_squared(x):
    return at.square(at.sin(x))


def derivative(f):
    """x -> f'(x): ``gradients_function`` gives one gradient per argument; f has one."""
    return lambda x: at.gradients_function(f)(x)[0]


def derivatives_of_a_function():
    print("== Derivatives of a function")
    value = sin_squared(pi / 2)
    print("f(pi/2) =", value.numpy())
    assert value.numpy() == 1.0

    grad_f = at.gradients_function(sin_squared)
    gradients = grad_f(pi / 2)  # a list: one entry per argument of f
    print("f'(pi/2) =", gradients[0].numpy(), "(sin(pi) in float64)")
    assert len(gradients) == 1
    assert at.abs(gradients[0]).numpy() < 1e-7


def higher_order_gradients(plot_path=None):
    print("== Higher-order gradients of f(x) = sin(x)**2")
    x = at.lin_space(-2 * pi, 2 * pi, 100)  # 100 points between -2 pi and 2 pi
    curves = {
        "f": (sin_squared(x), lambda t: np.sin(t) ** 2),
        "first derivative": (derivative(sin_squared)(x), lambda t: np.sin(2 * t)),
        "second derivative": (derivative(derivative(sin_squared))(x),
                              lambda t: 2 * np.cos(2 * t)),
        "third derivative": (derivative(derivative(derivative(sin_squared)))(x),
                             lambda t: -4 * np.sin(2 * t)),
    }
    xs = x.numpy()
    for label, (values, closed_form) in curves.items():
        error = np.max(np.abs(values.numpy() - closed_form(xs)))
        print(f"  {label:<18} shape {values.shape}, max |error| vs closed form {error:.2g}")
        assert values.shape == (100,)
        assert error < 1e-9
    if plot_path:
        plot(xs, curves, plot_path)


def plot(xs, curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    for label, (values, _) in curves.items():
        axes.plot(xs, values.numpy(), label=label)
    axes.legend()
    figure.savefig(path)
    print("  plot written to", path)


def power(x, y):
    """x ** y for an integer y, by repeated multiplication."""
    output = 1  # an int: autotape promotes 1 * x to a float (TensorFlow 2 would raise)
    for _ in range(int(y)):
        output = at.multiply(output, x)
    return output


def d_power_dx(x, y):
    # params=[0]: the gradient with respect to x only (y is a loop count, not a float)
    return at.gradients_function(power, params=[0])(x, y)[0]


def control_flow():
    print("== Python control flow")
    for x, y, value, gradient in [(3.0, 2, 9.0, 6.0), (4.0, 3, 64.0, 48.0)]:
        f, g = power(x, y), d_power_dx(x, y)
        print(f"  f({x}, {y}) = {f.numpy()}, df/dx = {g.numpy()}")
        assert f.numpy() == value  # x ** y
        assert g.numpy() == gradient  # y * x ** (y - 1)
    # Asked for every argument, gradients_function gives None for the Python int y (which
    # is not differentiated); autotape may warn about it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gradients = at.gradients_function(power)(3.0, 2)
    assert gradients[0].numpy() == 6.0 and gradients[1] is None


def gradient_tapes():
    print("== Gradient tapes")
    x = at.ones((2, 2))
    with at.GradientTape(persistent=True) as t:  # persistent: two gradient() calls below
        t.watch(x)
        y = at.reduce_sum(x)
        z = at.multiply(y, y)
    dz_dy = t.gradient(z, y)  # with respect to the intermediate value y
    print("  dz/dy =", dz_dy.numpy())
    assert dz_dy.numpy() == 8.0
    dz_dx = t.gradient(z, x)
    print("  dz/dx =", dz_dx.numpy().tolist())
    for i in [0, 1]:
        for j in [0, 1]:
            assert dz_dx[i][j].numpy() == 8.0
    del t  # a persistent tape holds its records until it is dropped


def nested_tapes():
    print("== Higher-order gradients with nested tapes")
    x = at.constant(1.0)
    with at.GradientTape() as t:
        with at.GradientTape() as t2:
            # autotape: watching on the inner tape also watches x on the outer one, which
            # is recording. TensorFlow 2 does not, and gives None for d2y_dx2 here.
            t2.watch(x)
            y = x * x * x
        dy_dx = t2.gradient(y, x)  # computed while t records: differentiable again
    d2y_dx2 = t.gradient(dy_dx, x)
    print("  dy/dx =", dy_dx.numpy(), " d2y/dx2 =", d2y_dx2.numpy())
    assert dy_dx.numpy() == 3.0
    assert d2y_dx2.numpy() == 6.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH",
                        help="also plot f and its derivatives to PATH (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib (pip install matplotlib)")
    derivatives_of_a_function()
    higher_order_gradients(args.plot)
    control_flow()
    gradient_tapes()
    nested_tapes()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
