"""Products of tensors beyond matmul: einsum, tensordot, inner, outer, vdot, kron, cross.

Each is composed of recorded operations (transpose, reshape, matmul, multiply, sums), so its
gradient, at every order, is theirs."""

import collections
import functools
import math
import operator
import string
import warnings

import numpy as np

from ..tensor import as_tensor
from .indexing import getitem
from .linalg import matmul
from .numpy_signatures import numpy_table
from .reductions import reduce_sum
from .shape import reshape, stack, transpose

__all__ = ["einsum", "tensordot", "inner", "outer", "vdot", "kron", "cross", "vecdot", "matvec",
           "vecmat"]


def _promoted(values):
    """The values as Tensors of NumPy's result dtype for them (a Python number counts as the
    0-d array NumPy's functions make of it)."""
    tensors = [as_tensor(v) for v in values]
    dtype = np.result_type(*[t.dtype for t in tensors])
    return [as_tensor(t, dtype) for t in tensors]


def _permuted(x, perm):
    perm = tuple(perm)
    return x if perm == tuple(range(x.ndim)) else transpose(x, perm)


# --- einsum: parsing ---------------------------------------------------------------------------
# An index is a letter, or ("...", k) for the k-th of the axes an ellipsis stands for: numbered
# so that operands with fewer of them align at the right, as NumPy broadcasts them.
_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's: 0 -> 'A'


def _describe(index):
    return f"index {index!r}" if isinstance(index, str) else "a '...' axis"


def _split_ellipsis(term, where):
    """(letters before '...', letters after it, whether it is there) of one term."""
    before, ellipsis, after = term.partition("...")
    if "." in before + after:
        raise ValueError(f"einsum: {where} has a '.' that is not part of one '...'")
    return before, after, bool(ellipsis)


def _parse(subscripts, ranks):
    """(indices of each operand's axes, indices of the output's) for operands of ``ranks``."""
    spec = subscripts.replace(" ", "")
    invalid = sorted(set(spec) - set(string.ascii_letters) - set(".,->"))
    if invalid:
        raise ValueError(f"einsum: invalid character {invalid[0]!r} in subscripts "
                         f"{subscripts!r}: indices are letters")
    inputs, arrow, output = spec.partition("->")
    if set("->") & set(inputs + output) or "," in output:
        raise ValueError(f"einsum: subscripts {subscripts!r} are not 'ij,jk' or 'ij,jk->ik'")
    terms = inputs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"but {len(ranks)} were given")
    split = [_split_ellipsis(term, f"operand {k}") for k, term in enumerate(terms)]
    extra = [rank - len(before + after) for (before, after, _), rank in zip(split, ranks)]
    for k, ((before, after, ellipsis), n) in enumerate(zip(split, extra)):
        if n < 0 or (n > 0 and not ellipsis):
            raise ValueError(f"einsum: operand {k} has {ranks[k]} axes, but its subscripts "
                             f"{terms[k]!r} name {len(before + after)}")
    rank = max((n for (_, _, ellipsis), n in zip(split, extra) if ellipsis), default=0)
    labels = [list(before) + [("...", k) for k in range(rank - n, rank)] + list(after)
              for (before, after, _), n in zip(split, extra)]
    if not arrow:
        letters = inputs.replace(".", "").replace(",", "")
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        return labels, [("...", k) for k in range(rank)] + once
    return labels, _output_labels(output, labels, rank)


def _output_labels(output, labels, rank):
    before, after, ellipsis = _split_ellipsis(output, "the output")
    if rank and not ellipsis:
        raise ValueError("einsum: the output needs '...' for the axes '...' stands for in "
                         "the operands")
    seen = set().union(*labels)
    for c in before + after:
        if (before + after).count(c) > 1:
            raise ValueError(f"einsum: output index {c!r} appears more than once")
        if c not in seen:
            raise ValueError(f"einsum: output index {c!r} appears in no operand")
    return list(before) + [("...", k) for k in range(rank if ellipsis else 0)] + list(after)


