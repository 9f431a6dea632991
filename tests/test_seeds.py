"""Every example of the TensorFlow tutorials behind examples/tutorial_*.py, for autotape.

Translation: ``tf`` -> ``at``, ``tfe.gradients_function`` -> ``at.gradients_function``,
``tf.Module`` / ``keras.layers.Dense`` -> ``at.Module`` / ``at.layers.Dense``.
Where autotape differs from TensorFlow on purpose (docs/API.md, "Differences from
TensorFlow 2") the expected numbers are autotape's: float64 by default, a nested
``inner.watch(x)`` also watches on the enclosing tape, NumPy calls are recorded.
"""

import re
import warnings
from math import pi

import numpy as np
import pytest

import autotape as at


def _np(t):
    return np.asarray(t)


# ---------------------------------------------------------------------------
# seeds 000 / 002: "Automatic differentiation and gradient tape" (TF 1.x eager)
# ---------------------------------------------------------------------------


def _f_sin_square(x):
    return at.square(at.sin(x))


def test_seed_derivative_of_function_value_at_pi_over_2():
    assert _f_sin_square(pi / 2).numpy() == 1.0


def test_seed_gradients_function_at_pi_over_2():
    grad_f = at.gradients_function(_f_sin_square)
    grads = grad_f(pi / 2)
    assert isinstance(grads, list) and len(grads) == 1
    # d/dx sin(x)^2 = sin(2x) = 0 at pi/2 (1.2e-16 in float64)
    assert at.abs(grads[0]).numpy() < 1e-7


def _grad(f):
    return lambda x: at.gradients_function(f)(x)[0]


def test_seed_higher_order_derivative_plot_values():
    # The seed plots f and its first three derivatives; we check the curves
    # against the closed forms instead of drawing them.
    x = at.lin_space(-2 * pi, 2 * pi, 100)
    xs = np.linspace(-2 * pi, 2 * pi, 100)
    assert x.shape == (100,)
    np.testing.assert_allclose(_np(x), xs, rtol=0, atol=1e-12)

    f0 = _f_sin_square(x)
    d1 = _grad(_f_sin_square)(x)
    d2 = _grad(_grad(_f_sin_square))(x)
    d3 = _grad(_grad(_grad(_f_sin_square)))(x)
    for curve in (f0, d1, d2, d3):  # what plt.plot(x, curve) would receive
        assert np.asarray(curve).shape == (100,)
    np.testing.assert_allclose(_np(f0), np.sin(xs) ** 2, atol=1e-12)
    np.testing.assert_allclose(_np(d1), np.sin(2 * xs), atol=1e-10)
    np.testing.assert_allclose(_np(d2), 2 * np.cos(2 * xs), atol=1e-10)
    np.testing.assert_allclose(_np(d3), -4 * np.sin(2 * xs), atol=1e-9)


def _f_power_loop(x, y):
    output = 1
    for i in range(int(y)):
        output = at.multiply(output, x)
    return output


def _g_power_loop(x, y):
    with warnings.catch_warnings():
        # differentiating w.r.t. the integer ``y`` may warn; not what this seed is about
        warnings.simplefilter("ignore")
        return at.gradients_function(_f_power_loop)(x, y)[0]


def test_seed_control_flow_power_loop_values():
    assert _f_power_loop(3.0, 2).numpy() == 9.0
    assert _f_power_loop(4.0, 3).numpy() == 64.0


def test_seed_control_flow_power_loop_gradients():
    assert _g_power_loop(3.0, 2).numpy() == 6.0  # 2 * x
    assert _g_power_loop(4.0, 3).numpy() == 48.0  # 3 * x * x


def test_seed_control_flow_power_loop_second_argument_has_no_gradient():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grads = at.gradients_function(_f_power_loop)(3.0, 2)
    assert len(grads) == 2
    assert grads[1] is None


