"""Neural-network functions built from the primitives (their gradients come for free)."""

import numpy as np

from ..tensor import as_tensor
from . import registry
from .core import run
from .elementwise import UNARY
from .shape import expand_dims, reshape
from .reductions import reduce_logsumexp, reduce_max, reduce_sum
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
    """-log softmax(logits)[label] per example; labels are integer class indices.

    One fused primitive: its kernel computes the loss and the softmax (kept for the
    gradient, softmax - one_hot) in one pass over each row."""
    x = as_tensor(logits)
    labels = as_tensor(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be integers, "
                        f"got {labels.dtype}")
    if x.ndim < 1 or labels.shape != x.shape[:-1]:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape "
                         f"{labels.shape} do not match logits of shape {x.shape} (expected "
                         f"labels of shape {x.shape[:-1]})")
    if x.dtype.kind != "f":
        x = as_tensor(x, np.float64)
    rows = reshape(x, (-1, x.shape[-1]))
    loss, _ = run("SparseSoftmaxCrossEntropyWithLogits", (rows, reshape(labels, (-1,))))
    return reshape(loss, labels.shape)


def _xent_forward(logits, labels):
    # The labels are checked here, where their values are: a trace runs this again.
    classes = logits.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels must lie in "
                         f"[0, {classes})")
    loss = np.empty(logits.shape[0], logits.dtype)
    probabilities = np.empty(logits.shape, logits.dtype)
    if logits.size:
        from ..kernels import nn as kernels

        kernels.sparse_softmax_cross_entropy(np.ascontiguousarray(logits),
                                             labels.astype(np.int64), loss, probabilities)
    return loss, probabilities


registry.define("SparseSoftmaxCrossEntropyWithLogits", _xent_forward, "both")


@registry.RegisterGradient("SparseSoftmaxCrossEntropyWithLogits", batch_aware=True,
                           accepts_missing=True)
def _xent_grad(op, g_loss, g_probabilities):
    from . import cast, equal, range

    probabilities, labels = op.outputs[1], op.inputs[1]
    grad = None
    if g_loss is not None:  # recorded operations: a trace of this rule follows the labels
        classes = range(probabilities.shape[1], dtype=labels.dtype)
        one_hot = cast(equal(expand_dims(labels, -1), classes), g_loss.dtype)
        grad = expand_dims(g_loss, -1) * (probabilities - one_hot)
    if g_probabilities is not None:  # the softmax output's own gradient
        softmax_grad = probabilities * (
            g_probabilities - reduce_sum(g_probabilities * probabilities, -1, keepdims=True))
        grad = softmax_grad if grad is None else grad + softmax_grad
    return grad, None


__all__ = ["sigmoid", "softplus", "relu", "elu", "tanh", "softmax", "log_softmax", "l2_loss",
           "sparse_softmax_cross_entropy_with_logits"]
