"""NumPy's protocols: ``np.sin(t)``, ``np.mean(t, axis=0)``, ``np.matmul(a, b)`` on Tensors
run autotape operations (recorded, returning Tensors). Functions autotape lacks run in NumPy
on the values and return arrays; if that cuts a gradient being recorded, a warning says so.
"""

import collections
import sys
import warnings

import numpy as np

from .. import nest
from ..recording import concrete, state
from ..tensor import Tensor, readonly_value
from .numpy_signatures import numpy_call


def _ops():
    from .. import ops

    return ops


_UFUNC_NAMES = {
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arcsin: "asin", np.arccos: "acos",
    np.arctan: "atan", np.sinh: "sinh", np.cosh: "cosh", np.tanh: "tanh", np.exp: "exp",
    np.log: "log", np.log1p: "log1p", np.expm1: "expm1", np.sqrt: "sqrt", np.square: "square",
    np.absolute: "abs", np.negative: "negative", np.sign: "sign", np.floor: "floor",
    np.rint: "round", np.add: "add", np.subtract: "subtract", np.multiply: "multiply",
    np.true_divide: "divide", np.power: "pow", np.maximum: "maximum", np.minimum: "minimum",
    np.floor_divide: "floor_divide", np.remainder: "mod", np.equal: "equal",
    np.not_equal: "not_equal", np.greater: "greater", np.greater_equal: "greater_equal",
    np.less: "less", np.less_equal: "less_equal", np.matmul: "matmul",
    np.log2: "log2", np.log10: "log10", np.exp2: "exp2", np.arcsinh: "asinh",
    np.arccosh: "acosh", np.arctanh: "atanh", np.cbrt: "cbrt", np.reciprocal: "reciprocal",
    np.arctan2: "atan2", np.hypot: "hypot", np.logaddexp: "logaddexp",
    np.logaddexp2: "logaddexp2", np.deg2rad: "deg2rad", np.radians: "deg2rad",
    np.rad2deg: "rad2deg", np.degrees: "rad2deg", np.fabs: "fabs", np.positive: "positive",
    np.float_power: "float_power", np.fmax: "fmax", np.fmin: "fmin", np.copysign: "copysign",
    np.trunc: "trunc", np.ceil: "ceil", np.heaviside: "heaviside", np.signbit: "signbit",
    np.isnan: "is_nan", np.isinf: "is_inf", np.isfinite: "is_finite",
    np.conjugate: "positive",  # tensors are real
}


# ufunc -> autotape function, from the operation families' own ``UFUNCS`` tables.
_UFUNC_FUNCTIONS = {}


def add_ufuncs(table):
    """Route the NumPy ufuncs of ``table`` (ufunc -> function) to autotape, when called
    without keyword arguments."""
    clash = set(table) & (set(_UFUNC_FUNCTIONS) | set(_UFUNC_NAMES))
    if clash:
        raise KeyError(f"NumPy ufuncs routed twice: {sorted(map(numpy_name, clash))}")
    _UFUNC_FUNCTIONS.update(table)


def array_ufunc(ufunc, method, inputs, kwargs):
    name = _UFUNC_NAMES.get(ufunc)
    if method == "__call__" and name is not None and not kwargs:
        return getattr(_ops(), name)(*inputs)
    if method == "__call__" and ufunc in _UFUNC_FUNCTIONS and not kwargs:
        return _UFUNC_FUNCTIONS[ufunc](*inputs)
    special_function = _ops().special.ufunc_implementation(ufunc)  # scipy.special's
    if method == "__call__" and special_function is not None and not kwargs:
        return special_function(*inputs)
    if method == "reduce" and ufunc is np.add and set(kwargs) <= {"axis", "keepdims"}:
        return _ops().reduce_sum(inputs[0], kwargs.get("axis", 0), kwargs.get("keepdims", False))
    what = numpy_name(ufunc) + ("" if method == "__call__" else f".{method}")
    return _unrecorded(getattr(ufunc, method), inputs, kwargs, what)


def _reduction(numpy_function, op_name):
    """np.sum, np.max...: NumPy's signature bound (an ``out``, ``initial`` or ``where``
    leaves the call to NumPy)."""
    def implementation(a, axis=None, dtype=None, keepdims=False):
        if dtype is not None:
            a = _ops().cast(a, dtype)
        return getattr(_ops(), op_name)(a, axis, keepdims)
    return numpy_call(numpy_function, implementation)