def test_seed_persistent_tape_intermediate_and_input():
    x = at.ones((2, 2))
    with at.GradientTape(persistent=True) as t:
        t.watch(x)
        y = at.reduce_sum(x)
        z = at.multiply(y, y)
    dz_dy = t.gradient(z, y)
    assert dz_dy.numpy() == 8.0
    dz_dx = t.gradient(z, x)
    for i in [0, 1]:
        for j in [0, 1]:
            assert dz_dx[i][j].numpy() == 8.0


def test_seed_higher_order_constant_with_inner_watch_only():
    # Difference from TF2 (docs/API.md): inner.watch(x) also watches on the enclosing
    # recording tape, so the second derivative is 6.0 and not None.
    x = at.constant(1.0)
    with at.GradientTape() as t:
        with at.GradientTape() as t2:
            t2.watch(x)
            y = x * x * x
        dy_dx = t2.gradient(y, x)
    d2y_dx2 = t.gradient(dy_dx, x)
    assert dy_dx.numpy() == 3.0
    assert d2y_dx2.numpy() == 6.0


# ---------------------------------------------------------------------------
# seed 001: notebook "GradientTape API for AutoDiff"
# ---------------------------------------------------------------------------


def test_seed_ones_tensor_numpy():
    x = at.ones((2, 2))
    arr = x.numpy()
    assert isinstance(arr, np.ndarray)
    assert arr.dtype == np.float64  # autotape default (TF shows float32)
    np.testing.assert_array_equal(arr, [[1.0, 1.0], [1.0, 1.0]])


def test_seed_tape_reduce_sum_then_square():
    x = at.ones((2, 2))
    with at.GradientTape() as t:
        t.watch(x)
        y = at.reduce_sum(x)
        assert y.numpy() == 4.0
        z = at.multiply(y, y)
        assert z.numpy() == 16.0
    dz_dx = t.gradient(z, x)
    np.testing.assert_array_equal(dz_dx.numpy(), [[8.0, 8.0], [8.0, 8.0]])
    for i in [0, 1]:
        for j in [0, 1]:
            assert dz_dx[i][j].numpy() == 8.0


def test_seed_intermediate_gradient_non_persistent():
    x = at.ones((2, 2))
    with at.GradientTape() as t:
        t.watch(x)
        y = at.reduce_sum(x)
        z = at.multiply(y, y)
    dz_dy = t.gradient(z, y)
    assert dz_dy.numpy() == 8.0


def test_seed_persistent_tape_scalar_108_and_6():
    x = at.constant(3.0)
    assert x.numpy() == 3.0
    with at.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        assert y.numpy() == 9.0
        z = y * y
        assert z.numpy() == 81.0
    dz_dx = t.gradient(z, x)
    assert dz_dx.numpy() == 108.0  # 4 x^3
    dy_dx = t.gradient(y, x)
    assert dy_dx.numpy() == 6.0  # 2 x
    del t


def _sample(x, y):
    output = 1.0
    for i in range(y):
        if i > 1 and i < 5:
            output = at.multiply(output, x)
    return output


def _sample_grad(x, y):
    with at.GradientTape() as t:
        t.watch(x)
        out = _sample(x, y)
    return out, t.gradient(out, x)


@pytest.mark.parametrize("y, out_value, grad_value", [(6, 8.0, 12.0), (5, 8.0, 12.0), (4, 4.0, 4.0)])
def test_seed_recording_control_flow_sample(y, out_value, grad_value):
    x = at.convert_to_tensor(2.0)
    out, g = _sample_grad(x, y)
    assert out.numpy() == out_value
    assert g.numpy() == grad_value


def test_seed_higher_order_with_variable():
    x = at.Variable(1.0)
    with at.GradientTape() as t:
        with at.GradientTape() as t2:
            y = x * x * x
            assert y.numpy() == 1.0
        dy_dx = t2.gradient(y, x)
        assert dy_dx.numpy() == 3.0
    d2y_dx2 = t.gradient(dy_dx, x)
    assert d2y_dx2.numpy() == 6.0