def _index_sizes(tensors, labels):
    """{index: its size}, checked: equal, or 1 (broadcast) in some operands; an index repeated
    within one operand (a diagonal) has one size there."""
    sizes = {}
    for k, (x, indices) in enumerate(zip(tensors, labels)):
        own = {}
        for index, n in zip(indices, x.shape):
            if own.setdefault(index, n) != n:
                raise ValueError(f"einsum: {_describe(index)} repeated in operand {k} has "
                                 f"sizes {own[index]} and {n}")
            known = sizes.get(index, 1)
            if 1 not in (known, n) and known != n:
                raise ValueError(f"einsum: {_describe(index)} has sizes {known} and {n} "
                                 f"(operand {k})")
            sizes[index] = n if known == 1 else known
    return sizes


def _subscripts_from_sublists(args):
    """NumPy's other form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (integers for indices,
    Ellipsis for '...', the output's list optional), as (subscripts, operands)."""
    def letter(index):
        if index is Ellipsis:
            return "..."
        k = operator.index(index)
        if not 0 <= k < len(_SUBLIST_LETTERS):  # a negative k would count from the end
            raise IndexError(k)
        return _SUBLIST_LETTERS[k]

    def letters(sublist):
        try:
            return "".join(letter(index) for index in sublist)
        except (IndexError, TypeError):
            raise ValueError(f"einsum: sublist {sublist!r} holds an index that is not an "
                             f"integer in [0, 52) or Ellipsis") from None

    if len(args) < 2:
        raise ValueError("einsum: needs subscripts, or operands each followed by its sublist")
    pairs = args[:len(args) - len(args) % 2]
    subscripts = ",".join(letters(s) for s in pairs[1::2])
    if len(args) % 2:
        subscripts += "->" + letters(args[-1])
    return subscripts, pairs[0::2]


# --- einsum: contracting -----------------------------------------------------------------------
def _diagonal(x, i, j):
    """The diagonal of x's axes i and j (of one size n) as its last axis: with the two moved
    last and merged, it is every (n+1)-th of their n*n elements."""
    n = x.shape[i]
    x = _permuted(x, [k for k in range(x.ndim) if k not in (i, j)] + [i, j])
    return getitem(reshape(x, x.shape[:-2] + (n * n,)), (Ellipsis, slice(None, None, n + 1)))


def _take_diagonals(x, indices):
    """x with each index repeated within it ('ii') reduced to its diagonal: then once."""
    indices = list(indices)
    while len(set(indices)) < len(indices):
        index = next(index for index in indices if indices.count(index) > 1)
        i = indices.index(index)
        j = indices.index(index, i + 1)
        x = _diagonal(x, i, j)
        indices = [other for k, other in enumerate(indices) if k not in (i, j)] + [index]
    return x, indices


def _sum_unshared(operands, output):
    """Each operand summed over its indices in no other operand and not in the output: before
    any product carries them."""
    counts = collections.Counter(index for _, indices in operands for index in indices)
    needed = set(output) | {index for index, n in counts.items() if n > 1}
    summed = []
    for x, indices in operands:
        axes = tuple(k for k, index in enumerate(indices) if index not in needed)
        if axes:
            x, indices = reduce_sum(x, axes), [index for index in indices if index in needed]
        summed.append((x, indices))
    return summed


def _grouped(x, indices, batch, rows, cols):
    """x transposed to (batch, rows, cols) and its rows and columns merged: a stack of
    matrices for matmul."""
    x = _permuted(x, [indices.index(index) for index in batch + rows + cols])
    shape = x.shape
    nb, nr = len(batch), len(rows)
    return reshape(x, shape[:nb] + (math.prod(shape[nb:nb + nr]), math.prod(shape[nb + nr:])))


def _summed_if_other_is_one(x, indices, other, other_indices, index):
    """x summed over ``index`` where ``other`` has it of size 1 (broadcast) and x does not:
    the sum of the product is then the product with x's sum."""
    n, m = x.shape[indices.index(index)], other.shape[other_indices.index(index)]
    return reduce_sum(x, indices.index(index), keepdims=True) if m == 1 != n else x


