"""Cholesky, triangular and general solves, inverse, determinant and log-determinant: values
against NumPy (and SciPy's triangular solve), gradients against central finite differences
of NumPy in float64 and closed forms, over batches that broadcast, both float dtypes, second
order, batched Jacobians, and the errors NumPy raises, named after the operation."""

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close, numeric_jacobian
from numpy_oracle import F32, F64, compare

rng = np.random.default_rng(11)


def spd(shape, seed=0):
    """Well-conditioned symmetric positive-definite matrices of shape (..., n, n)."""
    r = np.random.default_rng(seed)
    m = r.standard_normal(shape)
    n = shape[-1]
    return m @ np.swapaxes(m, -1, -2) / n + np.eye(n)


def well_conditioned(shape, seed=0):
    r = np.random.default_rng(seed)
    return r.uniform(-0.5, 0.5, shape) + 2.0 * np.eye(shape[-1])


def symmetrized(a):
    """(a + a.T) / 2 on the last two axes, for NumPy arrays and Tensors alike: functions of
    a symmetric argument are differentiated through it."""
    perm = tuple(range(np.ndim(a) - 2)) + (np.ndim(a) - 1, np.ndim(a) - 2)
    return (a + np.transpose(a, perm)) * 0.5


DTYPES = [F64, F32]
SQUARE = [(3, 3), (2, 4, 4)]


# The memory layouts a matrix operand can come in: BLAS reads the first two in place.
LAYOUTS = {"C": lambda x: x, "F": np.asfortranarray,
           "strided": lambda x: np.repeat(x, 2, axis=1)[:, ::2]}


@pytest.fixture(params=["scipy", "numpy"])
def linalg_backend(request, monkeypatch):
    """Both libraries autotape's products, Cholesky factors and triangular solves can run on:
    SciPy's BLAS and LAPACK, and NumPy's functions (where SciPy is not installed; a
    triangular solve is then NumPy's general solve of the triangle)."""
    from autotape.ops import blas

    if request.param == "numpy":
        monkeypatch.setattr(blas, "_scipy_linalg", lambda: None)
    else:
        assert blas._scipy_linalg() is not None  # the test extra installs SciPy
    return request.param


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SQUARE)
def test_cholesky(shape, dtype, linalg_backend):
    y = compare(lambda a: np.linalg.cholesky(symmetrized(a)), [spd(shape)], dtype)
    assert np.allclose(np.triu(y.numpy(), 1), 0)
    compare(lambda a: np.linalg.cholesky(symmetrized(a), upper=True), [spd(shape, 1)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_reads_the_lower_triangle_and_refuses_what_is_not_positive_definite(
        dtype, linalg_backend):
    a = spd((6, 6), 3).astype(dtype)
    garbage_above = a + np.triu(np.full(a.shape, 100.0, dtype), 1)
    for layout in (garbage_above, np.asfortranarray(garbage_above)):
        got = at.linalg.cholesky(layout).numpy()
        assert got.flags.c_contiguous and got.dtype == dtype
        np.testing.assert_allclose(got, np.linalg.cholesky(a), rtol=1e-5 if dtype == F32 else
                                   1e-13, atol=1e-6 if dtype == F32 else 1e-14)
    with pytest.raises(np.linalg.LinAlgError, match="^cholesky: .*not positive definite"):
        at.linalg.cholesky(-a)
    nan = a.copy()
    nan[2, 2] = np.nan  # a NaN propagates, as in NumPy: from its column on
    got = at.linalg.cholesky(nan).numpy()
    assert not np.isnan(got[:2, :2]).any() and np.isnan(got[2:, 2]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_products_of_every_layout(dtype, linalg_backend):
    a, b = rng.standard_normal((70, 90)).astype(dtype), rng.standard_normal((90, 60)).astype(dtype)
    for (name_a, la), (name_b, lb) in [(p, q) for p in LAYOUTS.items() for q in LAYOUTS.items()]:
        x, y = la(a), lb(b)
        got = at.matmul(x, y).numpy()
        assert got.flags.c_contiguous and got.dtype == dtype and got.shape == (70, 60)
        assert_close(got, a.astype(F64) @ b.astype(F64), rtol=1e-4 if dtype == F32 else 1e-12,
                     atol=1e-4 if dtype == F32 else 1e-12, what=f"{name_a} @ {name_b}")
    # 3 x 40 x 35 multiply-adds: past the loop kernel's 4096, in BLAS
    at.testing.check_gradients(lambda x, y: at.matmul(x, y) ** 2, a[:3, :40].astype(F64),
                               b[:40, :35].astype(F64))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_triangular_solves_of_every_layout_and_singular_matrices(lower, adjoint,
                                                                  linalg_backend):
    a, b = well_conditioned((6, 6), 5), rng.standard_normal((6, 4))
    t = np.tril(a) if lower else np.triu(a)
    expected = np.linalg.solve(t.T if adjoint else t, b)
    for name_a, la in LAYOUTS.items():
        for name_b, lb in LAYOUTS.items():
            got = at.linalg.triangular_solve(la(a), lb(b), lower=lower, adjoint=adjoint)
            assert got.numpy().flags.c_contiguous
            assert_close(got, expected, rtol=1e-12, atol=1e-14, what=f"{name_a}, {name_b}")
    singular = a.copy()
    singular[3, 3] = 0.0
    with pytest.raises(np.linalg.LinAlgError, match="^triangular_solve: Singular matrix"):
        at.linalg.triangular_solve(singular, b, lower=lower, adjoint=adjoint)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("shapes", [((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1))])
def test_triangular_solve(shapes, adjoint, lower, dtype, linalg_backend):
    a, b = well_conditioned(shapes[0], 2), rng.standard_normal(shapes[1])

    def oracle(a, b):  # NumPy's general solve of the triangle
        t = np.tril(a) if lower else np.triu(a)
        return np.linalg.solve(np.swapaxes(t, -1, -2) if adjoint else t, b)

    inputs = [np.asarray(v, dtype) for v in (a, b)]
    got = at.linalg.triangular_solve(*inputs, lower=lower, adjoint=adjoint)
    assert got.dtype == dtype
    assert_close(got.numpy(), oracle(a, b), rtol=1e-4 if dtype == F32 else 1e-12, what="value")
    # The other triangle is never read: its gradient is zero.
    with at.GradientTape() as tape:
        x = at.constant(inputs[0])
        tape.watch(x)
        y = at.reduce_sum(at.linalg.triangular_solve(x, inputs[1], lower=lower,
                                                    adjoint=adjoint) ** 2)
    ga = tape.gradient(y, x).numpy()
    assert not (np.triu(ga, 1) if lower else np.tril(ga, -1)).any()
    if dtype == F64:
        at.testing.check_gradients(
            lambda a, b: at.linalg.triangular_solve(a, b, lower=lower, adjoint=adjoint), a, b,
            order=2)
        np.testing.assert_allclose(ga, _numeric(lambda a: (oracle(a, b) ** 2).sum(), a),
                                   rtol=1e-6, atol=1e-8)


def _numeric(f, x, eps=1e-6):
    return numeric_jacobian(lambda v: np.array(f(v)), x, eps).reshape(x.shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 4)),
                                    ((2, 3, 3), (3, 1))])
