"""``at.math``: the operations of API.md's "Operations" list under TensorFlow's ``tf.math``
names (also at the top level, where NumPy's names are too)."""

from .ops import (abs, acos, acosh, add, argmax, argmin, asin, asinh, atan, atan2, atanh,
                  broadcast_to, cast, ceil, clip_by_value, concat, cos, cosh, cumprod, cumsum,
                  divide, equal, exp, expand_dims, expm1, floor, floor_divide, gather, greater,
                  greater_equal, identity, is_finite, is_inf, is_nan, less, less_equal, log,
                  log1p, matmul, maximum, minimum, mod, multiply, negative, norm, not_equal,
                  pow, reciprocal, reduce_all, reduce_any, reduce_logsumexp, reduce_max,
                  reduce_mean, reduce_min, reduce_prod, reduce_std, reduce_sum,
                  reduce_variance, reshape, round, sigmoid, sign, sin, sinh, softplus, sqrt,
                  square, squeeze, stack, stop_gradient, subtract, tan, tanh, tile, transpose,
                  where)
from .ops.special import (betainc, digamma, erf, erfc, erfinv, i0, i0e, i1, i1e, ndtri,
                          polygamma, xlog1py, xlogy)
from .ops.special import gammainc as igamma
from .ops.special import gammaincc as igammac
from .ops.special import gammaln as lgamma

bessel_i0, bessel_i0e, bessel_i1, bessel_i1e = i0, i0e, i1, i1e
del i0, i0e, i1, i1e
