"""Checking gradients: reverse mode against central finite differences."""

import numpy as np

from .tape import GradientTape
from .tensor import Tensor, constant


def _scalarized(f, weights_seed):
    """s(*xs) = sum(w * f(*xs)) with fixed random weights, so every output element counts."""
    rng = np.random.default_rng(weights_seed)
    weights = {}

    def s(*xs):
        from . import ops

        y = f(*xs)
        if not isinstance(y, Tensor):
            y = constant(y, np.float64)
        if y.shape not in weights:
            weights[y.shape] = rng.uniform(0.5, 1.5, y.shape)
        return ops.reduce_sum(y * weights[y.shape])

    return s


def check_gradients(f, *args, order=2, atol=1e-5, rtol=1e-4, eps=1e-6, seed=0):
    """Compare derivatives of ``f`` up to ``order`` with central finite differences.

    Works in float64 along random directions: for k = 1..order, the directional derivative
    D_k = <grad D_{k-1}, v_k> computed by nested reverse mode is compared with the central
    difference of D_{k-1} along v_k. Raises AssertionError naming the order on mismatch;
    returns True otherwise."""
    xs = [np.array(a._value if isinstance(a, Tensor) else a, dtype=np.float64) for a in args]
    rng = np.random.default_rng(seed)
    directions = [[rng.standard_normal(x.shape) for x in xs] for _ in range(order)]
    s = _scalarized(f, seed + 1)

    def derivative(k, point):
        """D_k at ``point`` (a list of arrays) as a Tensor, differentiable further."""
        tensors = [constant(p) for p in point]
        return _directional(s, k, tensors)

    def _directional(fn, k, tensors):
        if k == 0:
            return fn(*tensors)
        with GradientTape() as tape:
            tape.watch(tensors)
            inner = _directional(fn, k - 1, tensors)
        grads = tape.gradient(inner, tensors)
        total = constant(0.0)
        for g, v in zip(grads, directions[k - 1]):
            if g is not None:
                total = total + _dot(g, v)
        return total

    for k in range(1, order + 1):
        analytic = float(derivative(k, xs))
        plus = float(derivative(k - 1, [x + eps * v for x, v in zip(xs, directions[k - 1])]))
        minus = float(derivative(k - 1, [x - eps * v for x, v in zip(xs, directions[k - 1])]))
        numeric = (plus - minus) / (2 * eps)
        if not np.isclose(analytic, numeric, rtol=rtol, atol=atol):
            raise AssertionError(
                f"check_gradients: order {k} directional derivative differs: reverse mode "
                f"{analytic!r}, finite differences {numeric!r} (atol={atol}, rtol={rtol})")
    return True


def _dot(g, v):
    from . import ops

    return ops.reduce_sum(g * v)
