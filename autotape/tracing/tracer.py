"""Tracing: run a Python function once, eagerly, and keep what it did as a ``Trace``.

A ``Tracer`` is a recording tape that keeps every value and tracks everything computed from
the function's inputs (its dynamic arguments and the Variables it reads). Operations on
tracked tensors are recorded on it as on any tape; constants are whatever else they read.
Where the Python code turns a tracked tensor into a Python value (``bool()``, ``float()``,
an index, a NumPy conversion), ``recording.concrete``/``outcome`` tell the tracer, which keeps
a guard: the trace stands for every call on which those values are seen again.
"""

import os
import sys

from .. import nest
from ..ops import registry
from ..recording import state
from ..tensor import Tensor, Variable, readonly
from .ir import Equation, Guard, Trace

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_location():
    """file:line of the innermost frame outside autotape (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


class Tracer:
    """The tape-like recorder of one traced call (see the module docstring)."""

    _keeps_values = True  # record_operation gives it every input and output in full
    _watch_accessed_variables = False  # it captures Variables itself (``capture``)

    def __init__(self, inputs):
        self._inputs = list(inputs)
        self._tracked = {x._id for x in self._inputs}
        self._records = []
        self._variables = {}  # id -> Variable read, in the order first read
        self._guards = []  # (tensor, equations recorded before it, kind, expected, what, where)
        self._unsupported = []  # (what, where)

    # --- the tape protocol (recording.record_operation, GradientTape.watch) --------------
    def _watch_one(self, x):
        pass  # a tensor watched inside the function is a constant unless computed from inputs

    # --- what the traced code does ------------------------------------------------------
    def capture(self, variable):
        if variable._id not in self._variables:
            self._variables[variable._id] = variable
            self._tracked.add(variable._id)

    def guard_value(self, tensor, what):
        if isinstance(tensor, Variable):
            self.capture(tensor)
        if tensor._id in self._tracked:
            self._guards.append((tensor, len(self._records), "value", tensor._value.copy(), what,
                                 user_location()))

    def guard_outcome(self, tensor, value):
        if tensor._id in self._tracked:
            self._guards.append((tensor, len(self._records), "outcome", bool(value), "bool()",
                                 user_location()))

    def assigned(self, variable, operation):
        self._unsupported.append((f"{operation} of Variable '{variable.name}' (a side effect "
                                  "that compiled calls would skip)", user_location()))

    def unsupported(self, what):
        self._unsupported.append((what, user_location()))

    # --- the result ---------------------------------------------------------------------
    def finish(self, result):
        """The Trace of the call that returned ``result``."""
        slots, shapes, dtypes, constants = {}, [], [], {}

        def new_slot(t):
            slots[t._id] = len(shapes)
            shapes.append(t.shape)
            dtypes.append(t.dtype)
            return slots[t._id]

        def slot_of(t):
            k = slots.get(t._id)
            if k is None:  # not computed from the inputs: a constant
                k = new_slot(t)
                constants[k] = readonly(t._value)
            return k

        inputs = [slots[x._id] if x._id in slots else new_slot(x) for x in self._inputs]
        variables = []
        for v in self._variables.values():
            if v._id not in slots:
                inputs.append(new_slot(v))
                variables.append(v)
        equations, unsupported = [], list(self._unsupported)
        for op in self._records:
            in_slots = tuple([slot_of(x) for x in op.inputs])
            equations.append(Equation(op.type, in_slots, tuple([new_slot(y) for y in op.outputs]),
                                      op.attrs))
            if op.type not in registry.forwards:
                unsupported.append((f"operation {op.type} (it has no forward to run again, "
                                    "as a custom_gradient function does not)", "the trace"))
        guards = tuple(Guard(slots[t._id], after, kind, expected, what, where)
                       for t, after, kind, expected, what, where in self._guards)
        leaves = nest.flatten(result)
        outputs = tuple(("slot", slot_of(y)) if type(y) is Tensor else ("static", y)
                        for y in leaves)
        structure = nest.pack_like(result, [None] * len(leaves))
        self._records = []
        return Trace(tuple(shapes), tuple(dtypes), tuple(inputs), tuple(variables), constants,
                     tuple(equations), guards, outputs, structure, tuple(unsupported))


def trace_call(fn, args, kwargs, inputs):
    """Run ``fn(*args, **kwargs)`` eagerly under a tracer whose inputs are the Tensors
    ``inputs`` (found in ``args``/``kwargs``). Returns (its result, the Trace)."""
    tracer = Tracer(inputs)
    state.tapes.append(tracer)
    state.tracers.append(tracer)
    try:
        result = fn(*args, **kwargs)
    finally:
        _remove(state.tapes, tracer)
        _remove(state.tracers, tracer)
    return result, tracer.finish(result)


def _remove(stack, item):
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is item:
            del stack[i]
            return
