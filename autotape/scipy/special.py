"""``at.scipy.special``: scipy.special's functions, differentiable. Its ufuncs called on
Tensors (``scipy.special.gammaln(t)``) reach these through NumPy's protocol; the functions
that are not ufuncs (``logsumexp``, ``softmax``, ``log_softmax``, ``polygamma``) are
called from here."""

import numpy as np

from .. import ops
from ..ops.reductions import normalize_axes
from ..ops.special import (beta, betainc, betaln, digamma, erf, erfc, erfcinv, erfinv, expit,
                           gamma, gammainc, gammaincc, gammaln, i0, i0e, i1, i1e, log_ndtr,
                           logit, ndtr, ndtri, polygamma, stdtr, xlog1py, xlogy)
from ..tensor import as_tensor

__all__ = ["beta", "betainc", "betaln", "digamma", "erf", "erfc", "erfcinv", "erfinv", "expit",
           "gamma", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "softmax",
           "stdtr", "xlog1py", "xlogy"]
psi = digamma


def _floating(x):
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else as_tensor(x, np.float64)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis``, computed stably; with ``return_sign``, (log|sum|,
    sign of the sum), as in SciPy."""
    x = _floating(a)
    if b is None and not return_sign:
        return ops.reduce_logsumexp(x, axis, keepdims)
    if b is not None:
        x, weights = ops.broadcast_to(x, np.broadcast_shapes(x.shape, np.shape(b))), b
    else:
        weights = np.ones((), x.dtype)
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    top = ops.stop_gradient(ops.reduce_max(x, axes, keepdims=True))
    top = ops.where(ops.less(ops.abs(top), np.inf), top, 0)  # all -inf stays finite
    total = ops.reduce_sum(weights * ops.exp(x - top), axes, keepdims=True)
    kept = tuple(n for i, n in enumerate(x.shape) if i not in axes)

    def shaped(t):
        return t if keepdims else ops.reshape(t, kept)
    if not return_sign:
        return shaped(ops.log(total) + top)
    return shaped(ops.log(ops.abs(total)) + top), shaped(ops.sign(total))


def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis`` (None: the whole array, as in SciPy)."""
    x = _floating(x)
    return x - ops.reduce_logsumexp(x, axis, keepdims=True)


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis`` (None: the whole array, as in SciPy)."""
    return ops.exp(log_softmax(x, axis))
