"""``tape_function``: trace a Python function once per path, then run the trace compiled.

A call looks up its signature (``signature.Signature``), then tries the traces kept for it:
each runs compiled until one of its guards fails. A call no trace covers is traced (run
eagerly under a ``Tracer``, which is also how it gets its result), and the new trace is kept
beside the others; past ``max_traces`` traces the signature runs eagerly from then on.

Under a recording GradientTape a compiled call is one recorded operation, "TapeFunction",
whose gradient is another tape_function: the trace replayed with recording, then its reverse
pass (``_vjp``). So the backward is itself traced and compiled, to any order.
"""

import collections
import functools
import threading
import time
import warnings

import numpy as np

from .. import nest
from ..ops import registry
from ..ops.core import run
from ..recording import record_operation, state
from ..tensor import Tensor, as_tensor
from . import python_backend
from .interpreter_backend import Interpreted, NotEligible
from .signature import DYNAMIC, EXACT_FLOATS, Signature, leaf_array, leaf_tensor, rebuild
from .simplify import simplify
from .tracer import trace_call

CacheInfo = collections.namedtuple(
    "CacheInfo", "traces compiled_calls eager_calls guard_failures compile_seconds")

DEFAULT_MAX_TRACES = 8


class _Compiled:
    """One trace and the code that runs it."""

    __slots__ = ("trace", "equations_run", "run", "source", "backend", "why_not_interpreted",
                 "host_steps", "variables", "copied", "copied_any", "pack", "vjps", "_owner",
                 "_lock")

    def __init__(self, trace, name, owner):
        self.trace = trace  # as recorded: its reverse pass sums gradients as eager does
        simplified = simplify(trace)  # what runs: the same values, fewer operations
        self.equations_run = len(simplified.equations)
        # Outputs that are inputs are copied: the caller's array or a Variable's may change.
        inputs = set(simplified.inputs)
        self.copied = [value in inputs for kind, value in simplified.outputs if kind == "slot"]
        self.copied_any = any(self.copied)
        self.pack = _packer(trace)
        self.run, self.source = python_backend.compile_trace(simplified, name)
        self.backend, self.why_not_interpreted, self.host_steps = "python", None, ()
        try:  # small tensors: the trace in calls of the interpreter kernel
            interpreted = Interpreted(simplified)
        except NotEligible as reason:
            self.why_not_interpreted = str(reason)
        else:
            self.run, self.backend = interpreted.call, interpreted.backend
            self.host_steps = interpreted.host_steps
            self.source = interpreted.describe() + self.source
        self.variables = trace.variables
        self.vjps = {}  # which cotangents a gradient call has -> the tape_function it runs
        self._owner = owner
        self._lock = threading.Lock()

    def gradient(self, inputs, cotangents):
        """The gradients of a call of this trace with respect to its ``inputs``, weighted by
        ``cotangents`` (None: none reached that output): a tape_function of the trace's
        reverse pass, one for each set of cotangents given, called with the inputs and those
        cotangents as its arguments (so that the call takes the fast path)."""
        given = tuple(c is not None for c in cotangents)
        vjp = self.vjps.get(given)
        if vjp is None:
            with self._lock:
                vjp = self.vjps.get(given)
                if vjp is None:
                    vjp = self.vjps[given] = TapeFunction(
                        functools.partial(_vjp_of_arguments, self.trace, len(inputs), given),
                        max_traces=self._owner._max_traces,
                        name=f"gradient of {self._owner.__name__}")
        return vjp(*inputs, *[c for c in cotangents if c is not None])


class _Entry:
    """What one signature has: its traces, and why it runs eagerly if it does."""

    __slots__ = ("traces", "eager_reason", "failures", "description")

    def __init__(self, description):
        self.traces = []
        self.eager_reason = None
        self.failures = collections.Counter()  # (trace index, guard index) -> failures
        self.description = description


