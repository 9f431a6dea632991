"""Assembly and rearrangement (stacking, splitting, flipping, rolling, padding, diagonals,
taking, selecting, sorting) on Tensors through NumPy's functions: values, shapes and dtypes
against NumPy, first-order gradients against central finite differences in both float
dtypes, second order and a batched Jacobian for a few, NumPy's errors, integer and bool
tensors, and sort inside a tape_function."""

import numpy as np
import pytest

import autotape as at
from autotape.ops import assembly
from gradcheck import assert_close
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: np.hstack([a, b]), [(3,), (2,)]),
    (lambda a, b: np.hstack((a, b)), [(2, 3), (2, 1)]),
    (lambda a, b: np.vstack([a, b]), [(3,), (2, 3)]),
    (lambda a, b: np.vstack([a, b]), [(2, 2, 3), (1, 2, 3)]),
    (lambda a, b: np.dstack([a, b]), [(3,), (3,)]),
    (lambda a, b: np.dstack([a, b]), [(2, 3), (2, 3, 2)]),
    (lambda a, b: np.column_stack([a, b]), [(3,), (3, 2)]),
    (lambda a: np.atleast_1d(a), [()]),
    (lambda a: np.atleast_2d(a), [(3,)]),
    (lambda a: np.atleast_2d(a), [()]),
    (lambda a: np.atleast_3d(a), [(3,)]),
    (lambda a: np.atleast_3d(a), [(2, 3)]),
    (lambda a, b: np.atleast_3d(a, b)[1] * a[0], [(2,), (2, 3, 1, 2)]),
])
def test_stacking(fn, shapes, dtype):
    compare(fn, [sample(s, i) for i, s in enumerate(shapes)], dtype)


def test_stacking_forms():
    a, b = at.constant([1.0, 2.0], at.float32), at.constant([3.0])
    assert np.hstack([a, b], dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="cannot cast float32 to int64"):
        np.hstack([a, b], dtype=np.int64)
    assert np.vstack([[1, 2], at.constant([3, 4])]).dtype == np.int64
    assert np.atleast_1d(a) is a and len(np.atleast_2d(a, b, 1.0)) == 3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, shape", [
    (lambda a: np.split(a, 3)[1], (6, 2)),
    (lambda a: np.split(a, 2, axis=-1)[1], (2, 3, 4)),
    (lambda a: np.split(a, [1, -2, 9], axis=1)[1], (2, 5)),  # negative and past the end
    (lambda a: np.split(a, [3, 1])[1], (4,)),  # decreasing points: an empty piece
    (lambda a: np.array_split(a, 3)[0], (7,)),  # the first pieces are the longer ones
    (lambda a: np.array_split(a, 4, axis=-2)[3], (5, 2)),
    (lambda a: np.hsplit(a, 2)[1], (2, 4)),
    (lambda a: np.hsplit(a, [1])[0], (4,)),
    (lambda a: np.vsplit(a, [1, 2])[2], (3, 2)),
])
def test_splitting(fn, shape, dtype):
    compare(fn, [sample(shape)], dtype)


