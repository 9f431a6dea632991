"""QR, the SVD, the pseudo-inverse, least squares, matrix powers and the matrix exponential:
values against NumPy (SciPy's expm), gradients against central finite differences in
float64, both float dtypes, batches, second order, batched Jacobians, and the refusals
where a gradient is not defined."""

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]
SHAPES = [(5, 3), (3, 3), (3, 5), (2, 4, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_qr(shape, dtype):
    a = sample(shape, 1)
    compare(lambda m: np.linalg.qr(m)[0], [a], dtype)
    compare(lambda m: np.linalg.qr(m).R, [a], dtype)
    compare(lambda m: np.linalg.qr(m, mode="r"), [a], dtype)
    q, r = at.linalg.qr(a.astype(dtype))
    assert_close((q @ r).numpy(), a, rtol=1e-4 if dtype == F32 else 1e-12)


def test_qr_complete_mode_and_refusal():
    wide = sample((2, 4), 2)
    compare(lambda m: np.linalg.qr(m, mode="complete")[1], [wide])  # the reduced one, here
    with pytest.raises(NotImplementedError, match=r"qr: full_matrices=True .* \(\(4, 2\)\)"):
        at.linalg.qr(wide.T, full_matrices=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_svd_values_and_invariant_functions_of_vectors(shape, dtype):
    a = sample(shape, 3)
    compare(lambda m: np.linalg.svd(m, compute_uv=False), [a], dtype)
    compare(lambda m: np.linalg.svd(m)[1], [a], dtype)
    # u_i v_i^T does not depend on the signs of the singular vectors
    compare(lambda m: np.linalg.svd(m, full_matrices=False)[0][..., :, :1]
            * np.linalg.svd(m, full_matrices=False)[2][..., :1, :], [a], dtype)
    s, u, v = at.linalg.svd(a.astype(dtype))
    assert_close((u * s[..., None, :]) @ np.swapaxes(v.numpy(), -1, -2), a,
                 rtol=1e-4 if dtype == F32 else 1e-12, atol=1e-5 if dtype == F32 else 1e-13)


def test_full_svd_of_a_matrix_that_is_not_square():
    a = at.constant(sample((4, 2), 4))
    u, s, vh = np.linalg.svd(a)
    assert u.shape == (4, 4) and vh.shape == (2, 2)
    assert_close(u.numpy().T @ u.numpy(), np.eye(4), atol=1e-12)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(a)
        u, s, vh = np.linalg.svd(a)
        total = at.reduce_sum(s)
        vectors = at.reduce_sum(u[:, :2] ** 2)
    assert_close(tape.gradient(total, a).numpy(), (u[:, :2] @ vh).numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="svd: the singular vectors of "
                                                  "full_matrices=True have no gradient"):
        tape.gradient(vectors, a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_pinv(shape, dtype):
    compare(np.linalg.pinv, [sample(shape, 5)], dtype)
    a = sample(shape, 6).astype(dtype)
    assert_close(at.linalg.pinv(a).numpy(), np.linalg.pinv(a), rtol=1e-4 if dtype == F32
                 else 1e-10)


def test_pinv_cutoffs():
    # a rank-one matrix: its small singular value is dropped, as NumPy drops it
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0]) + np.array([[0, 0], [0, 0], [0, 1e-17]])
    assert_close(np.linalg.pinv(at.constant(a)).numpy(), np.linalg.pinv(a), rtol=1e-12)
    assert_close(np.linalg.pinv(at.constant(a), rtol=None).numpy(),
                 np.linalg.pinv(a, rtol=None), rtol=1e-12)
    assert_close(np.linalg.pinv(at.constant(a), 0.5).numpy(), np.linalg.pinv(a, 0.5),
                 rtol=1e-12)
    with pytest.raises(ValueError, match="can't be both set"):
        np.linalg.pinv(at.constant(a), 0.1, rtol=0.1)


def test_pinv_at_repeated_singular_values():
    # Through the SVD, whose gradient drops the terms of repeated singular values, this
    # came out wrong: the pseudo-inverse has a gradient rule of its own.
    at.testing.check_gradients(at.linalg.pinv, np.eye(3) * 2.0, order=2)
    at.testing.check_gradients(at.linalg.pinv, np.eye(4, 3) * 2.0, order=2)


@pytest.mark.parametrize("rhs_shape", [(5,), (5, 2)])
def test_lstsq(rhs_shape):
    a, b = sample((5, 3), 7), sample(rhs_shape, 8)
    compare(lambda m, r: np.linalg.lstsq(m, r)[0], [a, b])
    compare(lambda m, r: np.linalg.lstsq(m, r)[1], [a, b])
    compare(lambda m: np.linalg.lstsq(m, b)[3], [a])
    x, residuals, rank, s = np.linalg.lstsq(at.constant(a), b)
    assert rank == 3 and isinstance(rank, int)
    wide = sample((2, 4), 9)  # underdetermined: the least-norm solution, no residuals
    compare(lambda m, r: np.linalg.lstsq(m, r)[0], [wide, b[:2]])
    assert np.linalg.lstsq(at.constant(wide), b[:2])[1].shape == (0,)
    # TensorFlow's: without a regularizer the same solution; with one, ridge regression
    r = b.reshape(5, -1)
    assert_close(at.linalg.lstsq(a, r).numpy(), np.linalg.lstsq(a, r)[0], rtol=1e-10)
    ridge = np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ r)
    assert_close(at.linalg.lstsq(a, r, l2_regularizer=0.5).numpy(), ridge, rtol=1e-10)
    with pytest.raises(ValueError, match=r"lstsq: expected a matrix \(m, n\)"):
        np.linalg.lstsq(at.constant(a), np.ones(4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power(n, dtype):
    a = sample((2, 3, 3), 10) * 0.6 + 2 * np.eye(3)
    y = compare(lambda m: np.linalg.matrix_power(m, n), [a], dtype, grads=n != 0)
    if n == 0:
        assert_close(y.numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    with pytest.raises(TypeError, match="matrix_power: exponent must be an integer"):
        at.linalg.matrix_power(a, 1.5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_expm(dtype):
    from scipy.linalg import expm

    a = sample((3, 3), 11)
    compare(lambda m: at.linalg.expm(m) if isinstance(m, at.Tensor) else expm(m), [a], dtype)
    batch = sample((2, 2, 2), 12)
    compare(lambda m: at.linalg.expm(m) if isinstance(m, at.Tensor) else expm(m), [batch],
            dtype)
    # commuting with a: d/dt expm(t a) = a expm(t a)
    t = at.constant(0.7)
    with at.GradientTape() as tape:
        tape.watch(t)
        y = at.reduce_sum(at.linalg.expm(t * a))
    assert_close(tape.gradient(y, t).numpy(), np.sum(a @ expm(0.7 * a)), rtol=1e-10)


@pytest.mark.parametrize("name, f, make", [
    ("qr", lambda m: at.linalg.qr(m)[1], lambda: sample((4, 3), 13)),
    ("svd values", lambda m: at.linalg.svd(m, compute_uv=False), lambda: sample((3, 4), 14)),
    ("pinv", at.linalg.pinv, lambda: sample((3, 2), 15)),
    ("matrix_power", lambda m: at.linalg.matrix_power(m, 3), lambda: sample((3, 3), 16)),
    ("expm", at.linalg.expm, lambda: sample((2, 2), 17)),
])
def test_second_order_and_batched_jacobians(name, f, make):
    a = make()
    at.testing.check_gradients(f, a, order=2)
    x = at.constant(a)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    jacobian = tape.jacobian(y, x).numpy().reshape(-1, a.size)
    rows = []
    for k in range(y.size):
        with at.GradientTape() as tape:
            tape.watch(x)
            yk = at.reshape(f(x), (-1,))[k]
        rows.append(tape.gradient(yk, x).numpy().reshape(-1))
    assert_close(jacobian, np.array(rows), rtol=1e-10, atol=1e-12)


def test_inside_a_tape_function():
    def f(a):
        q, r = at.linalg.qr(a)
        return at.reduce_sum(r * r) + at.reduce_sum(at.linalg.pinv(a)) \
            + at.reduce_sum(at.linalg.expm(a[:2, :2]))

    compiled = at.value_and_grad(at.tape_function(f))
    for seed in (18, 19):
        a = at.constant(sample((4, 3), seed))
        value, grad = at.value_and_grad(f)(a)
        got_value, got_grad = compiled(a)
        assert_close(got_value.numpy(), value.numpy(), rtol=1e-12)
        assert_close(got_grad.numpy(), grad.numpy(), rtol=1e-12)
    assert compiled.cache_info().compiled_calls == 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
def test_condition_numbers(p, dtype):
    compare(lambda m: np.linalg.cond(m, p), [sample((2, 3, 3), 20)], dtype)


def test_condition_number_of_a_singular_matrix_and_ranks():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]])
    for p in ("fro", 1, np.inf):
        np.testing.assert_array_equal(np.linalg.cond(at.constant(a), p).numpy(),
                                      np.linalg.cond(a, p))  # inf, as NumPy's
    b = sample((3, 4, 5), 21)
    b[1] = b[1, :1] * np.arange(1, 5)[:, None]  # rank 1
    for kwargs in ({}, {"tol": 0.5}, {"rtol": 0.3}):
        rank = np.linalg.matrix_rank(at.constant(b), **kwargs)
        np.testing.assert_array_equal(rank.numpy(), np.linalg.matrix_rank(b, **kwargs))
    assert np.linalg.matrix_rank(at.constant(np.zeros(3))).numpy() == 0
    x = at.constant(b)
    with at.GradientTape() as tape:
        tape.watch(x)
        rank = np.linalg.matrix_rank(x)
    assert rank.dtype.kind == "i"
    with pytest.warns(UserWarning, match="must be floating"):  # an integer: no gradient
        assert tape.gradient(rank, x) is None
