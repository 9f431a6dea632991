"""np.dot, np.linalg.norm and at.norm on Tensors: values against NumPy, gradients against
central finite differences of NumPy (float64), higher orders with at.testing.check_gradients;
and the names in the warning for NumPy functions autotape has no operation for.

Regressions covered: np.dot with a 3-d (or higher) ``b`` was computed as matmul; matrix
norms (ord 2, 1, inf, -1, -2, -inf, 'nuc', and at.norm's matrix orders) came out as the
element-wise norm; np.linalg.norm accepted orders NumPy rejects; the 2-norm's gradient at 0
was NaN; the warning named np.linalg.inv "np.inv".
"""

import warnings

import numpy as np
import pytest

import autotape as at
from gradcheck import assert_close, numeric_grad, numeric_jacobian, random_weights
from numpy_oracle import compare, sample

F64, F32 = np.float64, np.float32
INF = np.inf


# ------------------------------------------------------------------------------------------
# np.dot
# ------------------------------------------------------------------------------------------

DOT_SHAPES = [
    ((), ()), ((), (3,)), ((2, 3), ()), ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)),
    ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)),
    # b with 3 or more axes: dot pairs every row of a with every matrix of b (not matmul)
    ((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 4)), ((4, 3), (2, 3, 2)), ((2, 1, 3), (1, 3, 2)),
    ((2, 3), (2, 2, 3, 2)), ((3,), (2, 2, 3, 2)), ((2, 2, 1, 3), (3, 3, 2)),
]


@pytest.mark.parametrize("sa, sb", DOT_SHAPES, ids=[f"{a}.{b}" for a, b in DOT_SHAPES])
def test_dot_matches_numpy_with_gradients(sa, sb):
    compare(np.dot, [sample(sa, 1), sample(sb, 2)])


def test_dot_of_the_report_has_numpys_shapes():
    r = np.random.RandomState(0)
    a, b, c = r.randn(2, 3), r.randn(2, 3, 4), r.randn(2, 2, 3)
    assert np.dot(at.constant(a), at.constant(b)).shape == (2, 2, 4)
    assert np.dot(at.constant(c), at.constant(b)).shape == (2, 2, 2, 4)
    assert_close(np.dot(at.constant(c), at.constant(b)).numpy(), np.dot(c, b), rtol=1e-12)


def test_dot_float32():
    compare(np.dot, [sample((2, 2, 3), 3), sample((2, 3, 4), 4)], dtype=F32)
    compare(np.dot, [sample((3,), 3), sample((3, 4), 4)], dtype=F32)


def test_dot_with_an_ndarray_operand_and_integers():
    a, b = sample((2, 3), 5), sample((2, 3, 4), 6)
    x = at.constant(a)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.dot(x, b)  # the ndarray defers to the Tensor through __array_function__
    assert isinstance(y, at.Tensor) and y.shape == (2, 2, 4)
    w = random_weights(y.shape, 7)
    g = tape.gradient(y, x, output_gradients=at.constant(w))
    assert_close(g.numpy(), numeric_grad(lambda p: np.dot(p, b), a, weights=w)[0], rtol=1e-6)
    i, j = np.arange(6).reshape(2, 3), np.arange(24).reshape(2, 3, 4)
    r = np.dot(at.constant(i), at.constant(j))
    assert r.dtype == np.dot(i, j).dtype
    np.testing.assert_array_equal(r.numpy(), np.dot(i, j))


def test_dot_second_order():
    a, b = sample((2, 3), 8), sample((2, 3, 2), 9)
    assert_close(np.dot(at.constant(a), at.constant(b)).numpy(), np.dot(a, b), rtol=1e-12)
    at.testing.check_gradients(lambda p, q: at.sin(np.dot(p, q)), at.constant(a), at.constant(b))


def test_dot_jacobian_batched_reverse_pass():
    a, b = sample((2, 3), 10), sample((2, 3, 2), 11)
    x = at.constant(a)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.dot(x, at.constant(b))
    assert_close(tape.jacobian(y, x).numpy(), numeric_jacobian(lambda p: np.dot(p, b), a),
                 rtol=1e-7)


@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2, 4, 5)),
                                    ((2, 2, 3), (2, 2, 4)), ((4,), (2, 3, 5))])
