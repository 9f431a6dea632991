"""Numba kernels: pure functions on NumPy arrays, nothing about Tensors or tapes.

Shipped as ``autotape.kernels``. Submodules import Numba, so autotape imports them only
when a kernel is first needed; ``import autotape`` stays fast.
"""
