"""Bringing the operands of a binary operation to one dtype, NumPy's way.

Python numbers are weak (NEP 50): ``float32_tensor * 2.0`` stays float32 and
``1 * float_tensor`` is a float. Two tensors of different dtypes promote like NumPy arrays;
the cast is recorded, so gradients come back in each source's own dtype.
"""

import numpy as np

from .. import dtypes
from ..tensor import Tensor, as_tensor


def _result_dtype(x, y):
    ex = x._value.dtype if isinstance(x, Tensor) else x
    ey = y._value.dtype if isinstance(y, Tensor) else y
    return np.result_type(ex, ey)


def binary_operands(x, y, to_float=False):
    """x and y as Tensors of one dtype (a float dtype if ``to_float``)."""
    tx, ty = type(x) is Tensor, type(y) is Tensor
    if tx and ty and x._value.dtype == y._value.dtype and (
            not to_float or x._value.dtype.kind == "f"):
        return x, y
    # A float tensor with a Python int or float (``x * 1.01``): the tensor's dtype wins.
    if tx and type(y) in (float, int) and x._value.dtype.kind == "f":
        return x, python_constant(y, x._value.dtype)
    if ty and type(x) in (float, int) and y._value.dtype.kind == "f":
        return python_constant(x, y._value.dtype), y
    x = x if isinstance(x, Tensor) or dtypes.is_python_number(x) else as_tensor(x)
    y = y if isinstance(y, Tensor) or dtypes.is_python_number(y) else as_tensor(y)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = as_tensor(x)
    dtype = _result_dtype(x, y)
    if to_float and dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return _to(x, dtype), _to(y, dtype)


_constants = {}


def python_constant(value, dtype):
    """A Tensor for a Python number, shared between calls: loops like ``x = x * 1.01``
    should not pay for a new array each time. (Zero is not shared: 0.0 == -0.0.)"""
    key = (value, dtype)
    tensor = _constants.get(key)
    if tensor is None:
        tensor = Tensor(np.array(value, dtype))
        if value and value == value:
            if len(_constants) >= 4096:
                _constants.clear()
            _constants[key] = tensor
    return tensor


def _to(x, dtype):
    if isinstance(x, Tensor):
        x = as_tensor(x)  # reads a Variable
        return x if x._value.dtype == dtype else as_tensor(x, dtype)
    return Tensor(np.array(x, dtype))