def test_dot_inner_dimension_mismatch_is_a_clear_error(sa, sb):
    with pytest.raises(ValueError):
        np.dot(np.zeros(sa), np.zeros(sb))
    with pytest.raises(ValueError, match=r"dot: shapes") as info:
        np.dot(at.constant(np.zeros(sa)), at.constant(np.zeros(sb)))
    assert str(sa) in str(info.value) and str(sb) in str(info.value)


# ------------------------------------------------------------------------------------------
# np.linalg.norm: NumPy's semantics
# ------------------------------------------------------------------------------------------

def test_matrix_2_norm_of_the_report():
    m = np.random.RandomState(0).randn(4, 3)
    value = float(np.linalg.norm(at.constant(m), 2))
    assert value == pytest.approx(3.4685260545016, rel=1e-12)
    assert value == pytest.approx(np.linalg.norm(m, 2), rel=1e-12)


VECTOR_ORDS = [None, 1, 2, 3, 4, 0.5, INF, -INF, -1, -2, 2.5]
MATRIX_ORDS = [None, "fro", "f", "nuc", 1, -1, 2, -2, INF, -INF]

NORM_CASES = (
    [((5,), o, a, k) for o in VECTOR_ORDS for a in (None, 0) for k in (False, True)]
    + [((4, 3), o, None, k) for o in MATRIX_ORDS for k in (False, True)]
    + [((4, 3), o, a, False) for o in MATRIX_ORDS for a in ((1, 0), (-2, -1))]
    + [((4, 3), o, a, k) for o in (None, 1, 3, INF, -INF, 0.5) for a in (0, -1)
       for k in (False, True)]
    + [((3, 4), o, (0, 1), True) for o in ("nuc", 2, -2, 1, INF)]
    + [((2, 4, 3), o, a, k) for o in MATRIX_ORDS for a in ((1, 2), (2, 0)) for k in (False, True)]
    + [((2, 3, 4), o, 1, k) for o in (None, 2, 3, INF, -1) for k in (False, True)]
    + [((2, 3, 4), None, None, k) for k in (False, True)]
    + [((2, 2, 3, 3), o, (3, 1), k) for o in (2, "nuc", -INF) for k in (False, True)]
    + [((), None, None, k) for k in (False, True)]
)


@pytest.mark.parametrize("shape, ord, axis, keepdims", NORM_CASES,
                         ids=[f"{s}-ord={o}-axis={a}-keep={k}" for s, o, a, k in NORM_CASES])
def test_numpy_norm_matches_numpy_with_gradients(shape, ord, axis, keepdims):
    compare(lambda x: np.linalg.norm(x, ord, axis, keepdims), [sample(shape, 12)])


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, 2, -2, INF, 3, -INF])
def test_numpy_norm_float32(ord):
    shape, axis = ((5,), None) if ord in (3,) else ((2, 4, 3), (2, 1))
    if ord in (None, "fro"):
        shape, axis = (4, 3), None
    compare(lambda x: np.linalg.norm(x, ord, axis), [sample(shape, 13)], dtype=F32)


def test_numpy_norm_ord_0_counts_nonzeros_without_a_gradient():
    v = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
    x = at.constant(v)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.linalg.norm(x, 0, axis=1)
    assert_close(y.numpy(), np.linalg.norm(v, 0, axis=1), rtol=0)
    assert y.dtype == np.float64
    g = tape.gradient(y, x)
    assert g is None or not np.any(g.numpy())
    assert float(np.linalg.norm(at.constant(v[1]), 0)) == 1.0


def test_numpy_norm_of_integers_is_float64_as_in_numpy():
    i = np.arange(-3, 3).reshape(2, 3)
    for ord in (None, 1, 2, "nuc", INF):
        y = np.linalg.norm(at.constant(i), ord)
        assert y.dtype == np.float64
        assert_close(y.numpy(), np.linalg.norm(i, ord), rtol=1e-12)


@pytest.mark.parametrize("shape, ord, axis", [
    ((4, 3), 2, None), ((4, 3), -2, None), ((3, 4), "nuc", None), ((4, 3), "fro", None),
    ((4, 3), 1, None), ((4, 3), -INF, None), ((2, 4, 3), 2, (2, 0)), ((2, 3, 3), "nuc", (1, 2)),
    ((5,), 3, None), ((5,), 0.5, None), ((5,), -1, None), ((5,), INF, None),
    ((2, 3, 4), None, None), ((2, 3, 4), 4, 2),
])
def test_numpy_norm_second_order(shape, ord, axis):
    a = sample(shape, 14)
    assert_close(np.linalg.norm(at.constant(a), ord, axis).numpy(), np.linalg.norm(a, ord, axis),
                 rtol=1e-12)
    at.testing.check_gradients(lambda t: np.linalg.norm(t, ord, axis), at.constant(a), order=2)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_spectral_norms_third_order(ord):
    a = sample((3, 4), 15)
    assert float(np.linalg.norm(at.constant(a), ord)) == pytest.approx(np.linalg.norm(a, ord),
                                                                       rel=1e-12)
    at.testing.check_gradients(lambda t: np.linalg.norm(t, ord), at.constant(a), order=3)