# ---------------------------------------------------------------------------
# seed 003: "Introduction to gradients and automatic differentiation" (TF 2)
# ---------------------------------------------------------------------------


def test_seed_variable_square_gradient():
    x = at.Variable(3.0)
    with at.GradientTape() as tape:
        y = x**2
    dy_dx = tape.gradient(y, x)
    assert dy_dx.numpy() == 6.0


def test_seed_matmul_loss_gradients_list_of_variables():
    w = at.Variable(at.random.normal((3, 2)), name="w")
    b = at.Variable(at.zeros(2), name="b")
    x = [[1.0, 2.0, 3.0]]
    with at.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = at.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    assert w.shape == (3, 2)
    assert dl_dw.shape == (3, 2)
    assert dl_db.shape == (2,)
    assert w.name == "w" and b.name == "b"
    # loss = mean(y^2) over 2 entries -> dl/dy = y; dl/dw = x^T y; dl/db = y
    y_np = np.array([[1.0, 2.0, 3.0]]) @ w.numpy() + b.numpy()
    np.testing.assert_allclose(dl_dw.numpy(), np.array([[1.0], [2.0], [3.0]]) @ y_np, rtol=1e-12)
    np.testing.assert_allclose(dl_db.numpy(), y_np[0], rtol=1e-12)

    # The seed then asks for gradients w.r.t. a dict of *new* variables, which the
    # loss does not use: the result has the dict's structure and holds None.
    my_vars = {
        "w": at.Variable(at.random.normal((3, 2)), name="w"),
        "b": at.Variable(at.zeros(2), name="b"),
    }
    grad = tape.gradient(loss, my_vars)
    assert isinstance(grad, dict) and set(grad) == {"w", "b"}
    assert grad["b"] is None and grad["w"] is None

    # ... and the same dict with the variables actually used gives real gradients
    grad = tape.gradient(loss, {"w": w, "b": b})
    np.testing.assert_allclose(grad["b"].numpy(), y_np[0], rtol=1e-12)
    np.testing.assert_allclose(grad["w"].numpy(), dl_dw.numpy(), rtol=1e-12)


def test_seed_controlling_what_the_tape_watches():
    x0 = at.Variable(3.0, name="x0")
    x1 = at.Variable(3.0, name="x1", trainable=False)
    x2 = at.Variable(2.0, name="x2") + 1.0  # a Tensor, not a Variable
    x3 = at.constant(3.0)
    with at.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    assert grad[0].numpy() == 6.0
    assert grad[1] is None and grad[2] is None and grad[3] is None
    assert [var.name for var in tape.watched_variables()] == ["x0"]


def test_seed_watch_a_constant():
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x**2
    dy_dx = tape.gradient(y, x)
    assert dy_dx.numpy() == 6.0


def test_seed_watch_accessed_variables_false():
    x0 = at.Variable(0.0)
    x1 = at.Variable(10.0)
    with at.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = at.math.sin(x0)
        y1 = at.nn.softplus(x1)
        y = y0 + y1
        ys = at.reduce_sum(y)
    grad = tape.gradient(ys, {"x0": x0, "x1": x1})
    assert grad["x0"] is None
    # d softplus(x)/dx = sigmoid(x); sigmoid(10) = 0.9999546021312976
    assert grad["x1"].numpy() == pytest.approx(1.0 / (1.0 + np.exp(-10.0)), rel=1e-12)
    assert abs(grad["x1"].numpy() - 0.9999546) < 1e-7


def test_seed_intermediate_result_18():
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, y).numpy() == 18.0  # 2 y, y = 9


def test_seed_persistent_vector_4_108_and_2_6():
    x = at.constant([1, 3.0])
    assert x.dtype == np.float64
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), [4.0, 108.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 6.0])
    del tape


