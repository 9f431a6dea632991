"""User-defined operations: custom_gradient and primitive."""

import functools

import numpy as np

from .. import nest
from ..recording import record_operation, state
from ..tensor import Tensor, as_tensor, readonly
from . import registry
from .core import run


def custom_gradient(f):
    """``f(*args)`` returns ``(y, grad_fn)``; ``grad_fn(*dy)`` returns one gradient per
    tensor argument. The forward computation inside ``f`` is not recorded."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        inputs = tuple(as_tensor(a) for a in args)
        paused, state.tapes = state.tapes, []
        try:
            result, grad_fn = f(*inputs, **kwargs)
        finally:
            state.tapes = paused
        # Fresh identities: an output that is an input must not become its own ancestor.
        outputs = [Tensor(as_tensor(y)._value) for y in nest.flatten(result)]
        if state.tapes:
            record_operation("CustomGradient", inputs, tuple(outputs), {"grad_fn": grad_fn},
                             "none")
        return nest.pack_like(result, outputs)

    return wrapper


@registry.RegisterGradient("CustomGradient")
def _custom_rule(op, *grads):
    result = op.attrs["grad_fn"](*grads)
    return tuple(result) if isinstance(result, (list, tuple)) else (result,)


def primitive(fn=None, *, name=None):
    """Make a NumPy-level function a recorded operation named ``name`` (default: the
    function's name). Its gradient comes from ``RegisterGradient(name)``; Tensor and array
    arguments are the inputs, keyword arguments are its attrs."""
    if fn is None:
        return lambda f: primitive(f, name=name)
    op_type = name or fn.__name__

    def forward(*arrays, **attrs):
        result = fn(*[readonly(a) for a in arrays], **attrs)  # inputs stay as they are
        if isinstance(result, tuple):
            return tuple(np.asarray(r) for r in result)
        return np.asarray(result)

    registry.define(op_type, forward, "both")

    @functools.wraps(fn)
    def wrapper(*args, **attrs):
        return run(op_type, tuple(as_tensor(a) for a in args), attrs)

    wrapper.op_type = op_type
    return wrapper
