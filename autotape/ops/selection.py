"""where, clip_by_value, cast, identity and stop_gradient."""

import functools

import numpy as np

from .. import dtypes
from ..tensor import as_tensor
from . import registry
from .core import run
from .operands import binary_operands


@functools.cache
def _kernels():
    from ..kernels import indexing

    return indexing


def where(condition, x=None, y=None, name=None):
    """Elements of x where condition holds, else of y (all three broadcast)."""
    if x is None or y is None:
        raise ValueError("where: give both x and y (the one-argument form is not supported)")
    c = as_tensor(condition)
    if c.dtype != np.bool_:
        c = cast(c, np.bool_)
    x, y = binary_operands(x, y)
    try:
        shape = np.broadcast_shapes(c.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(f"where: incompatible shapes for broadcasting: condition {c.shape}, "
                         f"x {x.shape}, y {y.shape}") from None

    return run("Select", (c, x, y), {"shape": shape})


def _select_forward(cv, xv, yv, shape):
    out = np.empty(shape, xv.dtype)
    flat = [np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1) for v in (cv, xv, yv)]
    _kernels().where_flat(*flat, out.reshape(-1))
    return out


registry.define("Select", _select_forward, "inputs")


@registry.RegisterGradient("Select", batch_aware=True)
def _where_grad(op, g):
    c = op.inputs[0]
    zero = np.zeros((), g.dtype)
    return None, where(c, g, zero), where(c, zero, g)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    from . import maximum, minimum

    return minimum(maximum(t, clip_value_min), clip_value_max)


def cast(x, dtype, name=None):
    x = as_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return run("Cast", (x,), {"dtype": dtype})


registry.define("Cast", lambda a, dtype: a.astype(dtype), "none")


@registry.RegisterGradient("Cast", batch_aware=True)
def _cast_grad(op, g):
    source = op.inputs[0].dtype
    if source.kind not in "fc" or g.dtype.kind not in "fc":
        return None  # integers carry no gradient
    return cast(g, source)


def _view(a):
    # A new view, not the input's array: the reverse pass tells arrays it made by identity.
    return a.view()


def identity(input, name=None):
    return run("Identity", (as_tensor(input),))


registry.define("Identity", _view, "none")


registry.register("Identity", lambda op, g: g, batch_aware=True)


def stop_gradient(input, name=None):
    return run("StopGradient", (as_tensor(input),))


registry.define("StopGradient", _view, "none")


registry.no_gradient("StopGradient")