def _contract_pair(x, x_indices, y, y_indices, keep):
    """(x times y summed over the indices they share that ``keep`` lacks, its indices), by
    one matmul: the shared indices kept are its batch axes, then come x's own, then y's."""
    from . import multiply

    batch = [index for index in x_indices if index in y_indices and index in keep]
    summed = [index for index in x_indices if index in y_indices and index not in keep]
    left = [index for index in x_indices if index not in y_indices]
    right = [index for index in y_indices if index not in x_indices]
    for index in summed:
        x, y = (_summed_if_other_is_one(x, x_indices, y, y_indices, index),
                _summed_if_other_is_one(y, y_indices, x, x_indices, index))
    a = _grouped(x, x_indices, batch, left, summed)
    b = _grouped(y, y_indices, batch, summed, right)
    # Nothing to sum: (..., m, 1) and (..., 1, n) make the same (..., m, n) elementwise.
    product = (matmul if summed else multiply)(a, b)
    shape = (product.shape[:len(batch)] + tuple(x.shape[x_indices.index(i)] for i in left)
             + tuple(y.shape[y_indices.index(i)] for i in right))
    return reshape(product, shape), batch + left + right


def _kept(operands, pair, output):
    """The indices still needed once the operands at ``pair`` are contracted."""
    others = [indices for k, (_, indices) in enumerate(operands) if k not in pair]
    return set(output).union(*others)


def _cheapest_pair(operands, output, sizes):
    """The pair to contract next, greedily (opt_einsum's way): one that shares an index if
    any does, and of those the one whose result grows least over its two operands."""
    def cost(pair):
        (x, xi), (y, yi) = operands[pair[0]], operands[pair[1]]
        kept = (set(xi) | set(yi)) & _kept(operands, pair, output)
        return not set(xi) & set(yi), math.prod(sizes[i] for i in kept) - x.size - y.size

    pairs = [(i, j) for j in range(len(operands)) for i in range(j)]
    return min(pairs, key=cost)


def _contract_all(operands, output, sizes):
    while len(operands) > 1:
        pair = _cheapest_pair(operands, output, sizes)
        keep = _kept(operands, pair, output)
        (x, xi), (y, yi) = (operands[k] for k in pair)
        operands = [op for k, op in enumerate(operands) if k not in pair]
        operands.append(_contract_pair(x, xi, y, yi, keep))
    return operands[0]


def einsum(subscripts, *operands, optimize=False):
    """NumPy's einsum. The contraction order is always chosen greedily, pair by pair
    (``optimize`` is taken for NumPy's signature); each pair is one matmul."""
    if not isinstance(subscripts, str):
        subscripts, operands = _subscripts_from_sublists((subscripts,) + operands)
    tensors = [as_tensor(x) for x in operands]
    labels, output = _parse(subscripts, [x.ndim for x in tensors])
    sizes = _index_sizes(tensors, labels)
    tensors = _promoted(tensors)
    operands = _sum_unshared([_take_diagonals(x, indices) for x, indices in
                              zip(tensors, labels)], output)
    result, indices = _contract_all(operands, output, sizes)
    result = _permuted(result, [indices.index(index) for index in output])
    # reduce_sum widens small integers, as np.sum does; einsum keeps the operands' dtype.
    return as_tensor(result, tensors[0].dtype)


def _numpy_einsum(*operands, out=None, optimize=False, **kwargs):
    if out is not None or kwargs:  # dtype=, casting=, order=: left to NumPy
        return NotImplemented
    return einsum(*operands, optimize=optimize)


# --- tensordot and the products built on it ----------------------------------------------------
def _axis(axis, ndim, what):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, what)
    return axis % ndim


