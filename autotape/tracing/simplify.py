"""A trace made smaller before it is compiled: equal constants and equal equations kept
once, and equations whose results nothing reads dropped.

Nested transforms record one computation several times: nested ``gradients_function``
evaluates ``sin(x)`` again at every level, and its reverse passes compute equal products.
The forward of each of autotape's own primitives is a pure function of its input values
and its attrs, so an equation of the same primitive, on the same slots, with equal attrs,
as an earlier one has the earlier one's outputs, bit for bit. A user's primitive may not be
pure: its equations are kept as they are. An equation nothing reads is dropped only where
its forward raises for no input values (a Cholesky factor of a matrix that is not positive
definite raises; sums and moves of elements do not): its shapes were checked when it was
traced, so a compiled call raises no error eager would not.

The simplified trace computes the original's outputs and guard values with the same
operations, so a compiled call gives the same bits. Its slots are numbered again, keeping
only those still used, so that a back end sizes its buffers and chooses itself by the
tensors that are computed. Guards keep their numbers (a compiled
call reports a failed guard by its number); each is checked after the equations it followed
that are kept. The reverse pass of a compiled call replays the original trace, so its
gradients are summed as eager ones are.
"""

import functools

import numpy as np

from ..ops import registry

# Besides the elementwise formulas on floats (autotape's kernels; integer powers check
# their exponents): operations whose forwards raise only for shapes and attrs, never for
# values: moves of elements (a slice's gradient: zeros, then a copy or autotape's
# scatter-add kernel), and autotape's reduction kernels. (NumPy's own arithmetic, as in a
# cast or a product, can raise for values under np.errstate.)
_NEVER_RAISE = {"Identity", "StopGradient", "Reshape", "Transpose", "BroadcastTo",
                "StridedSlice", "StridedSliceGrad", "ConcatV2", "Tile", "Select",
                "MatrixBandPart", "Sum", "Prod", "Max", "Min"}


class _Unhashable(Exception):
    pass


def _frozen(value):
    """A hashable stand-in for an attr or constant value that two equal values share and two
    different ones do not (types included: 1, 1.0 and True differ); _Unhashable if there is
    none. An array's memory layout is part of it: BLAS rounds a product with a C-ordered
    matrix and with an F-ordered one of the same values differently."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.strides, value.tobytes())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", _frozen(value.start), _frozen(value.stop), _frozen(value.step))
    try:
        hash(value)
    except TypeError:
        raise _Unhashable from None
    return (type(value), value)


@functools.cache
def _formula_types():
    from ..ops.elementwise import formula_op_types

    return frozenset(formula_op_types())


def _droppable(trace, eq):
    """Whether the equation may be dropped when nothing reads it (see the docstring)."""
    if eq.type in _NEVER_RAISE:
        return True
    return eq.type in _formula_types() and all(trace.dtypes[k].kind == "f" for k in eq.inputs)


def _equation_key(eq, inputs):
    try:
        return eq.type, inputs, _frozen(eq.attrs)
    except _Unhashable:
        return None


def simplify(trace):
    """The trace with equal constants and equations merged and unread equations dropped."""
    renamed = {}  # slot -> the slot holding the same value
    constants, seen_constants = {}, {}
    for slot, value in trace.constants.items():
        key = _frozen(value)
        if key in seen_constants:
            renamed[slot] = seen_constants[key]
        else:
            seen_constants[key] = slot
            constants[slot] = value

    def name(slot):
        return renamed.get(slot, slot)

    kept = []  # (original index, equation)
    seen = {}  # equation key -> outputs
    for index, eq in enumerate(trace.equations):
        inputs = tuple(name(k) for k in eq.inputs)
        key = _equation_key(eq, inputs) if eq.type in registry.builtin_types else None
        if key is not None and key in seen:
            renamed.update(zip(eq.outputs, seen[key]))
            continue
        if key is not None:
            seen[key] = eq.outputs
        kept.append((index, eq._replace(inputs=inputs)))
    guards = tuple(g._replace(slot=name(g.slot)) for g in trace.guards)
    outputs = tuple((kind, name(value)) if kind == "slot" else (kind, value)
                    for kind, value in trace.outputs)

    # Dropped: equations none of whose outputs a later equation, guard or output reads.
    read = {value for kind, value in outputs if kind == "slot"} | {g.slot for g in guards}
    live = []
    for index, eq in reversed(kept):
        if not read.intersection(eq.outputs) and _droppable(trace, eq):
            continue
        read.update(eq.inputs)
        live.append((index, eq))
    live.reverse()
    # A guard checked after the first `after` original equations is checked after those of
    # them that are kept.
    positions = [index for index, _ in live]
    guards = tuple(g._replace(after=int(np.searchsorted(positions, g.after))) for g in guards)
    constants = {k: v for k, v in constants.items() if k in read}
    return _renumbered(trace._replace(constants=constants,
                                      equations=tuple(eq for _, eq in live),
                                      guards=guards, outputs=outputs))


def _renumbered(trace):
    """The trace with its used slots numbered 0, 1, ... in their order (inputs are all
    used: each is an argument's position)."""
    used = set(trace.inputs) | set(trace.constants)
    used.update(k for eq in trace.equations for k in eq.inputs + eq.outputs)
    used.update(g.slot for g in trace.guards)
    used.update(value for kind, value in trace.outputs if kind == "slot")
    order = sorted(used)
    new = {old: k for k, old in enumerate(order)}

    def slots(ks):
        return tuple(new[k] for k in ks)

    return trace._replace(
        shapes=tuple(trace.shapes[k] for k in order),
        dtypes=tuple(trace.dtypes[k] for k in order), inputs=slots(trace.inputs),
        constants={new[k]: v for k, v in trace.constants.items()},
        equations=tuple(eq._replace(inputs=slots(eq.inputs), outputs=slots(eq.outputs))
                        for eq in trace.equations),
        guards=tuple(g._replace(slot=new[g.slot]) for g in trace.guards),
        outputs=tuple((kind, new[value]) if kind == "slot" else (kind, value)
                      for kind, value in trace.outputs))

