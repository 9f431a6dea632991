"""Creating tensors: ones, zeros, fill, eye, linspace, range, random."""

import threading

import numpy as np

from .. import dtypes
from ..recording import concrete
from ..tensor import Tensor, as_tensor, to_array


def _shape(shape):
    if type(shape) is tuple and all(type(n) is int for n in shape):
        return shape
    if isinstance(shape, Tensor):
        shape = concrete(shape, "a shape")
    return tuple(int(n) for n in np.atleast_1d(np.asarray(shape, dtype=np.int64)))


def ones(shape, dtype=dtypes.float64, name=None):
    return Tensor(np.ones(_shape(shape), dtypes.as_dtype(dtype)))


def zeros(shape, dtype=dtypes.float64, name=None):
    return Tensor(np.zeros(_shape(shape), dtypes.as_dtype(dtype)))


def ones_like(input, dtype=None, name=None):
    x = as_tensor(input)
    return Tensor(np.ones(x.shape, dtypes.as_dtype(dtype) or x.dtype))


def zeros_like(input, dtype=None, name=None):
    x = as_tensor(input)
    return Tensor(np.zeros(x.shape, dtypes.as_dtype(dtype) or x.dtype))


def fill(dims, value, name=None):
    value = to_array(value)
    return Tensor(np.full(_shape(dims), value, value.dtype))


def eye(num_rows, num_columns=None, dtype=dtypes.float64, name=None):
    return Tensor(np.eye(num_rows, num_columns, dtype=dtypes.as_dtype(dtype)))


def linspace(start, stop, num, name=None, axis=0):
    start, stop = to_array(start), to_array(stop)
    dtype = np.result_type(start.dtype, stop.dtype, np.float32)
    if dtype.kind != "f":
        dtype = dtypes.float64
    return Tensor(np.linspace(start, stop, int(num), dtype=dtype, axis=axis))


lin_space = linspace


def range(start, limit=None, delta=1, dtype=None, name=None):
    if limit is None:
        start, limit = 0, start
    values = [to_array(v) for v in (start, limit, delta)]
    dtype = dtypes.as_dtype(dtype) or np.result_type(*values)
    return Tensor(np.arange(values[0], values[1], values[2], dtype=dtype))


class _Random:
    """The global random state: a NumPy Generator behind a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.generator = np.random.default_rng()
        self.seed = None

    def generator_for(self, seed):
        if seed is None:
            return self.generator
        return np.random.default_rng([self.seed or 0, int(seed)])


_random = _Random()


def set_seed(seed):
    """Make later random operations reproducible."""
    with _random.lock:
        _random.seed = int(seed)
        _random.generator = np.random.default_rng(int(seed))


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float64, seed=None, name=None):
    with _random.lock:
        values = _random.generator_for(seed).normal(mean, stddev, _shape(shape))
    return Tensor(values.astype(dtypes.as_dtype(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=dtypes.float64, seed=None, name=None):
    with _random.lock:
        values = _random.generator_for(seed).uniform(minval, maxval, _shape(shape))
    return Tensor(values.astype(dtypes.as_dtype(dtype)))

