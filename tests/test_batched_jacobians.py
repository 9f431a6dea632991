"""Jacobians computed with every row in one reverse pass (a leading batch axis through the
gradient rules) against one reverse pass per row, and against finite differences."""

import numpy as np
import pytest

import autotape as at
from gradcheck import numeric_jacobian

FUNCTIONS = {
    "elementwise": lambda x: at.sin(x) * at.exp(-x) + at.tanh(x) ** 2 / (1.5 + x * x),
    "broadcast": lambda x: at.maximum(x[:, None] * x[None, :], 0.1) + at.sqrt(1.0 + x * x),
    "reductions": lambda x: at.stack([at.reduce_sum(x ** 3), at.reduce_max(x),
                                      at.reduce_prod(1.5 + x), at.reduce_logsumexp(x)]),
    "shapes": lambda x: at.transpose(at.tile(at.reshape(x, (2, 3)), (2, 1)))[:, 1:]
    + at.concat([x[:3], x[3:] * 2.0], 0)[None, :3],
    "indexing": lambda x: at.gather(x, [0, 2, 2, 5]) * x[::2][[0, 1, 1, 2]],
    "matmul": lambda x: at.matmul(at.reshape(x, (2, 3)), at.reshape(at.cos(x), (3, 2))),
    "nn": lambda x: at.nn.softmax(at.reshape(x, (2, 3))) + at.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[2, 0], logits=at.reshape(x, (2, 3)))[:, None],
    "where": lambda x: at.where(x > 0.0, x * x, at.sin(x)) + at.clip_by_value(x, -0.5, 0.5),
}


def _per_row_jacobian(f, x):
    """The reference: one GradientTape.gradient call per output element."""
    rows = []
    y = f(at.constant(x))
    for k in range(y.size):
        seed = np.zeros(y.size)
        seed[k] = 1.0
        xt = at.constant(x)
        with at.GradientTape() as tape:
            tape.watch(xt)
            out = f(xt)
        g = tape.gradient(out, xt, output_gradients=seed.reshape(y.shape),
                          unconnected_gradients="zero")
        rows.append(g.numpy())
    return np.array(rows).reshape(y.shape + x.shape)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_batched_jacobian_equals_rows_and_finite_differences(name):
    f = FUNCTIONS[name]
    x = np.random.default_rng(7).uniform(-1.0, 1.0, 6)
    j = at.jacobian(f)(at.constant(x)).numpy()
    np.testing.assert_allclose(j, _per_row_jacobian(f, x), rtol=1e-12, atol=1e-12)
    numeric = numeric_jacobian(lambda v: f(at.constant(v)).numpy(), x)
    np.testing.assert_allclose(j, numeric.reshape(j.shape), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["elementwise", "reductions", "matmul", "nn"])
def test_batched_hessian_equals_finite_differences_of_the_gradient(name):
    f = FUNCTIONS[name]
    x = np.random.default_rng(8).uniform(-1.0, 1.0, 6)

    def scalar(v):
        return at.reduce_sum(f(v) * np.linspace(0.5, 1.5, f(at.constant(x)).size).reshape(
            f(at.constant(x)).shape))

    h = at.hessian(scalar)(at.constant(x)).numpy()
    grad = at.grad(scalar)
    numeric = numeric_jacobian(lambda v: grad(at.constant(v)).numpy(), x)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)


def test_rules_without_batch_support_fall_back_to_rows():
    @at.custom_gradient
    def cube(x):
        return x ** 3, lambda dy: dy * 3.0 * x ** 2

    x = at.constant([0.5, -1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = cube(x) + at.sin(x)
    j = tape.jacobian(y, x).numpy()
    np.testing.assert_allclose(j, np.diag(3 * x.numpy() ** 2 + np.cos(x.numpy())), rtol=1e-14)


def test_batch_jacobian_matches_per_example_jacobians():
    x = at.constant(np.random.default_rng(9).standard_normal((4, 3)))
    w = at.constant(np.random.default_rng(10).standard_normal((3, 2)))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.tanh(at.matmul(x, w))
    bj = tape.batch_jacobian(y, x).numpy()
    assert bj.shape == (4, 2, 3)
    for i in range(4):
        expected = (1 - np.tanh(x.numpy()[i] @ w.numpy()) ** 2)[:, None] * w.numpy().T
        np.testing.assert_allclose(bj[i], expected, rtol=1e-12)


def test_large_jacobians_are_computed_in_chunks(monkeypatch):
    from autotape import tape as tape_module

    monkeypatch.setattr(tape_module, "BATCH_ELEMENTS", 64)  # forces several chunks
    x = np.random.default_rng(11).uniform(-1.0, 1.0, 40)
    j = at.jacobian(lambda v: at.sin(v) * at.reduce_sum(v))(at.constant(x)).numpy()
    expected = np.diag(np.cos(x) * x.sum()) + np.sin(x)[:, None]
    np.testing.assert_allclose(j, expected, rtol=1e-12, atol=1e-14)


def test_batched_hessian_through_a_broadcasting_product():
    # The second-order rule of a broadcasting product sees batched gradients of operands
    # with fewer axes than the output.
    def f(x):
        return at.reduce_sum(at.sin(at.reshape(x, (2, 3)) * x[:3]) * at.reshape(x, (2, 3)))

    x = np.random.default_rng(12).uniform(-1.0, 1.0, 6)
    h = at.hessian(f)(at.constant(x)).numpy()
    grad = at.grad(f)
    numeric = numeric_jacobian(lambda v: grad(at.constant(v)).numpy(), x)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)