def test_seed_gradients_of_two_targets_separately():
    x = at.Variable(2.0)
    with at.GradientTape(persistent=True) as tape:
        y0 = x**2
        y1 = 1 / x
    assert tape.gradient(y0, x).numpy() == 4.0
    assert tape.gradient(y1, x).numpy() == -0.25


def test_seed_gradient_of_dict_of_targets_is_sum_3_75():
    x = at.Variable(2.0)
    with at.GradientTape() as tape:
        y0 = x**2
        y1 = 1 / x
    assert tape.gradient({"y0": y0, "y1": y1}, x).numpy() == 3.75


def test_seed_non_scalar_target_7():
    x = at.Variable(2.0)
    with at.GradientTape() as tape:
        y = x * [3.0, 4.0]
    assert tape.gradient(y, x).numpy() == 7.0


def test_seed_sigmoid_elementwise_gradient():
    x = at.linspace(-10.0, 10.0, 200 + 1)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.nn.sigmoid(x)
    dy_dx = tape.gradient(y, x)
    xs = np.linspace(-10.0, 10.0, 201)
    s = 1.0 / (1.0 + np.exp(-xs))
    assert dy_dx.shape == (201,)
    np.testing.assert_allclose(y.numpy(), s, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dy_dx.numpy(), s * (1 - s), rtol=1e-9, atol=1e-15)
    assert dy_dx.numpy()[100] == pytest.approx(0.25, abs=1e-15)  # x = 0


def test_seed_control_flow_if_connects_only_used_variable():
    x = at.constant(1.0)
    v0 = at.Variable(2.0)
    v1 = at.Variable(2.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:
            result = v0
        else:
            result = v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    assert dv0.numpy() == 1.0
    assert dv1 is None
    dx = tape.gradient(result, x)
    assert dx is None


def test_seed_unconnected_gives_none():
    x = at.Variable(2.0)
    y = at.Variable(3.0)
    with at.GradientTape() as tape:
        z = y * y
    assert tape.gradient(z, x) is None


def test_seed_replacing_variable_with_tensor_gives_none():
    x = at.Variable(2.0)
    seen = []
    for epoch in range(2):
        with at.GradientTape() as tape:
            y = x + 1
        seen.append((isinstance(x, at.Variable), tape.gradient(y, x)))
        x = x + 1  # This should be `x.assign_add(1)`
    (was_var0, g0), (was_var1, g1) = seen
    assert was_var0 and g0.numpy() == 1.0
    assert not was_var1 and g1 is None


def test_seed_numpy_calculation_is_recorded():
    # Difference from TF (docs/API.md): np.mean on a Tensor is recorded, so the
    # gradient flows: y = mean over all of x^2 -> dy/dx = 2x / 4.
    x = at.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    with at.GradientTape() as tape:
        x2 = x**2
        y = np.mean(x2, axis=0)
        assert isinstance(y, at.Tensor)
        np.testing.assert_allclose(y.numpy(), [5.0, 10.0])
        y = at.reduce_mean(y, axis=0)
    g = tape.gradient(y, x)
    assert g is not None
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), [[0.5, 1.0], [1.5, 2.0]], rtol=1e-6)


def test_seed_integer_variable_warns_and_gives_none():
    x = at.Variable([[2, 2], [2, 2]])
    assert x.dtype == np.int64
    with pytest.warns(Warning):
        with at.GradientTape() as tape:
            # The path to x is blocked by the int dtype here.
            y = at.cast(x, np.float32)
            y = at.reduce_sum(x)
        g = tape.gradient(y, x)
    assert g is None


def test_seed_stateful_assign_add_stops_gradient():
    x0 = at.Variable(3.0)
    x1 = at.Variable(0.0)
    with at.GradientTape() as tape:
        x1.assign_add(x0)  # x1 = x1 + x0
        y = x1**2  # the tape starts recording from x1
    assert tape.gradient(y, x0) is None
    assert x1.numpy() == 3.0


