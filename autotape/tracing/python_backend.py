"""Running a trace as generated Python: one call of each primitive's forward per equation.

The generated function takes the input arrays and returns the output arrays, or the index
of the first guard that does not hold. Its source names only slots (``s3``), forwards
(``f3``), constants (``c3``) and attrs (``a3``) that the generator made: it never contains
a user's string, so ``TapeFunction.source()`` can show it as it is.
"""

from ..ops import registry
from .ir import same_value


def _guard_line(index, guard):
    if guard.kind == "outcome":
        test = f"not s{guard.slot}" if guard.expected else f"s{guard.slot}"
    else:
        test = f"not same(s{guard.slot}, e{index})"
    return f"    if {test}:\n        return {index}  # guard {index}"


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
        lines.append(_guard_line(index, trace.guards[index]))
    for n, eq in enumerate(trace.equations, 1):
        namespace[f"f{n}"] = registry.forwards[eq.type][0]
        arguments = ", ".join(f"s{k}" for k in eq.inputs)
        if eq.attrs:
            namespace[f"a{n}"] = eq.attrs
            arguments += (", " if arguments else "") + f"**a{n}"
        targets = ", ".join(f"s{k}" for k in eq.outputs) + ("," if len(eq.outputs) > 1 else "")
        comment = f"  # {eq.type}" if eq.type.isidentifier() else ""
        lines.append(f"    {targets} = f{n}({arguments}){comment}")
        for index in checks.get(n, ()):
            lines.append(_guard_line(index, trace.guards[index]))
    results = [f"s{value}" for kind, value in trace.outputs if kind == "slot"]
    lines.append(f"    return ({', '.join(results)}{',' if results else ''})")
    return "\n".join(lines) + "\n", namespace


def compile_trace(trace, name):
    """The generated function and its source."""
    source, namespace = generate(trace, name)
    exec(compile(source, f"<autotape trace {name}>", "exec"), namespace)
    return namespace[name], source
