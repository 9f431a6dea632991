"""scipy.special's functions as autotape primitives, with their derivatives in one table.

The forward of each is SciPy's own ufunc loop (compiled C, the reference for these
functions; SciPy is needed only to run them). Each derivative is a formula of autotape
operations, often other functions of this table (gammaln' is digamma, digamma' is
polygamma(1, .)), so every order works. float32 stays float32, integers compute in float64.
"""

import functools
import math
import sys

import numpy as np

from ..tensor import as_tensor
from . import registry
from .core import run


@functools.cache
def scipy_special():
    try:
        import scipy.special
    except ImportError:
        raise ImportError("scipy.special's functions need SciPy: pip install scipy") from None
    return scipy.special


def _ops():
    from .. import ops

    return ops


def _where_nonzero(x, value, otherwise):
    """``value(x)`` where x != 0, else ``otherwise`` (value never sees a zero, so no 0 / 0
    reaches a gradient)."""
    o = _ops()
    zero = o.equal(x, 0)
    return o.where(zero, otherwise, value(o.where(zero, 1, x)))


_SQRT_PI, _SQRT_2PI = math.sqrt(math.pi), math.sqrt(2 * math.pi)

# Where a function's derivative in an argument has no formula here (the incomplete gamma
# and beta functions' in their shape parameters): asking for that gradient is an error,
# never a silent zero.
NO_FORMULA = object()


def _incomplete_gamma_density(a, x):
    """d/dx of the regularized lower incomplete gamma P(a, x): x**(a-1) e**-x / Gamma(a)."""
    return _ops().exp(xlogy(a - 1, x) - x - gammaln(a))


def _t_density(df, t):
    half = (df + 1) / 2
    return _ops().exp(gammaln(half) - gammaln(df / 2) - 0.5 * _ops().log(df * math.pi)
                      - half * _ops().log1p(t * t / df))


# function -> its partial derivatives (None: not differentiable in that argument, as an
# integer order; NO_FORMULA: see above), from its arguments and its value y.
DERIVATIVES = {
    "gammaln": lambda x, y: (digamma(x),),
    "gamma": lambda x, y: (y * digamma(x),),
    "digamma": lambda x, y: (polygamma(1, x),),
    "polygamma": lambda n, x, y: (None, polygamma(n + 1, x)),
    "erf": lambda x, y: (2 / _SQRT_PI * _ops().exp(-x * x),),
    "erfc": lambda x, y: (-2 / _SQRT_PI * _ops().exp(-x * x),),
    "erfinv": lambda x, y: (_SQRT_PI / 2 * _ops().exp(y * y),),
    "erfcinv": lambda x, y: (-_SQRT_PI / 2 * _ops().exp(y * y),),
    "logit": lambda x, y: (1 / (x * (1 - x)),),
    "ndtr": lambda x, y: (_ops().exp(-0.5 * x * x) / _SQRT_2PI,),
    "ndtri": lambda x, y: (_SQRT_2PI * _ops().exp(0.5 * y * y),),
    "log_ndtr": lambda x, y: (_ops().exp(-0.5 * x * x - y) / _SQRT_2PI,),  # pdf / cdf
    "i0": lambda x, y: (i1(x),),
    "i1": lambda x, y: (i0(x) - _where_nonzero(x, lambda u: i1(u) / u, 0.5),),
    "i0e": lambda x, y: (i1e(x) - _ops().sign(x) * y,),
    "i1e": lambda x, y: (i0e(x) - _ops().sign(x) * y
                         - _where_nonzero(x, lambda u: i1e(u) / u, 0.5),),
    # x log y is 0 where x is 0, whatever y: its y-derivative x / y is 0 there too.
    "xlogy": lambda x, z, y: (_ops().log(z), _where_nonzero(x, lambda u: u / z, 0.0)),
    "xlog1py": lambda x, z, y: (_ops().log1p(z), _where_nonzero(x, lambda u: u / (1 + z), 0.0)),
    "betaln": lambda a, b, y: (digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)),
    "beta": lambda a, b, y: (y * (digamma(a) - digamma(a + b)),
                             y * (digamma(b) - digamma(a + b))),
    # the distribution functions of the gamma, beta and t distributions: their densities
    "gammainc": lambda a, x, y: (NO_FORMULA, _incomplete_gamma_density(a, x)),
    "gammaincc": lambda a, x, y: (NO_FORMULA, -_incomplete_gamma_density(a, x)),
    "betainc": lambda a, b, x, y: (NO_FORMULA, NO_FORMULA, _ops().exp(
        xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))),
    "stdtr": lambda df, t, y: (NO_FORMULA, _t_density(df, t)),
}
# The i0e/i1e derivatives at 0 take sign(0) = 0, the mean of the one-sided derivatives of
# their e^-|x| factor.


