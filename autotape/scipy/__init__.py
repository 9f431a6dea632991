"""``at.scipy``: SciPy's functions on autotape values, differentiable, as JAX's
``jax.scipy``: ``at.scipy.special``, ``at.scipy.linalg``, ``at.scipy.stats``. SciPy is
optional: a function whose forward needs it raises an ImportError saying so."""

from . import linalg, special, stats

__all__ = ["linalg", "special", "stats"]
