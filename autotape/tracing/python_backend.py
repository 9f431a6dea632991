"""Running a trace as generated Python: one call of each primitive's forward per equation,
or of a fused loop per run of elementwise equations on large tensors (``fusion``).

The generated function takes the input arrays and returns the output arrays, or the index
of the first guard that does not hold. Its source names only slots (``s3``), forwards
(``f3``), constants (``c3``) and attrs (``a3``) that the generator made: it never contains
a user's string, so ``TapeFunction.source()`` can show it as it is.
"""

import hashlib

import numpy as np

from ..ops import registry
from . import fusion
from .ir import same_value


def guard_statement(index, guard):
    """The check of guard ``index`` on the slot held as ``s<slot>`` (a value guard's expected
    value is ``e<index>`` in the namespace)."""
    if guard.kind == "outcome":
        test = f"not s{guard.slot}" if guard.expected else f"s{guard.slot}"
    else:
        test = f"not same(s{guard.slot}, e{index})"
    return f"    if {test}:\n        return {index}  # guard {index}"


def forward_statement(eq, n, arguments, namespace):
    """The line ``s<out>, ... = f<n>(arguments, **a<n>)`` running equation number ``n`` by
    its forward (``arguments``: one expression per input), its names put in ``namespace``."""
    namespace[f"f{n}"] = registry.forwards[eq.type][0]
    arguments = ", ".join(arguments)
    if eq.attrs:
        namespace[f"a{n}"] = eq.attrs
        arguments += (", " if arguments else "") + f"**a{n}"
    targets = ", ".join(f"s{k}" for k in eq.outputs) + ("," if len(eq.outputs) > 1 else "")
    comment = f"  # {eq.type}" if eq.type.isidentifier() else ""
    return f"    {targets} = f{n}({arguments}){comment}"


def generate(trace, name):
    """(source, namespace) of a function ``name(inputs) -> tuple of arrays | guard index``."""
    namespace = {"same": same_value}
    lines = [f"def {name}(inputs):"]
    if trace.inputs:
        lines.append(f"    {', '.join(f's{k}' for k in trace.inputs)}, = inputs")
    for k, value in trace.constants.items():
        namespace[f"c{k}"] = value
        lines.append(f"    s{k} = c{k}")
    for index, guard in enumerate(trace.guards):
        if guard.kind == "value":
            namespace[f"e{index}"] = guard.expected
    checks = trace.guards_after()
    for index in checks.get(0, ()):
        lines.append(guard_statement(index, trace.guards[index]))
    for position, steps in fusion.schedule(trace):
        for step in steps:
            if isinstance(step, list):  # one fused loop for a run of elementwise equations
                n = step[0][0] + 1
                inputs, outputs, function = _fused(trace, step)
                namespace[f"g{n}"] = function
                targets = ", ".join(f"s{k}" for k in outputs) + ("," if outputs else "")
                lines.append(f"    {targets or '_'} = g{n}({', '.join(f's{k}' for k in inputs)})"
                             f"  # {len(step)} fused operations")
                continue
            eq = trace.equations[step]
            lines.append(forward_statement(eq, step + 1, [f"s{k}" for k in eq.inputs],
                                           namespace))
        for index in checks.get(position, ()):
            lines.append(guard_statement(index, trace.guards[index]))
    results = [f"s{value}" for kind, value in trace.outputs if kind == "slot"]
    lines.append(f"    return ({', '.join(results)}{',' if results else ''})")
    return "\n".join(lines) + "\n", namespace


def _fused(trace, run):
    """(input slots, output slots, function) of one fused run, its module loaded from (or
    written to) the kernel cache and compiled now."""
    from ..kernels import cache

    needed = {value for kind, value in trace.outputs if kind == "slot"}
    needed |= {guard.slot for guard in trace.guards}
    members = {index for index, _, _ in run}
    for index, eq in enumerate(trace.equations):
        if index not in members:
            needed.update(eq.inputs)
    source, inputs, outputs = fusion.generate(trace, run, "fused", needed)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    module = cache.generated_module(f"fused_{digest}", source)
    dtype = trace.dtypes[run[0][1].outputs[0]]
    module.fused(*[np.zeros(trace.shapes[k], dtype) for k in inputs])  # compile (or load) now
    return inputs, outputs, module.fused


def compile_trace(trace, name):
    """The generated function and its source."""
    source, namespace = generate(trace, name)
    exec(compile(source, f"<autotape trace {name}>", "exec"), namespace)
    return namespace[name], source
