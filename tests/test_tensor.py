"""at.Tensor / at.Variable behaviour and the creation functions."""

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autotape as at
from gradcheck import assert_close, scatter_add

# ---------------------------------------------------------------------------
# constant / convert_to_tensor dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [at.constant, at.convert_to_tensor], ids=["constant", "convert_to_tensor"])
@pytest.mark.parametrize(
    "value, dtype",
    [
        (3.0, np.float64),
        (3, np.int64),
        (True, np.bool_),
        ([1.0, 2.0], np.float64),
        ([1, 2], np.int64),
        ([1, 2.5], np.float64),
        ([[True, False]], np.bool_),
        (np.array([1.0, 2.0], dtype=np.float32), np.float32),
        (np.array([1, 2], dtype=np.int32), np.int32),
        (np.float32(1.5), np.float32),
    ],
    ids=["float", "int", "bool", "float-list", "int-list", "mixed-list", "bool-list", "f32-array", "i32-array", "f32-scalar"],
)
def test_inferred_dtypes(make, value, dtype):
    t = make(value)
    assert isinstance(t, at.Tensor)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value))


@pytest.mark.parametrize("spelling", [np.float32, "float32", np.dtype("float32")], ids=["type", "name", "dtype"])
def test_dtype_argument_spellings(spelling):
    for make in (at.constant, at.convert_to_tensor):
        t = make([1, 2, 3], dtype=spelling)
        assert t.dtype == np.float32
        np.testing.assert_array_equal(t.numpy(), np.array([1, 2, 3], dtype=np.float32))
    assert at.constant(1.0, dtype="float64").dtype == np.float64
    assert at.constant(2, dtype=np.float64).dtype == np.float64


def test_convert_to_tensor_of_a_tensor_keeps_value_and_dtype():
    t = at.constant(np.array([1.0, 2.0], dtype=np.float32))
    u = at.convert_to_tensor(t)
    assert isinstance(u, at.Tensor)
    assert u.dtype == np.float32
    np.testing.assert_array_equal(u.numpy(), [1.0, 2.0])


def test_constant_copies_its_numpy_input():
    a = np.array([1.0, 2.0])
    t = at.constant(a)
    a[0] = 100.0
    assert t.numpy()[0] == 1.0  # tensors are immutable


# ---------------------------------------------------------------------------
# basic attributes
# ---------------------------------------------------------------------------


def test_numpy_of_0d_is_a_numpy_scalar():
    v = at.constant(2.5).numpy()
    assert isinstance(v, np.generic) and not isinstance(v, np.ndarray)
    assert v == 2.5 and v.dtype == np.float64


def test_numpy_of_nd_is_an_ndarray():
    a = at.constant([[1.0, 2.0]]).numpy()
    assert isinstance(a, np.ndarray) and a.shape == (1, 2)


def test_shape_dtype_ndim_size_len():
    t = at.zeros((2, 3, 4))
    assert t.shape == (2, 3, 4)
    assert isinstance(t.shape, tuple) and all(type(n) is int for n in t.shape)
    assert isinstance(t.dtype, np.dtype) and t.dtype == np.float64
    assert t.ndim == 3
    assert t.size == 24
    assert len(t) == 2
    s = at.constant(1.0)
    assert s.shape == () and s.ndim == 0 and s.size == 1
    with pytest.raises(TypeError):
        len(s)


def test_iteration_over_first_axis():
    t = at.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    rows = list(t)
    assert len(rows) == 2
    assert all(isinstance(r, at.Tensor) and r.shape == (3,) for r in rows)
    np.testing.assert_array_equal(rows[1].numpy(), [4.0, 5.0, 6.0])


def test_iteration_is_differentiable():
    t = at.constant([[1.0, 2.0], [3.0, 4.0]])
    with at.GradientTape() as tape:
        tape.watch(t)
        total = at.constant(0.0)
        for k, row in enumerate(t):
            total = total + (k + 1.0) * at.reduce_sum(row * row)
    np.testing.assert_array_equal(tape.gradient(total, t).numpy(), [[2.0, 4.0], [12.0, 16.0]])