def _reshape(a, shape=None, order="C", newshape=None, **unused):
    if order != "C":
        return NotImplemented
    return _ops().reshape(a, newshape if shape is None else shape)


def _tile(a, reps):
    t = _ops().convert_to_tensor(a)
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    rank = max(t.ndim, len(reps))
    t = _ops().reshape(t, (1,) * (rank - t.ndim) + t.shape)
    return _ops().tile(t, (1,) * (rank - len(reps)) + reps)


def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        return NotImplemented
    if axis is None:  # NumPy flattens every array first
        arrays, axis = [_ops().reshape(a, (-1,)) for a in arrays], 0
    return _ops().concat(_cast_all(arrays, dtype, casting, "np.concatenate"), axis)


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        return NotImplemented
    return _ops().stack(_cast_all(arrays, dtype, casting, "np.stack"), axis)


def _cast_all(arrays, dtype, casting, what):
    """The arrays as tensors of ``dtype`` (if given), refused as NumPy refuses them."""
    tensors = [_ops().convert_to_tensor(a) for a in arrays]
    if dtype is None:
        return tensors
    for t in tensors:
        if not np.can_cast(t.dtype, dtype, casting):
            raise TypeError(f"{what}: cannot cast {t.dtype} to {np.dtype(dtype)} with "
                            f"casting={casting!r}")
    return [_ops().cast(t, dtype) for t in tensors]


def _where(condition, x=None, y=None):
    if x is None and y is None:
        return NotImplemented  # the indices where condition holds: nothing to differentiate
    return _ops().where(condition, x, y)


_NO_BOUND = object()


def _clip(a, a_min=_NO_BOUND, a_max=_NO_BOUND, out=None, *, min=_NO_BOUND, max=_NO_BOUND,
          **unsupported):
    """np.clip, either bound None (or left out) meaning no bound on that side."""
    low = a_min if a_min is not _NO_BOUND else min
    high = a_max if a_max is not _NO_BOUND else max
    if out is not None or unsupported:
        return NotImplemented
    result = _ops().convert_to_tensor(a)
    if low is not _NO_BOUND and low is not None:
        result = _ops().maximum(result, low)
    if high is not _NO_BOUND and high is not None:
        result = _ops().minimum(result, high)
    return result


def _dot(a, b, out=None):
    if out is not None:
        return NotImplemented
    from .linalg import dot

    return dot(a, b)


def _norm(x, ord=None, axis=None, keepdims=False):
    from .linalg import numpy_norm

    return numpy_norm(x, ord, axis, keepdims)


# NumPy's result types' fields
SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")
EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")


def _lapack():
    from . import lapack

    return lapack


def _cholesky(a, upper=False):
    """upper: U with U.T @ U == a, from a's upper triangle (the lower one's of a.T)."""
    if not upper:
        return _lapack().cholesky(a)
    from .linalg import matrix_transpose

    return matrix_transpose(_lapack().cholesky(matrix_transpose(a)))


def _numpy_band(m, low=None, high=None):
    """np.tril / np.triu: a 1-d m is the last row of a square matrix, as in NumPy."""
    from .linalg import band

    m = _ops().convert_to_tensor(m)
    if m.ndim == 1:
        m = _ops().broadcast_to(m, (m.shape[0], m.shape[0]))
    return band(m, low=None if low is None else int(low), high=None if high is None else int(high))