def test_nuclear_norm_hessian_in_one_batched_reverse_pass():
    """The Hessian of the nuclear norm through jacobian (gradients with a leading batch
    axis through the SVD rule's singular-vector terms) against central differences of its
    gradient U V^T, computed by NumPy."""
    a = sample((4, 3), 16)

    def numpy_gradient(m):
        u, _, vh = np.linalg.svd(m, full_matrices=False)
        return u @ vh

    x = at.constant(a)
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as inner:
            inner.watch(x)
            y = np.linalg.norm(x, "nuc")
        g = inner.gradient(y, x)
    assert_close(g.numpy(), numpy_gradient(a), rtol=1e-10)
    assert_close(outer.jacobian(g, x).numpy(), numeric_jacobian(numpy_gradient, a),
                 rtol=1e-6, atol=1e-8)


def test_batched_spectral_norm_jacobian():
    w = sample((3, 4, 2), 17)
    x = at.constant(w)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.linalg.norm(x, 2, axis=(1, 2))
    assert_close(tape.jacobian(y, x).numpy(),
                 numeric_jacobian(lambda t: np.linalg.norm(t, 2, axis=(1, 2)), w), rtol=1e-6,
                 atol=1e-9)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 5)])
def test_svd_singular_vector_gradients(shape):
    """Functions of U and V^T that do not depend on their signs, to second order."""
    from autotape.ops.linalg import reduced_svd

    rng = np.random.default_rng(18)
    k = min(shape[-2:])
    w1 = rng.normal(size=shape[:-2] + (shape[-2], k))
    w2 = rng.normal(size=shape[:-2] + (k, shape[-1]))

    def f(a):
        s, u, vh = reduced_svd(a)
        return at.reduce_sum(u * u * w1) + at.reduce_sum(vh * vh * w2) + at.reduce_sum(s * s * s)

    at.testing.check_gradients(f, at.constant(sample(shape, 19)), order=2)


# --- conventions where the norm is not differentiable ---------------------------------

def _gradients(f, value, order=2):
    x = at.constant(value)
    with at.GradientTape() as outer:
        outer.watch(x)
        with at.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x) if order == 2 else None
    return y, g, h


@pytest.mark.parametrize("name, f", [
    ("at.norm", lambda t: at.norm(t)),
    ("at.norm-axis", lambda t: at.norm(t, axis=-1)),
    ("at.norm-p3", lambda t: at.norm(t, 3)),
    ("np-vector", lambda t: np.linalg.norm(t[0])),
    ("np-fro", lambda t: np.linalg.norm(t, "fro")),
    ("np-p4", lambda t: np.linalg.norm(t, 4, axis=1)),
    ("np-matrix-2", lambda t: np.linalg.norm(t, 2)),
    ("np-nuc", lambda t: np.linalg.norm(t, "nuc")),
])
def test_gradient_at_zero_is_zero_not_nan(name, f):
    y, g, h = _gradients(f, np.zeros((2, 3)))
    assert not np.any(np.asarray(y))
    assert np.all(np.isfinite(g.numpy())), f"{name}: gradient {g.numpy()}"
    if name.startswith(("at.", "np-vector", "np-fro", "np-p")):
        assert not np.any(g.numpy())
    assert h is None or np.all(np.isfinite(h.numpy()))


def test_zero_row_gets_zero_gradient_the_others_the_true_one():
    v = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    _, g, _ = _gradients(lambda t: at.norm(t, axis=1), v, order=1)
    assert_close(g.numpy(), [[0, 0, 0], [0.6, -0.8, 0]], rtol=1e-14)