def _adjust_contrast_numpy(image, delta):
    image = np.asarray(image)
    mean = image.mean(axis=(-3, -2), keepdims=True)
    return ((image - mean) * np.asarray(delta) + mean).astype(image.dtype)


def test_seed_no_gradient_registered_lookup_error():
    # tf.image.adjust_contrast wraps raw_ops.AdjustContrastv2, which has no gradient
    _adjust_contrast = at.primitive(name="AdjustContrastv2")(_adjust_contrast_numpy)
    image = at.Variable([[[0.5, 0.0, 0.0]]])
    delta = at.Variable(0.1)
    with at.GradientTape() as tape:
        new_image = _adjust_contrast(image, delta)
    assert isinstance(new_image, at.Tensor)
    # a single pixel: the mean is the pixel itself, so the image is unchanged
    np.testing.assert_allclose(new_image.numpy(), [[[0.5, 0.0, 0.0]]])
    with pytest.raises(LookupError) as info:
        tape.gradient(new_image, [image, delta])
    assert "gradient registry has no entry for: AdjustContrastv2" in str(info.value)


def test_seed_zeros_instead_of_none():
    x = at.Variable([2.0, 2.0])
    y = at.Variable(3.0)
    with at.GradientTape() as tape:
        z = y**2
    g = tape.gradient(z, x, unconnected_gradients=at.UnconnectedGradients.ZERO)
    assert isinstance(g, at.Tensor)
    assert g.shape == (2,)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


# ---------------------------------------------------------------------------
# seed 003, "Gradients with respect to a model": at.Module / at.layers.Dense.
# These belong to the Modules/layers feature; select or deselect with -m modules.
# ---------------------------------------------------------------------------


@pytest.mark.modules
def test_modules_seed_dense_layer_gradients_names_and_shapes():
    layer = at.layers.Dense(2, activation="relu")
    x = at.constant([[1.0, 2.0, 3.0]])
    with at.GradientTape() as tape:
        y = layer(x)  # forward pass (builds kernel and bias)
        loss = at.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    assert len(layer.trainable_variables) == 2 and len(grad) == 2
    names_shapes = [(var.name, g.shape) for var, g in zip(layer.trainable_variables, grad)]
    (kname, kshape), (bname, bshape) = names_shapes
    # TF prints dense/kernel:0 (3, 2) and dense/bias:0 (2,); a default name may be uniquified
    assert re.fullmatch(r"dense(_\d+)?/kernel", kname), kname
    assert re.fullmatch(r"dense(_\d+)?/bias", bname), bname
    assert kname.split("/")[0] == bname.split("/")[0]
    assert kshape == (3, 2) and bshape == (2,)

    # values: y = relu(x K + b); loss = mean(y^2) over 2 -> dL/dpre = y (0 where relu is off)
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_array_equal(bias, [0.0, 0.0])  # bias starts at zero
    x_np = np.array([[1.0, 2.0, 3.0]])
    y_np = np.maximum(x_np @ kernel + bias, 0.0)
    np.testing.assert_allclose(y.numpy(), y_np, rtol=1e-12)
    np.testing.assert_allclose(grad[0].numpy(), x_np.T @ y_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad[1].numpy(), y_np[0], rtol=1e-12, atol=1e-15)


@pytest.mark.modules
def test_modules_seed_dense_layer_explicit_name():
    layer = at.layers.Dense(2, activation="relu", name="dense")
    layer(at.constant([[1.0, 2.0, 3.0]]))
    assert [v.name for v in layer.trainable_variables] == ["dense/kernel", "dense/bias"]
    assert layer.name == "dense"


