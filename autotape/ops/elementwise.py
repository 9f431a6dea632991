"""Every unary and binary elementwise primitive, made from its entry in kernels.formulas.

For each formula this module makes: the operation (``sin``), its gradient rule, and the
fused backward primitive the rule calls (``SinGrad``: one pass computing g * cos(a)). The
backward primitive's own gradient comes from evaluating the same formula on Tensors, so
derivatives of every order need no further code.
"""

import functools
import math

import numpy as np

from ..kernels import formulas
from ..recording import record_operation, state
from ..tensor import Tensor, as_tensor
from . import registry
from .core import composite_gradient, run
from .operands import binary_operands

PARALLEL_MIN_SIZE = 16384  # below this, a serial loop beats starting threads


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


@functools.cache
def _kernel_module(kind, name):
    from ..kernels import elementwise  # imports Numba: only once a kernel is needed

    return getattr(elementwise, kind)(name)


def _flat(array):
    return array.reshape(-1)


# --- formulas evaluated on Tensors ----------------------------------------------------
@functools.cache
def _compiled(expression):
    return compile(expression, f"<formula {expression}>", "eval")


def _evaluate(expression, env):
    from .. import ops

    namespace = {name: getattr(ops, name) for name in formulas.SCALAR_FUNCTIONS}
    namespace.update(env)
    return eval(_compiled(expression), {"__builtins__": {}}, namespace)


def _uses(expression, name):
    from ..kernels.elementwise import _uses as uses  # pure-Python helper, no Numba

    return uses(expression, name)


def _saves(saved_names):
    inputs = any(n in saved_names for n in ("a", "b"))
    outputs = "y" in saved_names
    return {(True, True): "both", (True, False): "inputs", (False, True): "outputs",
            (False, False): "none"}[inputs, outputs]


# --- unary ------------------------------------------------------------------------------
def _make_unary(name, spec):
    op_type = _camel(name)
    to_float = spec.result == "float"

    def forward(a):
        kernels = _kernel_module("unary", name)
        if to_float and a.dtype.kind != "f":
            a = a.astype(np.float64)
        out = np.empty(a.shape, a.dtype)
        kernel = kernels.fwd_par if a.size >= PARALLEL_MIN_SIZE else kernels.fwd
        kernel(_flat(a), _flat(out))
        return out

    def operation(x, name=None):
        x = as_tensor(x)
        out = Tensor(forward(x._value))
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
        registry.register(op_type, lambda op, g: g if spec.derivative == "1" else -g)
    else:
        saved = [n for n in ("a", "y") if _uses(spec.derivative, n)]
        saves = _saves(saved)
        backward = _make_unary_backward(name, spec, saved)

        def rule(op, g):
            values = {"a": op.inputs[0], "y": op.outputs[0]}
            return backward(*[values[n] for n in saved], g)

        registry.register(op_type, rule)
    return operation


def _make_unary_backward(name, spec, saved):
    """The fused primitive g * derivative(saved values)."""
    op_type = _camel(name) + "Grad"

    def forward(*arrays):
        kernels = _kernel_module("unary", name)
        g = arrays[-1]
        out = np.empty(g.shape, g.dtype)
        kernel = kernels.bwd_par if g.size >= PARALLEL_MIN_SIZE else kernels.bwd
        kernel(*[_flat(np.asarray(v, g.dtype)) for v in arrays], _flat(out))
        return out

    def definition(*tensors):
        *values, g = tensors
        return g * _evaluate(spec.derivative, dict(zip(saved, values)))

    registry.register(op_type, composite_gradient(definition))
    return lambda *tensors: run(op_type, forward, tensors)


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
    op_type = _camel(name)
    result = spec.result

    def forward(a, b):
        kernels = _kernel_module("binary", name)
        out_shape, layout, nd = plan_or_raise(name, a.shape, b.shape)
        out = np.empty(out_shape, np.bool_ if result == "bool" else a.dtype)
        if layout == "nd":
            sa, sb, shape = nd
            kernels.fwd_nd(_flat(a), sa, _flat(b), sb, shape, _flat(out))
        else:
            parallel = "_par" if out.size >= PARALLEL_MIN_SIZE else ""
            getattr(kernels, f"fwd_{layout}{parallel}")(_flat(a), _flat(b), _flat(out))
        return out

    def operation(x, y, name=None):
        x, y = binary_operands(x, y, result == "float")
        out = Tensor(forward(x._value, y._value))
        if state.tapes:
            record_operation(op_type, (x, y), (out,), None, saves)
        return out

    operation.__name__ = operation.__qualname__ = name
    operation.__doc__ = f"Elementwise {name}: {spec.value}, broadcasting like NumPy."

    derivatives = {"a": spec.derivative_a, "b": spec.derivative_b}
    if spec.derivative_a is None and spec.derivative_b is None:
        registry.no_gradient(op_type)
        saves = "none"
        return operation
    formula_names = [n for n in "ab" if derivatives[n] not in ("1", "-1")]
    saved_all = [n for n in ("a", "b", "y")
                 if any(_uses(derivatives[k], n) for k in formula_names)]
    saves = _saves(saved_all)
    backward = _make_binary_backward(name, spec, formula_names)

    def rule(op, g):
        x, y = op.inputs
        grads = {}
        for n, needed in zip("ab", op.needs_gradient):
            if needed and derivatives[n] in ("1", "-1"):
                grads[n] = g if derivatives[n] == "1" else -g
        needs = "".join(n for n, needed in zip("ab", op.needs_gradient)
                        if needed and n in formula_names)
        if needs:
            results = backward(needs, x, y, op.outputs[0], g)
            grads.update(zip(needs, results if isinstance(results, tuple) else (results,)))
        return grads.get("a"), grads.get("b")

    registry.register(op_type, rule)
    return operation


