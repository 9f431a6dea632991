"""Function transforms on top of GradientTape: gradients_function (TensorFlow 1.x eager)."""

import functools

import numpy as np

from . import ops
from .tape import GradientTape, warn_if_not_float
from .tensor import Tensor, as_tensor
from .tracing import TapeFunction


def _of_tape_function(transform, f, option):
    """``transform(f)`` of a tape_function is the tape_function of ``transform(f's python)``:
    the whole transformed computation is traced and compiled as one."""
    option = tuple(option) if isinstance(option, list) else option
    return f.derived((transform.__name__, option), lambda: transform(f._fn, option))


def _differentiable_argument(x):
    """Python floats, float arrays and float Tensors are differentiated; others pass as is."""
    if isinstance(x, Tensor):
        return x.dtype.kind == "f", x
    if isinstance(x, float):
        return True, as_tensor(x)
    if hasattr(x, "dtype") and getattr(x.dtype, "kind", None) == "f":
        return True, as_tensor(x)
    return False, x


def _own_identities(arguments, positions):
    """The arguments with a fresh identity wherever one object is passed at two of the
    ``positions``, so that ``f(x, x)`` gives each position its own partial derivative."""
    arguments, seen = list(arguments), set()
    for i in positions:
        x = arguments[i]
        if isinstance(x, Tensor):  # by tensor identity: a Variable's reads all share one
            if x._id in seen:
                arguments[i] = ops.identity(x)  # recorded: outer tapes see through it
            seen.add(x._id)
    return arguments


def value_and_gradients_function(f, params=None):
    """``g(*args)`` returns ``(f(*args), [df/d arg for each arg in params])``; ``params``
    holds argument indices (default: all). Non-float arguments get None, with a warning."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(value_and_gradients_function, f, params)

    @functools.wraps(f)
    def value_and_gradients(*args):
        return _value_and_gradients(f, params, args, caller_depth=1)

    return value_and_gradients


def gradients_function(f, params=None):
    """``g(*args)`` returns the list of gradients of ``f(*args)`` (see
    value_and_gradients_function)."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(gradients_function, f, params)

    @functools.wraps(f)
    def gradients(*args):
        return _value_and_gradients(f, params, args, caller_depth=1)[1]

    return gradients


def _value_and_gradients(f, params, args, caller_depth):
    """``caller_depth``: frames between this function and the user's call (for warnings)."""
    converted = [_differentiable_argument(a) for a in args]
    indices = range(len(args)) if params is None else params
    differentiable = [i for i in indices if converted[i][0]]
    arguments = _own_identities([x for _, x in converted], differentiable)
    for i in indices:
        if not converted[i][0]:
            warn_if_not_float(_dtype_of(args[i]), "source", f" (argument {i})",
                              stacklevel=3 + caller_depth)
    with GradientTape() as tape:
        for i in differentiable:
            tape.watch(arguments[i])
        value = f(*arguments)
    grads = dict(zip(differentiable,
                     tape.gradient(value, [arguments[i] for i in differentiable])))
    return value, [grads.get(i) for i in indices]


def _dtype_of(x):
    """What a non-float argument would be as a tensor (an int is int64), for the warning."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return dtype
    try:
        return as_tensor(x).dtype
    except (TypeError, OverflowError):
        return np.dtype(object)


def _watched_arguments(args, argnums, transform):
    """The arguments with those at ``argnums`` as float Tensors (to be watched)."""
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    converted = list(args)
    for i in numbers:
        if not -len(args) <= i < len(args):
            raise ValueError(f"{transform}: argnums {argnums} out of range for "
                             f"{len(args)} arguments")
        differentiable, x = _differentiable_argument(args[i])
        if not differentiable:
            raise TypeError(f"{transform}: argument {i} must be a float (number, array or "
                            f"Tensor) to be differentiated, got {type(args[i]).__name__}"
                            + (f" of dtype {x.dtype}" if hasattr(x, "dtype") else ""))
        converted[i] = x
    return _own_identities(converted, numbers), numbers


def value_and_grad(f, argnums=0):
    """As JAX: ``(f(*args), gradient)``; ``argnums`` an int gives one gradient, a tuple a
    tuple. ``f`` must return a scalar."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(value_and_grad, f, argnums)

    @functools.wraps(f)
    def value_and_gradient(*args):
        converted, numbers = _watched_arguments(args, argnums, "grad")
        with GradientTape() as tape:
            for i in numbers:
                tape.watch(converted[i])
            value = f(*converted)
        if not isinstance(value, Tensor):
            value = as_tensor(value)
        if value.size != 1:
            raise TypeError(f"grad: the function must return a scalar, got shape {value.shape}"
                            " (use jacobian for non-scalar outputs)")
        grads = tape.gradient(value, [converted[i] for i in numbers],
                              unconnected_gradients="zero")
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    return value_and_gradient


def grad(f, argnums=0):
    """As JAX: the gradient of scalar-valued ``f`` with respect to argument(s) ``argnums``."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(grad, f, argnums)
    value_and_gradient = value_and_grad(f, argnums)

    @functools.wraps(f)
    def gradient(*args):
        return value_and_gradient(*args)[1]

    return gradient


def jacobian(f, argnums=0):
    """d f(*args)[i...] / d args[argnums][j...], of shape output.shape + argument.shape (a
    tuple over outputs and/or argnums where those are tuples)."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(jacobian, f, argnums)

    @functools.wraps(f)
    def jacobian_of(*args):
        converted, numbers = _watched_arguments(args, argnums, "jacobian")
        with GradientTape(persistent=True) as tape:
            for i in numbers:
                tape.watch(converted[i])
            value = f(*converted)
        sources = [converted[i] for i in numbers]

        def of_output(y):
            y = y if isinstance(y, Tensor) else as_tensor(y)
            result = tape.jacobian(y, sources, unconnected_gradients="zero")
            return result[0] if isinstance(argnums, int) else tuple(result)

        if isinstance(value, (tuple, list)):
            return type(value)(of_output(y) for y in value)
        return of_output(value)

    return jacobian_of


def hessian(f, argnums=0):
    """The Jacobian of the gradient: shape argument.shape + argument.shape."""
    return jacobian(grad(f, argnums), argnums)


def hvp(f, argnums=0):
    """``hvp(f)(*args, v)``: the Hessian of scalar ``f`` (with respect to argument
    ``argnums``) times ``v``, by differentiating <grad f, v>: the Hessian is never formed."""
    if isinstance(f, TapeFunction):
        return _of_tape_function(hvp, f, argnums)

    @functools.wraps(f)
    def hessian_vector_product(*args):
        *args, v = args
        gradient = grad(f, argnums)

        def directional(*inner):
            from .ops import reduce_sum

            return reduce_sum(gradient(*inner) * v)

        return grad(directional, argnums)(*args)

    return hessian_vector_product