def test_split_returns_a_list_of_tensors():
    parts = np.array_split(at.constant(np.arange(7.0)), 3)
    assert isinstance(parts, list) and all(isinstance(p, at.Tensor) for p in parts)
    assert [p.shape for p in parts] == [(3,), (2,), (2,)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [
    lambda a: np.swapaxes(a, 0, -1),
    lambda a: np.swapaxes(a, 1, 1),
    lambda a: np.moveaxis(a, 0, -1),
    lambda a: np.moveaxis(a, (0, -1), (-1, 1)),
    lambda a: np.ravel(a),
    lambda a: np.ravel(a, order="F"),
    lambda a: a.ravel(),
], ids=["swapaxes", "swap-same", "moveaxis", "moveaxis-pairs", "ravel", "ravel-F", "method"])
def test_axes(fn, dtype):
    compare(fn, [sample((2, 3, 4))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("repeats, axis", [
    (2, None), (3, 0), (2, -1), ([1, 0, 3], 1), (np.array([2, 1]), 0), ([2], -2)])
def test_repeat(repeats, axis, dtype):
    compare(lambda a: np.repeat(a, repeats, axis), [sample((2, 3), 2)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shift, axis", [
    (2, None), (-7, None), (1, 0), (-1, -1), (5, 2), ((1, 2), (0, -1)), ((1, 1), (2, 2)),
    (1, (0, 1)), ((2, -1), None)])
def test_roll(shift, axis, dtype):
    compare(lambda a: np.roll(a, shift, axis), [sample((2, 3, 4), 3)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [
    lambda a: np.flip(a),
    lambda a: np.flip(a, 0),
    lambda a: np.flip(a, -1),
    lambda a: np.flip(a, (0, 2)),
    lambda a: np.fliplr(a),
    lambda a: np.flipud(a),
    lambda a: np.rot90(a),
    lambda a: np.rot90(a, 2),
    lambda a: np.rot90(a, -1),
    lambda a: np.rot90(a, 4),
    lambda a: np.rot90(a, 1, axes=(2, 0)),
    lambda a: np.rot90(a, 3, axes=(-1, 1)),
])
def test_flips_and_rotations(fn, dtype):
    compare(fn, [sample((2, 3, 4), 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("widths", [1, (2,), (1, 3), ((0, 2), (3, 1)), [[2, 0]], 7,
                                    {-1: (1, 2)}, {0: 2, 1: (0, 1)}])
def test_pad(mode, widths, dtype):
    compare(lambda a: np.pad(a, widths, mode), [sample((3, 2), 5)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_constant_values(dtype):
    x = sample((2, 3), 6)
    compare(lambda a: np.pad(a, 1, constant_values=2.5), [x], dtype)
    compare(lambda a: np.pad(a, (1, 2), "constant", constant_values=(-1, 4)), [x], dtype)
    # corners take the later axis's value, as in NumPy
    compare(lambda a: np.pad(a, ((1, 1), (2, 1)), constant_values=((1, 2), (3, 4))), [x],
            dtype)
    compare(lambda a: np.pad(a, ((0, 1), (1, 0)), "reflect", reflect_type="even"), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, shape", [
    (lambda a: np.diag(a), (3,)),
    (lambda a: np.diag(a, 2), (3,)),
    (lambda a: np.diag(a, -1), (2,)),
    (lambda a: np.diag(a), (3, 4)),
    (lambda a: np.diag(a, -2), (4, 3)),
    (lambda a: np.diag(a, 5), (3, 4)),  # past the corner: empty
    (lambda a: np.diagflat(a, 1), (2, 2)),
    (lambda a: np.diagonal(a), (3, 4)),
    (lambda a: np.diagonal(a, 1, 2, 0), (3, 2, 4)),
    (lambda a: np.diagonal(a, -1, axis1=-1, axis2=1), (2, 3, 4)),
    (lambda a: np.trace(a), (3, 4)),
    (lambda a: np.trace(a, -1, 0, 2), (3, 2, 4)),
])
def test_diagonals(fn, shape, dtype):
    compare(fn, [sample(shape, 7)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("indices, axis, mode", [
    ([2, 0, 2, -1], None, "raise"),
    (3, None, "raise"),
    ([[1, 1], [0, 2]], 0, "raise"),
    ([4, -1, 0, 7], -1, "wrap"),
    ([[5], [-3]], 1, "clip"),
    (np.array([], np.int64), 1, "raise"),
])
def test_take(indices, axis, mode, dtype):
    compare(lambda a: np.take(a, indices, axis, mode=mode), [sample((3, 4), 8)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("indices, axis", [
    (np.array([[2, 0, 0], [1, 1, 2]]), 1),
    (np.array([[1, 0, 1]]), 0),  # broadcast along axis 1's positions... and rows repeated
    (np.array([[2], [-1]]), -1),
    (np.array([5, 0, 5]), None),
])
def test_take_along_axis(indices, axis, dtype):
    compare(lambda a: np.take_along_axis(a, indices, axis), [sample((2, 3), 9)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_select_in_priority_order(dtype):
    rng = np.random.default_rng(10)
    first, second = rng.random((3, 4)) < 0.5, rng.random((3, 4)) < 0.5  # overlapping
    assert (first & second).any() and (~first & ~second).any()
    compare(lambda a, b: np.select([first, second], [a, b], default=-1.5),
            [sample((3, 4), 11), sample((3, 4), 12)], dtype)
    compare(lambda a, b: np.select([first[0], second], [a, b * b]),
            [sample((4,), 13), sample((3, 4), 14)], dtype)  # broadcast, default 0
    compare(lambda a, d: np.select([first], [a], d), [sample((3, 4), 15), sample((4,), 16)],
            dtype)  # a differentiable default


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index, mode", [
    (np.array([[0, 1, 2, 1]]), "raise"),
    (np.array([[3, -1, 0, 5], [1, 2, 4, -4], [0, 0, 1, 1]]), "wrap"),
    (np.array([[3, -1, 0, 5]]), "clip"),
])
def test_choose(index, mode, dtype):
    compare(lambda a, b, c: np.choose(index, [a, b, c], mode=mode),
            [sample((3, 4), 17), sample((4,), 18), sample((3, 1), 19)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort(axis, dtype):
    x = sample((3, 4, 2), 20)
    compare(lambda a: np.sort(a, axis), [x], dtype)
    compare(lambda a: np.sort(a * a, axis, kind="quicksort"), [x], dtype)
    y = compare(lambda a: np.argsort(a, axis), [x], dtype, grads=False)
    assert y.dtype == np.int64


def test_sort_nans_last_and_ties_stable():
    x = np.array([3.0, np.nan, -1.0, 3.0, -np.inf, np.nan, 0.0])
    assert_close(np.sort(at.constant(x)).numpy(), np.sort(x))
    ties = np.array([2.0, 1.0, 2.0, 1.0, 2.0])
    assert np.argsort(at.constant(ties)).numpy().tolist() == np.argsort(ties, kind="stable")\
        .tolist()


def test_sort_sends_gradients_back_to_where_elements_came_from():
    x = at.constant([3.0, 1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = np.sort(x)
    g = tape.gradient(y, x, output_gradients=at.constant([10.0, 20.0, 30.0]))
    assert g.numpy().tolist() == [30.0, 10.0, 20.0]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integer_and_bool_tensors(dtype):
    x = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    t = at.constant(x)
    for fn in [lambda a: np.roll(a, 1, 0), lambda a: np.flip(a, -1), lambda a: np.rot90(a),
               lambda a: np.pad(a, 1, "symmetric"), lambda a: np.pad(a, 1),
               lambda a: np.repeat(a, 2, 0), lambda a: np.diag(a, 1), lambda a: np.diag(a[0]),
               lambda a: np.trace(a), lambda a: np.sort(a, 0), lambda a: np.argsort(a),
               lambda a: np.take(a, [1, -1]), lambda a: np.hstack([a, a]),
               lambda a: np.split(a, 2, 1)[1], lambda a: np.choose(x[0] % 2, [a, a[0]])]:
        got, expected = fn(t), fn(x)
        assert isinstance(got, at.Tensor) and got.dtype == expected.dtype
        assert np.array_equal(got.numpy(), expected)


def test_python_numbers_promote_weakly_as_in_numpy():
    c, f32, i32 = np.array([True, False]), np.ones(2, np.float32), np.arange(2, dtype=np.int32)
    for fn in [lambda x, y: np.select([c], [x], 1.5), lambda x, y: np.select([c, ~c], [y, 7]),
               lambda x, y: np.choose([0, 1], [x, 5]), lambda x, y: np.choose([1, 0], [y, 5.5]),
               lambda x, y: np.select([c], [x], y)]:
        expected, got = fn(f32, i32), fn(at.constant(f32), at.constant(i32))
        assert got.dtype == expected.dtype and np.array_equal(got.numpy(), expected)


def test_repeat_of_a_scalar_along_axis_0():
    assert np.repeat(at.constant(2.5), 3, axis=0).numpy().tolist() == [2.5] * 3


def test_trace_dtype():
    t = at.constant(np.eye(3, dtype=np.float32))
    assert np.trace(t, dtype=np.float64).dtype == np.float64
    assert np.trace(t).dtype == np.float32


def test_inputs_can_be_arrays_and_lists():
    assert isinstance(at.roll([1.0, 2.0, 3.0], 1), at.Tensor)
    assert at.take(np.arange(5.0), [4, 0]).numpy().tolist() == [4.0, 0.0]
    assert at.select([[True, False]], [[1.0, 2.0]], 7.0).numpy().tolist() == [1.0, 7.0]
    assert_close(assembly.diag([1.0, 2.0]).numpy(), np.diag([1.0, 2.0]))


@pytest.mark.parametrize("name, f, shape", [
    ("roll", lambda t: np.roll(t, (1, -1), (0, 1)) * t, (3, 3)),
    ("pad", lambda t: np.pad(t * t, ((1, 2), (2, 0)), "reflect"), (3, 3)),
    ("diag", lambda t: np.diag(np.diag(t * t, 1), -1) * np.rot90(t, 1, (0, 1))[0], (3, 3)),
    ("sort", lambda t: np.sort(t * t * t, 0) * np.flip(t), (3, 3)),
    ("take", lambda t: np.take_along_axis(t * t, np.argsort(t, 1), 1)
     + np.take(t, [2, 2, 0], 1, mode="wrap") ** 3, (3, 3)),
    ("select", lambda t: np.select([t > 0, t < -0.5], [t * t, t * t * t], np.sin(t)), (3, 3)),
])
def test_second_order(name, f, shape):
    at.testing.check_gradients(f, sample(shape, 21), order=2)


def test_batched_jacobian_equals_per_element_gradients():
    def f(t):
        return np.pad(np.roll(t * t, 1, 0), 1, "symmetric")[1:4, :3] + np.diag(np.trace(t) * t[0])

    x = at.constant(sample((3, 3), 22))
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


def test_sort_inside_a_tape_function():
    def f(a, w):
        return at.reduce_sum(np.sort(a * w, axis=0) * w) + at.reduce_sum(np.sort(a, None)[:3])

    compiled = at.value_and_grad(at.tape_function(f), argnums=(0, 1))
    for seed in (23, 24, 23):
        a, w = at.constant(sample((3, 4), seed)), at.constant(sample((3, 4), seed + 10))
        value, grads = at.value_and_grad(f, argnums=(0, 1))(a, w)
        got_value, got_grads = compiled(a, w)
        assert_close(got_value.numpy(), value.numpy(), rtol=1e-12)
        for g, e in zip(got_grads, grads):
            assert_close(g.numpy(), e.numpy(), rtol=1e-12)
    # The permutation is a value of the trace, not a guard: one trace serves every order.
    assert compiled.cache_info().traces == 1 and compiled.cache_info().compiled_calls == 2
    assert "TakeAlongAxis" in compiled.explain()  # run by its forward from the trace


X = at.constant(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: np.split(X, 2, axis=1), ValueError,
     "split: array split does not result in an equal division"),
    (lambda: np.array_split(X, 0), ValueError, "array_split: number sections must be larger"),
    (lambda: np.hsplit(at.constant(1.0), 1), ValueError, "hsplit: hsplit only works on arr"),
    (lambda: np.vsplit(X[0], 1), ValueError, "vsplit: vsplit only works on arrays of 2"),
    (lambda: np.split(X, 2, axis=2), np.exceptions.AxisError,
     "split: axis 2 is out of bounds for array of dimension 2"),
    (lambda: np.swapaxes(X, 0, -3), IndexError, "swapaxes: axis -3 is out of bounds"),
    (lambda: np.moveaxis(X, (0, 1), 0), ValueError, "moveaxis: `source` and `destination`"),
    (lambda: np.moveaxis(X, (0, -2), (0, 1)), ValueError, "moveaxis: repeated axis"),
    (lambda: np.flip(X, (1, 1)), ValueError, "flip: repeated axis"),
    (lambda: np.fliplr(X[0]), ValueError, r"fliplr: Input must be >= 2-d"),
    (lambda: np.flipud(at.constant(1.0)), ValueError, r"flipud: Input must be >= 1-d"),
    (lambda: np.rot90(X, axes=(0,)), ValueError, r"rot90: len\(axes\) must be 2"),
    (lambda: np.rot90(X, axes=(0, -2)), ValueError, "rot90: Axes must be different"),
    (lambda: np.repeat(X, [1, 2, 3], 0), ValueError, "repeat: operands could not be broadc"),
    (lambda: np.repeat(X, -1), ValueError, "repeat: negative"),
    (lambda: np.repeat(X, 1.5), TypeError, "repeat: Cannot cast"),
    (lambda: np.roll(X, (1, 2), (0, 1, 0)), ValueError, "roll: shift .* do not broadcast"),
    (lambda: np.roll(X, 1, 2), ValueError, "roll: axis 2 is out of bounds"),
    (lambda: np.pad(X, -1), ValueError, "pad: pad_width can't contain negative values"),
    (lambda: np.pad(X, ((1, 2, 3),)), ValueError, r"pad: pad_width of shape \(1, 3\)"),
    (lambda: np.pad(X, 1.5), TypeError, "pad: pad_width must be of integral type"),
    (lambda: np.pad(X, {2: 1}), ValueError, "pad: axis 2 is out of bounds"),
    (lambda: np.pad(X, 1, "edge", constant_values=2), ValueError,
     "pad: unsupported keyword arguments for mode 'edge'"),
    (lambda: np.pad(X[:, :0], 1, "wrap"), ValueError, "pad: can't extend empty axis 1"),
    (lambda: np.diag(X[None]), ValueError, "diag: Input must be 1- or 2-d"),
    (lambda: np.diagonal(X[0]), ValueError, "diagonal: needs an array of at least two"),
    (lambda: np.diagonal(X, 0, 1, -1), ValueError, "diagonal: axis1 and axis2 cannot be"),
    (lambda: np.trace(X, axis2=3), ValueError, "diagonal: axis 3 is out of bounds"),
    (lambda: np.take(X, [6]), IndexError, "take: index 6 is out of bounds for axis 0 with"),
    (lambda: np.take(X, [-4], 1), IndexError, "take: index -4 is out of bounds for axis 1"),
    (lambda: np.take(X, [0.5]), TypeError, "take: indices must be integers, got float64"),
    (lambda: np.take(X, [1], mode="bounce"), ValueError, "take: mode must be one of"),
    (lambda: np.take(X[:, :0], [0], 1, mode="wrap"), IndexError, "take: cannot do a non-em"),
    (lambda: np.take_along_axis(X, np.array([0, 1]), 0), ValueError,
     "take_along_axis: `indices` .* must have the same number of dimensions"),
    (lambda: np.take_along_axis(X, np.array([[0]]), None), ValueError,
     "take_along_axis: when axis=None"),
    (lambda: np.take_along_axis(X, np.zeros((3, 1), int), 1), IndexError,
     r"take_along_axis: indices of shape \(3, 1\) do not broadcast"),
    (lambda: np.take_along_axis(X, np.array([[3]]), 1), IndexError,
     "take_along_axis: index 3 is out of bounds for axis 1 with size 3"),
    (lambda: np.select([X > 1], [X, X]), ValueError, "select: list of cases must be same"),
    (lambda: at.select([], [], X), ValueError, "select: select with an empty condition"),
    (lambda: np.select([X], [X]), TypeError, "select: invalid entry 0 in condlist"),
    (lambda: np.choose([0, 2, 1], [X, X]), ValueError, "choose: invalid entry in choice array"),
    (lambda: np.choose([0, -1, 1], [X, X]), ValueError, "choose: invalid entry in choice array"),
    (lambda: np.choose([0, 1], [X, X[:, :2]]), ValueError, "choose: shapes .* do not broad"),
    (lambda: np.sort(at.constant(1.0)), ValueError, "sort: axis -1 is out of bounds"),
    (lambda: np.argsort(X, 2), ValueError, "argsort: axis 2 is out of bounds"),
    (lambda: np.hstack([X, X[0]]), ValueError, "hstack: "),
    (lambda: at.vstack([]), ValueError, "vstack: need at least one array"),
])
def test_errors_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_forms_left_to_numpy_warn_and_run_on_values():
    x = at.constant(sample((2, 3), 25))
    with at.GradientTape() as tape:
        tape.watch(x)
        with pytest.warns(UserWarning, match="np.pad is not an autotape operation"):
            padded = np.pad(x, 1, "maximum")
        with pytest.warns(UserWarning, match="np.take is not an autotape operation"):
            np.take(x, [0], out=np.empty(1))
    assert isinstance(padded, np.ndarray)
    assert_close(padded, np.pad(x.numpy(), 1, "maximum"))


def test_every_function_is_routed_and_tensorflow_names_are_left_out():
    names = ("hstack vstack dstack column_stack split array_split hsplit vsplit swapaxes "
             "moveaxis repeat roll flip fliplr flipud rot90 pad atleast_1d atleast_2d "
             "atleast_3d ravel diag diagonal diagflat trace take take_along_axis select "
             "choose sort argsort").split()
    assert set(assembly.NUMPY_FUNCTIONS) == {getattr(np, n) for n in names}
    assert set(assembly.__all__) <= set(names)
    for name in ["split", "array_split", "hsplit", "vsplit", "pad", "diag", "diagonal",
                 "diagflat", "trace"]:
        assert name not in assembly.__all__
    for name in assembly.__all__:
        assert getattr(at, name) is getattr(assembly, name)
