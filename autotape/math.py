"""``at.math``: the mathematical operations (the same functions as at the top level)."""

from .ops import (abs, acos, add, argmax, asin, atan, cast, clip_by_value, cos, cosh, divide,
                  equal, exp, expm1, floor, floor_divide, greater, greater_equal, less,
                  less_equal, log, log1p, matmul, maximum, minimum, mod, multiply, negative,
                  norm, not_equal, pow, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
                  reduce_prod, reduce_sum, round, sigmoid, sign, sin, sinh, softplus, sqrt,
                  square, subtract, tan, tanh, where)