def test_numpy_solve(shapes, dtype):
    compare(np.linalg.solve, [well_conditioned(shapes[0], 3), rng.standard_normal(shapes[1])],
            dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SQUARE)
def test_inverse_determinant_and_log_determinant(shape, dtype):
    a = well_conditioned(shape, 4)
    compare(np.linalg.inv, [a], dtype)
    compare(np.linalg.det, [a], dtype)
    compare(lambda x: np.linalg.slogdet(x).logabsdet, [a], dtype)
    sign, logabsdet = np.linalg.slogdet(at.constant(a))
    assert_close(sign.numpy(), np.linalg.slogdet(a).sign, rtol=0)


def test_closed_forms_of_the_determinants():
    """d det / dA = det(A) inv(A).T; d log|det A| / dA = inv(A).T; TensorFlow's logdet and
    cholesky_solve agree with slogdet and solve."""
    a = well_conditioned((4, 4), 5)
    x = at.constant(a)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        d = at.linalg.det(x)
        _, logabsdet = at.linalg.slogdet(x)
    inverse_t = np.linalg.inv(a).T
    assert_close(tape.gradient(d, x).numpy(), np.linalg.det(a) * inverse_t, rtol=1e-12)
    assert_close(tape.gradient(logabsdet, x).numpy(), inverse_t, rtol=1e-12)
    s = spd((4, 4), 6)
    assert_close(at.linalg.logdet(s).numpy(), np.linalg.slogdet(s).logabsdet, rtol=1e-12)
    b = rng.standard_normal((4, 2))
    chol = at.linalg.cholesky(s)
    assert_close(at.linalg.cholesky_solve(chol, b).numpy(), np.linalg.solve(s, b), rtol=1e-12)


@pytest.mark.parametrize("name, f, make", [
    ("cholesky", lambda a: at.linalg.cholesky(symmetrized(a)), spd),
    ("inv", at.linalg.inv, well_conditioned),
    ("det", at.linalg.det, well_conditioned),
    ("logdet", lambda a: at.linalg.logdet(symmetrized(a)), spd),
    ("solve", lambda a: at.linalg.solve(a, np.arange(6.0).reshape(3, 2)), well_conditioned),
])
def test_second_order_and_batched_jacobians(name, f, make):
    a = make((3, 3), 7)
    at.testing.check_gradients(f, a, order=2)
    x = at.constant(a)
    with at.GradientTape() as tape:  # every row of the Jacobian in one batched reverse pass
        tape.watch(x)
        y = f(x)
    jacobian = tape.jacobian(y, x).numpy()
    rows = []
    for k in range(y.numpy().size):
        with at.GradientTape() as tape:
            tape.watch(x)
            yk = at.reshape(f(x), (-1,))[k]
        rows.append(tape.gradient(yk, x).numpy())
    assert_close(jacobian.reshape(-1, 9), np.reshape(rows, (-1, 9)), rtol=1e-12, atol=1e-14)


