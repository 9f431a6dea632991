"""Gathers and their adjoints, scatter-adds, on flat arrays with flat element indices."""

from numba import njit


@njit(cache=True, nogil=True)
def take_flat(X, INDEX, OUT):
    for i in range(INDEX.size):
        OUT[i] = X[INDEX[i]]


@njit(cache=True, nogil=True)
def scatter_add_flat(G, INDEX, OUT):
    """OUT[INDEX[i]] += G[i]: repeated indices add up."""
    for i in range(INDEX.size):
        OUT[INDEX[i]] += G[i]


@njit(cache=True, nogil=True)
def where_flat(C, A, B, OUT):
    for i in range(OUT.size):
        OUT[i] = A[i] if C[i] else B[i]
