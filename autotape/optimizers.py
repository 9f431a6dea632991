"""``at.optimizers``: SGD (with momentum) and Adam, updating Variables in place of assign."""

import numpy as np

from .tensor import Tensor


def _pairs(grads_and_vars):
    for g, v in grads_and_vars:
        if g is not None:
            yield np.asarray(g._value if isinstance(g, Tensor) else g, v.dtype), v


class SGD:
    """velocity = momentum * velocity - learning_rate * g; variable += velocity."""

    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate, self.momentum = float(learning_rate), float(momentum)
        self._velocity = {}

    def apply_gradients(self, grads_and_vars):
        for g, v in _pairs(grads_and_vars):
            if self.momentum:
                velocity = self.momentum * self._velocity.get(v._id, 0.0) - self.learning_rate * g
                self._velocity[v._id] = velocity
                v.assign_add(velocity)
            else:
                v.assign_sub(self.learning_rate * g)


class Adam:
    """Adam (Kingma and Ba) with Keras's defaults."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self._moments, self._steps = {}, {}

    def apply_gradients(self, grads_and_vars):
        for g, v in _pairs(grads_and_vars):
            m, s = self._moments.get(v._id, (0.0, 0.0))
            t = self._steps.get(v._id, 0) + 1
            m = self.beta_1 * m + (1 - self.beta_1) * g
            s = self.beta_2 * s + (1 - self.beta_2) * g * g
            self._moments[v._id], self._steps[v._id] = (m, s), t
            m_hat = m / (1 - self.beta_1 ** t)
            s_hat = s / (1 - self.beta_2 ** t)
            v.assign_sub(self.learning_rate * m_hat / (np.sqrt(s_hat) + self.epsilon))
