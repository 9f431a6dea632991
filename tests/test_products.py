"""Products of tensors (einsum, tensordot, inner, outer, vdot, kron, cross) through NumPy's
functions and autotape's own: values and dtypes against NumPy in both float dtypes, first-order
gradients against central finite differences for every case, second order for a few, a
contraction order that keeps intermediates small, NumPy's errors, random einsum subscripts,
a batched Jacobian and a tape_function."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autotape as at
from gradcheck import assert_close, numeric_grad
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output: the indices seen once, sorted
    ("ba", [(2, 3)]),  # implicit 'ab': a transpose
    ("ii", [(3, 3)]),  # implicit '': the trace
    ("ii->i", [(3, 3)]),
    ("iij->ij", [(3, 3, 2)]),
    ("ijji->", [(2, 3, 3, 2)]),
    ("iji->j", [(2, 3, 2)]),
    ("iii->i", [(3, 3, 3)]),
    ("ii,ii->i", [(3, 3), (3, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bij,bjk->bik", [(1, 3, 4), (2, 4, 2)]),  # a batch index of size 1 broadcasts
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # '...' of ranks 2 and 1, size 1
    ("...ij,...jk", [(3, 4), (2, 4, 2)]),  # '...' of rank 0 against 1, implicit output
    ("i...->...", [(3, 2, 2)]),
    ("...,...->...", [(2, 3), (3,)]),
    ("i...j,j...->...i", [(2, 3, 1, 2), (2, 4)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 2)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ab,bc,cd,de,ef->af", [(2, 3), (3, 2), (2, 3), (3, 2), (2, 2)]),
    ("ij,jk,ki->", [(2, 3), (3, 4), (4, 2)]),
    ("ij,j,j->i", [(2, 3), (3,), (1,)]),
    ("ij->", [(2, 3)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij,jk->ki", [(2, 3), (3, 4)]),
    ("Ab,bA->", [(2, 3), (3, 2)]),  # upper-case indices are others
    ("ij,ij->i", [(2, 1), (1, 3)]),  # size 1 broadcasts without '...'
    ("ij,jk->ik", [(2, 1), (3, 4)]),  # ... also for a summed index
    ("ab,ab,ab->", [(2, 3), (2, 1), (1, 3)]),
    (",->", [(), ()]),
    (",ij->ji", [(), (2, 3)]),
    ("->", [()]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),  # an empty sum: zeros
    ("ij,jk->ik", [(0, 2), (2, 3)]),
    ("i->", [(0,)]),
]


def _einsum(subscripts):
    return lambda *xs: np.einsum(subscripts, *xs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES)
def test_einsum_through_numpy(subscripts, shapes, dtype):
    compare(_einsum(subscripts), [sample(s, k) for k, s in enumerate(shapes)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_autotapes_einsum_equals_numpys(dtype):
    rtol = 1e-12 if dtype == F64 else 1e-5
    for subscripts, shapes in EINSUM_CASES:
        arrays = [sample(s, k).astype(dtype) for k, s in enumerate(shapes)]
        got = at.einsum(subscripts, *arrays)
        expected = np.einsum(subscripts, *arrays)
        assert isinstance(got, at.Tensor) and got.dtype == expected.dtype, subscripts
        assert_close(got, expected, rtol=rtol, atol=rtol, what=subscripts)


@pytest.mark.parametrize("fn", [
    lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
    lambda a, b: np.einsum(a, [0, 1], b, [1, 2]),  # implicit output
    lambda a, b: np.einsum(a, [1, 0], b, [0, 2], [2, 1]),
    lambda a, b: np.einsum(a, [51, 26], b, [26, 25], [25, 51]),  # 'z', 'a', 'Z'
    lambda a, b: np.einsum(a[None], [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 2, 0]),
    lambda a, b: np.einsum("ij,jk", a, b, optimize=True),
    lambda a, b: np.einsum("ij,jk", a, b, optimize="greedy"),
], ids=["sublists", "implicit", "reordered", "letter-range", "ellipsis", "optimize",
        "greedy"])
def test_einsum_forms(fn):
    compare(fn, [sample((2, 3)), sample((3, 4), 1)])


def test_einsum_dtypes():
    ints = np.arange(6).reshape(2, 3)
    small = np.full(3, 100, np.int8)
    pairs = [
        (at.einsum("ij,jk", ints, ints.T), np.einsum("ij,jk", ints, ints.T)),
        # the sum wraps in int8, as NumPy's does: no widening as in np.sum
        (np.einsum("i->", at.constant(small)), np.einsum("i->", small)),
        (np.einsum("i,i", at.constant(ints[0]), np.ones(3, F32)),
         np.einsum("i,i", ints[0], np.ones(3, F32))),
        (np.einsum("ij,ij->i", at.constant(ints > 2), ints > 1),
         np.einsum("ij,ij->i", ints > 2, ints > 1)),
    ]
    for got, expected in pairs:
        assert isinstance(got, at.Tensor) and got.dtype == expected.dtype
        assert np.array_equal(got.numpy(), expected)


def _largest_intermediate(subscripts, arrays):
    """The size of the largest tensor einsum records (the tape's records: every operation it
    ran on the watched operands; a private attribute, but it sees every operation whatever
    einsum is composed of), after checking its value."""
    xs = [at.constant(a) for a in arrays]
    with at.GradientTape() as tape:
        tape.watch(xs)
        y = at.einsum(subscripts, *xs)
    assert_close(y, np.einsum(subscripts, *arrays), rtol=1e-10, what=subscripts)
    return max(math.prod(out.shape) for op in tape._records for out in op.outputs)


@pytest.mark.parametrize("shapes", [
    [(2, 1000), (1000, 2), (2, 1000)],  # right to left would make 1000 x 1000
    [(1000, 2), (2, 1000), (1000, 2)],  # left to right would
])
def test_einsum_contraction_order_keeps_intermediates_small(shapes):
    arrays = [sample(s, k) for k, s in enumerate(shapes)]
    assert _largest_intermediate("ij,jk,kl->il", arrays) <= 2000


def test_einsum_sums_an_unshared_index_before_any_product():
    # (3, 1000) times (3000,) before any sum would make 9e6 elements
    arrays = [sample((3, 1000)), sample((3000,), 1)]
    assert _largest_intermediate("ij,k->", arrays) <= 3000


@pytest.mark.parametrize("subscripts, shapes, message", [
    ("ij,jk", [(2, 3)], "einsum: subscripts 'ij,jk' name 2 operand"),
    ("ij", [(2, 3), (3,)], "einsum: subscripts 'ij' name 1 operand"),
    ("ijk", [(2, 3)], "einsum: operand 0 has 2 axes, but its subscripts 'ijk' name 3"),
    ("i", [(2, 3)], "einsum: operand 0 has 2 axes, but its subscripts 'i' name 1"),
    ("ij,jk", [(2, 3), (4, 2)], "einsum: index 'j' has sizes 3 and 4"),
    ("ii", [(2, 3)], "einsum: index 'i' repeated in operand 0 has sizes 2 and 3"),
    ("...i,...i", [(2, 3), (4, 3)], "einsum: a '...' axis has sizes 2 and 4"),
    ("ij->k", [(2, 3)], "einsum: output index 'k' appears in no operand"),
    ("ij->ii", [(2, 3)], "einsum: output index 'i' appears more than once"),
    ("i1", [(2, 3)], "einsum: invalid character '1'"),
    ("i$->", [(2, 3)], r"einsum: invalid character '\$'"),
    ("i.j", [(2, 3)], "einsum: operand 0 has a '.' that is not part of one '...'"),
    ("...i...", [(2, 3)], "einsum: operand 0 has a '.'"),
    ("ij->i->j", [(2, 3)], "einsum: subscripts 'ij->i->j' are not"),
    ("ij-", [(2, 3)], "einsum: subscripts 'ij-' are not"),
    ("ij->i,j", [(2, 3)], "einsum: subscripts 'ij->i,j' are not"),
    ("...ij->ij", [(4, 2, 3)], "einsum: the output needs '...'"),
])
def test_einsum_errors(subscripts, shapes, message):
    arrays = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(subscripts, *arrays)
    for call in (at.einsum, np.einsum):
        with pytest.raises(ValueError, match="^" + message):
            call(subscripts, *[at.constant(a) for a in arrays])


@pytest.mark.parametrize("args, message", [
    ([[0, 52]], r"einsum: sublist \[0, 52\] holds an index that is not"),
    ([[0, -1]], r"einsum: sublist \[0, -1\] holds"),  # not 'z' from the end
    ([[0, 1.0]], r"einsum: sublist \[0, 1.0\] holds"),
    ([], "einsum: needs subscripts, or operands"),
])
def test_einsum_sublist_errors(args, message):
    a = np.ones((2, 3))
    with pytest.raises((ValueError, TypeError)):
        np.einsum(a, *args)
    with pytest.raises(ValueError, match="^" + message):
        np.einsum(at.constant(a), *args)


TENSORDOT_CASES = [
    ([(2, 3), (4,)], 0),
    ([(2, 3, 4), (4, 2)], 1),
    ([(2, 3, 4), (3, 4, 2)], 2),
    ([(2, 3, 4), (3, 4, 2)], ([1, 2], [0, 1])),
    ([(2, 3, 4), (4, 2, 3)], ([-1, 1], [0, -1])),
    ([(2, 3, 4), (4, 3)], ((2, 1), (0, 1))),
    ([(3, 2), (2, 3)], (0, 1)),  # a pair of single axes
    ([(3, 2), (2, 3)], ([], [])),  # none: the outer product
    ([(3, 2), (2, 3)], (np.array([0, 1]), np.array([1, 0]))),
    ([(), (2, 3)], 0),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes, axes", TENSORDOT_CASES)
def test_tensordot(shapes, axes, dtype):
    compare(lambda a, b: np.tensordot(a, b, axes), [sample(s, k) for k, s in enumerate(shapes)],
            dtype)


def test_autotapes_tensordot_equals_numpys():
    for shapes, axes in TENSORDOT_CASES:
        a, b = (sample(s, k) for k, s in enumerate(shapes))
        assert_close(at.tensordot(a, b, axes), np.tensordot(a, b, axes), rtol=1e-12)
    a, b = sample((2, 3, 4)), sample((3, 4, 2), 1)
    assert_close(np.tensordot(at.constant(a), b), np.tensordot(a, b), rtol=1e-12)  # axes=2


@pytest.mark.parametrize("shapes, axes, message", [
    ([(2, 3), (4, 2)], 1, r"tensordot: shape mismatch for sum: axis 1 of \(2, 3\)"),
    ([(2, 3), (3, 2)], 3, "tensordot: cannot sum over 3 axes"),
    ([(2, 3), (3, 2)], ([1, 1], [0, 0]), "tensordot: axes .* not pairs of"),
    ([(2, 3), (3, 3)], ([1], [0, 1]), "tensordot: axes .* not pairs of"),
    ([(2, 3), (3, 2)], ([2], [0]), "tensordot: axis 2 is out of bounds"),
    ([(), ()], 2, "tensordot: cannot sum over 2 axes"),
])
def test_tensordot_errors(shapes, axes, message):
    arrays = [np.ones(s) for s in shapes]
    with pytest.raises((ValueError, IndexError)):  # NumPy's IndexError for missing axes
        np.tensordot(*arrays, axes)
    for call in (at.tensordot, np.tensordot):
        with pytest.raises(ValueError, match="^" + message):
            call(*[at.constant(a) for a in arrays], axes)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, shapes", [
    (np.inner, [(), ()]),
    (np.inner, [(), (2, 3)]),
    (np.inner, [(3,), (3,)]),
    (np.inner, [(2, 3), (4, 3)]),
    (np.inner, [(2, 2, 3), (4, 1, 3)]),
    (np.inner, [(0,), (0,)]),
    (np.outer, [(3,), (2,)]),
    (np.outer, [(2, 3), (2, 2)]),  # flattened
    (np.outer, [(), (3,)]),
    (np.vdot, [(3,), (3,)]),
    (np.vdot, [(2, 3), (3, 2)]),  # flattened
    (np.vdot, [(), ()]),
    (np.kron, [(2,), (3,)]),
    (np.kron, [(2, 3), (4,)]),  # fewer axes get leading ones
    (np.kron, [(2,), (4, 3, 2)]),
    (np.kron, [(2, 1, 3), (1, 2, 2)]),
    (np.kron, [(), (2, 3)]),
    (np.kron, [(2, 0), (3, 3)]),
])
def test_inner_outer_vdot_kron(fn, shapes, dtype):
    compare(fn, [sample(s, k) for k, s in enumerate(shapes)], dtype)


def test_autotapes_products_equal_numpys():
    a, b, c = sample((2, 3)), sample((4, 3), 1), sample((3,), 2)
    for name, args in [("inner", (a, b)), ("outer", (a, c)), ("vdot", (a, a.T)),
                       ("kron", (a, c)), ("cross", (b, c))]:
        got, expected = getattr(at, name)(*args), getattr(np, name)(*args)
        assert isinstance(got, at.Tensor) and got.shape == expected.shape, name
        assert_close(got, expected, rtol=1e-12, atol=1e-14, what=name)


CROSS_CASES = [
    ([(3,), (3,)], {}),
    ([(4, 3), (3,)], {}),  # broadcasting
    ([(4, 1, 3), (5, 3)], {}),
    ([(3, 4), (4, 3)], dict(axisa=0)),
    ([(3, 4), (3, 4)], dict(axisa=0, axisb=0, axisc=0)),
    ([(4, 3, 2), (4, 3, 2)], dict(axis=1)),
    ([(4, 3), (3,)], dict(axisc=0)),
    ([(2, 3, 2), (3, 2)], dict(axisa=1, axisb=0, axisc=-2)),
    ([(0, 3), (3,)], {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes, kwargs", CROSS_CASES)
def test_cross(shapes, kwargs, dtype):
    compare(lambda a, b: np.cross(a, b, **kwargs), [sample(s, k) for k, s in enumerate(shapes)],
            dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes, kwargs", [
    ([(2,), (3,)], {}),  # a 2-vector has z = 0
    ([(3,), (2,)], {}),
    ([(2, 4), (3, 4)], dict(axis=0)),
    ([(2,), (2,)], {}),  # two 2-vectors: the z alone
    ([(5, 2), (2, 5)], dict(axisb=0, axisc=0)),  # ... whatever axisc
])
def test_cross_with_2_vectors_does_as_the_installed_numpy(shapes, kwargs, dtype):
    arrays = [sample(s, k) for k, s in enumerate(shapes)]
    if np.lib.NumpyVersion(np.__version__) >= "2.5.0":  # 2.5 refuses what 2.0 deprecated
        with pytest.raises(ValueError):
            np.cross(*arrays, **kwargs)
        for call in (at.cross, np.cross):
            with pytest.raises(ValueError, match="^cross: both operands must be .* "
                                                 "3-dimensional vectors, but they are [23] and"):
                call(*[at.constant(a) for a in arrays], **kwargs)
        return
    with pytest.warns(DeprecationWarning):
        np.cross(*arrays, **kwargs)
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors are deprecated"):
        at.cross(*arrays, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        compare(lambda a, b: np.cross(a, b, **kwargs), arrays, dtype)


@pytest.mark.parametrize("shapes, kwargs, message", [
    ([(4,), (3,)], {}, "cross: incompatible dimensions for cross product"),
    ([(4, 3), (3,)], dict(axisa=2), "cross: axisa: axis 2 is out of bounds"),
    ([(3,), (3, 4)], dict(axisb=-3), "cross: axisb: axis -3 is out of bounds"),
    ([(4, 3), (3,)], dict(axisc=2), "cross: axisc: axis 2 is out of bounds"),
    ([(4, 3, 2), (2, 3, 2)], dict(axis=1), r"cross: the vectors of shapes \(4, 3, 2\) and"),
    ([(3,), ()], {}, "cross: axisb: axis -1 is out of bounds"),
])
def test_cross_errors(shapes, kwargs, message):
    arrays = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.cross(*arrays, **kwargs)
    for call in (at.cross, np.cross):
        with pytest.raises(ValueError, match="^" + message):
            call(*[at.constant(a) for a in arrays], **kwargs)


@pytest.mark.parametrize("f, shape", [
    (lambda a: at.einsum("ij,jk->ik", a, a), (3, 3)),
    (lambda a: at.einsum("ii,ij,j->", a, a, a[0]), (3, 3)),
    (lambda a: at.einsum("...i,...i->...", a, a[::-1]), (2, 3)),
    (lambda a: at.tensordot(a, a * a, ([0], [1])), (3, 3)),
    (lambda a: at.kron(a, a[0]), (2, 3)),
    (lambda a: at.cross(a, a[::-1]), (2, 3)),
    (lambda a: at.inner(a, a) + at.vdot(a, a * a) + at.outer(a, a)[0, 1], (2, 3)),
])
def test_second_order(f, shape):
    assert at.testing.check_gradients(f, sample(shape, 3), order=2)


def test_hessian_of_a_quadratic_form():
    m = sample((4, 4), 4)
    hessian = at.hessian(lambda x: at.einsum("i,ij,j->", x, m, x))(at.constant(sample((4,))))
    assert_close(hessian, m + m.T, rtol=1e-12)


@pytest.mark.parametrize("f", [
    lambda x: at.einsum("ij,jk->ik", at.reshape(x[:6], (2, 3)),
                        at.reshape(at.sin(x[3:]), (3, 2))),
    lambda x: at.einsum("ii->i", at.reshape(x, (3, 3))) * x[:3],
    lambda x: at.tensordot(at.reshape(x, (3, 3)), x[:3] * x[3:6], 1),
    lambda x: at.cross(at.reshape(x, (3, 3)), x[6:]),
], ids=["einsum", "diagonal", "tensordot", "cross"])
def test_batched_jacobian_equals_rows(f):
    x = at.constant(sample((9,), 5))
    jacobian = at.jacobian(f)(x).numpy().reshape(-1, x.size)
    rows = []
    for k in range(jacobian.shape[0]):
        with at.GradientTape() as tape:
            tape.watch(x)
            yk = at.reshape(f(x), (-1,))[k]
        rows.append(tape.gradient(yk, x).numpy())
    assert_close(jacobian, np.array(rows), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f", [
    lambda a, b: at.reduce_sum(at.einsum("bij,bjk->bik", a, b) ** 2)
    + at.einsum("bii->", a * a),
    lambda a, b: at.reduce_sum(at.sin(at.tensordot(a, b, ([0, 2], [0, 1])))),
], ids=["einsum", "tensordot"])
def test_inside_a_tape_function(f):
    compiled = at.value_and_grad(at.tape_function(f), argnums=(0, 1))
    for seed in (6, 7):
        a, b = at.constant(sample((2, 3, 3), seed)), at.constant(sample((2, 3, 2), seed + 10))
        value, grads = at.value_and_grad(f, argnums=(0, 1))(a, b)
        got_value, got_grads = compiled(a, b)
        assert_close(got_value, value, rtol=1e-12)
        for g, e in zip(got_grads, grads):
            assert_close(g, e, rtol=1e-12, atol=1e-14)
    assert compiled.cache_info().compiled_calls == 1  # the second call


@st.composite
def einsum_calls(draw):
    """Random valid einsum calls over small shapes: repeated indices, sizes 1 that
    broadcast, '...' of different ranks, implicit and explicit outputs."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=4, max_size=4))
    letters = "abcd"
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 4))):
        term = "".join(draw(st.lists(st.sampled_from(letters), max_size=3)))
        shape = [draw(st.sampled_from([sizes[letters.index(c)], 1])) for c in term]
        shape = [shape[term.index(c)] for c in term]  # a repeated index: one size
        if draw(st.booleans()):
            cut = draw(st.integers(0, len(term)))
            batch = draw(st.lists(st.sampled_from([1, 2]), max_size=2))
            term, shape = term[:cut] + "..." + term[cut:], shape[:cut] + batch + shape[cut:]
        terms.append(term)
        shapes.append(tuple(shape))
    subscripts = ",".join(terms)
    if draw(st.booleans()):
        used = sorted(set(subscripts) - set(".,"))
        output = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        subscripts += "->" + ("..." if "." in subscripts else "") + output
    return subscripts, shapes


