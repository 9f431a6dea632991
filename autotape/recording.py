"""The thread-local stack of recording tapes, and what an operation appends to them.

Operations call ``record_operation`` after running their kernel; it appends one shared
``Op`` to every recording tape that tracks one of the inputs. A tracer (``autotape.trace``)
is a recording tape too, one that keeps every value it is given; code that turns a tensor
into a Python value tells it, through ``concrete`` and ``outcome``, so that it can guard on
what the value was. Nothing here computes gradients (that is ``autotape.tape``).
"""

import threading


class _ThreadState(threading.local):
    def __init__(self):
        self.tapes = []  # the tapes recording in this thread, innermost last
        self.tracers = []  # the tracers among them (they also see values being read)


state = _ThreadState()


class Released:
    """Stands for an input or output whose value the gradient rule does not need."""

    __slots__ = ("shape", "dtype", "_id")

    def __init__(self, tensor):
        self.shape, self.dtype, self._id = tensor._value.shape, tensor._value.dtype, tensor._id


class Op:
    """One recorded operation: type, inputs, outputs, attrs. Never changed once recorded
    (tapes share it; the reverse pass gives rules its own state in a ``RuleCall``)."""

    __slots__ = ("type", "inputs", "outputs", "attrs")

    def __init__(self, type, inputs, outputs, attrs):
        self.type, self.inputs, self.outputs, self.attrs = type, inputs, outputs, attrs

    def __repr__(self):
        return f"<Op {self.type}>"


def record_operation(type, inputs, outputs, attrs=None, saves="both"):
    """Append an Op to each recording tape that tracks an input; ``saves`` is what the
    gradient rule reads: "inputs", "outputs", "both" or "none" (the rest is released)."""
    op = None
    for tape in state.tapes:
        tracked = tape._tracked
        for x in inputs:
            if x._id in tracked:
                break
        else:
            continue
        if tape._keeps_values:  # a tracer: every input and output, with its value
            tape._records.append(Op(type, inputs, outputs, attrs or {}))
        elif op is None:
            op = Op(type,
                    inputs if saves in ("inputs", "both") else _released(inputs),
                    outputs if saves in ("outputs", "both") else _released(outputs),
                    attrs or {})
        if not tape._keeps_values:
            tape._records.append(op)
        for y in outputs:
            tracked.add(y._id)


SMALL = 256  # elements: keeping a tensor this small alive costs less than releasing it


def _released(tensors):
    if len(tensors) == 1:
        t = tensors[0]
        return tensors if t._value.size <= SMALL else (Released(t),)
    return tuple([t if t._value.size <= SMALL else Released(t) for t in tensors])


def variable_accessed(variable):
    """A Variable was read by an operation: tapes that watch accessed variables watch it if
    it is trainable, and tracers take it as an input of the trace."""
    for tracer in state.tracers:
        tracer.capture(variable)
    if variable.trainable:
        for tape in state.tapes:
            if tape._watch_accessed_variables:
                tape._watch_one(variable)


def variable_assigned(variable, operation):
    """A Variable's value is being replaced (``assign``, an optimizer): tracers note it."""
    for tracer in state.tracers:
        tracer.assigned(variable, operation)


def concrete(tensor, what):
    """The array of ``tensor``, for code that turns it into a Python value or into how an
    operation is built (``what`` says where, for messages): a tracer guards on the value."""
    for tracer in state.tracers:
        tracer.guard_value(tensor, what)
    return tensor._value


def outcome(tensor, value):
    """``bool(tensor)`` gave ``value``: a tracer guards on that outcome."""
    for tracer in state.tracers:
        tracer.guard_outcome(tensor, value)
    return value
