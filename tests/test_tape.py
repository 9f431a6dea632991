"""GradientTape semantics, one test per rule of API.md "GradientTape" and "Extending"."""

import warnings

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close, numeric_jacobian

# ---------------------------------------------------------------------------
# structures of targets and sources
# ---------------------------------------------------------------------------


def test_nested_sources_keep_their_structure():
    x, y, z = at.constant(2.0), at.constant(3.0), at.constant(5.0)
    with at.GradientTape() as tape:
        tape.watch([x, (y, {"k": z})])
        target = x * y * z
    g = tape.gradient(target, {"a": x, "b": [y, (z,)]})
    assert isinstance(g, dict) and set(g) == {"a", "b"}
    assert isinstance(g["b"], list) and len(g["b"]) == 2
    assert isinstance(g["b"][1], tuple) and len(g["b"][1]) == 1
    assert g["a"].numpy() == 15.0
    assert g["b"][0].numpy() == 10.0
    assert g["b"][1][0].numpy() == 6.0


def test_tuple_and_single_sources():
    x, y = at.constant(2.0), at.constant(3.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch((x, y))
        t = x * x * y
    gt = tape.gradient(t, (x, y))
    assert isinstance(gt, tuple) and len(gt) == 2
    assert gt[0].numpy() == 12.0 and gt[1].numpy() == 4.0
    gs = tape.gradient(t, x)
    assert isinstance(gs, at.Tensor) and gs.numpy() == 12.0
    gl = tape.gradient(t, [x])
    assert isinstance(gl, list) and gl[0].numpy() == 12.0


def test_watch_nested_dict():
    x, y = at.constant([1.0, 2.0]), at.constant(4.0)
    with at.GradientTape() as tape:
        tape.watch({"x": x, "rest": [y]})
        t = at.reduce_sum(x * y)
    gx, gy = tape.gradient(t, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [4.0, 4.0])
    assert gy.numpy() == 3.0


def test_nested_targets_give_gradient_of_the_sum():
    x = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        a = x * x  # 2x = 4
        b = 3.0 * x  # 3
        c = x * x * x  # 3x^2 = 12
    g = tape.gradient({"a": a, "rest": [b, (c,)]}, x)
    assert g.numpy() == 19.0


def test_non_scalar_target_gives_gradient_of_the_sum():
    xv = np.array([1.0, -2.0, 3.0])
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reshape(x * x, (3, 1)) * at.constant([[1.0, 2.0]])  # shape (3, 2)
    assert y.shape == (3, 2)
    assert_close(tape.gradient(y, x).numpy(), 2 * xv * 3.0)


def test_several_non_scalar_targets():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y1 = x * x
        y2 = at.reduce_sum(x) * at.ones((3,))
    assert_close(tape.gradient([y1, y2], x).numpy(), [2.0 + 3.0, 4.0 + 3.0])


# ---------------------------------------------------------------------------
# output_gradients, unconnected gradients, intermediates
# ---------------------------------------------------------------------------


def test_output_gradients_weight_the_target():
    xv = np.array([1.0, 2.0, 3.0])
    x = at.constant(xv)
    w = at.constant([1.0, -1.0, 0.5])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert_close(tape.gradient(y, x, output_gradients=w).numpy(), 2 * xv * w.numpy())


def test_output_gradients_for_several_targets():
    x = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y1 = x * x  # dy1 = 4
        y2 = 3.0 * x  # dy2 = 3
    g = tape.gradient([y1, y2], x, output_gradients=[at.constant(10.0), at.constant(100.0)])
    assert g.numpy() == 40.0 + 300.0


def test_unconnected_none_is_default_and_explicit():
    x, y = at.constant(1.0), at.constant(2.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = y * y
    assert tape.gradient(z, x) is None
    assert tape.gradient(z, x, unconnected_gradients=at.UnconnectedGradients.NONE) is None
    gx, gy = tape.gradient(z, [x, y])
    assert gx is None and gy.numpy() == 4.0


def test_unconnected_zero_has_source_shape_and_dtype():
    x64 = at.constant([[1.0, 2.0, 3.0]])
    x32 = at.constant(np.ones((2, 2), dtype=np.float32))
    y = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch([x64, x32, y])
        z = y * y
    g64, g32, gy = tape.gradient(z, [x64, x32, y], unconnected_gradients=at.UnconnectedGradients.ZERO)
    assert g64.shape == (1, 3) and g64.dtype == np.float64
    assert g32.shape == (2, 2) and g32.dtype == np.float32
    np.testing.assert_array_equal(g64.numpy(), np.zeros((1, 3)))
    np.testing.assert_array_equal(g32.numpy(), np.zeros((2, 2)))
    assert gy.numpy() == 4.0


def test_unconnected_gradients_names():
    assert at.UnconnectedGradients.NONE != at.UnconnectedGradients.ZERO


def test_gradient_with_respect_to_intermediate_tensors():
    x = at.constant(3.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
        w = at.sin(z)
    assert tape.gradient(z, y).numpy() == 18.0
    assert tape.gradient(w, y).numpy() == pytest.approx(np.cos(81.0) * 18.0, rel=1e-12)
    assert tape.gradient(w, z).numpy() == pytest.approx(np.cos(81.0), rel=1e-12)
    # the intermediate's own ancestors are not part of the gradient w.r.t. it
    assert tape.gradient(y, y).numpy() == 1.0


def test_target_equal_to_source():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])


# ---------------------------------------------------------------------------
# persistence, calls inside the context
# ---------------------------------------------------------------------------


def test_persistent_tape_allows_several_calls():
    x = at.constant(3.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    for _ in range(3):
        assert tape.gradient(z, x).numpy() == 108.0
        assert tape.gradient(y, x).numpy() == 6.0
    assert tape.jacobian(y, x).numpy() == 6.0


def test_non_persistent_second_call_raises_runtime_error():
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).numpy() == 6.0
    with pytest.raises(RuntimeError):
        tape.gradient(y, x)


def test_gradient_inside_the_context_non_persistent():
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        g = tape.gradient(y, x)  # allowed; the tape stops recording here
        z = y * g  # computed after: not recorded, no error
    assert g.numpy() == 6.0
    assert z.numpy() == 54.0
    with pytest.raises(RuntimeError):
        tape.gradient(y, x)


def test_gradient_inside_the_context_persistent_is_recorded():
    x = at.constant(3.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
        g = tape.gradient(y, x)  # 3 x^2, recorded on the still-recording persistent tape
    assert g.numpy() == 27.0
    assert tape.gradient(g, x).numpy() == 18.0  # 6 x
    assert tape.gradient(y, x).numpy() == 27.0


# ---------------------------------------------------------------------------
# what is watched
# ---------------------------------------------------------------------------


def test_trainable_variables_are_watched_automatically():
    v = at.Variable(2.0)
    c = at.constant(3.0)
    with at.GradientTape() as tape:
        y = v * 2.0 + c * c  # c is never watched, so c * c is not recorded
    gv, gc = tape.gradient(y, [v, c])
    assert gv.numpy() == 2.0
    assert gc is None


def test_watch_accessed_variables_false():
    v0 = at.Variable(1.0)
    v1 = at.Variable(2.0)
    with at.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v1)
        y = at.sin(v0) + v1 * v1
    g0, g1 = tape.gradient(y, [v0, v1])
    assert g0 is None
    assert g1.numpy() == 4.0
    assert [v is v1 for v in tape.watched_variables()] == [True]


def test_watched_variables_in_creation_order():
    a = at.Variable(1.0, name="a")
    b = at.Variable(2.0, name="b")
    c = at.Variable(3.0, name="c")
    frozen = at.Variable(4.0, name="frozen", trainable=False)
    with at.GradientTape() as tape:
        y = c * frozen + a * b  # accessed c, a, b
    watched = tape.watched_variables()
    assert len(watched) == 3
    assert watched[0] is a and watched[1] is b and watched[2] is c
    assert [v.name for v in watched] == ["a", "b", "c"]
    assert y.numpy() == 14.0


def test_watched_variables_includes_explicitly_watched_non_trainable():
    frozen = at.Variable(4.0, trainable=False)
    with at.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    assert [v is frozen for v in tape.watched_variables()] == [True]
    assert tape.gradient(y, frozen).numpy() == 8.0


@pytest.mark.parametrize(
    "bad",
    [3.0, 2, np.ones(3), "x", [at.constant(1.0), 2.0], {"a": np.float64(1.0)}],
    ids=["float", "int", "ndarray", "str", "list-with-float", "dict-with-numpy-scalar"],
)
def test_watch_of_a_non_tensor_raises_value_error(bad):
    with at.GradientTape() as tape:
        with pytest.raises(ValueError):
            tape.watch(bad)


def test_watch_of_an_integer_tensor_warns_and_does_nothing():
    xi = at.constant([1, 2, 3])
    assert xi.dtype == np.int64
    with at.GradientTape() as tape:
        with pytest.warns(Warning):
            tape.watch(xi)
        y = at.cast(xi, np.float64) * 2.0
    with pytest.warns(Warning):
        g = tape.gradient(y, xi)
    assert g is None


def test_integer_target_warns_and_gives_none():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        yi = at.cast(x * 3.0, np.int64)
    with pytest.warns(Warning):
        g = tape.gradient(yi, x)
    assert g is None


def test_bool_target_warns_and_gives_none():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        yb = x > 1.5
    with pytest.warns(Warning):
        g = tape.gradient(yb, x)
    assert g is None


# ---------------------------------------------------------------------------
# stop_recording, reset
# ---------------------------------------------------------------------------


def test_stop_recording():
    x = at.constant(2.0)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            z = x * x * x  # not recorded
        w = x * 5.0  # recording again
    assert tape.gradient(y, x).numpy() == 4.0
    assert tape.gradient(z, x) is None
    assert tape.gradient(w, x).numpy() == 5.0
    assert z.numpy() == 8.0


def test_stop_recording_inside_nested_tapes_only_affects_that_tape():
    x = at.constant(2.0)
    with at.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with at.GradientTape(persistent=True) as inner:
            inner.watch(x)
            with inner.stop_recording():
                y = x * x
    assert inner.gradient(y, x) is None
    assert outer.gradient(y, x).numpy() == 4.0


def test_reset_forgets_what_was_recorded():
    v = at.Variable(3.0)
    with at.GradientTape() as tape:
        loss = v * v
        tape.reset()
        loss = loss + 2.0 * v
    # only the part recorded after reset is differentiated (as in TensorFlow)
    assert tape.gradient(loss, v).numpy() == 2.0


def test_reset_then_watch_again():
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        z = y * x  # y is a constant for the tape now
    assert tape.gradient(z, x).numpy() == 9.0


# ---------------------------------------------------------------------------
# higher orders
# ---------------------------------------------------------------------------


def test_second_and_third_order_by_nesting():
    x = at.constant(2.0)
    with at.GradientTape() as t3:
        t3.watch(x)
        with at.GradientTape() as t2:
            t2.watch(x)
            with at.GradientTape() as t1:
                t1.watch(x)
                y = x**4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert d1.numpy() == 32.0  # 4 x^3
    assert d2.numpy() == 48.0  # 12 x^2
    assert d3.numpy() == 48.0  # 24 x


def test_fourth_order_by_nesting_with_only_innermost_watch():
    x = at.constant(2.0)
    with at.GradientTape() as t4:
        with at.GradientTape() as t3:
            with at.GradientTape() as t2:
                with at.GradientTape() as t1:
                    t1.watch(x)  # also watches x on t2, t3, t4 (API.md)
                    y = x**4 + at.sin(x)
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        d3 = t3.gradient(d2, x)
    d4 = t4.gradient(d3, x)
    assert d1.numpy() == pytest.approx(32.0 + np.cos(2.0), rel=1e-12)
    assert d2.numpy() == pytest.approx(48.0 - np.sin(2.0), rel=1e-12)
    assert d3.numpy() == pytest.approx(48.0 - np.cos(2.0), rel=1e-12)
    assert d4.numpy() == pytest.approx(24.0 + np.sin(2.0), rel=1e-12)


def test_mixed_partial_derivatives():
    x, y = at.constant(2.0), at.constant(3.0)
    with at.GradientTape() as outer:
        outer.watch([x, y])
        with at.GradientTape() as inner:
            inner.watch([x, y])
            f = x * x * y + at.exp(x * y)
        fx = inner.gradient(f, x)  # 2xy + y e^{xy}
    fxy = outer.gradient(fx, y)  # 2x + e^{xy} + xy e^{xy}
    assert fx.numpy() == pytest.approx(12.0 + 3.0 * np.exp(6.0), rel=1e-12)
    assert fxy.numpy() == pytest.approx(4.0 + np.exp(6.0) + 6.0 * np.exp(6.0), rel=1e-12)


# ---------------------------------------------------------------------------
# jacobian / batch_jacobian
# ---------------------------------------------------------------------------


def test_jacobian_of_elementwise_square_is_diagonal():
    xv = np.array([1.0, -2.0, 3.0])
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x**2
    j = tape.jacobian(y, x)
    assert j.shape == (3, 3)
    assert j.dtype == np.float64
    assert_close(j.numpy(), np.diag(2 * xv))


def test_jacobian_shape_is_target_shape_plus_source_shape():
    xv = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    wv = np.array([[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]])
    x, w = at.constant(xv), at.Variable(wv)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = at.matmul(x, w)
    jw = tape.jacobian(y, w)
    assert jw.shape == (2, 2, 3, 2)
    expected = np.einsum("ik,jl->ijkl", xv, np.eye(2))  # dy[i,j]/dw[k,l] = x[i,k] d(j,l)
    assert_close(jw.numpy(), expected)
    jx = tape.jacobian(y, x)
    assert jx.shape == (2, 2, 2, 3)
    assert_close(jx.numpy(), numeric_jacobian(lambda a: a @ wv, xv), rtol=1e-7, atol=1e-9)


def test_jacobian_of_scalar_target_and_list_of_sources():
    x, y = at.constant([1.0, 2.0]), at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch([x, y])
        s = at.reduce_sum(x * x) * y
    jx, jy = tape.jacobian(s, [x, y])
    assert jx.shape == (2,) and jy.shape == ()
    assert_close(jx.numpy(), [6.0, 12.0])
    assert jy.numpy() == 5.0


def test_jacobian_unconnected():
    x, y = at.constant([1.0, 2.0]), at.constant([3.0, 4.0, 5.0])
    with at.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = x * 2.0
    assert tape.jacobian(z, y) is None
    jz = tape.jacobian(z, y, unconnected_gradients=at.UnconnectedGradients.ZERO)
    assert jz.shape == (2, 3)
    np.testing.assert_array_equal(jz.numpy(), np.zeros((2, 3)))


def test_jacobian_of_nonlinear_vector_function_matches_finite_differences():
    xv = np.array([0.3, -0.7, 1.1])

    def f_np(v):
        return np.stack([np.sin(v[0]) * v[1], v[1] ** 2 + v[2], np.exp(v[0] * v[2])])

    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.stack([at.sin(x[0]) * x[1], x[1] ** 2 + x[2], at.exp(x[0] * x[2])])
    assert_close(tape.jacobian(y, x).numpy(), numeric_jacobian(f_np, xv), rtol=1e-7, atol=1e-9)


def test_batch_jacobian_of_linear_map():
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.matmul(x, at.constant(wv))  # (4, 2)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (4, 2, 3)
    assert_close(bj.numpy(), np.broadcast_to(wv.T, (4, 2, 3)), rtol=1e-12)


def test_batch_jacobian_of_elementwise_function():
    xv = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 2.0]])
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.sin(x) * at.reduce_sum(x, axis=1, keepdims=True)  # couples within a row only
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 3, 3)
    for b in range(2):
        row = xv[b]
        expected = numeric_jacobian(lambda r: np.sin(r) * np.sum(r), row)
        assert_close(bj.numpy()[b], expected, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------
# variables and state
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_assign_methods_cut_the_gradient(method):
    x0 = at.Variable(3.0)
    x1 = at.Variable(1.0)
    with at.GradientTape(persistent=True) as tape:
        getattr(x1, method)(x0 * 2.0)
        y = x1**2
    expected_x1 = {"assign": 6.0, "assign_add": 7.0, "assign_sub": -5.0}[method]
    assert x1.numpy() == expected_x1
    assert tape.gradient(y, x0) is None
    assert tape.gradient(y, x1).numpy() == 2 * expected_x1


def test_variable_value_change_is_seen_by_a_new_tape():
    v = at.Variable(1.0)
    for value in [1.0, 2.0, 3.0]:
        v.assign(value)
        with at.GradientTape() as tape:
            y = v * v * v
        assert tape.gradient(y, v).numpy() == 3 * value**2


# ---------------------------------------------------------------------------
# custom gradients and new primitives
# ---------------------------------------------------------------------------


def test_custom_gradient_stable_log1pexp():
    @at.custom_gradient
    def log1pexp(x):
        e = at.exp(x)

        def grad(dy):
            return dy * (1 - 1 / (1 + e))

        return at.math.log(1 + e), grad

    x0 = at.constant(0.0)
    with at.GradientTape() as tape:
        tape.watch(x0)
        y0 = log1pexp(x0)
    assert y0.numpy() == pytest.approx(np.log(2.0), rel=1e-15)
    assert tape.gradient(y0, x0).numpy() == pytest.approx(0.5, rel=1e-15)

    # exp(1000) overflows: the naive gradient e / (1 + e) would be inf / inf = nan
    x1 = at.constant(1000.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        with at.GradientTape() as tape:
            tape.watch(x1)
            y1 = log1pexp(x1)
        g1 = tape.gradient(y1, x1)
    assert g1.numpy() == 1.0


def test_custom_gradient_two_inputs_and_output_gradient():
    @at.custom_gradient
    def mul_scaled(a, b):
        def grad(dy):
            return dy * b * 10.0, dy * a * 100.0  # deliberately not the true gradient

        return a * b, grad

    a, b = at.constant(2.0), at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch([a, b])
        y = mul_scaled(a, b) * 2.0
    ga, gb = tape.gradient(y, [a, b])
    assert y.numpy() == 12.0
    assert ga.numpy() == 2.0 * 3.0 * 10.0
    assert gb.numpy() == 2.0 * 2.0 * 100.0


def test_custom_gradient_is_differentiable_again():
    @at.custom_gradient
    def my_square(x):
        def grad(dy):
            return dy * 2.0 * x

        return x * x, grad

    x = at.constant(3.0)
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as inner:
            inner.watch(x)
            y = my_square(x) * x  # x^3
        g = inner.gradient(y, x)
    assert g.numpy() == 27.0
    assert outer.gradient(g, x).numpy() == 18.0


def test_custom_gradient_on_variable_read_inside():
    v = at.Variable(2.0)

    @at.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return at.clip_by_value(dy, -1.0, 1.0)

        return at.identity(x), grad

    with at.GradientTape() as tape:
        y = clip_grad(v) * 5.0
    assert tape.gradient(y, v).numpy() == 1.0


def test_primitive_with_registered_gradient_uses_op_inputs():
    @at.primitive(name="TestTapeCube")
    def cube(x):
        return np.asarray(x) ** 3

    @at.RegisterGradient("TestTapeCube")
    def _cube_grad(op, grad):
        (x,) = op.inputs
        return [grad * 3.0 * x * x]

    xv = np.array([1.0, -2.0, 0.5])
    x = at.constant(xv)
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as tape:
            tape.watch(x)
            y = cube(x)
        g = tape.gradient(y, x)
    assert isinstance(y, at.Tensor) and y.dtype == np.float64
    assert_close(y.numpy(), xv**3)
    assert_close(g.numpy(), 3 * xv**2)
    # the registered gradient is made of autotape ops, so it differentiates again
    assert_close(outer.gradient(g, x).numpy(), 6 * xv)


def test_primitive_gradient_can_use_op_outputs_and_return_a_bare_tensor():
    @at.primitive(name="TestTapeExp")
    def my_exp(x):
        return np.exp(x)

    @at.RegisterGradient("TestTapeExp")
    def _exp_grad(op, grad):
        return grad * op.outputs[0]

    xv = np.array([0.0, 1.0, -1.0])
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = my_exp(x)
    assert_close(tape.gradient(y, x).numpy(), np.exp(xv))


def test_primitive_with_two_inputs():
    @at.primitive(name="TestTapeHypot")
    def hypot(a, b):
        return np.hypot(a, b)

    @at.RegisterGradient("TestTapeHypot")
    def _hypot_grad(op, grad):
        a, b = op.inputs
        h = op.outputs[0]
        return grad * a / h, grad * b / h

    a, b = at.constant([3.0, 5.0]), at.constant([4.0, 12.0])
    with at.GradientTape() as tape:
        tape.watch([a, b])
        y = hypot(a, b)
    ga, gb = tape.gradient(y, [a, b])
    assert_close(y.numpy(), [5.0, 13.0])
    assert_close(ga.numpy(), [3 / 5, 5 / 13])
    assert_close(gb.numpy(), [4 / 5, 12 / 13])


def test_primitive_without_gradient_raises_lookup_error():
    @at.primitive(name="TestTapeNoGrad")
    def no_grad_op(x):
        return np.asarray(x) * 2.0

    x = at.constant([1.0, 2.0])
    np.testing.assert_array_equal(no_grad_op(x).numpy(), [2.0, 4.0])  # forward works
    with at.GradientTape() as tape:
        tape.watch(x)
        y = no_grad_op(x)
    with pytest.raises(LookupError) as info:
        tape.gradient(y, x)
    assert "gradient registry has no entry for: TestTapeNoGrad" in str(info.value)


def test_bare_primitive_decorator_without_gradient_raises_lookup_error():
    @at.primitive
    def my_unregistered_twice(x):
        return np.asarray(x) * 2.0

    x = at.constant(1.5)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = my_unregistered_twice(x)
    assert y.numpy() == 3.0
    with pytest.raises(LookupError) as info:
        tape.gradient(y, x)
    assert "gradient registry has no entry for: " in str(info.value)


def test_primitive_outside_any_tape_needs_no_gradient():
    @at.primitive(name="TestTapeForwardOnly")
    def f(x):
        return np.asarray(x) + 1.0

    assert f(at.constant(1.0)).numpy() == 2.0


def test_no_gradient_registration_gives_none():
    @at.primitive(name="TestTapeNotDifferentiable")
    def step(x):
        return (np.asarray(x) > 0).astype(np.float64)

    at.no_gradient("TestTapeNotDifferentiable")

    x = at.constant([-1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = step(x) * x  # the step factor is a constant
        s = step(x)
    # both targets are summed: d(step*x)/dx = step(x); d step/dx contributes nothing
    g = tape.gradient([y, s], x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0])


def test_no_gradient_alone_gives_none():
    @at.primitive(name="TestTapeNotDifferentiable2")
    def step(x):
        return (np.asarray(x) > 0).astype(np.float64)

    at.no_gradient("TestTapeNotDifferentiable2")
    x = at.constant([-1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        s = step(x)
    assert tape.gradient(s, x) is None


# ---------------------------------------------------------------------------
# misuse
# ---------------------------------------------------------------------------


def test_gradient_of_none_target_raises_a_clear_error():
    x = at.constant(1.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        _ = x * x
    with pytest.raises((ValueError, TypeError)) as info:
        tape.gradient(None, x)
    msg = str(info.value)
    assert "None" in msg or "target" in msg.lower()


# ---------------------------------------------------------------------------
# control flow and Python number promotion
# ---------------------------------------------------------------------------


def test_if_records_only_the_executed_branch():
    def f(t):
        if t > 0:
            return t * t
        return at.sin(t)

    for value, expected in [(2.0, 4.0), (-1.0, np.cos(-1.0))]:
        x = at.constant(value)
        with at.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        assert tape.gradient(y, x).numpy() == pytest.approx(expected, rel=1e-12)


def test_for_loop_records_each_iteration():
    x = at.constant(1.5)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.constant(1.0)
        for _ in range(5):
            y = y * x
    assert tape.gradient(y, x).numpy() == pytest.approx(5 * 1.5**4, rel=1e-14)


def test_while_loop_condition_on_tensor_value():
    x = at.constant(1.1)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x
        n = 0
        while y < 10.0:  # y = x^(2^n)
            y = y * y
            n += 1
    # x^(2^n) with 1.1^(2^5) = 21.1 >= 10 after n = 5
    assert n == 5
    assert tape.gradient(y, x).numpy() == pytest.approx(32 * 1.1**31, rel=1e-12)


def test_python_int_float_promotion():
    y = 1 * at.constant(3.0)
    assert isinstance(y, at.Tensor)
    assert y.dtype == np.float64
    assert y.numpy() == 3.0
    z = at.constant(3) * 1.5
    assert z.dtype == np.float64 and z.numpy() == 4.5
    w = at.constant(np.float32(2.0)) * 3
    assert w.dtype == np.float32  # a Python scalar does not widen float32


def test_loop_starting_from_python_int_output():
    def f(x, y):
        output = 1
        for i in range(int(y)):
            output = at.multiply(output, x)
        return output

    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        out = f(x, 2)
    assert out.dtype == np.float64
    assert out.numpy() == 9.0
    assert tape.gradient(out, x).numpy() == 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert at.gradients_function(f)(4.0, 3)[0].numpy() == 48.0
