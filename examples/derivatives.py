"""Higher-order derivatives, as in TensorFlow's eager tutorial: f(x) = sin(x)**2 and its first
three derivatives over 100 points in [-2 pi, 2 pi], each from nesting ``at.gradients_function``.

    python examples/derivatives.py [PATH]      # writes the plot to PATH (default derivatives.png)

Prints each derivative's largest error against its closed form (sin 2x, 2 cos 2x, -4 sin 2x).
Needs matplotlib for the plot.
"""

import argparse
import sys
from math import pi
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing autotape
    import autotape as at
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autotape as at


def f(x):
    return at.square(at.sin(x))


def grad(f):
    # gradients_function returns one gradient per argument: f has one. f is elementwise, so
    # the gradient of (the sum of) f(x) holds the derivative at each point.
    return lambda x: at.gradients_function(f)(x)[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Plot sin(x)**2 and its first three derivatives (nested "
                    "at.gradients_function) and check them against their closed forms.")
    parser.add_argument("path", nargs="?", default="derivatives.png",
                        help="where to write the PNG (default: derivatives.png)")
    args = parser.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("examples/derivatives.py needs matplotlib for the plot: "
              "pip install matplotlib", file=sys.stderr)
        return 1

    x = at.lin_space(-2 * pi, 2 * pi, 100)  # 100 points between -2π and +2π
    curves = [
        ("f", f(x), None),
        ("first derivative", grad(f)(x), lambda t: np.sin(2 * t)),
        ("second derivative", grad(grad(f))(x), lambda t: 2 * np.cos(2 * t)),
        ("third derivative", grad(grad(grad(f)))(x), lambda t: -4 * np.sin(2 * t)),
    ]

    xs = x.numpy()
    for label, values, closed_form in curves[1:]:
        error = np.max(np.abs(values.numpy() - closed_form(xs)))
        print(f"{label:<18} max |error| against its closed form: {error:.3g}")

    figure, axes = plt.subplots(figsize=(8, 5))
    for label, values, _ in curves:
        axes.plot(xs, values.numpy(), label=label)
    axes.set_xlabel("x")
    axes.set_title("f(x) = sin(x)**2 and its derivatives (nested at.gradients_function)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, frameon=False)
    figure.tight_layout()
    figure.savefig(args.path, dpi=100)
    print(f"plot written to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
