"""Operations that move data without arithmetic: reshape, transpose, broadcast, concat, tile.

Their forward is a NumPy view or copy; their gradients are other shape operations or sums,
so they are linear and every derivative order works.
"""

import numpy as np

from ..recording import concrete
from ..tensor import Tensor, as_tensor
from . import registry
from .core import run


def _normalize_axis(axis, ndim, op_name):
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{op_name}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)


def reshape(tensor, shape, name=None):
    x = as_tensor(tensor)
    if isinstance(shape, Tensor):
        shape = concrete(shape, "reshape")
    shape = tuple(int(n) for n in np.atleast_1d(np.asarray(shape, dtype=np.int64)))
    try:
        result = x._value.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} elements) into shape {shape}") from None
    return run("Reshape", (x,), {"shape": result.shape}, result)


registry.define("Reshape", lambda a, shape: a.reshape(shape), "none")
registry.register("Reshape", lambda op, g: reshape(g, op.batch + op.inputs[0].shape),
                  batch_aware=True)


def transpose(a, perm=None, name=None):
    x = as_tensor(a)
    perm = tuple(range(x.ndim - 1, -1, -1)) if perm is None else tuple(int(p) for p in perm)
    if sorted(p % max(x.ndim, 1) for p in perm) != list(range(x.ndim)):
        raise ValueError(f"transpose: perm {perm} is not a permutation of the axes of a "
                         f"tensor of shape {x.shape}")
    return run("Transpose", (x,), {"perm": perm})


registry.define("Transpose", lambda v, perm: np.transpose(v, perm), "none")


def _transpose_grad(op, g):
    lead = len(op.batch)
    inverse = tuple(lead + int(p) for p in np.argsort(op.attrs["perm"]))
    return transpose(g, tuple(range(lead)) + inverse)


registry.register("Transpose", _transpose_grad, batch_aware=True)


def expand_dims(input, axis, name=None):
    x = as_tensor(input)
    axis = _normalize_axis(axis, x.ndim + 1, "expand_dims")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(input, axis=None, name=None):
    x = as_tensor(input)
    if axis is None:
        axes = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        axes = {_normalize_axis(a, x.ndim, "squeeze") for a in np.atleast_1d(axis)}
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} is not of size 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def broadcast_to(input, shape, name=None):
    x = as_tensor(input)
    shape = tuple(int(n) for n in shape)
    try:
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return run("BroadcastTo", (x,), {"shape": shape})


def _broadcast_forward(a, shape):
    # A single element stays a zero-stride view: flattened, it is still a view, which the
    # kernels read as it is (the gradient of a sum is mostly this). Other broadcasts are
    # copied once, or every kernel reading them would copy them to flatten them.
    view = np.broadcast_to(a, shape)
    return view if a.size == 1 else view.copy()


registry.define("BroadcastTo", _broadcast_forward, "none")


registry.register("BroadcastTo", lambda op, g: sum_to_shape(g, op.batch + op.inputs[0].shape,
                                                           batch_dims=len(op.batch)),
                  batch_aware=True)


def sum_to_shape(g, shape, op_type="gradient", batch_dims=0):
    """Unbroadcasting: sum ``g`` over the axes along which ``shape`` was broadcast.

    The first ``batch_dims`` axes of both are batch axes (several reverse passes at once):
    they are kept, and broadcasting aligns the rest."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    from .reductions import reduce_sum

    lead, nb = g.ndim - len(shape), batch_dims
    rest = g.shape[nb + lead:] if lead >= 0 else ()
    if lead < 0 or g.shape[:nb] != shape[:nb] or any(
            n != 1 and n != m for n, m in zip(shape[nb:], rest)):
        raise ValueError(f"{op_type}: a gradient of shape {g.shape} cannot be summed back to "
                         f"its input's shape {shape}")
    # Sum the extra axes (just after the batch axes) and the axes broadcast from 1.
    axes = tuple(range(nb, nb + lead)) + tuple(
        nb + lead + i for i, (n, m) in enumerate(zip(shape[nb:], rest)) if n == 1 and m != 1)
    return reshape(reduce_sum(g, axes, keepdims=True), shape) if axes else reshape(g, shape)


def concat(values, axis, name=None):
    tensors = [as_tensor(v) for v in values]
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    rank = tensors[0].ndim
    axis = _normalize_axis(axis, rank, "concat")
    for t in tensors:
        if t.ndim != rank or t.shape[:axis] + t.shape[axis + 1:] != \
                tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise ValueError(f"concat: shapes {[u.shape for u in tensors]} differ outside "
                             f"axis {axis}")
    dtype = np.result_type(*[t.dtype for t in tensors])
    tensors = [as_tensor(t, dtype) for t in tensors]
    return run("ConcatV2", tuple(tensors), {"axis": axis})


registry.define("ConcatV2", lambda *arrays, axis: np.concatenate(arrays, axis), "none")


@registry.RegisterGradient("ConcatV2", batch_aware=True)
def _concat_grad(op, g):
    from .indexing import getitem

    axis, grads, start = op.attrs["axis"], [], 0
    whole = (slice(None),) * (len(op.batch) + axis)
    for x in op.inputs:
        stop = start + x.shape[axis]
        grads.append(getitem(g, whole + (slice(start, stop),)))
        start = stop
    return grads


def stack(values, axis=0, name=None):
    tensors = [as_tensor(v) for v in values]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need one shape, got {[t.shape for t in tensors]}")
    axis = _normalize_axis(axis, tensors[0].ndim + 1, "stack")
    return concat([expand_dims(t, axis) for t in tensors], axis)


def tile(input, multiples, name=None):
    x = as_tensor(input)
    multiples = tuple(int(m) for m in multiples)
    if len(multiples) != x.ndim:
        raise ValueError(f"tile: {len(multiples)} multiples for a tensor of rank {x.ndim}")
    return run("Tile", (x,), {"multiples": multiples})


registry.define("Tile", lambda a, multiples: np.tile(a, multiples), "none")


@registry.RegisterGradient("Tile", batch_aware=True)
def _tile_grad(op, g):
    from .reductions import reduce_sum

    shape, multiples, lead = op.inputs[0].shape, op.attrs["multiples"], len(op.batch)
    interleaved = tuple(n for pair in zip(multiples, shape) for n in pair)
    return reduce_sum(reshape(g, op.batch + interleaved),
                      tuple(range(lead, lead + 2 * len(shape), 2)))
