"""``at.math``: the operations of API.md's "Operations" list (also at the top level)."""

from .ops import (abs, acos, add, argmax, asin, atan, broadcast_to, cast, clip_by_value,
                  concat, cos, cosh, divide, equal, exp, expand_dims, expm1, floor,
                  floor_divide, gather, greater, greater_equal, identity, less, less_equal, log,
                  log1p, matmul, maximum, minimum, mod, multiply, negative, norm, not_equal,
                  pow, reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
                  reduce_sum, reshape, round, sigmoid, sign, sin, sinh, softplus, sqrt, square,
                  squeeze, stack, stop_gradient, subtract, tan, tanh, tile, transpose, where)
