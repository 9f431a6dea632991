"""The rest of NumPy's float ufuncs with a derivative, and the logical ones: fmod, ldexp and
frexp as primitives with NumPy's own forwards (exact, as NumPy's are), modf, divmod and the
logical functions composed of recorded operations."""

import numpy as np

from ..tensor import as_tensor
from . import registry
from .core import run
from .operands import binary_operands
from .shape import sum_to_shape


def _ops():
    from .. import ops

    return ops


def _float(x):
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else as_tensor(x, np.float64)


def _unbroadcast(op, g, x):
    return sum_to_shape(g, op.batch + x.shape, batch_dims=len(op.batch))


# --- fmod: the remainder with the sign of a (C's), a - b * trunc(a / b) exactly --------------
def fmod(a, b):
    """``np.fmod``: d/da 1, d/db -trunc(a / b)."""
    x, y = binary_operands(a, b)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"fmod: operands of shapes {x.shape} and {y.shape} do not "
                         "broadcast") from None
    return run("Fmod", (x, y))


registry.define("Fmod", np.fmod, "inputs")


@registry.RegisterGradient("Fmod", batch_aware=True)
def _fmod_grad(op, g):
    a, b = op.inputs
    if a.dtype.kind != "f":
        return None, None
    return _unbroadcast(op, g, a), _unbroadcast(op, -g * _ops().trunc(a / b), b)


# --- ldexp and frexp: scaling by powers of two, exact ------------------------------------------
def ldexp(x, exponent):
    """``np.ldexp``: x * 2**exponent (an integer exponent, not differentiable), exact; its
    gradient is the ldexp of the gradient, so every order is exact too."""
    x = _float(x)
    exponent = as_tensor(exponent)
    if exponent.dtype.kind not in "iub":
        raise TypeError(f"ldexp: the exponent must be an integer tensor, got {exponent.dtype}")
    try:
        np.broadcast_shapes(x.shape, exponent.shape)
    except ValueError:
        raise ValueError(f"ldexp: operands of shapes {x.shape} and {exponent.shape} do not "
                         "broadcast") from None
    return run("Ldexp", (x, as_tensor(exponent, np.int32)))


registry.define("Ldexp", np.ldexp, "inputs")


@registry.RegisterGradient("Ldexp", batch_aware=True)
def _ldexp_grad(op, g):
    x, exponent = op.inputs
    return _unbroadcast(op, run("Ldexp", (g, exponent)), x), None


def _frexp_exponent(x):
    return np.frexp(x)[1].astype(np.int32)


registry.define("FrexpExponent", _frexp_exponent, "none")
registry.no_gradient("FrexpExponent")


def frexp(x):
    """``np.frexp``: (mantissa, exponent) with x == mantissa * 2**exponent and
    0.5 <= |mantissa| < 1 (0, inf and NaN kept, exponent 0). The mantissa's derivative is
    2**-exponent."""
    x = _float(x)
    exponent = run("FrexpExponent", (x,))
    return run("Ldexp", (x, _ops().negative(exponent))), exponent


# --- compositions ------------------------------------------------------------------------------
def modf(x):
    """``np.modf``: (fractional part, integral part), both with x's sign (``modf(-2.0)`` is
    ``(-0.0, -2.0)``, ``modf(inf)`` is ``(0.0, inf)``). The fraction's derivative is 1."""
    o = _ops()
    x = _float(x)
    whole = o.trunc(x)
    fraction = o.copysign(x - whole, x)
    return o.where(o.is_inf(x), o.copysign(0.0, x), fraction), whole


def divmod_(a, b):
    """``np.divmod``: (floor_divide(a, b), mod(a, b))."""
    return _ops().floor_divide(a, b), _ops().mod(a, b)


def _truth(x):
    return _ops().cast(as_tensor(x), np.bool_)


def logical_not(x):
    return _ops().equal(_truth(x), False)


def logical_and(a, b):
    return _ops().where(_truth(a), _truth(b), False)


def logical_or(a, b):
    return _ops().where(_truth(a), True, _truth(b))


def logical_xor(a, b):
    return _ops().not_equal(_truth(a), _truth(b))


# NumPy's ufunc -> autotape's function, for numpy_dispatch (called without keywords).
UFUNCS = {
    np.fmod: fmod, np.ldexp: ldexp, np.frexp: frexp, np.modf: modf, np.divmod: divmod_,
    np.logical_not: logical_not, np.logical_and: logical_and, np.logical_or: logical_or,
    np.logical_xor: logical_xor,
}