def test_repeated_singular_values_share_the_gradient():
    # For the identity every singular value is 1: the spectral norm's gradient is the mean
    # of u_i v_i^T over the tied ones (I/3, a subgradient), the nuclear norm's U V^T = I.
    eye = np.eye(3)
    for ord, expected in ((2, eye / 3), (-2, eye / 3), ("nuc", eye)):
        y, g, h = _gradients(lambda t: np.linalg.norm(t, ord), eye)
        assert float(y) == pytest.approx(np.linalg.norm(eye, ord), rel=1e-12)
        assert_close(g.numpy(), expected, rtol=1e-10, atol=1e-12, what=f"ord {ord}")
        assert np.all(np.isfinite(h.numpy())), f"ord {ord}: second order {h.numpy()}"


def test_rank_deficient_matrix_spectral_norm_is_exact():
    # rank 1: the largest singular value is simple (differentiable), the others are 0
    a = np.outer([1.0, -2.0, 0.5, 1.5], [0.3, 1.0, -0.7])
    compare(lambda t: np.linalg.norm(t, 2), [a])
    at.testing.check_gradients(lambda t: np.linalg.norm(t, 2), at.constant(a), order=2)
    _, g, h = _gradients(lambda t: np.linalg.norm(t, -2), a)
    assert np.all(np.isfinite(g.numpy())) and np.all(np.isfinite(h.numpy()))


# --- errors ------------------------------------------------------------------------------

NORM_ERRORS = [
    ((2, 3, 4), 2, None, ValueError, "improper number of dimensions"),
    ((2, 3, 4), "fro", None, ValueError, "improper number of dimensions"),
    ((2, 3, 4), 1, (0, 1, 2), ValueError, "improper number of dimensions"),
    ((), 2, None, ValueError, "improper number of dimensions"),
    ((4, 3), 3, None, ValueError, "invalid norm order 3 for matrices"),
    ((4, 3), 0, None, ValueError, "invalid norm order 0 for matrices"),
    ((4, 3), "nuc", 0, ValueError, "invalid norm order 'nuc' for vectors"),
    ((5,), "fro", None, ValueError, "invalid norm order 'fro' for vectors"),
    ((5,), "nuc", None, ValueError, "invalid norm order 'nuc' for vectors"),
    ((4, 3), None, (0, 0), ValueError, "duplicate axes"),
    ((4, 3), 2, (1, -1), ValueError, "duplicate axes"),
    ((4, 3), None, 2, ValueError, "out of range"),
    ((4, 3), 2, (0, 2), ValueError, "out of range"),
    ((4, 3), None, "x", TypeError, "'axis' must be"),
]


@pytest.mark.parametrize("shape, ord, axis, error, message", NORM_ERRORS,
                         ids=[f"{s}-ord={o}-axis={a}" for s, o, a, _, _ in NORM_ERRORS])
def test_numpy_norm_errors_as_numpy(shape, ord, axis, error, message):
    with pytest.raises(error):
        np.linalg.norm(np.ones(shape), ord, axis)
    with pytest.raises(error, match=message):
        np.linalg.norm(at.constant(np.ones(shape)), ord, axis)


# ------------------------------------------------------------------------------------------
# at.norm: TensorFlow's tf.norm semantics (axis None: the whole tensor as one vector)
# ------------------------------------------------------------------------------------------

def _flat(p):
    return lambda t: np.linalg.norm(np.reshape(t, -1), p)


TF_CASES = {
    # axis None: a vector norm over every element, whatever the rank
    "matrix-euclidean": (lambda t: at.norm(t), _flat(2), (4, 3)),
    "matrix-1": (lambda t: at.norm(t, 1), _flat(1), (4, 3)),
    "matrix-inf": (lambda t: at.norm(t, INF), _flat(INF), (4, 3)),
    "3d-p3": (lambda t: at.norm(t, 3), _flat(3), (2, 3, 2)),
    "vector-0.5": (lambda t: at.norm(t, 0.5), _flat(0.5), (5,)),
    "vector-2-keepdims": (lambda t: at.norm(t, 2, keepdims=True),
                          lambda t: np.linalg.norm(t, keepdims=True), (5,)),
    # axis an int: vector norms along it
    "axis-p3": (lambda t: at.norm(t, 3, axis=1), lambda t: np.linalg.norm(t, 3, axis=1), (4, 3)),
    "axis-inf-keepdims": (lambda t: at.norm(t, INF, axis=0, keepdims=True),
                          lambda t: np.linalg.norm(t, INF, axis=0, keepdims=True), (4, 3)),
    # axis a pair: matrix norms
    "matrix-2": (lambda t: at.norm(t, 2, axis=(0, 1)), lambda t: np.linalg.norm(t, 2), (4, 3)),
    "matrix-1-pair": (lambda t: at.norm(t, 1, axis=[-2, -1]), lambda t: np.linalg.norm(t, 1),
                      (4, 3)),
    "matrix-inf-pair": (lambda t: at.norm(t, INF, axis=(0, 1)),
                        lambda t: np.linalg.norm(t, INF), (4, 3)),
    "matrix-fro": (lambda t: at.norm(t, "fro", axis=(0, 1)), lambda t: np.linalg.norm(t), (4, 3)),
    "matrix-euclidean-pair": (lambda t: at.norm(t, "euclidean", axis=(1, 0)),
                              lambda t: np.linalg.norm(t), (4, 3)),
    "batched-2-keepdims": (lambda t: at.norm(t, 2, axis=(2, 0), keepdims=True),
                           lambda t: np.linalg.norm(t, 2, axis=(2, 0), keepdims=True), (3, 2, 4)),
    "batched-1": (lambda t: at.norm(t, 1, axis=(0, 2)),
                  lambda t: np.linalg.norm(t, 1, axis=(0, 2)), (3, 2, 4)),
}


