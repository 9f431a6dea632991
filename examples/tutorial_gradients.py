"""TensorFlow 2 guide "Introduction to gradients and automatic differentiation", first part,
on autotape: gradient tapes, gradients of a model, controlling what the tape watches,
intermediate results, non-scalar targets and control flow.

(The guide's second part, on gradients that come back as None, is
``tutorial_unconnected_gradients.py``.)

    python examples/tutorial_gradients.py                 # prints and checks the numbers
    python examples/tutorial_gradients.py --plot s.png    # also plots sigmoid and its
                                                          # derivative (needs matplotlib)

``import autotape as at`` stands where the guide has ``import tensorflow as tf``;
``tf.keras.layers.Dense`` is ``at.layers.Dense``. autotape computes in float64 unless told
otherwise, and names Variables without TensorFlow's ":0" suffix.
"""

import argparse
import re
import sys
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing autotape
    import autotape as at
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autotape as at


def gradient_tapes():
    print("== Gradient tapes")
    x = at.Variable(3.0)
    with at.GradientTape() as tape:
        y = x**2
    dy_dx = tape.gradient(y, x)  # 2 x
    print("dy/dx =", dy_dx.numpy())
    assert dy_dx.numpy() == 6.0

    # Any shape works, and sources may be any nesting of lists, tuples and dicts.
    w = at.Variable(at.random.normal((3, 2)), name="w")
    b = at.Variable(at.zeros(2), name="b")
    x = [[1.0, 2.0, 3.0]]  # a nested list is converted like a constant
    with at.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = at.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    print("w.shape", w.shape, " dl_dw.shape", dl_dw.shape)
    assert w.shape == dl_dw.shape == (3, 2)
    assert dl_db.shape == (2,)
    # loss = mean of y**2 over 2 entries: dl/dy = y, dl/dw = x^T y, dl/db = y
    y_np = np.array(x) @ w.numpy() + b.numpy()
    np.testing.assert_allclose(dl_dw.numpy(), np.array(x).T @ y_np, rtol=1e-12)
    np.testing.assert_allclose(dl_db.numpy(), y_np[0], rtol=1e-12)

    # The gradient has the structure of the sources: here a dict.
    grad = tape.gradient(loss, {"w": w, "b": b})
    print("grad['b'] =", grad["b"].numpy())
    np.testing.assert_allclose(grad["b"].numpy(), y_np[0], rtol=1e-12)

    # The guide passes a dict of *new* Variables, which the loss never read: each is
    # unconnected, so its gradient is None.
    my_vars = {
        "w": at.Variable(at.random.normal((3, 2)), name="w"),
        "b": at.Variable(at.zeros(2), name="b"),
    }
    grad = tape.gradient(loss, my_vars)
    print("with Variables the loss never read: grad['b'] =", grad["b"])
    assert grad["w"] is None and grad["b"] is None
    del tape


def gradients_of_a_model():
    print("== Gradients with respect to a model")
    layer = at.layers.Dense(2, activation="relu")
    x = at.constant([[1.0, 2.0, 3.0]])
    with at.GradientTape() as tape:
        y = layer(x)  # the first call builds the layer's kernel and bias
        loss = at.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    for var, g in zip(layer.trainable_variables, grad):
        print(f"  {var.name}, shape: {g.shape}")
    (kernel, dkernel), (bias, dbias) = zip(layer.trainable_variables, grad)
    assert re.fullmatch(r"dense(_\d+)?/kernel", kernel.name)
    assert re.fullmatch(r"dense(_\d+)?/bias", bias.name)
    assert dkernel.shape == (3, 2) and dbias.shape == (2,)


def controlling_what_the_tape_watches():
    print("== Controlling what the tape watches")
    x0 = at.Variable(3.0, name="x0")  # trainable: watched when read
    x1 = at.Variable(3.0, name="x1", trainable=False)  # not trainable: not watched
    x2 = at.Variable(2.0, name="x2") + 1.0  # Variable + number is a Tensor, not a Variable
    x3 = at.constant(3.0)  # a Tensor: not watched unless asked
    with at.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    for g in grad:
        print(" ", g)
    assert grad[0].numpy() == 6.0
    assert grad[1] is None and grad[2] is None and grad[3] is None
    watched = [var.name for var in tape.watched_variables()]
    print("  watched variables:", watched)
    assert watched == ["x0"]

    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)  # a Tensor has to be watched explicitly
        y = x**2
    dy_dx = tape.gradient(y, x)
    print("  dy/dx =", dy_dx.numpy())
    assert dy_dx.numpy() == 6.0

    # watch_accessed_variables=False: only what watch() is given is watched
    x0 = at.Variable(0.0)
    x1 = at.Variable(10.0)
    with at.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = at.math.sin(x0)
        y1 = at.nn.softplus(x1)
        y = y0 + y1
        ys = at.reduce_sum(y)
    grad = tape.gradient(ys, {"x0": x0, "x1": x1})
    print("  dy/dx0:", grad["x0"])
    print("  dy/dx1:", grad["x1"].numpy())  # softplus' = sigmoid; sigmoid(10) = 0.9999546
    assert grad["x0"] is None
    assert abs(grad["x1"].numpy() - 0.9999546) < 1e-7


