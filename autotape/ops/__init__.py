"""Every operation autotape records. Each module holds one family, with its gradient rules
registered beside it; ``registry`` maps op types to those rules."""

import sys
import types

from .. import tensor as _tensor
from ..tensor import as_tensor, constant, convert_to_tensor
from . import (assembly, calculus, elementwise, float_functions, lapack, matrix_functions,
               numpy_dispatch, products, registry, special, statistics)
from .assembly import *  # noqa: F401,F403  (each family's ``__all__``)
from .calculus import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403
from .creation import (eye, fill, lin_space, linspace, normal, ones, ones_like, range,
                       set_seed, uniform, zeros, zeros_like)
from .elementwise import BINARY as _BINARY
from .elementwise import UNARY as _UNARY
from .elementwise import add_into
from .extending import custom_gradient, primitive
from .float_functions import (fmod, frexp, ldexp, logical_and, logical_not, logical_or,
                              logical_xor, modf)
from .indexing import gather, getitem
from .linalg import matmul, norm
from .nn import (l2_loss, log_softmax, softmax, sparse_softmax_cross_entropy_with_logits)
from .reductions import (argmax, argmin, reduce_all, reduce_any, reduce_logsumexp, reduce_max,
                         reduce_mean, reduce_min, reduce_prod, reduce_sum)
from .registry import RegisterGradient, no_gradient
from .selection import cast, clip_by_value, identity, stop_gradient, where
from .shape import (broadcast_to, concat, expand_dims, reshape, squeeze, stack, sum_to_shape,
                    tile, transpose)

globals().update(_UNARY)
globals().update(_BINARY)
subtract, multiply, divide = _BINARY["subtract"], _BINARY["multiply"], _BINARY["divide"]
truediv = divide
_tensor._ops = sys.modules[__name__]
for _family in (assembly, calculus, elementwise, matrix_functions, products, statistics):
    numpy_dispatch.add_functions(_family.NUMPY_FUNCTIONS)
for _family in (float_functions, products):
    numpy_dispatch.add_ufuncs(_family.UFUNCS)
registry.seal_builtins(untrusted=["CustomGradient"])

# The operations, not this package's modules (``at.nn`` is autotape.nn, not ops.nn).
__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and not isinstance(value, types.ModuleType)
                 and name not in {"sum_to_shape", "as_tensor", "truediv", "add_into"})