@settings(max_examples=40, deadline=None)
@given(einsum_calls())
def test_random_einsum_against_numpy(call):
    subscripts, shapes = call
    arrays = [sample(s, k) for k, s in enumerate(shapes)]
    expected = np.einsum(subscripts, *arrays)
    xs = [at.constant(a) for a in arrays]
    with at.GradientTape() as tape:
        tape.watch(xs)
        y = at.einsum(subscripts, *xs)
    assert_close(y, expected, rtol=1e-12, atol=1e-14, what=subscripts)
    weights = sample(expected.shape, 9)
    grads = tape.gradient(y, xs, output_gradients=at.constant(weights))
    numeric = numeric_grad(_einsum(subscripts), *arrays, weights=weights)
    for g, n in zip(grads, numeric):
        assert_close(g, n, rtol=1e-6, atol=1e-8, what=subscripts)


VECTOR_GUFUNCS = [(name, shapes) for name, shapes in [
    ("vecdot", [(2, 3), (3,)]), ("vecdot", [(4, 1, 3), (2, 3)]),
    ("matvec", [(2, 3), (3,)]), ("matvec", [(4, 2, 3), (1, 3)]),
    ("vecmat", [(3,), (3, 2)]), ("vecmat", [(4, 3), (1, 3, 2)]),
] if hasattr(np, name)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shapes", VECTOR_GUFUNCS)
def test_numpys_vector_gufuncs(name, shapes, dtype):
    compare(getattr(np, name), [sample(s, k) for k, s in enumerate(shapes)], dtype)


def test_vector_gufunc_errors():
    x = at.constant(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"vecdot: core axes of sizes 3 and 2"):
        at.vecdot(x, np.ones(2))
    with pytest.raises(ValueError, match=r"matvec: the first operand needs matrices"):
        at.matvec(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"vecmat: the second operand needs matrices"):
        at.vecmat(np.ones(3), np.ones(3))
    compare(lambda a, b: at.vecdot(a, b, axis=0) if isinstance(a, at.Tensor)
            else np.vecdot(a, b, axis=0), [sample((3, 2), 1), sample((3, 1), 2)])
