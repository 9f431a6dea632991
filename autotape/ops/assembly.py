"""NumPy's array assembly and rearrangement: stacking, splitting, flipping, rolling,
padding, diagonals, taking and sorting.

Composed of recorded shape and indexing operations where it can be, so that gradients at
every order are theirs. Index patterns (a roll, a repeat, a reflection) are built by NumPy
on ``arange`` and applied with one integer-array ``getitem``, whose gradient scatter-adds.
The one primitive is ArgSort, which has no gradient."""

import operator

import numpy as np
from numpy.exceptions import AxisError

from .. import dtypes
from ..recording import concrete
from ..tensor import Tensor, as_tensor
from . import registry
from .core import run
from .indexing import getitem
from .numpy_signatures import numpy_table
from .reductions import reduce_sum
from .selection import cast, identity, where
from .shape import broadcast_to, concat, reshape, stack, transpose

__all__ = ["argsort", "atleast_1d", "atleast_2d", "atleast_3d", "choose", "column_stack",
           "dstack", "flip", "fliplr", "flipud", "hstack", "moveaxis", "ravel", "repeat",
           "roll", "rot90", "select", "sort", "swapaxes", "take", "take_along_axis",
           "vstack"]


# --- axes and indices -------------------------------------------------------------------

def _axis(axis, ndim, what):
    """``axis`` in [0, ndim), from NumPy's [-ndim, ndim)."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise AxisError(f"{what}: axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _axes(axis, ndim, what):
    """One axis or a sequence of them, each in [0, ndim), in the order given."""
    axes = tuple(_axis(a, ndim, what) for a in (axis if np.ndim(axis) else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return axes


def _with_axis(a, axis, what):
    """``a`` as a tensor and ``axis`` normalized; axis None flattens it (axis 0), as NumPy."""
    x = as_tensor(a)
    if axis is None:
        return _flat(x), 0
    return x, _axis(axis, x.ndim, what)


def _flat(x):
    return reshape(x, (-1,))


def _along(x, axis, key):
    """``x`` indexed with ``key`` at ``axis``, every other axis whole."""
    return getitem(x, (slice(None),) * axis + (key,))


def _values(x, what):
    """A plain array (indices, widths, conditions are never differentiated)."""
    return np.asarray(concrete(x, what) if isinstance(x, Tensor) else x)


def _one_dtype(values):
    """``values`` as tensors of the dtype NumPy's promotion gives them, Python numbers weak
    (NEP 50: ``[float32 array, 5]`` is float32)."""
    weak = [v if dtypes.is_python_number(v) else as_tensor(v) for v in values]
    dtype = np.result_type(*(v.dtype if isinstance(v, Tensor) else v for v in weak))
    return [as_tensor(v, dtype) for v in weak]


def _indices(indices, n, axis, mode, what):
    """Integer indices into an axis of ``n`` elements, as NumPy's ``mode`` reads them."""
    index = _values(indices, what)
    if index.dtype.kind not in "biu":
        raise TypeError(f"{what}: indices must be integers, got {index.dtype}")
    index = index.astype(np.intp)
    if n == 0 and index.size:
        raise IndexError(f"{what}: cannot do a non-empty take from an empty axis {axis}")
    if mode == "wrap":
        return index % n
    if mode == "clip":
        return np.clip(index, 0, n - 1)  # negative indices clip to 0 too, as in NumPy
    if mode != "raise":
        raise ValueError(f"{what}: mode must be one of 'clip', 'raise', or 'wrap', got {mode!r}")
    outside = (index < -n) | (index >= n)
    if outside.any():
        raise IndexError(f"{what}: index {index[outside][0]} is out of bounds for axis {axis} "
                         f"with size {n}")
    return index


# --- stacking ---------------------------------------------------------------------------

def _at_least(arys, shape_of):
    """NumPy's atleast_nd: one array back for one, a tuple for several."""
    tensors = [as_tensor(a) for a in arys]
    results = tuple(t if shape_of(t.shape) == t.shape else reshape(t, shape_of(t.shape))
                    for t in tensors)
    return results[0] if len(results) == 1 else results


def atleast_1d(*arys):
    return _at_least(arys, lambda s: s or (1,))


def atleast_2d(*arys):
    return _at_least(arys, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s)