def test_repr_shows_value_shape_dtype():
    r = repr(at.constant([[1.5, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert "1.5" in r
    assert "(2, 3)" in r
    assert "float64" in r
    r32 = repr(at.constant(np.float32(7.25)))
    assert "7.25" in r32 and "float32" in r32 and "()" in r32


def test_variable_repr_shows_value_and_dtype():
    r = repr(at.Variable([0.75, 2.0], name="vv"))
    assert "0.75" in r and "float64" in r


# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------

A = np.array([[1.5, -2.0, 3.0], [-4.5, 5.0, 0.5]])
B = np.array([0.5, 2.0, -1.5])

BINARY_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
}


@pytest.mark.parametrize("sym", sorted(BINARY_OPERATORS))
def test_binary_operators_match_numpy(sym):
    op = BINARY_OPERATORS[sym]
    a, b = at.constant(A), at.constant(B)
    for got, want in [
        (op(a, b), op(A, B)),  # tensor, tensor (broadcast)
        (op(a, 2.0), op(A, 2.0)),  # tensor, python float
        (op(3.0, b), op(3.0, B)),  # python float, tensor (reflected)
        (op(a, B), op(A, B)),  # tensor, ndarray
        (op(a, 2), op(A, 2)),  # tensor, python int
    ]:
        assert isinstance(got, at.Tensor), type(got)
        assert got.dtype == np.float64
        assert_close(got.numpy(), want, rtol=1e-15, atol=1e-15)


def test_floor_division_and_mod_follow_python_semantics():
    a = at.constant([-7.0, 7.0, -7.5])
    np.testing.assert_array_equal((a // 2.0).numpy(), [-4.0, 3.0, -4.0])
    np.testing.assert_array_equal((a % 2.0).numpy(), [1.0, 1.0, 0.5])
    ai = at.constant([-7, 7])
    assert (ai // 2).dtype == np.int64
    np.testing.assert_array_equal((ai // 2).numpy(), [-4, 3])
    np.testing.assert_array_equal((ai % 3).numpy(), [2, 1])


def test_power_operator():
    a = at.constant([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((a**2).numpy(), [1.0, 4.0, 9.0])
    np.testing.assert_array_equal((2.0**a).numpy(), [2.0, 4.0, 8.0])
    assert_close((a**a).numpy(), [1.0, 4.0, 27.0], rtol=1e-15)
    assert (at.constant([2, 3]) ** 2).dtype == np.int64


def test_matmul_operator_and_reflected():
    a = at.constant(A)
    m = np.arange(6.0).reshape(3, 2)
    assert_close((a @ at.constant(m)).numpy(), A @ m, rtol=1e-15)
    assert_close((a @ m).numpy(), A @ m, rtol=1e-15)
    r = [[1.0, 2.0]] @ a  # list @ Tensor, as in the seed's `x @ w`
    assert isinstance(r, at.Tensor)
    assert_close(r.numpy(), np.array([[1.0, 2.0]]) @ A, rtol=1e-15)


def test_unary_operators():
    a = at.constant(A)
    np.testing.assert_array_equal((-a).numpy(), -A)
    np.testing.assert_array_equal(abs(a).numpy(), np.abs(A))
    assert isinstance(-a, at.Tensor) and isinstance(abs(a), at.Tensor)


@pytest.mark.parametrize(
    "sym, op",
    [("<", operator.lt), ("<=", operator.le), (">", operator.gt), (">=", operator.ge), ("==", operator.eq), ("!=", operator.ne)],
)
def test_comparisons_give_bool_tensors(sym, op):
    a = at.constant([1.0, 2.0, 3.0])
    b = at.constant([3.0, 2.0, 1.0])
    for got, want in [
        (op(a, b), op(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))),
        (op(a, 2.0), op(np.array([1.0, 2.0, 3.0]), 2.0)),
    ]:
        assert isinstance(got, at.Tensor)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), want)


def test_operators_work_on_variables():
    v = at.Variable([1.0, 2.0])
    for got, want in [(v + 1.0, [2.0, 3.0]), (2.0 * v, [2.0, 4.0]), (v * v, [1.0, 4.0]), (-v, [-1.0, -2.0])]:
        assert isinstance(got, at.Tensor)
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal((v > 1.5).numpy(), [False, True])


# ---------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4)

INDEXES = [
    0,
    -1,
    (1, 2),
    (1, 2, 3),
    slice(None, None, -1),
    (slice(None), 1),
    (Ellipsis, 0),
    (None, 0),
    (slice(0, 2), slice(1, 3), slice(None, None, 2)),
    [0, 0, 1],
    (slice(None), [2, 0, 2]),
    np.array([[1, 0], [1, 1]]),
    (0, [1, 1, 1], slice(None)),
]


INDEX_IDS = [
    "int",
    "negative-int",
    "two-ints",
    "three-ints",
    "reverse",
    "slice-int",
    "ellipsis",
    "newaxis",
    "slices",
    "int-list-repeats",
    "slice-int-list",
    "2d-int-array",
    "mixed-advanced",
]


def _index_gradient(shape, index, w):
    """d sum(w * X[index]) / dX, computed through element ids (any kind of index)."""
    ids = np.arange(int(np.prod(shape))).reshape(shape)
    picked = np.asarray(ids[index])
    flat = np.bincount(picked.ravel(), weights=np.asarray(w, dtype=np.float64).ravel(), minlength=ids.size)
    return flat.reshape(shape)


@pytest.mark.parametrize("index", INDEXES, ids=INDEX_IDS)
def test_getitem_values_and_gradient(index):
    x = at.constant(X)
    want = X[index]
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x[index]
    assert isinstance(y, at.Tensor)
    assert y.shape == want.shape
    np.testing.assert_array_equal(np.asarray(y), want)
    w = np.arange(1.0, want.size + 1.0).reshape(want.shape)
    g = tape.gradient(y, x, output_gradients=at.constant(w))
    # gradient of indexing: scatter-add of the output weights (repeats accumulate)
    assert g.shape == X.shape
    np.testing.assert_array_equal(g.numpy(), _index_gradient(X.shape, index, w))


def test_getitem_with_repeated_integer_indices_accumulates():
    x = at.constant([10.0, 20.0, 30.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x[[2, 0, 2, 2]]
    np.testing.assert_array_equal(y.numpy(), [30.0, 10.0, 30.0, 30.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 0.0, 3.0])


def test_getitem_with_integer_tensor_index():
    x = at.constant([10.0, 20.0, 30.0])
    idx = at.constant([1, 1, 0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x[idx]
    np.testing.assert_array_equal(y.numpy(), [20.0, 20.0, 10.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0, 0.0])


@given(st.lists(st.integers(-5, 4), min_size=1, max_size=12), st.integers(0, 2**31 - 1))
def test_getitem_integer_array_gradient_is_scatter_add(indices, seed):
    rng = np.random.default_rng(seed)
    xv = rng.normal(size=(5, 2))
    w = rng.normal(size=(len(indices), 2))
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x[np.array(indices)]
    np.testing.assert_array_equal(y.numpy(), xv[np.array(indices)])
    g = tape.gradient(y, x, output_gradients=at.constant(w))
    assert_close(g.numpy(), scatter_add((5, 2), np.array(indices), w), rtol=1e-14, atol=1e-14)


def test_getitem_out_of_range_raises_index_error():
    x = at.constant([1.0, 2.0, 3.0])
    with pytest.raises(IndexError):
        x[3]


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------


def test_bool_float_int_index_on_one_element_tensors():
    assert bool(at.constant(True)) is True
    assert bool(at.constant([0.0])) is False
    assert bool(at.constant(2.0)) is True
    f = float(at.constant([[2.5]]))
    assert type(f) is float and f == 2.5
    i = int(at.constant(7.9))
    assert type(i) is int and i == 7
    assert operator.index(at.constant(3)) == 3
    assert [10, 20, 30, 40][at.constant(2)] == 30
    assert list(range(at.constant(3))) == [0, 1, 2]


def test_bool_of_several_elements_is_ambiguous():
    with pytest.raises(ValueError):
        bool(at.constant([1.0, 2.0]))


def test_index_of_a_float_tensor_raises_type_error():
    with pytest.raises(TypeError):
        operator.index(at.constant(3.0))


def test_python_if_on_a_comparison():
    x = at.constant(2.0)
    assert (x > 1.0) and not (x < 1.0)


def test_np_asarray_gives_ndarray():
    t = at.constant(np.array([[1.0, 2.0]], dtype=np.float32))
    a = np.asarray(t)
    assert isinstance(a, np.ndarray) and not isinstance(a, at.Tensor)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(at.Variable([1.0, 2.0])).shape == (2,)


# ---------------------------------------------------------------------------
# creation functions
# ---------------------------------------------------------------------------


def test_ones_zeros():
    o = at.ones((2, 3))
    assert o.dtype == np.float64 and o.shape == (2, 3)
    np.testing.assert_array_equal(o.numpy(), np.ones((2, 3)))
    z = at.zeros((4,), dtype=np.float32)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.numpy(), np.zeros(4))
    assert at.zeros(3).shape == (3,)
    assert at.ones(()).shape == ()
    assert at.ones([2, 2], dtype="float32").dtype == np.float32


def test_ones_like_zeros_like_keep_shape_and_dtype():
    t = at.constant(np.array([[1.0, 2.0, 3.0]], dtype=np.float32))
    o, z = at.ones_like(t), at.zeros_like(t)
    assert o.shape == (1, 3) and z.shape == (1, 3)
    assert o.dtype == np.float32 and z.dtype == np.float32
    np.testing.assert_array_equal(o.numpy(), [[1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(z.numpy(), [[0.0, 0.0, 0.0]])
    assert at.zeros_like(at.constant([1, 2])).dtype == np.int64


def test_fill_and_eye():
    f = at.fill((2, 3), 7.0)
    assert f.shape == (2, 3) and f.dtype == np.float64
    np.testing.assert_array_equal(f.numpy(), np.full((2, 3), 7.0))
    e = at.eye(3)
    assert e.dtype == np.float64
    np.testing.assert_array_equal(e.numpy(), np.eye(3))


def test_linspace_and_alias():
    l1 = at.linspace(-1.0, 1.0, 5)
    assert l1.dtype == np.float64
    np.testing.assert_allclose(l1.numpy(), [-1.0, -0.5, 0.0, 0.5, 1.0], atol=1e-15)
    l2 = at.lin_space(-1.0, 1.0, 5)
    np.testing.assert_array_equal(l2.numpy(), l1.numpy())


def test_range():
    r = at.range(5)
    assert np.issubdtype(r.dtype, np.integer)
    np.testing.assert_array_equal(r.numpy(), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(at.range(1, 10, 3).numpy(), [1, 4, 7])
    np.testing.assert_array_equal(at.range(5, 1, -2).numpy(), [5, 3])
    rf = at.range(0.0, 1.0, 0.25)
    assert rf.dtype == np.float64
    np.testing.assert_array_equal(rf.numpy(), [0.0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(at.range(2, limit=5).numpy(), [2, 3, 4])


def test_random_normal_shape_dtype_and_moments():
    t = at.random.normal((20000,), seed=11)
    assert t.shape == (20000,) and t.dtype == np.float64
    a = t.numpy()
    assert abs(a.mean()) < 0.05 and abs(a.std() - 1.0) < 0.05
    u = at.random.normal((20000,), mean=5.0, stddev=2.0, seed=12).numpy()
    assert abs(u.mean() - 5.0) < 0.1 and abs(u.std() - 2.0) < 0.1
    assert at.random.normal((2, 3), dtype=np.float32).dtype == np.float32


def test_random_uniform_range_and_dtype():
    u = at.random.uniform((10000,), minval=-2.0, maxval=3.0, seed=5).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.1
    t = at.random.uniform((2, 2), dtype="float32")
    assert t.dtype == np.float32 and t.shape == (2, 2)
    d = at.random.uniform((1000,)).numpy()
    assert d.min() >= 0.0 and d.max() < 1.0


def test_random_op_seed_reproducibility():
    a = at.random.normal((50,), seed=42).numpy()
    b = at.random.normal((50,), seed=42).numpy()
    c = at.random.normal((50,), seed=43).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    u1 = at.random.uniform((50,), seed=7).numpy()
    u2 = at.random.uniform((50,), seed=7).numpy()
    np.testing.assert_array_equal(u1, u2)


def test_random_set_seed_reproduces_the_sequence():
    at.random.set_seed(1234)
    a1 = at.random.normal((10,)).numpy()
    a2 = at.random.uniform((10,)).numpy()
    at.random.set_seed(1234)
    b1 = at.random.normal((10,)).numpy()
    b2 = at.random.uniform((10,)).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(at.random.normal((10,)).numpy(), a1)  # the sequence moves on
    at.random.set_seed(4321)
    assert not np.array_equal(at.random.normal((10,)).numpy(), a1)


# ---------------------------------------------------------------------------
# Variable
# ---------------------------------------------------------------------------


def test_variable_basics():
    v = at.Variable([[1.0, 2.0]], name="weights")
    assert v.name == "weights"
    assert v.trainable is True
    assert v.shape == (1, 2) and v.dtype == np.float64
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0]])
    f = at.Variable(1.0, trainable=False)
    assert f.trainable is False
    assert at.Variable(np.zeros(2, dtype=np.float32)).dtype == np.float32
    assert at.Variable([1, 2], dtype="float32").dtype == np.float32
    assert at.Variable(at.ones((3,))).shape == (3,)


def test_variable_assign_methods():
    v = at.Variable([1.0, 2.0])
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])
    v.assign_add(at.constant([1.0, 1.0]))
    np.testing.assert_array_equal(v.numpy(), [6.0, 7.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.numpy(), [5.5, 6.5])
    v.assign_add(1)  # a Python int keeps the variable's dtype
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v.numpy(), [6.5, 7.5])


def test_variable_numpy_is_a_snapshot():
    v = at.Variable([1.0, 2.0])
    before = v.numpy()
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(before, [1.0, 2.0])


def test_tensor_from_variable_is_a_snapshot():
    v = at.Variable([1.0, 2.0])
    t = v * 1.0
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_variable_plus_one_is_a_tensor_not_a_variable():
    x = at.Variable(2.0)
    y = x + 1
    assert isinstance(y, at.Tensor)
    assert not isinstance(y, at.Variable)
    assert y.numpy() == 3.0
    assert isinstance(x, at.Variable)


def test_variable_works_with_every_operation():
    v = at.Variable([[0.5, 1.0], [1.5, 2.0]])
    np.testing.assert_allclose(at.sin(v).numpy(), np.sin(v.numpy()))
    np.testing.assert_allclose(at.matmul(v, v).numpy(), v.numpy() @ v.numpy())
    np.testing.assert_allclose(at.reduce_sum(v, axis=0).numpy(), [2.0, 3.0])
    np.testing.assert_allclose(v[1].numpy(), [1.5, 2.0])
    np.testing.assert_allclose(at.reshape(v, (4,)).numpy(), [0.5, 1.0, 1.5, 2.0])