def _symmetric_from(a, UPLO):
    """The matrix whose lower triangle holds what NumPy reads (a.T's for UPLO="U")."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    if UPLO == "L":
        return a
    from .linalg import matrix_transpose

    return matrix_transpose(a)


def _eigh(a, UPLO="L"):
    return EighResult(*_lapack().eigh(_symmetric_from(a, UPLO)))


def _eigvalsh(a, UPLO="L"):
    return _lapack().eigvalsh(_symmetric_from(a, UPLO))


def _slogdet(a):
    return SlogdetResult(*_lapack().slogdet(a))


def _arg_extremum(numpy_function, op_name):
    def implementation(a, axis=None):
        if axis is None:  # the index into the flattened array, as in NumPy
            return getattr(_ops(), op_name)(_ops().reshape(a, (-1,)), 0)
        return getattr(_ops(), op_name)(a, axis)
    return numpy_call(numpy_function, implementation)


_FUNCTIONS = {
    np.sum: _reduction(np.sum, "reduce_sum"),
    np.mean: _reduction(np.mean, "reduce_mean"),
    np.max: _reduction(np.max, "reduce_max"),
    np.min: _reduction(np.min, "reduce_min"),
    np.amax: _reduction(np.amax, "reduce_max"),
    np.amin: _reduction(np.amin, "reduce_min"),
    np.all: _reduction(np.all, "reduce_all"),
    np.any: _reduction(np.any, "reduce_any"),
    np.prod: _reduction(np.prod, "reduce_prod"),
    np.transpose: lambda a, axes=None: _ops().transpose(a, axes),
    np.reshape: _reshape,
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.expand_dims: lambda a, axis: _ops().expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: _ops().squeeze(a, axis),
    np.broadcast_to: lambda array, shape: _ops().broadcast_to(array, shape),
    np.tile: _tile,
    np.where: _where,
    np.clip: _clip,
    np.dot: _dot,
    np.linalg.norm: _norm,
    # Metadata, not values: no warning, nothing to record.
    np.ndim: lambda a: a.ndim,
    np.shape: lambda a: a.shape,
    np.size: lambda a, axis=None: a.size if axis is None else a.shape[axis],
    np.linalg.cholesky: _cholesky,
    np.tril: lambda m, k=0: _numpy_band(m, high=k),
    np.triu: lambda m, k=0: _numpy_band(m, low=k),
    np.linalg.solve: lambda a, b: _lapack().numpy_solve(a, b),
    np.linalg.inv: lambda a: _lapack().inv(a),
    np.linalg.det: lambda a: _lapack().det(a),
    np.linalg.slogdet: _slogdet,
    np.linalg.eigh: _eigh,
    np.linalg.eigvalsh: _eigvalsh,
    np.argmax: _arg_extremum(np.argmax, "argmax"),
    np.argmin: _arg_extremum(np.argmin, "argmin"),
}


def add_functions(table):
    """Route the NumPy functions of ``table`` (function -> implementation) to autotape: an
    operation family's own ``NUMPY_FUNCTIONS``. An implementation may return NotImplemented
    for arguments it does not take (NumPy then runs on the plain values)."""
    clash = set(table) & set(_FUNCTIONS)
    if clash:
        raise KeyError(f"NumPy functions routed twice: {sorted(map(numpy_name, clash))}")
    _FUNCTIONS.update(table)


def array_function(func, args, kwargs):
    implementation = _FUNCTIONS.get(func)
    if implementation is not None:
        result = implementation(*args, **kwargs)
        if result is not NotImplemented:
            return result
    return _unrecorded(func, args, kwargs, numpy_name(func))


def numpy_name(func):
    """How NumPy's users write ``func``: ``np.linalg.inv``, ``np.fft.fft``, ``np.cumsum``.
    From its ``__module__``: the shortest public prefix of it that holds the function."""
    name = getattr(func, "__name__", None) or repr(func)
    module = getattr(func, "__module__", None) or "numpy"
    parts = module.split(".")
    if parts[0] != "numpy":
        return f"{module}.{name}"
    for end in range(1, len(parts) + 1):
        if any(p.startswith("_") for p in parts[:end]):
            break
        namespace = sys.modules.get(".".join(parts[:end]))
        if namespace is not None and getattr(namespace, name, None) is func:
            return ".".join(["np"] + parts[1:end] + [name])
    public = [p for p in parts[1:] if not p.startswith("_")]
    return ".".join(["np"] + public + [name])


def _unrecorded(func, args, kwargs, what):
    """Run a NumPy function autotape has no operation for, on plain values (read-only: a
    function that writes into its arguments, or an ``out=`` tensor, raises)."""
    tensors = [x for x in nest.flatten([list(args), kwargs]) if isinstance(x, Tensor)]
    if any(x._id in tape._tracked and x.dtype.kind == "f" for tape in state.tapes
           for x in tensors):
        warnings.warn(f"{what} is not an autotape operation: it runs on plain values and "
                      "gradients do not flow through it", stacklevel=4)

    def plain(x):
        if isinstance(x, Tensor):
            concrete(x, what)  # a trace guards on the value it saw
            return readonly_value(x)
        return x

    args = nest.pack_like(list(args), [plain(x) for x in nest.flatten(list(args))])
    kwargs = nest.pack_like(kwargs, [plain(x) for x in nest.flatten(kwargs)])
    return func(*args, **kwargs)
