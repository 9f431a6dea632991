"""Indexing: ``tensor[key]`` (basic and integer-array) and gather; gradients scatter-add."""

import functools

import numpy as np

from ..recording import concrete
from ..tensor import Tensor, as_tensor
from . import registry
from .core import run


@functools.cache
def _kernels():
    from ..kernels import indexing

    return indexing


def _plain_key(key):
    """The key with Tensors replaced by their values (indices are never differentiated; a
    trace guards on them)."""
    if isinstance(key, tuple):
        return tuple(_plain_key(k) for k in key)
    if isinstance(key, Tensor):
        return concrete(key, "an index")
    if isinstance(key, list):
        return np.asarray([_plain_key(k) for k in key])
    return key


def is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and (k.ndim > 0 or k.dtype == bool) for k in parts)


def getitem(tensor, key):
    x = as_tensor(tensor)
    key = _plain_key(key)
    try:
        result = x._value[key]
    except (IndexError, TypeError, ValueError) as e:
        raise IndexError(f"getitem: cannot index a tensor of shape {x.shape} with {key!r}: "
                         f"{e}") from None
    return run("StridedSlice", (x,), {"key": key}, np.asarray(result))


registry.define("StridedSlice", lambda a, key: np.asarray(a[key]), "none")


def _batched_key(op):
    """The key with the gradient's leading batch axes taken whole."""
    key = op.attrs["key"]
    return (slice(None),) * len(op.batch) + (key if isinstance(key, tuple) else (key,))


@registry.RegisterGradient("StridedSlice", batch_aware=True)
def _getitem_grad(op, g):
    return scatter_into(g, _batched_key(op), op.batch + op.inputs[0].shape)


def scatter_into(g, key, shape):
    """zeros(shape) with g added at ``key`` (repeated indices add up): getitem's adjoint."""
    return run("StridedSliceGrad", (as_tensor(g),), {"key": key, "shape": shape})


def _scatter_forward(gv, key, shape):
    out = np.zeros(shape, gv.dtype)
    if is_advanced(key):
        positions = np.arange(out.size).reshape(shape)[key]
        _kernels().scatter_add_flat(np.ascontiguousarray(gv).reshape(-1),
                                    positions.reshape(-1), out.reshape(-1))
    else:
        out[key] = gv  # basic indexing never selects an element twice
    return out


registry.define("StridedSliceGrad", _scatter_forward, "none")


registry.register("StridedSliceGrad", lambda op, g: getitem(g, _batched_key(op)),
                  batch_aware=True)


def gather(params, indices, axis=0, batch_dims=0, name=None):
    """params[..., indices, ...] with ``indices`` at ``axis``, as tf.gather."""
    if batch_dims:
        raise NotImplementedError("gather: batch_dims is not supported")
    x = as_tensor(params)
    index = np.asarray(concrete(indices, "gather") if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: indices must be integers, got {index.dtype}")
    axis = int(axis) % max(x.ndim, 1)
    if index.size and (index.min() < -x.shape[axis] or index.max() >= x.shape[axis]):
        raise IndexError(f"gather: indices out of range for axis {axis} of shape {x.shape}")
    return getitem(x, (slice(None),) * axis + (index,))
