"""Function transforms on top of GradientTape: gradients_function (TensorFlow 1.x eager)."""

import functools

from .tape import GradientTape
from .tensor import Tensor, as_tensor


def _differentiable_argument(x):
    """Python floats, float arrays and float Tensors are differentiated; others pass as is."""
    if isinstance(x, Tensor):
        return x.dtype.kind == "f", x
    if isinstance(x, float):
        return True, as_tensor(x)
    if hasattr(x, "dtype") and getattr(x.dtype, "kind", None) == "f":
        return True, as_tensor(x)
    return False, x


def value_and_gradients_function(f, params=None):
    """``g(*args)`` returns ``(f(*args), [df/d arg for each arg in params])``; ``params``
    holds argument indices (default: all). Non-float arguments get None."""

    @functools.wraps(f)
    def value_and_gradients(*args):
        converted = [_differentiable_argument(a) for a in args]
        indices = range(len(args)) if params is None else params
        with GradientTape() as tape:
            for i in indices:
                differentiable, x = converted[i]
                if differentiable:
                    tape.watch(x)
            value = f(*[x for _, x in converted])
        sources = [converted[i][1] for i in indices]
        grads = tape.gradient(value, [s if converted[i][0] else as_tensor(0.0)
                                      for i, s in zip(indices, sources)])
        return value, [g if converted[i][0] else None for i, g in zip(indices, grads)]

    return value_and_gradients


def gradients_function(f, params=None):
    """``g(*args)`` returns the list of gradients of ``f(*args)`` (see
    value_and_gradients_function)."""
    value_and_gradients = value_and_gradients_function(f, params)

    @functools.wraps(f)
    def gradients(*args):
        return value_and_gradients(*args)[1]

    return gradients
