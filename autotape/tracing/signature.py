"""Which arguments of a ``tape_function`` call are dynamic and which are part of its key.

Dynamic (new values reuse the compiled trace): Tensors, Variables, NumPy arrays and Python
or NumPy floats. Static (part of the key, so another value traces again): ints, bools,
strings, None, and tuples, lists and dicts of either kind (their structure is static).
Other hashable objects (a Module, a function, ``self`` of a method) are static by their
hash and equality, as JAX's static arguments are. The key also holds every dynamic
argument's kind, shape and dtype, and which arguments are one and the same tensor.
"""

import numbers

import numpy as np

from ..tensor import Tensor, to_array

_STATIC = (int, bool, str, type(None), np.integer, np.bool_)
DYNAMIC = "dynamic"  # the first item of a dynamic leaf's key
EXACT_FLOATS = (float, np.float64, np.float32)  # float leaves a call converts cheaply


def _is_float(x):
    return isinstance(x, (float, np.floating)) and not isinstance(x, bool)


class Signature:
    """One call's arguments split into the key and the dynamic leaves (in order)."""

    __slots__ = ("key", "leaves", "first_of")

    def __init__(self, args, kwargs, function_name):
        self.leaves = []  # the dynamic arguments as given
        self.first_of = {}  # identity of a dynamic leaf -> its first position
        self.key = (tuple(self._part(a, function_name, f"argument {i}")
                          for i, a in enumerate(args)),
                    tuple((k, self._part(kwargs[k], function_name, f"argument {k!r}"))
                          for k in sorted(kwargs)))

    def _part(self, x, function_name, where):
        t = type(x)
        if t is Tensor or isinstance(x, Tensor):
            return self._dynamic(x, x.shape, x.dtype)
        if t is float or _is_float(x):
            return self._dynamic(x, (), np.dtype(np.float64) if t is float else x.dtype)
        if isinstance(x, np.ndarray):
            return self._dynamic(x, x.shape, x.dtype)
        if isinstance(x, _STATIC):
            return (t, x)
        if t is tuple or t is list:
            return (t,) + tuple(self._part(e, function_name, where) for e in x)
        if t is dict:
            return (dict,) + tuple((k, self._part(x[k], function_name, where)) for k in sorted(x))
        if isinstance(x, numbers.Number):  # complex and other number types
            raise TypeError(f"{function_name}: {where} is a {t.__name__}, which a tape_function "
                            "cannot take (give a float, an int or a Tensor)")
        try:  # any other object is static by its hash and equality (a Module: by identity)
            hash(x)
        except TypeError:
            raise TypeError(f"{function_name}: {where} of type {t.__name__} is neither dynamic "
                            "(Tensor, Variable, ndarray, float) nor static (int, bool, str, "
                            "None, tuples, lists and dicts of these, or a hashable object)"
                            ) from None
        return ("object", t, x)

    def _dynamic(self, x, shape, dtype):
        """The key of a dynamic leaf: its shape and dtype, and the first position holding the
        same object (f(x, x) and f(x, y) are traced apart)."""
        position = len(self.leaves)
        # Tensors by their identity on tapes: two reads of one Variable are one input.
        identity = ("tensor", x._id) if isinstance(x, Tensor) else ("object", id(x))
        first = self.first_of.setdefault(identity, position)
        self.leaves.append(x)
        return (DYNAMIC, shape, dtype, first)


def leaf_array(x):
    """The value of a dynamic leaf as an array the trace reads (never the caller's array
    itself: the caller may write into it after the call)."""
    t = type(x)
    if t is Tensor or isinstance(x, Tensor):
        return x._value
    if t in EXACT_FLOATS:
        return np.array(x)  # what to_array makes of it, without its checks
    return to_array(x, None, "tape_function")


def leaf_tensor(x):
    """A dynamic leaf as the Tensor the traced function is given."""
    if isinstance(x, Tensor):
        return x
    return Tensor(to_array(x, None, "tape_function"))


def rebuild(args, kwargs, tensors):
    """args and kwargs with their dynamic leaves replaced, in order, by ``tensors``."""
    leaves = iter(tensors)

    def replace(x):
        t = type(x)
        if isinstance(x, Tensor) or _is_float(x) or isinstance(x, np.ndarray):
            return next(leaves)
        if t is tuple or t is list:
            return t(replace(e) for e in x)
        if t is dict:
            return _in_order_of(x, {k: replace(x[k]) for k in sorted(x)})
        return x

    new_args = tuple(replace(a) for a in args)
    return new_args, _in_order_of(kwargs, {k: replace(kwargs[k]) for k in sorted(kwargs)})


def _in_order_of(original, replaced):
    """``replaced`` (built in sorted key order, as the key reads dicts) in the original order."""
    return {k: replaced[k] for k in original}
