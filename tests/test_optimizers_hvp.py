"""Optimizer updates against the textbook formulas step by step, copy-on-write Variables,
and Hessian-vector products."""

import numpy as np
import pytest

import autotape as at


def _gradients(rng, shape, steps):
    return [rng.standard_normal(shape) for _ in range(steps)]


@pytest.mark.parametrize("shape", [(3,), (300, 300)])  # serial and parallel kernels
def test_sgd_with_momentum_matches_the_formula(shape):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(shape)
    v = at.Variable(w0)
    opt = at.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    w, velocity = w0.copy(), np.zeros(shape)
    for g in _gradients(rng, shape, 4):
        opt.apply_gradients([(at.constant(g), v)])
        velocity = 0.9 * velocity - 0.05 * g
        w = w + velocity
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", [(3,), (300, 300)])
def test_adam_matches_the_formula(shape):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(shape)
    v = at.Variable(w0)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    opt = at.optimizers.Adam(learning_rate=lr)
    w, m, s = w0.copy(), np.zeros(shape), np.zeros(shape)
    for t, g in enumerate(_gradients(rng, shape, 5), start=1):
        opt.apply_gradients([(at.constant(g), v)])
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-12, atol=1e-14)


def test_float32_variables_stay_float32():
    v = at.Variable(np.ones(4, np.float32))
    at.optimizers.Adam(0.1).apply_gradients([(at.constant(np.ones(4)), v)])
    assert v.dtype == np.float32
    np.testing.assert_allclose(v.numpy(), 0.9, rtol=1e-6)


def test_update_in_place_does_not_change_what_a_tape_recorded():
    v = at.Variable([1.0, 2.0])
    with at.GradientTape(persistent=True) as tape:
        y = at.reduce_sum(v * v)
    view = v.numpy()
    at.optimizers.SGD(learning_rate=0.5).apply_gradients([(at.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.5, 1.5])
    np.testing.assert_allclose(view, [1.0, 2.0])  # an earlier numpy() view is unchanged
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, 4.0])  # recorded values


def test_optimizer_errors_name_the_variable():
    v = at.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match="'w'.*\\(2,\\)"):
        at.optimizers.SGD().apply_gradients([(at.constant([1.0, 2.0, 3.0]), v)])


def _quadratic_and_cubic(x):
    a = at.constant([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    return 0.5 * at.reduce_sum(x * at.matmul(a, x)) + at.reduce_sum(x**3)


def test_hvp_equals_hessian_times_vector():
    x = at.constant([0.3, -1.0, 2.0])
    v = at.constant([1.0, -2.0, 0.5])
    hv = at.hvp(_quadratic_and_cubic)(x, v)
    h = at.hessian(_quadratic_and_cubic)(x)
    np.testing.assert_allclose(hv.numpy(), h.numpy() @ v.numpy(), rtol=1e-13)
    a = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    np.testing.assert_allclose(h.numpy(), a + np.diag(6 * x.numpy()), rtol=1e-13)


def test_hvp_of_rosenbrock_matches_finite_differences_of_the_gradient():
    def rosenbrock(x):
        return at.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(10), rng.standard_normal(10)
    hv = at.hvp(rosenbrock)(at.constant(x), at.constant(v)).numpy()
    grad = at.grad(rosenbrock)
    eps = 1e-6
    numeric = (grad(at.constant(x + eps * v)).numpy() - grad(at.constant(x - eps * v)).numpy())
    np.testing.assert_allclose(hv, numeric / (2 * eps), rtol=1e-6, atol=1e-6)


def test_sparse_cross_entropy_derivatives_to_third_order():
    labels = np.array([2, 0, 1, 2])
    logits = np.random.default_rng(4).standard_normal((4, 3))

    def loss(z):
        return at.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)

    assert at.testing.check_gradients(loss, logits, order=3, atol=1e-6, rtol=1e-5)
    # the closed form of the first derivative: softmax - one_hot, per example
    g = at.grad(lambda z: at.reduce_sum(loss(z)))(at.constant(logits)).numpy()
    softmax = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(g, softmax - np.eye(3)[labels], rtol=1e-12, atol=1e-15)


def test_module_nested_three_deep_reports_each_variable_once():
    class Leaf(at.Module):
        def __init__(self, shared):
            super().__init__(name="leaf")
            self.own = at.Variable(1.0, name="own")
            self.shared = shared

    class Middle(at.Module):
        def __init__(self, shared):
            super().__init__(name="middle")
            self.leaves = [Leaf(shared), Leaf(shared)]
            self.table = {"w": at.Variable(2.0, name="w")}

    class Top(at.Module):
        def __init__(self):
            super().__init__(name="top")
            self.shared = at.Variable(0.5, name="shared")
            self.middle = Middle(self.shared)
            self.frozen = at.Variable(3.0, name="frozen", trainable=False)

    top = Top()
    names = [v.name for v in top.variables]
    assert len(names) == len(set(id(v) for v in top.variables)) == 5
    assert names.count("top/shared") == 1
    assert "top/middle/w" in names and "top/middle/leaf/own" in names
    assert [v.name for v in top.trainable_variables].count("top/frozen") == 0
    assert len(top.submodules) == 3


def test_an_update_reuses_the_array_only_while_nothing_was_handed_out():
    v = at.Variable(np.ones(4))
    sgd = at.optimizers.SGD(0.5)
    sgd.apply_gradients([(at.ones([4]), v)])  # nothing read it since it was made: in place
    first = v._value
    sgd.apply_gradients([(at.ones([4]), v)])
    assert v._value is first
    snapshot = v.numpy()
    sgd.apply_gradients([(at.ones([4]), v)])  # the view keeps its value; v gets a new array
    assert v._value is not first
    np.testing.assert_array_equal(snapshot, 0.0)
    np.testing.assert_array_equal(v.numpy(), -0.5)