def atleast_3d(*arys):
    # NumPy puts a vector in the middle (1, n, 1) and a matrix in front (m, n, 1).
    return _at_least(arys, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(
        len(s), s))


def _concatenate(arrays, axis, what, dtype=None, casting="same_kind"):
    if not arrays:
        raise ValueError(f"{what}: need at least one array to concatenate")
    try:  # NumPy's protocol: its dtype and casting rules, recorded as concat
        return np.concatenate(arrays, axis, dtype=dtype, casting=casting)
    except ValueError as e:
        raise ValueError(f"{what}: {e}") from None


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [atleast_1d(a) for a in tup]
    axis = 0 if arrays and arrays[0].ndim == 1 else 1
    return _concatenate(arrays, axis, "hstack", dtype, casting)


def vstack(tup, *, dtype=None, casting="same_kind"):
    return _concatenate([atleast_2d(a) for a in tup], 0, "vstack", dtype, casting)


def dstack(tup):
    return _concatenate([atleast_3d(a) for a in tup], 2, "dstack")


def column_stack(tup):
    tensors = [as_tensor(a) for a in tup]
    columns = [reshape(t, (-1, 1)) if t.ndim < 2 else t for t in tensors]
    return _concatenate(columns, 1, "column_stack")


# --- splitting --------------------------------------------------------------------------

def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "split", equal=True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "array_split", equal=False)


