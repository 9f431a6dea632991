"""Every unary and binary elementwise primitive, made from its entry in kernels.formulas.

For each formula this module makes: the operation (``sin``), its gradient rule, and the
fused backward primitive the rule calls (``SinGrad``: one pass computing g * cos(a)). The
backward primitive's own gradient is the fused primitive again (for g) plus the formula's
symbolic partial derivatives (``formulas.partial``) evaluated on Tensors, which are recorded
in turn: derivatives of every order need no further code.
"""

import functools
import math

import numpy as np

from ..kernels import formulas, openmp
from ..recording import record_operation, state
from ..tensor import Tensor, as_tensor
from . import registry
from .numpy_signatures import numpy_table
from .operands import binary_operands
from .shape import reshape

# Below this, a serial loop beats starting threads.
PARALLEL_MIN_SIZE = openmp.parallel_min_size(16384)


def op_type_of(name):
    """The op type of formula ``name`` ("log1p" -> "Log1p", "floor_divide" ->
    "FloorDivide"); its fused gradient's is that + "Grad"."""
    return "".join(part.capitalize() for part in name.split("_"))


def formula_op_types():
    """{op type: (kind, formula name)} of every primitive made from kernels.formulas: kind
    "unary", "binary", "unary_grad" or "binary_grad" (the fused gradients)."""
    table = {}
    for name, spec in formulas.UNARY.items():
        table[op_type_of(name)] = ("unary", name)
        if spec.derivative not in (None, "1", "-1"):
            table[op_type_of(name) + "Grad"] = ("unary_grad", name)
    for name, spec in formulas.BINARY.items():
        table[op_type_of(name)] = ("binary", name)
        if {spec.derivative_a, spec.derivative_b} - {None, "1", "-1"}:
            table[op_type_of(name) + "Grad"] = ("binary_grad", name)
    return table


class _Kernels:
    """The generated kernels of one primitive, loaded on first use. ``pick(name, size)``
    gives the serial kernel, or the parallel one for ``size`` elements and more."""

    def __init__(self, kind, name):
        self._kind, self._name, self._module, self._chosen = kind, name, None, {}

    def pick(self, kernel_name, size):
        key = (kernel_name, size >= PARALLEL_MIN_SIZE)
        kernel = self._chosen.get(key)
        if kernel is None:
            if self._module is None:
                from ..kernels import elementwise  # imports Numba: only once a kernel runs

                self._module = getattr(elementwise, self._kind)(self._name)
            parallel = (key[1] and hasattr(self._module, kernel_name + "_par")
                        and parallel_kernels_available())
            kernel = getattr(self._module, kernel_name + ("_par" if parallel else ""))
            self._chosen[key] = kernel
        return kernel

    def pair(self, kernel_name):
        """(serial, parallel) kernels: the hot paths choose between them by size."""
        return self.pick(kernel_name, 0), self.pick(kernel_name, PARALLEL_MIN_SIZE)


def parallel_kernels_available():
    from ..kernels.parallel import thread_safe_layer

    return thread_safe_layer()


# --- formulas evaluated on Tensors ----------------------------------------------------
@functools.cache
def _compiled(expression):
    return compile(expression, f"<formula {expression}>", "eval")


@functools.cache
def _tensor_functions():
    from .. import ops

    return {name: getattr(ops, name) for name in formulas.SCALAR_FUNCTIONS}


def _evaluate(expression, env):
    """The formula evaluated on Tensors (recorded, so it can be differentiated again)."""
    return eval(_compiled(expression), {"__builtins__": {}}, {**_tensor_functions(), **env})


def _saves(saved_names):
    inputs = any(n in saved_names for n in ("a", "b"))
    outputs = "y" in saved_names
    return {(True, True): "both", (True, False): "inputs", (False, True): "outputs",
            (False, False): "none"}[inputs, outputs]


# --- unary ------------------------------------------------------------------------------
# Unary primitives NumPy does not define on booleans (``-True`` is a TypeError there too).
# (reciprocal: NumPy takes a bool for an int8 there; autotape refuses it instead.)
_NOT_FOR_BOOLEANS = {"negative": " (use x == False for a logical not)", "sign": "",
                     "positive": "", "reciprocal": ""}
# NumPy's domain errors for integer operands: (test on the operands, message).
_INTEGER_DOMAIN = {
    "pow": (lambda a, b: bool(np.any(b < 0)),
            "integers to negative integer powers are not allowed (as in NumPy); use floats"),
}


