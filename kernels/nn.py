"""Fused neural-network kernels."""

import math

from .cache import kernel


@kernel(nogil=True, error_model="numpy")
def sparse_softmax_cross_entropy(LOGITS, LABELS, LOSS, PROBS):
    """Per row i of LOGITS (n, c): LOSS[i] = logsumexp(row) - row[LABELS[i]] and
    PROBS[i] = softmax(row), in one pass over the row (shifted by its maximum)."""
    for i in range(LOGITS.shape[0]):
        largest = LOGITS[i, 0]
        for j in range(1, LOGITS.shape[1]):
            largest = max(largest, LOGITS[i, j])
        total = 0.0
        for j in range(LOGITS.shape[1]):
            e = math.exp(LOGITS[i, j] - largest)
            PROBS[i, j] = e
            total += e
        for j in range(LOGITS.shape[1]):
            PROBS[i, j] /= total
        LOSS[i] = math.log(total) + largest - LOGITS[i, LABELS[i]]