def _make_binary_backward(name, spec, formula_names):
    """The fused primitive computing g * d(value)/da and/or g * d(value)/db, summed back to
    the operands' shapes; its type is e.g. "MultiplyGrad"."""
    op_type = _camel(name) + "Grad"

    def saved_names(needs):
        from ..kernels.elementwise import binary_saved

        return binary_saved(spec, needs)

    def forward(*arrays, needs, shape_a, shape_b):
        kernels = _kernel_module("binary", name)
        saved = dict(zip(saved_names(needs), arrays[:-1]))
        g = arrays[-1]
        out_shape, layout, nd = broadcast_plan(shape_a, shape_b)
        flat_saved = [_flat(np.asarray(v, g.dtype)) for v in saved.values()]
        shapes = {"a": shape_a, "b": shape_b}
        if layout != "nd" and all(layout["ab".index(n)] == "v" for n in needs):
            outs = [np.empty(shapes[n], g.dtype) for n in needs]
            parallel = "_par" if g.size >= PARALLEL_MIN_SIZE else ""
            kernel = getattr(kernels, f"bwd_{needs}_{layout}{parallel}")
            kernel(*flat_saved, _flat(g), *map(_flat, outs))
        else:
            if nd is None:  # a single-element operand's gradient: a sum over the output
                nd = _scalar_nd(shape_a, shape_b, out_shape)
            sa, sb, shape = nd
            outs = [np.zeros(shapes[n], g.dtype) for n in needs]
            values = [v for n, v in zip(saved, flat_saved) if n != "y"]
            y = [v for n, v in zip(saved, flat_saved) if n == "y"]
            getattr(kernels, f"bwd_{needs}_nd")(*values, sa, sb, shape, *y, _flat(g),
                                                *map(_flat, outs))
        return tuple(outs) if len(outs) > 1 else outs[0]

    def definition(*tensors, needs, shape_a, shape_b):
        from .shape import sum_to_shape

        *values, g = tensors
        env = dict(zip(saved_names(needs), values))
        shapes = {"a": shape_a, "b": shape_b}
        grads = tuple(sum_to_shape(g * _evaluate(getattr(spec, "derivative_" + n), env),
                                   shapes[n], op_type) for n in needs)
        return grads if len(grads) > 1 else grads[0]

    registry.register(op_type, composite_gradient(definition))

    def backward(needs, x, y, out, g):
        values = {"a": x, "b": y, "y": out}
        inputs = [values[n] for n in saved_names(needs)] + [g]
        return run(op_type, forward, inputs,
                   {"needs": needs, "shape_a": x.shape, "shape_b": y.shape})

    return backward


def _scalar_nd(shape_a, shape_b, out_shape):
    """nd arguments for a layout where one operand is a single element."""
    size = math.prod(out_shape)
    one = np.ones(1, np.int64)
    sa = one if math.prod(shape_a) == size else np.zeros(1, np.int64)
    sb = one if math.prod(shape_b) == size else np.zeros(1, np.int64)
    return sa, sb, np.array([size], np.int64)


UNARY = {name: _make_unary(name, spec) for name, spec in formulas.UNARY.items()}
BINARY = {name: _make_binary(name, spec) for name, spec in formulas.BINARY.items()}