def _make_unary(name, spec):
    op_type = op_type_of(name)
    to_float = spec.result in ("float", "bool")  # a bool result is of the float value
    out_dtype = np.dtype(np.bool_) if spec.result == "bool" else None
    kernels = _Kernels("unary", name)
    forward = None  # (serial, parallel), resolved on the first call
    op_name = name  # ``name`` is also the operation's (ignored) keyword argument

    def forward_array(a):
        nonlocal forward
        if to_float and a.dtype.kind != "f":
            a = a.astype(np.float64)
        elif a.dtype.kind == "b" and op_name in _NOT_FOR_BOOLEANS:
            raise TypeError(f"{op_name}: not defined for bool tensors, as in NumPy"
                            + _NOT_FOR_BOOLEANS[op_name])
        out = np.empty(a.shape, out_dtype or a.dtype)
        if forward is None:  # one assignment: threads racing here all store the same pair
            forward = kernels.pair("fwd")
        serial, parallel = forward
        (parallel if a.size >= PARALLEL_MIN_SIZE else serial)(a.reshape(-1), out.reshape(-1))
        return out

    def operation(x, name=None):
        if type(x) is not Tensor:
            x = as_tensor(x)
        out = Tensor(forward_array(x._value))
        if state.tapes:
            record_operation(op_type, (x,), (out,), None, saves)
        return out

    operation.__name__ = operation.__qualname__ = name
    operation.__doc__ = f"Elementwise {name}: {spec.value} (a NumPy-broadcasting primitive)."

    if spec.derivative is None:
        registry.no_gradient(op_type)
        saves = "none"
    elif spec.derivative in ("1", "-1"):
        saves = "none"
        registry.register(op_type, lambda op, g: g if spec.derivative == "1" else operation(g),
                          batch_aware=True)
    else:
        saved = tuple(n for n in ("a", "y") if formulas.uses(spec.derivative, n))
        saves = _saves(saved)
        backward = _make_unary_backward(name, spec, saved, kernels)
        positions = [("a", "y").index(n) for n in saved]

        def rule(op, g):
            values = (op.inputs[0], op.outputs[0])
            return backward(*[values[k] for k in positions], g, in_place=op.donated)

        registry.register(op_type, rule, batch_aware=True)
    registry.define(op_type, forward_array, saves)
    return operation


def _make_unary_backward(name, spec, saved, kernels):
    """The fused primitive g * derivative(saved values), e.g. "SinGrad"."""
    op_type = op_type_of(name) + "Grad"

    kernel = in_place_kernel = None  # (serial, parallel) pairs, resolved on first use

    def backward_arrays(*arrays, in_place=False):
        """g * derivative for arrays of one shape; ``in_place``: into g's array."""
        nonlocal kernel, in_place_kernel
        g = arrays[-1]
        flat = [a.reshape(-1) for a in arrays]
        if in_place:
            if in_place_kernel is None:
                in_place_kernel = kernels.pair("bwd_inplace")
            serial, parallel = in_place_kernel
            out = g
        else:
            if kernel is None:
                kernel = kernels.pair("bwd")
            serial, parallel = kernel
            out = np.empty(g.shape, g.dtype)
            flat.append(out.reshape(-1))
        (parallel if g.size >= PARALLEL_MIN_SIZE else serial)(*flat)
        return out

    registry.define(op_type, backward_arrays, "inputs")

    def backward(*tensors, in_place=False):
        """``in_place``: the result goes into g's array (the reverse pass donated it)."""
        if tensors[0]._value.shape != tensors[-1]._value.shape:  # g has batch axes: broadcast
            return tensors[-1] * _evaluate(spec.derivative, dict(zip(saved, tensors)))
        out = Tensor(backward_arrays(*[t._value for t in tensors], in_place=in_place))
        if state.tapes:
            record_operation(op_type, tensors, (out,), None, "inputs")
        return out

    partials = {n: formulas.partial(spec.derivative, n) for n in saved}

    @registry.RegisterGradient(op_type, batch_aware=True)
    def rule(op, up):
        # d(g * D)/dg = D, fused again; d(g * D)/ds = g * dD/ds for each saved value s.
        *values, g = op.inputs
        env = dict(zip(saved, values))
        grads = [up * g * _evaluate(partials[n], env) if need and partials[n] != "0" else None
                 for n, need in zip(saved, op.needs_gradient)]
        return grads + [backward(*values, up) if op.needs_gradient[-1] else None]

    return backward