def _sum_of_products(x, y, axes_x, axes_y, what):
    """The tensordot of x and y over the paired axes (x's free axes, then y's)."""
    axes_x = [_axis(a, x.ndim, what) for a in axes_x]
    axes_y = [_axis(a, y.ndim, what) for a in axes_y]
    if len(axes_x) != len(axes_y) or len(set(axes_x)) < len(axes_x) \
            or len(set(axes_y)) < len(axes_y):
        raise ValueError(f"{what}: axes {axes_x} and {axes_y} are not pairs of distinct axes")
    for i, j in zip(axes_x, axes_y):
        if x.shape[i] != y.shape[j]:
            raise ValueError(f"{what}: shape mismatch for sum: axis {i} of {x.shape} and axis "
                             f"{j} of {y.shape}")
    x_indices = [("sum", axes_x.index(k)) if k in axes_x else ("x", k) for k in range(x.ndim)]
    y_indices = [("sum", axes_y.index(k)) if k in axes_y else ("y", k) for k in range(y.ndim)]
    keep = {index for index in x_indices + y_indices if index[0] != "sum"}
    return _contract_pair(x, x_indices, y, y_indices, keep)[0]


def tensordot(a, b, axes=2):
    x, y = _promoted([a, b])
    if not np.iterable(axes):  # a number of axes (np.ndim would reject ([1], [0, 1]))
        n = operator.index(axes)
        if not 0 <= n <= min(x.ndim, y.ndim):
            raise ValueError(f"tensordot: cannot sum over {n} axes of shapes {x.shape} and "
                             f"{y.shape}")
        return _sum_of_products(x, y, range(x.ndim - n, x.ndim), range(n), "tensordot")
    axes_x, axes_y = axes
    return _sum_of_products(x, y, np.atleast_1d(axes_x), np.atleast_1d(axes_y), "tensordot")


def inner(a, b):
    from . import multiply

    x, y = _promoted([a, b])
    if x.ndim == 0 or y.ndim == 0:
        return multiply(x, y)
    return _sum_of_products(x, y, [-1], [-1], "inner")


def outer(a, b):
    x, y = _promoted([a, b])
    return _sum_of_products(reshape(x, (-1,)), reshape(y, (-1,)), [], [], "outer")


def vdot(a, b):
    """The sum of the products of the flattened a and b (autotape's tensors are real: no
    conjugate)."""
    x, y = _promoted([a, b])
    return _sum_of_products(reshape(x, (-1,)), reshape(y, (-1,)), [0], [0], "vdot")


def kron(a, b):
    """NumPy's kron: the operand of fewer axes gets leading ones first."""
    from . import multiply

    x, y = _promoted([a, b])
    rank = max(x.ndim, y.ndim)
    shape_x, shape_y = ((1,) * (rank - t.ndim) + t.shape for t in (x, y))
    # Axes interleaved, (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) holds a[i] b[j] at
    # [i0, j0, i1, j1, ...]: merging each pair gives kron's [i0 * b0 + j0, ...].
    x = reshape(x, tuple(n for m in shape_x for n in (m, 1)))
    y = reshape(y, tuple(n for m in shape_y for n in (1, m)))
    return reshape(multiply(x, y), tuple(m * n for m, n in zip(shape_x, shape_y)))


def _vector_components(x, axis, what):
    """The 2 or 3 components of the vectors along ``axis`` of x, then a missing z (None)."""
    axis = _axis(axis, x.ndim, f"cross: {what}")
    if x.shape[axis] not in (2, 3):
        raise ValueError("cross: incompatible dimensions for cross product (dimension must "
                         "be 2 or 3)")
    whole = (slice(None),) * axis
    return [getitem(x, whole + (k,)) for k in range(x.shape[axis])] + [None]


def _times(u, v):
    from . import multiply

    return None if u is None or v is None else multiply(u, v)


def _minus(p, q):
    """p - q, a missing term (None, a product with the z of a 2-vector) being zero."""
    from . import negative, subtract

    return p if q is None else negative(q) if p is None else subtract(p, q)