@pytest.mark.modules
def test_modules_module_collects_variables_and_submodules():
    class Inner(at.Module):
        def __init__(self):
            super().__init__(name="inner")
            self.v = at.Variable(at.ones((2,)), name="v")

    class Outer(at.Module):
        def __init__(self):
            super().__init__(name="outer")
            self.w = at.Variable(at.ones((2, 2)), name="w")
            self.frozen = at.Variable(0.5, name="frozen", trainable=False)
            self.inner = Inner()

        def __call__(self, x):
            return at.reduce_sum(at.matmul(x, self.w) * self.inner.v) + self.frozen

    m = Outer()
    assert m.name == "outer"
    assert len(m.variables) == 3
    assert len(m.trainable_variables) == 2
    assert all(v.trainable for v in m.trainable_variables)
    assert any(v is m.frozen for v in m.variables)
    assert not any(v is m.frozen for v in m.trainable_variables)
    assert any(s is m.inner for s in m.submodules)

    x = at.constant([[1.0, 2.0]])
    with at.GradientTape() as tape:
        loss = m(x)
    grads = tape.gradient(loss, m.trainable_variables)
    by_id = {id(v): g for v, g in zip(m.trainable_variables, grads)}
    # loss = sum_j (x W)_j v_j + c -> dW[i, j] = x_i v_j ; dv_j = (x W)_j
    np.testing.assert_allclose(by_id[id(m.w)].numpy(), [[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(by_id[id(m.inner.v)].numpy(), [3.0, 3.0])


@pytest.mark.modules
def test_modules_dense_activations_and_no_bias():
    x = at.constant([[1.0, -2.0, 0.5]])
    for act, ref in [
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        (None, lambda z: z),
        (at.nn.relu, lambda z: np.maximum(z, 0)),
    ]:
        layer = at.layers.Dense(4, activation=act, use_bias=False)
        y = layer(x)
        assert y.shape == (1, 4)
        assert len(layer.trainable_variables) == 1
        np.testing.assert_allclose(y.numpy(), ref(x.numpy() @ layer.kernel.numpy()), rtol=1e-12)
    layer = at.layers.Dense(3, activation="softmax")
    y = layer(x)
    np.testing.assert_allclose(np.sum(y.numpy(), axis=-1), [1.0], rtol=1e-12)


@pytest.mark.modules
def test_modules_sgd_and_momentum_updates():
    v = at.Variable(1.0)
    at.optimizers.SGD(learning_rate=0.1).apply_gradients([(at.constant(2.0), v)])
    assert v.numpy() == pytest.approx(0.8, abs=1e-12)

    w = at.Variable(1.0)
    opt = at.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply_gradients([(at.constant(1.0), w)])  # velocity -0.1
    assert w.numpy() == pytest.approx(0.9, abs=1e-12)
    opt.apply_gradients([(at.constant(1.0), w)])  # velocity 0.9 * -0.1 - 0.1 = -0.19
    assert w.numpy() == pytest.approx(0.71, abs=1e-12)


@pytest.mark.modules
def test_modules_adam_first_step_and_training_loop():
    v = at.Variable([1.0, -1.0])
    at.optimizers.Adam(learning_rate=0.01).apply_gradients([(at.constant([3.0, -0.5]), v)])
    # first Adam step moves each coordinate by lr * sign(g) (up to epsilon)
    np.testing.assert_allclose(v.numpy(), [0.99, -0.99], atol=1e-6)

    # fit y = 3 x - 1 with one Dense unit
    rng = np.random.default_rng(0)
    xs = at.constant(rng.uniform(-1, 1, size=(32, 1)))
    ys = 3.0 * xs - 1.0
    layer = at.layers.Dense(1)
    opt = at.optimizers.Adam(learning_rate=0.1)
    for _ in range(300):
        with at.GradientTape() as tape:
            loss = at.reduce_mean(at.square(layer(xs) - ys))
        grads = tape.gradient(loss, layer.trainable_variables)
        opt.apply_gradients(zip(grads, layer.trainable_variables))
    assert float(loss) < 1e-4
    assert layer.kernel.numpy().item() == pytest.approx(3.0, abs=1e-2)
    assert layer.bias.numpy().item() == pytest.approx(-1.0, abs=1e-2)