def intermediate_results():
    print("== Intermediate results")
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    dz_dy = tape.gradient(z, y)  # 2 y, y = 9
    print("  dz/dy =", dz_dy.numpy())
    assert dz_dy.numpy() == 18.0

    x = at.constant([1, 3.0])  # a list mixing ints and floats: float64
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    dz_dx = tape.gradient(z, x)  # 4 x**3
    dy_dx = tape.gradient(y, x)  # 2 x
    print("  dz/dx =", dz_dx.numpy(), " dy/dx =", dy_dx.numpy())
    assert dz_dx.numpy().tolist() == [4.0, 108.0]
    assert dy_dx.numpy().tolist() == [2.0, 6.0]
    del tape  # a persistent tape keeps its records until it is dropped


def non_scalar_targets(plot_path=None):
    print("== Gradients of non-scalar targets")
    x = at.Variable(2.0)
    with at.GradientTape(persistent=True) as tape:
        y0 = x**2
        y1 = 1 / x
    print("  d(x**2)/dx =", tape.gradient(y0, x).numpy(),
          " d(1/x)/dx =", tape.gradient(y1, x).numpy())
    assert tape.gradient(y0, x).numpy() == 4.0
    assert tape.gradient(y1, x).numpy() == -0.25
    del tape

    # several targets: the gradient of their sum
    x = at.Variable(2.0)
    with at.GradientTape() as tape:
        y0 = x**2
        y1 = 1 / x
    g = tape.gradient({"y0": y0, "y1": y1}, x)
    print("  d(y0 + y1)/dx =", g.numpy())
    assert g.numpy() == 3.75

    # a non-scalar target: the gradient of the sum of its elements
    x = at.Variable(2.0)
    with at.GradientTape() as tape:
        y = x * [3.0, 4.0]
    g = tape.gradient(y, x)
    print("  d(sum of x * [3, 4])/dx =", g.numpy())
    assert g.numpy() == 7.0

    # elementwise: the gradient of the sum is each element's own derivative
    x = at.linspace(-10.0, 10.0, 200 + 1)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.nn.sigmoid(x)
    dy_dx = tape.gradient(y, x)
    s = 1 / (1 + np.exp(-x.numpy()))
    print("  sigmoid'(0) =", dy_dx.numpy()[100])
    assert dy_dx.shape == (201,)
    np.testing.assert_allclose(dy_dx.numpy(), s * (1 - s), rtol=1e-9, atol=1e-15)
    assert dy_dx.numpy()[100] == 0.25
    if plot_path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.plot(x.numpy(), y.numpy(), label="y")
        plt.plot(x.numpy(), dy_dx.numpy(), label="dy/dx")
        plt.legend()
        plt.xlabel("x")
        plt.savefig(plot_path)
        print("  plot written to", plot_path)


def control_flow():
    print("== Control flow")
    x = at.constant(1.0)
    v0 = at.Variable(2.0)
    v1 = at.Variable(2.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:  # a one-element bool Tensor works as a Python condition
            result = v0
        else:
            result = v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    print("  dv0 =", dv0, " dv1 =", dv1)
    assert dv0.numpy() == 1.0
    assert dv1 is None  # the branch that reads v1 did not run
    dx = tape.gradient(result, x)  # the condition itself is not differentiable
    print("  dx =", dx)
    assert dx is None
    del tape


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH",
                        help="also plot sigmoid and its derivative to PATH (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib (pip install matplotlib)")
    at.random.set_seed(0)  # the guide's random initial values, made reproducible
    gradient_tapes()
    gradients_of_a_model()
    controlling_what_the_tape_watches()
    intermediate_results()
    non_scalar_targets(args.plot)
    control_flow()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
