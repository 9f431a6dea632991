"""Neural-network functions built from the primitives (their gradients come for free)."""

import numpy as np

from ..tensor import as_tensor
from .elementwise import UNARY
from .reductions import normalize_axes, reduce_logsumexp, reduce_max, reduce_sum
from .selection import stop_gradient

sigmoid, softplus, relu, elu, tanh = (UNARY[n] for n in ("sigmoid", "softplus", "relu", "elu",
                                                          "tanh"))


def softmax(logits, axis=-1, name=None):
    from . import exp

    x = as_tensor(logits)
    e = exp(x - stop_gradient(reduce_max(x, axis, keepdims=True)))
    return e / reduce_sum(e, axis, keepdims=True)


def log_softmax(logits, axis=-1, name=None):
    x = as_tensor(logits)
    return x - reduce_logsumexp(x, axis, keepdims=True)


def l2_loss(t, name=None):
    x = as_tensor(t)
    return reduce_sum(x * x) / 2


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """-log softmax(logits)[label] per example; labels are integer class indices."""
    x = as_tensor(logits)
    labels = np.asarray(as_tensor(labels)._value)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be integers, "
                        f"got {labels.dtype}")
    if x.ndim < 1 or labels.shape != x.shape[:-1]:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape "
                         f"{labels.shape} do not match logits of shape {x.shape} (expected "
                         f"labels of shape {x.shape[:-1]})")
    classes = x.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels must lie in "
                         f"[0, {classes})")
    one_hot = (labels[..., None] == np.arange(classes)).astype(x.dtype)
    return -reduce_sum(log_softmax(x) * one_hot, -1)


__all__ = ["sigmoid", "softplus", "relu", "elu", "tanh", "softmax", "log_softmax", "l2_loss",
           "sparse_softmax_cross_entropy_with_logits", "normalize_axes"]