class TapeFunction:
    """A Python function traced once per path and run compiled afterwards.

    Side effects of the body (printing, appending to a list, random numbers, assigning a
    Variable) happen while it is traced, not on compiled calls; a trace that assigns a
    Variable runs eagerly instead, with a warning."""

    def __init__(self, fn, max_traces=DEFAULT_MAX_TRACES, name=None):
        if not callable(fn):
            raise TypeError(f"tape_function: expected a function, got {type(fn).__name__}")
        if type(max_traces) is not int or max_traces < 1:
            raise ValueError(f"tape_function: max_traces must be a positive int, got "
                             f"{max_traces!r}")
        functools.update_wrapper(self, fn)
        if name is not None:
            self.__name__ = name
        self._fn = fn
        self._max_traces = max_traces
        self._entries = {}  # signature key -> _Entry
        self._by_fast_key = {}  # _fast_key of a call -> its _Entry (skips the Signature)
        self._derived = {}  # (transform, options) -> TapeFunction of the transformed function
        self._lock = threading.Lock()
        self._traces = self._compiled_calls = self._eager_calls = self._guard_failures = 0
        self._compile_seconds = 0.0

    def __get__(self, instance, owner):  # a method: bind like a function
        return self if instance is None else functools.partial(self, instance)

    def __call__(self, *args, **kwargs):
        if state.tracers:  # inside another trace: this function's operations join it
            return self._fn(*args, **kwargs)
        fast, arrays = (None, None) if kwargs else _fast_key(args)
        entry = self._by_fast_key.get(fast) if fast is not None else None
        if entry is not None:  # the arguments are the dynamic leaves, in order
            leaves = args
        else:
            signature = Signature(args, kwargs, self.__name__)
            entry = self._entries.get(signature.key)
            if entry is None:
                with self._lock:
                    entry = self._entries.setdefault(signature.key,
                                                     _Entry(_describe(signature.key)))
            if fast is not None:
                self._by_fast_key[fast] = entry
            leaves, arrays = signature.leaves, None
        if entry.eager_reason is None:
            for index, compiled in enumerate(entry.traces):
                if arrays is None:
                    arrays = [leaf_array(x) for x in leaves]
                values = arrays + [v._value for v in compiled.variables] if \
                    compiled.variables else arrays
                result = compiled.run(values)
                if type(result) is int:
                    entry.failures[index, result] += 1
                    self._guard_failures += 1
                    continue
                self._compiled_calls += 1
                return self._finish(compiled, leaves, result)
            if len(entry.traces) < self._max_traces:
                return self._trace(leaves, args, kwargs, entry)
            self._give_up(entry)
        self._eager_calls += 1
        return self._fn(*args, **kwargs)

    # --- tracing ------------------------------------------------------------------------
    def _trace(self, leaves, args, kwargs, entry):
        tensors = [leaf_tensor(x) for x in leaves]
        traced_args, traced_kwargs = rebuild(args, kwargs, tensors)
        result, trace = trace_call(self._fn, traced_args, traced_kwargs, tensors)
        self._traces += 1
        if trace.unsupported:
            what, where = trace.unsupported[0]
            entry.eager_reason = f"it runs eagerly: {what} at {where}"
            warnings.warn(f"tape_function {self.__name__}: this trace cannot run compiled "
                          f"({what}, at {where}); calls of this signature run eagerly",
                          stacklevel=3)
            return result
        start = time.perf_counter()
        with self._lock:
            number = sum(len(e.traces) for e in self._entries.values()) + 1
            compiled = _Compiled(trace, f"trace_{number}", self)
            entry.traces.append(compiled)
        self._compile_seconds += time.perf_counter() - start
        return result

    def _give_up(self, entry):
        """Past max_traces: this signature runs eagerly, with one warning."""
        with self._lock:
            if entry.eager_reason is not None:
                return
            reason = "every trace's guards failed"
            if entry.failures:
                (trace_index, guard_index), _ = entry.failures.most_common(1)[0]
                guard = entry.traces[trace_index].trace.guards[guard_index]
                reason = f"the guard that kept failing: {guard.describe()}"
            entry.eager_reason = (f"it runs eagerly: {self._max_traces} traces (max_traces) "
                                  f"did not cover its calls; {reason}")
        warnings.warn(f"tape_function {self.__name__}: {self._max_traces} traces for one "
                      f"signature and still a new path; {reason}. It runs eagerly from now on "
                      "(raise max_traces, or make the branch a where())", stacklevel=3)

    # --- a compiled call's result ----------------------------------------------------------
    def _finish(self, compiled, leaves, arrays):
        if compiled.copied_any:
            outputs = [Tensor(a.copy() if copy else a) for a, copy in zip(arrays, compiled.copied)]
        else:
            outputs = list(map(Tensor, arrays))
        if state.tapes:
            self._record(compiled, leaves, outputs)
        return compiled.pack(outputs)

    def _record(self, compiled, leaves, outputs):
        """The call as one operation on the tapes recording its inputs."""
        inputs = [as_tensor(x) if isinstance(x, Tensor) else Tensor(leaf_array(x))
                  for x in leaves]
        inputs += [v._read() for v in compiled.variables]
        record_operation("TapeFunction", tuple(inputs), tuple(outputs),
                         {"gradient": compiled.gradient}, "inputs")  # its rule replays

    # --- transforms ---------------------------------------------------------------------
    def derived(self, key, make):
        """The tape_function of a transform of this function (``make()`` builds the plain
        transformed function), one per ``key``: ``at.grad(f)`` of a tape_function compiles
        the gradient computation as one trace."""
        with self._lock:
            function = self._derived.get(key)
            if function is None:
                function = self._derived[key] = TapeFunction(
                    make(), self._max_traces, name=f"{key[0]} of {self.__name__}")
            return function

    # --- introspection ------------------------------------------------------------------
    def cache_info(self):
        return CacheInfo(self._traces, self._compiled_calls, self._eager_calls,
                         self._guard_failures, self._compile_seconds)

    def source(self):
        """The generated code of every trace (it names only slots, forwards and constants
        the generator made)."""
        parts = [compiled.source for entry in self._entries.values()
                 for compiled in entry.traces]
        return "\n\n".join(parts) if parts else "# not traced yet\n"

    def explain(self):
        """Each signature's traces, their guards, and what runs compiled or eagerly, and why."""
        lines = [f"tape_function {self.__name__}: {self._traces} traces; calls: "
                 f"{self._compiled_calls} compiled, {self._eager_calls} eager, "
                 f"{self._guard_failures} guard failures; compile {self._compile_seconds:.3f} s"]
        for number, entry in enumerate(self._entries.values(), 1):
            lines.append(f"signature {number}: {entry.description}")
            for index, compiled in enumerate(entry.traces):
                trace = compiled.trace
                lines.append(f"  trace {index + 1}: {len(trace.equations)} operations "
                             f"({compiled.equations_run} once equal ones are merged and unread "
                             f"ones dropped), {len(trace.guards)} guards, run compiled "
                             f"({compiled.backend} "
                             "back end" + (f"; not the interpreter: "
                                           f"{compiled.why_not_interpreted}"
                                           if compiled.why_not_interpreted else "") + ")")
                if compiled.host_steps:
                    counts = collections.Counter(compiled.host_steps)
                    lines.append(f"    {len(compiled.host_steps)} operations run by their "
                                 "forwards between kernel runs: " + ", ".join(
                                     f"{op} x{n} ({why})" for (op, why), n in counts.items()))
                for g, guard in enumerate(trace.guards):
                    failed = entry.failures.get((index, g), 0)
                    lines.append(f"    guard {g}: {guard.describe()}"
                                 + (f" (failed {failed} times)" if failed else ""))
            if entry.eager_reason:
                lines.append(f"  {entry.eager_reason}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<tape_function {self.__name__}>"


def _fast_key(args):
    """A cheap key for a call whose arguments are all dynamic leaves (Tensors, arrays, floats),
    each its own object, the common case, and the arrays of those leaves; (None, None) for
    any other call. Calls with one fast key have one Signature key."""
    key, arrays = [], []
    for a in args:
        t = type(a)
        if t is Tensor:
            value = a._value
            key += (t, value.shape, value.dtype)
            arrays.append(value)
        elif t is np.ndarray:
            key += (t, a.shape, a.dtype)
            arrays.append(leaf_array(a))
        elif t in EXACT_FLOATS:
            key.append(t)
            arrays.append(leaf_array(a))
        else:
            return None, None
    if len(args) > 1 and len({a._id if type(a) is Tensor else id(a) for a in args}) < len(args):
        return None, None  # one object at two positions (or two reads of one Variable)
    return tuple(key), arrays


def _packer(trace):
    """outputs (per output slot) -> the result in the structure the function returned."""
    kinds = [kind for kind, _ in trace.outputs]
    if trace.structure is None and kinds == ["slot"]:
        return lambda outputs: outputs[0]
    if type(trace.structure) is tuple and all(kind == "slot" for kind in kinds) and all(
            leaf is None for leaf in trace.structure):
        return tuple

    def pack(outputs):
        produced = iter(outputs)
        leaves = [next(produced) if kind == "slot" else value for kind, value in trace.outputs]
        return nest.pack_like(trace.structure, leaves)

    return pack


def _describe(key):
    """A signature key in words: each argument's kind, shape and dtype or static value."""
    positional, keywords = key
    words = [_describe_part(p) for p in positional]
    words += [f"{k}={_describe_part(p)}" for k, p in keywords]
    return ", ".join(words) or "no arguments"


def _describe_part(p):
    if p[0] == DYNAMIC:
        return f"{p[2]}{list(p[1])}"
    if p[0] in (tuple, list):
        return f"{p[0].__name__}({', '.join(_describe_part(e) for e in p[1:])})"
    if p[0] is dict:
        return "dict(" + ", ".join(f"{k!r}: {_describe_part(v)}" for k, v in p[1:]) + ")"
    if p[0] == "object":
        return f"a {p[1].__name__} object"
    return repr(p[1])


# --- the gradient of a compiled call ------------------------------------------------------
def _replay(trace, inputs):
    """The trace's equations run again on ``inputs`` (Tensors), recorded like any operation:
    the output Tensors, per output slot."""
    env = dict(zip(trace.inputs, inputs))
    for k, value in trace.constants.items():
        env[k] = Tensor(value)
    for eq in trace.equations:
        result = run(eq.type, [env[k] for k in eq.inputs], eq.attrs)
        for k, y in zip(eq.outputs, result if isinstance(result, tuple) else (result,)):
            env[k] = y
    return [env[value] for kind, value in trace.outputs if kind == "slot"]


def _vjp(trace, inputs, cotangents):
    """Gradients of the trace's outputs, weighted by ``cotangents`` (None: none reached that
    output), with respect to each input (None for a repeated input: its first position takes
    the whole gradient)."""
    from ..tape import GradientTape

    first, seen = [], set()
    for slot in trace.inputs:
        first.append(slot not in seen)
        seen.add(slot)
    sources = [x for x, is_first in zip(inputs, first) if is_first and x.dtype.kind == "f"]
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(sources)
        outputs = _replay(trace, inputs)
    pairs = [(y, c) for y, c in zip(outputs, cotangents)
             if c is not None and y.dtype.kind == "f"]
    grads = iter(tape.gradient([y for y, _ in pairs], sources,
                               output_gradients=[c for _, c in pairs]) if pairs else
                 [None] * len(sources))
    return tuple(next(grads) if is_first and x.dtype.kind == "f" else None
                 for x, is_first in zip(inputs, first))


def _vjp_of_arguments(trace, count, given, *arguments):
    """_vjp with the inputs (``count`` of them), then the cotangents given, as arguments."""
    inputs, present = arguments[:count], iter(arguments[count:])
    return _vjp(trace, inputs, [next(present) if g else None for g in given])


@registry.RegisterGradient("TapeFunction", accepts_missing=True)
def _tape_function_grad(op, *cotangents):
    return op.attrs["gradient"](op.inputs, cotangents)


def tape_function(fn=None, *, max_traces=DEFAULT_MAX_TRACES):
    """Decorator: ``@tape_function`` or ``tape_function(fn, max_traces=8)`` (see TapeFunction).

    ``fn`` is traced on its first call for each signature (the kinds, shapes and dtypes of
    its dynamic arguments and the values of its static ones) and runs compiled afterwards,
    for as long as the values its Python code looked at (guards) come out the same."""
    if fn is None:
        return lambda f: TapeFunction(f, max_traces)
    return TapeFunction(fn, max_traces)

