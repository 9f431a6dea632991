"""Independent finite-difference helpers for the autotape test suite.

This module is NOT a test file and does not import autotape: everything here
works on plain NumPy float64 arrays, so that gradients computed by the library
can be compared with numbers the library had no part in.

Conventions
-----------
``f(*arrays)`` is any function of several float64 arrays that returns an
array-like (a scalar is fine).  For a non-scalar output we differentiate the
scalar ``sum(weights * f(*arrays))`` -- exactly what a tape computes for
``reduce_sum(y * weights)`` or for ``gradient(y, x, output_gradients=weights)``.
"""

import numpy as np

__all__ = [
    "numeric_grad",
    "numeric_jacobian",
    "unbroadcast",
    "scatter_add",
    "random_weights",
    "assert_close",
]


def _as_f64(a):
    return np.array(a, dtype=np.float64, copy=True)


def numeric_grad(f, *args, wrt=None, weights=None, eps=1e-6):
    """Central finite differences of ``sum(weights * f(*args))``.

    Parameters
    ----------
    f : callable taking ``len(args)`` float64 arrays.
    args : array-likes (converted to float64 copies; the originals are untouched).
    wrt : iterable of argument indices to differentiate (default: all).
    weights : array broadcastable to ``f``'s output (default: ones, i.e. the
        gradient of the plain sum).
    eps : step.  Central differences have error O(eps**2 * f''') + O(ulp/eps).

    Returns a list (one entry per index in ``wrt``) of float64 arrays shaped
    like the corresponding argument.
    """
    xs = [_as_f64(a) for a in args]
    if wrt is None:
        wrt = range(len(xs))
    wrt = list(wrt)

    def scalar(*vals):
        out = np.asarray(f(*vals), dtype=np.float64)
        if weights is None:
            return float(np.sum(out))
        return float(np.sum(out * np.asarray(weights, dtype=np.float64)))

    grads = []
    for i in wrt:
        base = xs[i]
        flat = base.reshape(-1).copy()
        g = np.empty_like(flat)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = list(xs)
            plus[i] = flat.reshape(base.shape).copy()
            fp = scalar(*plus)
            flat[k] = orig - eps
            minus = list(xs)
            minus[i] = flat.reshape(base.shape).copy()
            fm = scalar(*minus)
            flat[k] = orig
            g[k] = (fp - fm) / (2.0 * eps)
        grads.append(g.reshape(base.shape))
    return grads


def numeric_jacobian(f, x, eps=1e-6):
    """Jacobian of ``f`` (one array argument) by central differences.

    Shape ``f(x).shape + x.shape`` (the convention of ``GradientTape.jacobian``).
    """
    x = _as_f64(x)
    y0 = np.asarray(f(x), dtype=np.float64)
    flat = x.reshape(-1).copy()
    cols = []
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        fp = np.asarray(f(flat.reshape(x.shape).copy()), dtype=np.float64)
        flat[k] = orig - eps
        fm = np.asarray(f(flat.reshape(x.shape).copy()), dtype=np.float64)
        flat[k] = orig
        cols.append((fp - fm) / (2.0 * eps))
    jac = np.stack(cols, axis=-1) if cols else np.zeros(y0.shape + (0,))
    return jac.reshape(y0.shape + x.shape)


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (the reverse of NumPy broadcasting)."""
    g = np.asarray(g, dtype=np.float64)
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g.reshape(shape)


def scatter_add(shape, index, values):
    """``np.add.at`` into zeros of ``shape``: the gradient of integer-array indexing."""
    out = np.zeros(shape, dtype=np.float64)
    np.add.at(out, index, np.asarray(values, dtype=np.float64))
    return out


def random_weights(shape, seed=0):
    """Fixed, generic (non-symmetric) output weights for projecting a non-scalar output."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def assert_close(actual, expected, rtol=1e-6, atol=1e-8, what=""):
    """``np.testing.assert_allclose`` that accepts Tensors (anything with ``__array__``)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)
