"""``at.optimizers``: SGD (with momentum) and Adam, updating Variables in place with one
fused Numba kernel per Variable."""

import functools
import math

import numpy as np

from .kernels import openmp
from .tensor import Tensor, Variable

PARALLEL_MIN_SIZE = openmp.parallel_min_size(65536)


@functools.cache
def _kernels():
    from .kernels import optimizers  # imports Numba: only once an optimizer steps

    return optimizers


def _kernel(name, size):
    from .kernels.parallel import thread_safe_layer

    parallel = size >= PARALLEL_MIN_SIZE and thread_safe_layer()
    return getattr(_kernels(), name + ("_par" if parallel else ""))


def _updates(grads_and_vars, optimizer):
    """(flat gradient, flat current value, flat array for the new value, variable) for each
    pair with a gradient."""
    for pair in grads_and_vars:
        g, v = _pair(pair, optimizer)
        if g is None:
            continue
        g = np.asarray(g._value if isinstance(g, Tensor) else g)
        if g.shape != v.shape:
            raise ValueError(f"{optimizer}.apply_gradients: a gradient of shape {g.shape} for "
                             f"variable '{v.name}' of shape {v.shape}")
        if v.dtype.kind != "f":
            raise TypeError(f"{optimizer}.apply_gradients: variable '{v.name}' has dtype "
                            f"{v.dtype}; only float variables can be trained")
        current, new = v._update_arrays()
        yield (np.ascontiguousarray(g, current.dtype).reshape(-1), current.reshape(-1),
               new.reshape(-1), v)
        v._updated(new)  # runs once the caller's kernel has written ``new`` (not if it raised)


def _pair(pair, optimizer):
    try:
        g, v = () if isinstance(pair, Tensor) else pair  # a Tensor iterates, but is no pair
    except (TypeError, ValueError):
        raise TypeError(f"{optimizer}.apply_gradients: expected (gradient, Variable) pairs, "
                        f"got {type(pair).__name__} {pair!r:.80}") from None
    if not isinstance(v, Variable):
        hint = ("; the pairs look swapped: give (gradient, variable)"
                if isinstance(g, Variable) else "; only Variables can be updated")
        raise TypeError(f"{optimizer}.apply_gradients: the second element of each pair must "
                        f"be a Variable, got {type(v).__name__}{hint}")
    return g, v


class SGD:
    """w -= learning_rate * g, or with momentum: velocity = momentum * velocity -
    learning_rate * g; w += velocity."""

    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate, self.momentum = float(learning_rate), float(momentum)
        self._velocity = {}  # variable id -> flat array

    def apply_gradients(self, grads_and_vars):
        for g, w, new, v in _updates(grads_and_vars, "SGD"):
            if self.momentum:
                velocity = self._velocity.get(v._id)
                if velocity is None:
                    velocity = self._velocity[v._id] = np.zeros_like(w)
                _kernel("momentum", w.size)(w, g, velocity, self.learning_rate, self.momentum,
                                            new)
            else:
                _kernel("sgd", w.size)(w, g, self.learning_rate, new)


class Adam:
    """Adam (Kingma and Ba), with Keras's defaults."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self._slots = {}  # variable id -> [step, first moment, second moment]

    def apply_gradients(self, grads_and_vars):
        for g, w, new, v in _updates(grads_and_vars, "Adam"):
            slot = self._slots.get(v._id)
            if slot is None:
                slot = self._slots[v._id] = [0, np.zeros_like(w), np.zeros_like(w)]
            slot[0] += 1
            t = slot[0]
            correction = math.sqrt(1.0 - self.beta_2 ** t)
            step_size = self.learning_rate * correction / (1.0 - self.beta_1 ** t)
            _kernel("adam", w.size)(w, g, slot[1], slot[2], step_size, self.beta_1,
                                    self.beta_2, self.epsilon * correction, new)