def _float_dtype(tensors):
    dtype = np.result_type(*[t.dtype for t in tensors])
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _forward(*arrays, function, dtype):
    return np.asarray(getattr(scipy_special(), function)(*arrays), dtype)


def apply(function, *args):
    """``scipy.special.<function>`` on autotape values, recorded."""
    scipy_special()  # a clear ImportError before anything runs
    tensors = [as_tensor(a) for a in args]
    try:
        np.broadcast_shapes(*[t.shape for t in tensors])
    except ValueError:
        raise ValueError(f"{function}: operands of shapes {[t.shape for t in tensors]} do not "
                         "broadcast") from None
    return run("SpecialFunction", tuple(tensors),
               {"function": function, "dtype": _float_dtype(tensors)})


registry.define("SpecialFunction", _forward, "both")


@registry.RegisterGradient("SpecialFunction", batch_aware=True)
def _special_grad(op, g):
    from .shape import sum_to_shape

    function = op.attrs["function"]
    partials = DERIVATIVES[function](*op.inputs, op.outputs[0])
    for k, (d, needed) in enumerate(zip(partials, op.needs_gradient)):
        if d is NO_FORMULA and needed:
            raise NotImplementedError(
                f"{function}: the derivative with respect to argument {k} is not implemented "
                f"(only the last argument's); pass it as a constant or under stop_gradient")
    partials = [None if d is NO_FORMULA else d for d in partials]
    return [None if d is None else sum_to_shape(g * d, op.batch + x.shape,
                                                batch_dims=len(op.batch))
            for x, d in zip(op.inputs, partials)]


def _function(name):
    def special_function(*args):
        return apply(name, *args)
    special_function.__name__ = special_function.__qualname__ = name
    special_function.__doc__ = f"``scipy.special.{name}``, differentiable."
    return special_function


gammaln, gamma, digamma, erf, erfc, erfinv, erfcinv, logit, ndtr, ndtri, log_ndtr = map(
    _function, "gammaln gamma digamma erf erfc erfinv erfcinv logit ndtr ndtri "
               "log_ndtr".split())
i0, i1, i0e, i1e, xlogy, xlog1py, beta, betaln = map(
    _function, "i0 i1 i0e i1e xlogy xlog1py beta betaln".split())
gammainc, gammaincc, betainc, stdtr = map(_function, "gammainc gammaincc betainc stdtr".split())


def polygamma(n, x):
    """The n-th derivative of digamma (n a non-negative integer, or integers that broadcast
    with x); differentiable in x."""
    n = as_tensor(n)
    if n.dtype.kind not in "iu":
        if not np.all(np.asarray(n._value) == np.floor(n._value)):
            raise ValueError(f"polygamma: the order n must be an integer, got {n._value}")
        n = as_tensor(n, np.int64)
    return apply("polygamma", n, x)


def expit(x):
    """``scipy.special.expit``: the logistic sigmoid."""
    return _ops().sigmoid(x)


def ufunc_implementation(ufunc):
    """The autotape function for one of scipy.special's ufuncs, or None. Looks only where
    the caller has imported scipy.special already (a ufunc of it was called)."""
    special = sys.modules.get("scipy.special")
    if special is None:
        return None
    return _scipy_ufuncs(special).get(ufunc)


@functools.cache
def _scipy_ufuncs(special):
    table = {getattr(special, name): globals()[name] for name in DERIVATIVES
             if name != "polygamma"}
    table[special.expit] = expit
    return table