def test_errors_name_the_operation():
    with pytest.raises(ValueError, match=r"cholesky: expected square matrices.*\(2, 3\)"):
        at.linalg.cholesky(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="cholesky: .*positive definite"):
        at.linalg.cholesky(-np.eye(3))
    with pytest.raises(np.linalg.LinAlgError, match="inv: Singular matrix"):
        at.linalg.inv(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"solve: rhs of shape \(2, 1\)"):
        at.linalg.solve(np.eye(3), np.ones((2, 1)))
    with pytest.raises(ValueError, match="triangular_solve: the leading axes"):
        at.linalg.triangular_solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))


def test_integers_become_float64_as_in_numpy():
    y = np.linalg.inv(at.constant(np.array([[2, 1], [1, 3]])))
    assert y.dtype == np.float64
    assert_close(y.numpy(), np.linalg.inv(np.array([[2, 1], [1, 3]])), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_and_triu_through_numpy(k, dtype):
    compare(lambda m: np.tril(m, k), [rng.standard_normal((2, 3, 4))], dtype)
    compare(lambda m: np.triu(m, k), [rng.standard_normal((4, 3))], dtype)
    compare(lambda v: np.tril(v, k), [rng.standard_normal(3)], dtype)  # 1-d: NumPy's square


def test_band_part_as_tensorflow():
    m = rng.standard_normal((2, 5, 5))
    i, j = np.indices((5, 5))
    for lower, upper in [(-1, 0), (0, -1), (1, 2), (0, 0), (-1, -1)]:
        keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
        assert_close(at.linalg.band_part(m, lower, upper).numpy(), np.where(keep, m, 0.0),
                     rtol=0)
    at.testing.check_gradients(lambda x: at.linalg.band_part(x, 1, 0) ** 2, m, order=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SQUARE)
def test_eigh_values_and_vectors(shape, dtype):
    """Functions that do not depend on the eigenvectors' signs: the eigenvalues, the squared
    eigenvectors, and a projector onto the two lowest eigenvectors."""
    a = spd(shape, 8)
    compare(lambda x: np.linalg.eigvalsh(symmetrized(x)), [a], dtype)
    compare(lambda x: np.linalg.eigh(symmetrized(x)).eigenvalues, [a], dtype)
    compare(lambda x: np.linalg.eigh(symmetrized(x)).eigenvectors ** 2, [a], dtype)
    compare(lambda x: np.linalg.eigh(symmetrized(x), UPLO="U").eigenvectors ** 2, [a], dtype)

    def projector(x):
        v = np.linalg.eigh(symmetrized(x)).eigenvectors[..., :2]
        perm = tuple(range(np.ndim(v) - 2)) + (np.ndim(v) - 1, np.ndim(v) - 2)
        return v @ np.transpose(v, perm)

    compare(projector, [a], dtype)


def test_eigh_closed_form_second_order_and_a_repeated_eigenvalue():
    """d w_k / dA = v_k v_k.T; second order; at a repeated eigenvalue the gradient of a
    basis-free function (the trace of a function of A) is still exact and finite."""
    a = spd((4, 4), 9)
    x = at.constant(a)
    with at.GradientTape() as tape:
        tape.watch(x)
        w, v = at.linalg.eigh(x)
        top = w[-1]
    v_top = np.linalg.eigh(a).eigenvectors[:, -1]
    assert_close(tape.gradient(top, x).numpy(), np.outer(v_top, v_top), rtol=1e-10, atol=1e-12)
    weights = np.arange(16.0).reshape(4, 4)
    at.testing.check_gradients(
        lambda m: at.reduce_sum(at.linalg.eigh(symmetrized(m))[1] ** 2 * weights), a, order=2)
    repeated = np.diag([1.0, 2.0, 2.0, 3.0])
    x = at.constant(repeated)
    with at.GradientTape() as tape:
        tape.watch(x)
        w, v = at.linalg.eigh(x)
        # sum of exp(w) v v.T = expm(A): its trace's gradient is expm(A).T
        total = at.reduce_sum(at.exp(w) * at.reduce_sum(v * v, axis=0))
    g = tape.gradient(total, x).numpy()
    assert np.isfinite(g).all()
    assert_close(g, np.diag(np.exp([1.0, 2.0, 2.0, 3.0])), rtol=1e-12, atol=1e-12)