# --- binary -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def broadcast_plan(shape_a, shape_b):
    """(output shape, layout, nd arguments) for a binary kernel on these shapes.

    Layout "vv": same shapes; "sv"/"vs": one operand has a single element; "nd": general,
    with element strides (0 where an operand is broadcast) after merging adjacent axes."""
    out = np.broadcast_shapes(shape_a, shape_b)
    if shape_a == shape_b:
        return out, "vv", None
    size_a, size_b = math.prod(shape_a), math.prod(shape_b)
    if size_a == 1 and shape_b == out:
        return out, "sv", None
    if size_b == 1 and shape_a == out:
        return out, "vs", None
    dims = []  # (extent, stride in a, stride in b), outermost first
    for axis in range(len(out)):
        strides = []
        for shape in (shape_a, shape_b):
            k = axis - (len(out) - len(shape))
            if k < 0 or shape[k] == 1:
                strides.append(0)
            else:
                strides.append(math.prod(shape[k + 1:]))
        if out[axis] != 1:
            dims.append((out[axis], *strides))
    merged = []
    for extent, sa, sb in dims:
        if merged:
            n0, sa0, sb0 = merged[-1]
            if sa0 == sa * extent and sb0 == sb * extent:
                merged[-1] = (n0 * extent, sa, sb)
                continue
        merged.append((extent, sa, sb))
    shape, sa, sb = (np.array(column, np.int64) for column in zip(*merged)) if merged else (
        np.ones(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    return out, "nd", (sa, sb, shape)


def plan_or_raise(op_name, shape_a, shape_b):
    try:
        return broadcast_plan(shape_a, shape_b)
    except ValueError:
        raise ValueError(f"{op_name}: incompatible shapes for broadcasting: {shape_a} and "
                         f"{shape_b}") from None


def _make_binary(name, spec):
    op_type = op_type_of(name)
    to_float = spec.result == "float"
    out_dtype = np.dtype(np.bool_) if spec.result == "bool" else None
    kernels = _Kernels("binary", name)
    same_shape = None  # (serial, parallel) kernels for operands of one shape, resolved once
    op_name = name  # ``name`` is also the operation's (ignored) keyword argument
    integer_check = _INTEGER_DOMAIN.get(name)

    def forward_array(a, b):
        nonlocal same_shape
        if integer_check is not None and a.dtype.kind in "iu" and integer_check[0](a, b):
            raise ValueError(f"{op_name}: {integer_check[1]}")
        if a.shape == b.shape:
            out = np.empty(a.shape, out_dtype or a.dtype)
            if same_shape is None:  # one assignment: racing threads store the same pair
                same_shape = kernels.pair("fwd_vv")
            serial, parallel = same_shape
            (parallel if out.size >= PARALLEL_MIN_SIZE else serial)(
                a.reshape(-1), b.reshape(-1), out.reshape(-1))
            return out
        out_shape, layout, nd = plan_or_raise(op_name, a.shape, b.shape)
        out = np.empty(out_shape, out_dtype or a.dtype)
        if layout == "nd":
            sa, sb, shape = nd
            kernels.pick("fwd_nd", 0)(a.reshape(-1), sa, b.reshape(-1), sb, shape,
                                      out.reshape(-1))
        else:
            kernels.pick(_FORWARD[layout], out.size)(a.reshape(-1), b.reshape(-1),
                                                     out.reshape(-1))
        return out

    def operation(x, y, name=None):
        x, y = binary_operands(x, y, to_float)
        out = Tensor(forward_array(x._value, y._value))
        if state.tapes:
            record_operation(op_type, (x, y), (out,), None, saves)
        return out

    operation.__name__ = operation.__qualname__ = name
    operation.__doc__ = f"Elementwise {name}: {spec.value}, broadcasting like NumPy."

    if spec.derivative_a is None and spec.derivative_b is None:
        registry.no_gradient(op_type)
        saves = "none"
        registry.define(op_type, forward_array, saves)
        return operation
    derivative = {"a": spec.derivative_a, "b": spec.derivative_b}
    # +1 / -1: the gradient is g or -g with no kernel; None: a formula kernel computes it.
    sign = {n: {"1": 1, "-1": -1}.get(derivative[n]) for n in "ab"}
    formula_names = "".join(n for n in "ab" if sign[n] is None)
    saves = _saves({v for n in formula_names for v in ("a", "b", "y")
                    if formulas.uses(derivative[n], v)})
    backward = _make_binary_backward(name, spec, kernels)

    def rule(op, g):
        x, y = op.inputs
        need_a, need_b = op.needs_gradient
        ga = gb = None
        if need_a and sign["a"] is not None:
            ga = g if sign["a"] == 1 else -g
        if need_b and sign["b"] is not None:
            gb = g if sign["b"] == 1 else -g
        needs = ("a" if need_a and "a" in formula_names else "") + (
            "b" if need_b and "b" in formula_names else "")
        # g's memory may take a result unless g itself is passed on as a gradient
        donate = op.donated and ga is not g and gb is not g
        if needs == "ab":
            ga, gb = backward(needs, x, y, op.outputs[0], g, donate)
        elif needs == "a":
            ga = backward(needs, x, y, op.outputs[0], g, donate)
        elif needs == "b":
            gb = backward(needs, x, y, op.outputs[0], g, donate)
        return ga, gb

    registry.register(op_type, rule, batch_aware=True)
    registry.define(op_type, forward_array, saves)
    return operation


_FORWARD = {"vv": "fwd_vv", "sv": "fwd_sv", "vs": "fwd_vs"}


def _make_binary_backward(name, spec, kernels):
    """The fused primitive computing g * d(value)/da and/or g * d(value)/db, summed back to
    the operands' shapes; its type is e.g. "MultiplyGrad"."""
    op_type = op_type_of(name) + "Grad"
    from ..kernels.elementwise import binary_saved

    saved = {needs: binary_saved(spec, needs) for needs in ("a", "b", "ab")}
    positions = {needs: tuple("aby".index(n) for n in names) for needs, names in saved.items()}

    def forward(values, g, needs, shape_a, shape_b):
        """For operands of different shapes. values: the saved ndarrays (in kernel order);
        g: the output gradient."""
        shapes = {"a": shape_a, "b": shape_b}
        flat = [v.reshape(-1) for v in values]
        _, layout, nd = broadcast_plan(shape_a, shape_b)
        if layout != "nd":  # (a single-element operand's gradient is summed in order)
            outs = [np.empty(shapes[n], g.dtype) for n in needs]
            kernels.pick(f"bwd_{needs}_{layout}", g.size)(*flat, g.reshape(-1),
                                                      *[o.reshape(-1) for o in outs])
            return outs
        sa, sb, shape = nd
        outs = [np.zeros(shapes[n], g.dtype) for n in needs]
        operands = [v for n, v in zip(saved[needs], flat) if n != "y"]
        output = [v for n, v in zip(saved[needs], flat) if n == "y"]
        kernels.pick(f"bwd_{needs}_nd", 0)(*operands, sa, sb, shape, *output, g.reshape(-1),
                                      *[o.reshape(-1) for o in outs])
        return outs

    flat_kernel = {(needs, donate): f"bwd_{needs}_vv" + ("_inplace" if donate else "")
                   for needs in ("a", "b", "ab") for donate in (False, True)}

    def backward_arrays(*arrays, needs, shape_a, shape_b, donate=False):
        """The gradients (a list, one per letter of ``needs``) from the saved arrays and g."""
        *values, gv = arrays
        if shape_a == shape_b:  # the common case, without the broadcasting machinery
            outs = [np.empty(shape_a, gv.dtype) for _ in needs]
            if donate:  # the last result goes into g's array
                outs[-1] = gv
            kernels.pick(flat_kernel[needs, donate], gv.size)(
                *[a.reshape(-1) for a in arrays],
                *[o.reshape(-1) for o in (outs[:-1] if donate else outs)])
            return outs
        return forward(values, gv, needs, shape_a, shape_b)

    registry.define(op_type, lambda *arrays, needs, shape_a, shape_b: _one_or_tuple(
        backward_arrays(*arrays, needs=needs, shape_a=shape_a, shape_b=shape_b)), "inputs")

    def backward(needs, x, y, out, g, donate=False):
        """``donate``: g's array may take the last result (the kernels read g[i] before
        writing the last output's element i)."""
        trio = (x, y, out)
        inputs = tuple([trio[i] for i in positions[needs]]) + (g,)
        shape_a, shape_b, gv = x.shape, y.shape, g._value
        if gv.shape != out.shape:  # g has leading batch axes: broadcast, the tape sums back
            env = dict(zip(saved[needs], inputs))
            grads = tuple(g * _evaluate(getattr(spec, "derivative_" + n), env) for n in needs)
            return grads if len(grads) > 1 else grads[0]
        outs = backward_arrays(*[t._value for t in inputs], needs=needs, shape_a=shape_a,
                               shape_b=shape_b, donate=donate)
        outs = tuple([Tensor(o) for o in outs])
        if state.tapes:
            record_operation(op_type, inputs, outs,
                             {"needs": needs, "shape_a": x.shape, "shape_b": y.shape}, "inputs")
        return outs if len(outs) > 1 else outs[0]

    derivative = {n: getattr(spec, "derivative_" + n) for n in "ab"}

    @registry.RegisterGradient(op_type, batch_aware=True, accepts_missing=True)
    def rule(op, *ups):
        # The outputs are g * D_n summed to operand n's shape, for n in needs. Their
        # gradients: d/dg = sum_n up_n * D_n, and d/ds = sum_n up_n * g * dD_n/ds for each
        # saved value s (up_n broadcasts back over the output; the tape unbroadcasts).
        # An output no gradient reached (up_n None) adds no term: 0 * inf would be NaN.
        needs = op.attrs["needs"]
        *values, g = op.inputs
        env = dict(zip(saved[needs], values))
        shapes = {"a": op.attrs["shape_a"], "b": op.attrs["shape_b"]}
        # up_n has operand n's shape (after any batch axes): align it with the output's axes.
        up = {n: u if not op.batch else reshape(
            u, op.batch + (1,) * (g.ndim - len(shapes[n])) + shapes[n])
            for n, u in zip(needs, ups) if u is not None}
        grads = []
        for s, need in zip(saved[needs], op.needs_gradient):
            terms = [up[n] * g * _evaluate(formulas.partial(derivative[n], s), env)
                     for n in up if formulas.partial(derivative[n], s) != "0"]
            grads.append(_total(terms) if need else None)
        if op.needs_gradient[-1]:
            grads.append(_total([up[n] * _evaluate(derivative[n], env) for n in up]))
        else:
            grads.append(None)
        return grads

    return backward


def _one_or_tuple(arrays):
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


def _total(terms):
    if not terms:
        return None
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


UNARY = {name: _make_unary(name, spec) for name, spec in formulas.UNARY.items()}
BINARY = {name: _make_binary(name, spec) for name, spec in formulas.BINARY.items()}


# --- NumPy's functions made of the primitives above -------------------------------------
def float_power(x, y, name=None):
    """``np.float_power``: x ** y computed in float64 whatever the operands' dtypes (so
    integers to negative powers are fine); gradients come back in each operand's dtype."""
    from .selection import cast

    return BINARY["pow"](cast(as_tensor(x), np.float64), cast(as_tensor(y), np.float64))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None, copy=True, name=None):
    """``np.nan_to_num``: NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf``
    (by default the largest and the most negative finite value of x's dtype). The gradient
    is 1 where x is finite and 0 elsewhere (the replacements take it, if they are tensors).
    Integer and bool tensors come back unchanged. ``copy`` is accepted for NumPy's
    signature: a Tensor is never changed in place, the result is always a new tensor."""
    from .selection import identity, where

    x = as_tensor(x)
    if x.dtype.kind != "f":
        return identity(x)
    info = np.finfo(x.dtype)

    def replacement(value, default):  # in x's dtype, as NumPy writes it into x's copy
        return as_tensor(default if value is None else value, x.dtype)

    infinite = where(BINARY["greater"](x, 0.0), replacement(posinf, info.max),
                     replacement(neginf, info.min))
    return where(UNARY["is_finite"](x), x,
                 where(UNARY["is_nan"](x), replacement(nan, 0.0), infinite))


def fix(x, name=None):
    """``np.fix``: rounds toward zero, as trunc (not differentiable)."""
    return UNARY["trunc"](x)


# ops exports every entry of these two tables: the compositions go beside the formulas.
UNARY.update(nan_to_num=nan_to_num, fix=fix)
BINARY.update(float_power=float_power)
# NumPy's elementwise functions that are not ufuncs: they come through __array_function__.
NUMPY_FUNCTIONS = numpy_table([(np.sinc, UNARY["sinc"]), (np.fix, fix),
                               (np.nan_to_num, nan_to_num)])


_add_kernels = _Kernels("binary", "add")


def add_into(total, addend):
    """``total += addend`` in place, for Tensors of one shape and dtype; not recorded.

    Only for gradients the reverse pass owns alone (see backprop.Ownership)."""
    a, b = total._value, addend._value
    _add_kernels.pick("fwd_vv", a.size)(a.reshape(-1), b.reshape(-1), a.reshape(-1))
