"""Scatter-adds (the adjoint of gathering) and selection, on flat arrays."""

from .cache import kernel


@kernel(nogil=True)
def scatter_add_flat(G, INDEX, OUT):
    """OUT[INDEX[i]] += G[i]: repeated indices add up."""
    for i in range(INDEX.size):
        OUT[INDEX[i]] += G[i]


@kernel(nogil=True)
def where_flat(C, A, B, OUT):
    for i in range(OUT.size):
        OUT[i] = A[i] if C[i] else B[i]
