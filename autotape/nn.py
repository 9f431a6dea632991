"""``at.nn``: activations and losses."""

from .ops import (elu, l2_loss, log_softmax, relu, sigmoid, softmax, softplus,
                  sparse_softmax_cross_entropy_with_logits, tanh)
