"""Functional transforms of API.md: gradients_function, value_and_gradients_function,
grad, value_and_grad, jacobian, hessian, and their composition."""

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close, numeric_grad, numeric_jacobian


def _f(x, y):
    return x * x * y + at.sin(y)


def test_gradients_function_all_arguments():
    grads = at.gradients_function(_f)(2.0, 3.0)
    assert isinstance(grads, list) and len(grads) == 2
    assert grads[0].numpy() == 12.0  # 2 x y
    assert grads[1].numpy() == pytest.approx(4.0 + np.cos(3.0), rel=1e-14)  # x^2 + cos y
    assert grads[0].dtype == np.float64


def test_gradients_function_params_selects_arguments():
    grads = at.gradients_function(_f, params=[1])(2.0, 3.0)
    assert len(grads) == 1
    assert grads[0].numpy() == pytest.approx(4.0 + np.cos(3.0), rel=1e-14)


def test_value_and_gradients_function():
    value, grads = at.value_and_gradients_function(_f)(2.0, 3.0)
    assert value.numpy() == pytest.approx(12.0 + np.sin(3.0), rel=1e-14)
    assert grads[0].numpy() == 12.0
    assert len(grads) == 2


def test_gradients_function_on_tensor_arguments():
    xv = np.array([0.5, 1.0, 2.0])
    grads = at.gradients_function(lambda x: at.reduce_sum(at.exp(x)))(at.constant(xv))
    assert_close(grads[0].numpy(), np.exp(xv), rtol=1e-14)


def test_grad_argnums_int_and_tuple():
    g = at.grad(_f)(2.0, 3.0)
    assert isinstance(g, at.Tensor)
    assert g.numpy() == 12.0
    g1 = at.grad(_f, argnums=1)(2.0, 3.0)
    assert g1.numpy() == pytest.approx(4.0 + np.cos(3.0), rel=1e-14)
    gt = at.grad(_f, argnums=(0, 1))(2.0, 3.0)
    assert isinstance(gt, tuple) and len(gt) == 2
    assert gt[0].numpy() == 12.0


def test_value_and_grad():
    value, g = at.value_and_grad(_f)(2.0, 3.0)
    assert value.numpy() == pytest.approx(12.0 + np.sin(3.0), rel=1e-14)
    assert g.numpy() == 12.0
    value, (ga, gb) = at.value_and_grad(_f, argnums=(0, 1))(2.0, 3.0)
    assert gb.numpy() == pytest.approx(4.0 + np.cos(3.0), rel=1e-14)


def test_grad_of_grad_of_grad_is_third_derivative():
    d3 = at.grad(at.grad(at.grad(at.sin)))
    for x in [0.0, 0.7, -2.0]:
        assert d3(x).numpy() == pytest.approx(-np.cos(x), rel=1e-12, abs=1e-15)
    d4 = at.grad(at.grad(at.grad(at.grad(lambda x: x**5))))
    assert d4(2.0).numpy() == pytest.approx(120.0 * 2.0, rel=1e-12)


def test_grad_matches_finite_differences_on_a_vector_function():
    rng = np.random.default_rng(3)
    xv, av = rng.normal(size=(4,)), rng.normal(size=(4, 4))

    def f(x):
        return at.reduce_sum(at.tanh(at.matmul(at.constant(av), at.reshape(x, (4, 1))))) + at.nn.l2_loss(x)

    def f_np(x):
        return np.sum(np.tanh(av @ x.reshape(4, 1))) + 0.5 * np.sum(x * x)

    assert_close(at.grad(f)(at.constant(xv)).numpy(), numeric_grad(f_np, xv)[0], rtol=1e-7, atol=1e-9)


def test_jacobian_transform():
    xv = np.array([0.3, -1.2, 2.0])

    def f(x):
        return at.stack([x[0] * x[1], at.exp(x[2]), at.reduce_sum(x * x)])

    def f_np(x):
        return np.stack([x[0] * x[1], np.exp(x[2]), np.sum(x * x)])

    j = at.jacobian(f)(at.constant(xv))
    assert j.shape == (3, 3)
    assert_close(j.numpy(), numeric_jacobian(f_np, xv), rtol=1e-7, atol=1e-9)


def test_hessian_transform():
    av = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, 1.0]])
    xv = np.array([0.5, -1.0, 2.0])

    def quad(x):
        return at.reduce_sum(x * at.matmul(at.constant(av), at.reshape(x, (3, 1)))[:, 0])

    h = at.hessian(quad)(at.constant(xv))
    assert h.shape == (3, 3)
    assert_close(h.numpy(), av + av.T, rtol=1e-12)

    h2 = at.hessian(lambda x: at.reduce_sum(x**3))(at.constant(xv))
    assert_close(h2.numpy(), np.diag(6 * xv), rtol=1e-12)


def test_hessian_of_two_variable_function():
    h = at.hessian(lambda v: v[0] * v[1] + v[0] ** 2)(at.constant([1.0, 2.0]))
    assert_close(h.numpy(), [[2.0, 1.0], [1.0, 0.0]])


def test_transforms_compose_with_tapes():
    x = at.constant(0.4)
    with at.GradientTape() as tape:
        tape.watch(x)
        g = at.grad(lambda t: t**3)(x)  # 3 x^2, recorded on the outer tape
    assert g.numpy() == pytest.approx(3 * 0.16, rel=1e-14)
    assert tape.gradient(g, x).numpy() == pytest.approx(6 * 0.4, rel=1e-14)


def test_transforms_accept_numbers_arrays_and_tensors():
    f = lambda x: at.reduce_sum(x * x)  # noqa: E731
    for x in (3.0, np.array([1.0, 2.0]), at.constant([1.0, 2.0])):
        assert_close(at.grad(f)(x).numpy(), 2 * np.asarray(x._value if isinstance(x, at.Tensor) else x))
    assert at.grad(at.grad(at.grad(lambda x: x**4)))(2.0).numpy() == pytest.approx(48.0)


def test_non_scalar_output_where_a_scalar_is_required_is_a_clear_error():
    with pytest.raises(TypeError, match="scalar.*shape \\(2,\\)"):
        at.grad(lambda x: x * 2.0)(at.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="argument 0 must be a float"):
        at.grad(lambda n: n * 2)(3)


def test_hvp_does_not_form_the_hessian():
    # A 2000-dimensional Hessian would have 4 million entries; the product needs none.
    x = at.constant(np.linspace(-1.0, 1.0, 2000))
    v = at.constant(np.ones(2000))
    hv = at.hvp(lambda t: at.reduce_sum(at.sin(t) * t))(x, v)
    xs = x.numpy()
    assert_close(hv.numpy(), 2 * np.cos(xs) - xs * np.sin(xs), rtol=1e-12, atol=1e-12)