@pytest.mark.parametrize("name", sorted(TF_CASES))
def test_at_norm_tensorflow_semantics(name):
    at_fn, np_fn, shape = TF_CASES[name]
    a = sample(shape, 20)
    y = compare(lambda t: at_fn(t) if isinstance(t, at.Tensor) else np_fn(t), [a])
    assert y.shape == np.shape(np_fn(a))


def test_at_norm_matrix_2_second_order_and_float32():
    a = sample((2, 3, 4), 21)
    assert_close(at.norm(at.constant(a), 2, axis=(-2, -1)).numpy(),
                 np.linalg.norm(a, 2, axis=(-2, -1)), rtol=1e-12)
    at.testing.check_gradients(lambda t: at.norm(t, 2, axis=(-2, -1)), at.constant(a), order=2)
    compare(lambda t: at.norm(t, 2, axis=(0, 1)) if isinstance(t, at.Tensor)
            else np.linalg.norm(t, 2), [sample((4, 3), 22)], dtype=F32)


@pytest.mark.parametrize("ord, axis, message", [
    ("fro", None, "supported vector norm"),  # tf.norm: 'fro' is not defined for vectors
    ("fro", 1, "supported vector norm"),
    (0, None, "supported vector norm"),
    (-1, None, "supported vector norm"),
    (-INF, 0, "supported vector norm"),
    ("nuc", None, "supported vector norm"),
    ("nuc", (0, 1), "supported matrix norm"),
    (-2, (0, 1), "supported matrix norm"),
    (-1, (0, 1), "supported matrix norm"),
    (3, (0, 1), "supported matrix norm"),
    (2, (0, 0), "'axis' must be"),
    (2, (1, -1), "'axis' must be"),
    (2, [0, 1, 2], "'axis' must be"),
    (2, 1.5, "'axis' must be"),
])
def test_at_norm_rejects_what_tensorflow_rejects(ord, axis, message):
    with pytest.raises(ValueError, match=message):
        at.norm(at.constant(np.ones((4, 3))), ord, axis)


# ------------------------------------------------------------------------------------------
# the warning for NumPy functions autotape has no operation for
# ------------------------------------------------------------------------------------------

UNRECORDED = [
    ("np.linalg.eigvals", lambda t: np.linalg.eigvals(t)),
    ("np.unwrap", lambda t: np.unwrap(t)),
    ("np.fft.fft", lambda t: np.fft.fft(t)),
    ("np.fft.rfft", lambda t: np.fft.rfft(t)),
    ("np.polyval", lambda t: np.polyval(t[0], t[1])),
    ("np.add.accumulate", lambda t: np.add.accumulate(t)),
]


@pytest.mark.parametrize("name, call", UNRECORDED, ids=[n for n, _ in UNRECORDED])
def test_unrecorded_warning_gives_the_full_numpy_name(name, call):
    x = at.constant(np.array([[2.0, 1.0], [0.5, 3.0]]))
    with at.GradientTape() as tape:
        tape.watch(x)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call(x)
    assert not isinstance(result, at.Tensor)
    assert_close(np.real(result), np.real(call(x.numpy())), rtol=1e-12)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"{name} is not an autotape operation"), messages[0]
    assert caught[0].filename == __file__  # the warning points at the caller's line