def hsplit(ary, indices_or_sections):
    x = as_tensor(ary)
    if x.ndim == 0:
        raise ValueError("hsplit: hsplit only works on arrays of 1 or more dimensions")
    return _split(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit", equal=True)


def vsplit(ary, indices_or_sections):
    x = as_tensor(ary)
    if x.ndim < 2:
        raise ValueError("vsplit: vsplit only works on arrays of 2 or more dimensions")
    return _split(x, indices_or_sections, 0, "vsplit", equal=True)


def _split(ary, indices_or_sections, axis, what, equal):
    """A list of slices of ``ary`` along ``axis``: at the given indices, or in sections."""
    x = as_tensor(ary)
    axis = _axis(axis, x.ndim, what)
    n = x.shape[axis]
    points = _values(indices_or_sections, what)
    if points.ndim == 0:
        bounds = _section_bounds(n, int(points), what, equal)
    else:
        bounds = [0, *(int(p) for p in points), n]
    # Slices, not ranges: NumPy's split points clamp and count from the end as slices do.
    return [_along(x, axis, slice(start, stop)) for start, stop in zip(bounds, bounds[1:])]


def _section_bounds(n, sections, what, equal):
    if sections <= 0:
        raise ValueError(f"{what}: number sections must be larger than 0.")
    if equal and n % sections:
        raise ValueError(f"{what}: array split does not result in an equal division")
    each, extra = divmod(n, sections)
    sizes = [0] + [each + 1] * extra + [each] * (sections - extra)  # the first ones longer
    return np.cumsum(sizes).tolist()


# --- rearranging ------------------------------------------------------------------------

def swapaxes(a, axis1, axis2):
    x = as_tensor(a)
    perm = list(range(x.ndim))
    i, j = _axis(axis1, x.ndim, "swapaxes"), _axis(axis2, x.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(x, perm)


def moveaxis(a, source, destination):
    x = as_tensor(a)
    source = _axes(source, x.ndim, "moveaxis")
    destination = _axes(destination, x.ndim, "moveaxis")
    if len(source) != len(destination):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same "
                         "number of elements")
    order = [i for i in range(x.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(x, order)


def ravel(a, order="C"):
    x = as_tensor(a)
    if order == "C":
        return _flat(x)
    if order == "F":
        return _flat(transpose(x))
    return NotImplemented  # "A" and "K" follow the memory layout: NumPy's business


def repeat(a, repeats, axis=None):
    x, axis = _with_axis(atleast_1d(a), axis, "repeat")  # a scalar's axis 0 is its own
    try:
        index = np.repeat(np.arange(x.shape[axis]), _values(repeats, "repeat"))
    except (TypeError, ValueError) as e:
        raise type(e)(f"repeat: {e}") from None
    return _along(x, axis, index)


def roll(a, shift, axis=None):
    x = as_tensor(a)
    if axis is None:
        return reshape(roll(_flat(x), shift, 0), x.shape)
    try:
        pairs = np.broadcast(shift, axis)
    except ValueError:
        raise ValueError(f"roll: shift {shift} and axis {axis} do not broadcast together") \
            from None
    shifts = {}
    for s, ax in pairs:  # shifts of one axis add up
        ax = _axis(ax, x.ndim, "roll")
        shifts[ax] = shifts.get(ax, 0) + int(s)
    for ax, s in shifts.items():
        x = _along(x, ax, np.roll(np.arange(x.shape[ax]), s))
    return x


def flip(m, axis=None):
    x = as_tensor(m)
    axes = range(x.ndim) if axis is None else _axes(axis, x.ndim, "flip")
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(x.ndim)))


def fliplr(m):
    x = as_tensor(m)
    if x.ndim < 2:
        raise ValueError("fliplr: Input must be >= 2-d.")
    return flip(x, 1)


def flipud(m):
    x = as_tensor(m)
    if x.ndim < 1:
        raise ValueError("flipud: Input must be >= 1-d.")
    return flip(x, 0)


def rot90(m, k=1, axes=(0, 1)):
    """A quarter turn k times from the first axis towards the second."""
    x = as_tensor(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2.")
    first, second = (_axis(a, x.ndim, "rot90") for a in axes)
    if first == second:
        raise ValueError("rot90: Axes must be different.")
    k = operator.index(k) % 4
    if k == 0:
        return identity(x)
    if k == 2:
        return flip(x, (first, second))
    perm = list(range(x.ndim))
    perm[first], perm[second] = perm[second], perm[first]
    if k == 1:
        return transpose(flip(x, second), perm)
    return flip(transpose(x, perm), second)


# --- padding ----------------------------------------------------------------------------

# The modes taken, with the keyword arguments each takes.
_PAD_OPTIONS = {"constant": {"constant_values"}, "edge": set(), "wrap": set(),
                "reflect": {"reflect_type"}, "symmetric": {"reflect_type"}}


def pad(array, pad_width, mode="constant", **kwargs):
    if not isinstance(mode, str) or mode not in _PAD_OPTIONS \
            or kwargs.get("reflect_type", "even") != "even":
        return NotImplemented  # NumPy pads the plain values
    unsupported = set(kwargs) - _PAD_OPTIONS[mode]
    if unsupported:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: "
                         f"{sorted(unsupported)}")
    x = as_tensor(array)
    if isinstance(pad_width, dict):
        pad_width = _widths_by_axis(pad_width, x.ndim)
    widths = _pad_pairs(pad_width, x.ndim, "pad_width", as_index=True)
    if mode == "constant":
        values = _pad_pairs(kwargs.get("constant_values", 0), x.ndim, "constant_values")
        return _pad_constant(x, widths, values)
    return _pad_by_index(x, widths, mode)


def _widths_by_axis(widths, ndim):
    """NumPy's {axis: width or (before, after)} form as a pair per axis (unlisted: none)."""
    pairs = [[0, 0]] * ndim
    for axis, width in widths.items():
        pairs[_axis(axis, ndim, "pad")] = np.broadcast_to(width, 2).tolist()
    return pairs


def _pad_pairs(values, ndim, what, as_index=False):
    """NumPy's forms of ``pad_width`` and ``constant_values`` (one number, one pair, a pair
    per axis) as a (before, after) pair per axis."""
    v = _values(values, "pad")
    if as_index:
        if v.dtype.kind not in "iu":
            raise TypeError(f"pad: {what} must be of integral type, got {v.dtype}")
        if v.size and v.min() < 0:
            raise ValueError(f"pad: {what} can't contain negative values")
    try:
        return np.broadcast_to(v, (ndim, 2)).tolist()
    except ValueError:
        raise ValueError(f"pad: {what} of shape {v.shape} does not broadcast to one "
                         f"(before, after) pair for each of {ndim} axes") from None


def _pad_constant(x, widths, values):
    # Axis by axis, so that corners hold the later axis's value, as in NumPy.
    for axis, ((before, after), (low, high)) in enumerate(zip(widths, values)):
        if before or after:
            x = concat([_filled(x, axis, before, low), x, _filled(x, axis, after, high)], axis)
    return x


def _filled(x, axis, width, value):
    return np.full(x.shape[:axis] + (width,) + x.shape[axis + 1:], value, x.dtype)


def _pad_by_index(x, widths, mode):
    # NumPy's own pad of arange is the index pattern of the mode, reflections and all.
    for axis, (before, after) in enumerate(widths):
        if not (before or after):
            continue
        if x.shape[axis] == 0:
            raise ValueError(f"pad: can't extend empty axis {axis} using modes other than "
                             "'constant' or 'empty'")
        x = _along(x, axis, np.pad(np.arange(x.shape[axis]), (before, after), mode))
    return x


# --- diagonals --------------------------------------------------------------------------

def _diagonal_positions(rows, cols, k):
    """Row and column indices of the k-th diagonal of a rows x cols matrix."""
    first_row, first_col = max(-k, 0), max(k, 0)
    steps = np.arange(max(0, min(rows - first_row, cols - first_col)))
    return first_row + steps, first_col + steps


def diagonal(a, offset=0, axis1=0, axis2=1):
    x = as_tensor(a)
    if x.ndim < 2:
        raise ValueError(f"diagonal: needs an array of at least two dimensions, got shape "
                         f"{x.shape}")
    i, j = _axis(axis1, x.ndim, "diagonal"), _axis(axis2, x.ndim, "diagonal")
    if i == j:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    x = moveaxis(x, (i, j), (-2, -1))
    rows, cols = _diagonal_positions(x.shape[-2], x.shape[-1], operator.index(offset))
    return getitem(x, (Ellipsis, rows, cols))


def diag(v, k=0):
    x = as_tensor(v)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: Input must be 1- or 2-d, got shape {x.shape}.")
    n = x.shape[0] + abs(operator.index(k))
    index = np.zeros((n, n), np.intp)
    index[_diagonal_positions(n, n, k)] = np.arange(1, x.shape[0] + 1)
    # Entries off the diagonal read the zero put in front of v.
    return getitem(concat([np.zeros(1, x.dtype), x], 0), index)


def diagflat(v, k=0):
    return diag(_flat(as_tensor(v)), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    d = diagonal(a, offset, axis1, axis2)
    return reduce_sum(d if dtype is None else cast(d, dtype), -1)


# --- taking -----------------------------------------------------------------------------

def take(a, indices, axis=None, mode="raise"):
    x, axis = _with_axis(a, axis, "take")
    return _along(x, axis, _indices(indices, x.shape[axis], axis, mode, "take"))


def take_along_axis(arr, indices, axis=-1):
    """arr's elements at ``indices`` along ``axis``, matched with the other axes' positions
    (the gather of a sort or of an argmax with keepdims)."""
    index = _values(indices, "take_along_axis")
    if axis is None and index.ndim != 1:
        raise ValueError("take_along_axis: when axis=None, `indices` must have a single "
                         "dimension.")
    x, axis = _with_axis(arr, axis, "take_along_axis")
    if index.ndim != x.ndim:
        raise ValueError(f"take_along_axis: `indices` (shape {index.shape}) and `arr` (shape "
                         f"{x.shape}) must have the same number of dimensions")
    index = _indices(index, x.shape[axis], axis, "raise", "take_along_axis")
    key = tuple(index if d == axis else
                np.arange(n).reshape((1,) * d + (n,) + (1,) * (x.ndim - d - 1))
                for d, n in enumerate(x.shape))
    try:
        np.broadcast_shapes(*(k.shape for k in key))
    except ValueError:
        raise IndexError(f"take_along_axis: indices of shape {index.shape} do not broadcast "
                         f"against an array of shape {x.shape}") from None
    return getitem(x, key)


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not len(condlist):
        raise ValueError("select: select with an empty condition list is not possible")
    conditions = [as_tensor(c) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype != np.bool_:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray")
    *choices, result = _one_dtype([*choicelist, default])
    for condition, choice in reversed(list(zip(conditions, choices))):
        result = where(condition, choice, result)  # the first that holds is applied last
    return result


def choose(a, choices, mode="raise"):
    """choices[a[i...]][i...], all broadcast together. Not differentiable in ``a``."""
    index = _values(a, "choose")
    options = _one_dtype(choices)
    try:
        shape = np.broadcast_shapes(index.shape, *(c.shape for c in options))
    except ValueError:
        raise ValueError(f"choose: shapes {[index.shape] + [c.shape for c in options]} do "
                         "not broadcast together") from None
    if mode == "raise" and ((index < 0) | (index >= len(options))).any():
        raise ValueError("choose: invalid entry in choice array")  # no counting from the end
    index = _indices(index, len(options), 0, mode, "choose")
    stacked = stack([broadcast_to(c, shape) for c in options])
    return take_along_axis(stacked, np.broadcast_to(index, shape)[np.newaxis], 0)[0]


# --- sorting ----------------------------------------------------------------------------

def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Indices that sort ``a`` along ``axis``; always stable (NaNs last), whatever ``kind``."""
    if order is not None:
        return NotImplemented  # structured arrays' fields
    x, axis = _with_axis(a, axis, "argsort")
    return run("ArgSort", (x,), {"axis": axis})


registry.define("ArgSort", lambda a, axis: np.argsort(a, axis, kind="stable").astype(np.int64),
                "none")
registry.no_gradient("ArgSort")


# The gather of a sort, by an index tensor known valid (an argsort's): its values are an
# input of the record, not constants of it, so a tape_function does not trace again for
# every new order. Its gradient scatters back (adding, for repeated indices), and the
# scatter's gradient is the gather: every order works.
def _leading(index, ndim):
    """The index with size-1 leading axes for the batch axes a batched gradient adds."""
    return index.reshape((1,) * (ndim - index.ndim) + index.shape)


def _scatter_add_forward(g, index, axis, size):
    index = np.broadcast_to(_leading(index, g.ndim), g.shape)
    out = np.zeros(g.shape[:axis] + (size,) + g.shape[axis + 1:], g.dtype)
    key = tuple(index if d == axis else
                np.arange(n).reshape((1,) * d + (n,) + (1,) * (g.ndim - d - 1))
                for d, n in enumerate(g.shape))
    np.add.at(out, key, g)
    return out


registry.define("TakeAlongAxis", lambda x, index, axis: np.take_along_axis(
    x, _leading(index, x.ndim), axis), "inputs")
registry.define("ScatterAddAlongAxis", _scatter_add_forward, "inputs")


@registry.RegisterGradient("TakeAlongAxis", batch_aware=True)
def _take_along_axis_grad(op, g):
    x, index = op.inputs
    axis = op.attrs["axis"] + len(op.batch)
    return run("ScatterAddAlongAxis", (g, index),
               {"axis": axis, "size": x.shape[op.attrs["axis"]]}), None


@registry.RegisterGradient("ScatterAddAlongAxis", batch_aware=True)
def _scatter_add_along_axis_grad(op, g):
    _, index = op.inputs
    return run("TakeAlongAxis", (g, index), {"axis": op.attrs["axis"] + len(op.batch)}), None


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``a`` sorted along ``axis``: gathered by argsort, so that the gradient flows back to
    where each element came from."""
    if order is not None:
        return NotImplemented
    x, axis = _with_axis(a, axis, "sort")
    return run("TakeAlongAxis", (x, argsort(x, axis)), {"axis": axis})


NUMPY_FUNCTIONS = {
    np.atleast_1d: atleast_1d, np.atleast_2d: atleast_2d, np.atleast_3d: atleast_3d,
    np.pad: pad,  # *arys and **kwargs: called as NumPy's signature has them
    **numpy_table([
        (np.hstack, hstack), (np.vstack, vstack), (np.dstack, dstack),
        (np.column_stack, column_stack), (np.split, split), (np.array_split, array_split),
        (np.hsplit, hsplit), (np.vsplit, vsplit), (np.swapaxes, swapaxes),
        (np.moveaxis, moveaxis), (np.repeat, repeat), (np.roll, roll), (np.flip, flip),
        (np.fliplr, fliplr), (np.flipud, flipud), (np.rot90, rot90), (np.ravel, ravel),
        (np.diag, diag), (np.diagonal, diagonal), (np.diagflat, diagflat),
        (np.trace, trace), (np.take, take), (np.take_along_axis, take_along_axis),
        (np.select, select), (np.choose, choose), (np.sort, sort), (np.argsort, argsort),
    ]),
}