@functools.cache
def _numpy_crosses_2_vectors():
    """Whether the installed NumPy still takes 2-vectors in cross: 2.0 deprecated them and
    2.5 refuses them, and autotape's cross does as the NumPy beside it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            np.cross(np.zeros(2), np.zeros(2))
        except ValueError:
            return False
    return True


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """NumPy's cross: of 3-vectors; a 2-vector has z = 0 and two 2-vectors give the z alone,
    where the installed NumPy still takes them (before 2.5, with its DeprecationWarning)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = _promoted([a, b])
    a0, a1, a2 = _vector_components(x, axisa, "axisa")[:3]
    b0, b1, b2 = _vector_components(y, axisb, "axisb")[:3]
    if a2 is None or b2 is None:  # as the installed NumPy does with any 2-vector
        sizes = (2 if a2 is None else 3, 2 if b2 is None else 3)
        if not _numpy_crosses_2_vectors():
            raise ValueError(f"cross: both operands must be (arrays of) 3-dimensional vectors, "
                             f"but they are {sizes[0]} and {sizes[1]} dimensional (NumPy "
                             f"{np.__version__} no longer takes 2-vectors)")
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    try:
        np.broadcast_shapes(a0.shape, b0.shape)
    except ValueError:
        raise ValueError(f"cross: the vectors of shapes {x.shape} and {y.shape} do not "
                         f"broadcast") from None
    z = _minus(_times(a0, b1), _times(a1, b0))
    if a2 is None and b2 is None:
        return z
    c = stack([_minus(_times(a1, b2), _times(a2, b1)), _minus(_times(a2, b0), _times(a0, b2)),
               z], axis=-1)
    axisc = _axis(axisc, c.ndim, "cross: axisc")
    return _permuted(c, list(range(axisc)) + [c.ndim - 1] + list(range(axisc, c.ndim - 1)))



# --- NumPy 2's vector gufuncs ------------------------------------------------------------------
def _core_sizes(x, y, x_axis, y_axis, what):
    """The operands promoted, checked to share the size of their core axes."""
    x, y = _promoted([x, y])
    for t, role in ((x, "first"), (y, "second")):
        if t.ndim == 0:
            raise ValueError(f"{what}: the {role} operand needs at least one axis")
    if x.shape[x_axis] != y.shape[y_axis]:
        raise ValueError(f"{what}: core axes of sizes {x.shape[x_axis]} and {y.shape[y_axis]} "
                         f"do not match (shapes {x.shape} and {y.shape})")
    return x, y


def vecdot(x1, x2, axis=-1):
    """``np.vecdot``: the dot products of the vectors along ``axis`` (real: no conjugate),
    other axes broadcast."""
    from . import multiply

    x, y = _core_sizes(x1, x2, axis, axis, "vecdot")
    return reduce_sum(multiply(x, y), axis)


def matvec(x1, x2):
    """``np.matvec``: the matrices of x1 (..., m, n) times the vectors of x2 (..., n)."""
    from .shape import expand_dims

    x, y = _core_sizes(x1, x2, -1, -1, "matvec")
    if x.ndim < 2:
        raise ValueError(f"matvec: the first operand needs matrices, got shape {x.shape}")
    return getitem(matmul(x, expand_dims(y, -1)), (Ellipsis, 0))


def vecmat(x1, x2):
    """``np.vecmat``: the vectors of x1 (..., n) times the matrices of x2 (..., n, m)."""
    from .shape import expand_dims

    x, y = _core_sizes(x1, x2, -1, -2 if np.ndim(x2) >= 2 else -1, "vecmat")
    if y.ndim < 2:
        raise ValueError(f"vecmat: the second operand needs matrices, got shape {y.shape}")
    return getitem(matmul(expand_dims(x, -2), y), (Ellipsis, 0, slice(None)))


# NumPy's gufuncs (NumPy 2.0 has vecdot, 2.2 matvec and vecmat), for numpy_dispatch.
UFUNCS = {getattr(np, name): function for name, function in
          (("vecdot", vecdot), ("matvec", matvec), ("vecmat", vecmat)) if hasattr(np, name)}

NUMPY_FUNCTIONS = {  # NumPy function -> implementation, for numpy_dispatch
    np.einsum: _numpy_einsum,  # *operands: not a signature numpy_table binds by name
    **numpy_table([(np.tensordot, tensordot), (np.inner, inner), (np.outer, outer),
                   (np.vdot, vdot), (np.kron, kron), (np.cross, cross)]),
}
