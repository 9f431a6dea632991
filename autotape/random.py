"""``at.random``: random tensors (NumPy's Generator underneath)."""

from .ops.creation import normal, set_seed, uniform
