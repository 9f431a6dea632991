"""``at.layers``: Dense."""

import numpy as np

from . import nn, ops
from .module import Module
from .naming import name_scope
from .tensor import Variable, as_tensor

_ACTIVATIONS = {"relu": nn.relu, "sigmoid": nn.sigmoid, "tanh": nn.tanh, "softmax": nn.softmax,
                "linear": None, None: None}


class Dense(Module):
    """``activation(x @ kernel + bias)``; kernel (Glorot-uniform) and bias (zeros) are made
    on the first call, when the input's last dimension is known."""

    def __init__(self, units, activation=None, use_bias=True, name=None):
        super().__init__(name=name)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        if callable(activation) or activation is None:
            self.activation = activation
        elif activation in _ACTIVATIONS:
            self.activation = _ACTIVATIONS[activation]
        else:
            raise ValueError(f"Dense: unknown activation {activation!r}; give a callable or "
                             f"one of {sorted(k for k in _ACTIVATIONS if k)}")
        self.use_bias = bool(use_bias)
        self.kernel = self.bias = None

    def _build(self, x):
        fan_in, dtype = x.shape[-1], x.dtype if x.dtype.kind == "f" else np.float64
        limit = np.sqrt(6.0 / (fan_in + self.units))
        with name_scope(self):
            self.kernel = Variable(ops.uniform((fan_in, self.units), -limit, limit, dtype),
                                   name="kernel")
            if self.use_bias:
                self.bias = Variable(np.zeros(self.units, dtype), name="bias")

    def __call__(self, x):
        x = as_tensor(x)
        if x.ndim < 1:
            raise ValueError(f"Dense: the input needs a feature axis, got shape {x.shape}")
        if self.kernel is None:
            self._build(x)
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Dense '{self.name}': input of shape {x.shape} does not match "
                             f"the kernel's {self.kernel.shape}")
        y = ops.matmul(x, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)
