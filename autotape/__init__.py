"""autotape: TensorFlow's eager GradientTape on Numba kernels.

    import autotape as at
    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)  # 6.0
"""

__version__ = "0.1.0"

from .kernels import openmp as _openmp

_openmp.prefer_passive_waiting()  # before any library loads an OpenMP runtime, if it can

from . import layers, linalg, math, nn, optimizers, random, scipy, testing
from .dtypes import (bool_, float16, float32, float64, int8, int16, int32, int64, uint8)
from .functional import (grad, gradients_function, hessian, hvp, jacobian, value_and_grad,
                         value_and_gradients_function)
from .ops import *  # noqa: F401,F403  (the operation set, see ops/__init__.py)
from .module import Module
from .ops import (RegisterGradient, custom_gradient, no_gradient, primitive)
from .tape import GradientTape, UnconnectedGradients
from .tensor import Tensor, Variable, constant, convert_to_tensor
from .tracing import TapeFunction, tape_function
