"""Fused loops for large tensors: runs of consecutive elementwise equations as one loop.

Within a trace, consecutive equations that are elementwise formulas (forwards, and their
fused gradients where every operand has the output's shape) over one float dtype, with
operands of the output's size, single elements or the output's trailing axes (a bias), form
a group. A group becomes one
generated Numba function looping once over the elements: no temporaries, and only what
later equations, guards or the results read is written out. Each intermediate is rounded to
its dtype as the eager kernel rounds it on store, so the values are the eager ones.

Numba compiles about 10 ms per generated statement: a group holds at most ``MAX_GROUP``
equations, and the generated module is cached on disk (keyed by its source), so a second
process compiles nothing.
"""

import functools
import math

import numpy as np

from ..kernels import formulas

MIN_ELEMENTS = 4096  # below this, a kernel call per equation costs about as little
MAX_GROUP = 48  # equations per generated function: bounds its compile time


@functools.cache
def _table():
    """{op type: (kind, formula name)} of the equations a group may hold (not comparisons:
    their results are booleans)."""
    from ..ops.elementwise import formula_op_types

    table = {op_type: (kind, name) for op_type, (kind, name) in formula_op_types().items()
             if kind != "binary" or formulas.BINARY[name].result != "bool"}
    # Moves without arithmetic: a broadcast single element (a sum's gradient) is read in
    # place instead of being written out at full size.
    table.update({op_type: ("copy", None) for op_type in
                  ("Reshape", "Identity", "StopGradient", "BroadcastTo")})
    return table


def _statements(eq, kind, name, local):
    """Python statements computing the equation's outputs from ``local(slot)`` names."""
    from ..kernels.elementwise import binary_saved

    ins = [local(k) for k in eq.inputs]
    if kind == "copy":
        return [f"{local(eq.outputs[0])} = {ins[0]}"]
    if kind == "unary":
        return [f"a = {ins[0]}", f"{local(eq.outputs[0])} = CAST({formulas.UNARY[name].value})"]
    if kind == "binary":
        return [f"a = {ins[0]}", f"b = {ins[1]}",
                f"{local(eq.outputs[0])} = CAST({formulas.BINARY[name].value})"]
    if kind == "unary_grad":
        spec = formulas.UNARY[name]
        saved = [v for v in ("a", "y") if formulas.uses(spec.derivative, v)]
        lines = [f"{v} = {x}" for v, x in zip(saved + ["g"], ins)]
        return lines + [f"{local(eq.outputs[0])} = CAST(g * ({spec.derivative}))"]
    spec = formulas.BINARY[name]
    needs = eq.attrs["needs"]
    saved = binary_saved(spec, needs)
    lines = [f"{v} = {x}" for v, x in zip(saved + ["g"], ins)]
    return lines + [f"{local(out)} = CAST(g * ({getattr(spec, 'derivative_' + n)}))"
                    for out, n in zip(eq.outputs, needs)]


def _elementwise_read(shape, out_shape):
    """Whether an operand of ``shape`` is read at flat output index i as element i % size:
    it has the output's size, a single element, or the output's trailing axes (a bias)."""
    size = math.prod(shape)
    if size in (1, math.prod(out_shape)):
        return True
    trimmed = tuple(shape)
    while trimmed and trimmed[0] == 1:
        trimmed = trimmed[1:]
    return len(trimmed) <= len(out_shape) and tuple(out_shape[len(out_shape) - len(trimmed):]) \
        == trimmed


def _fusible(trace, eq):
    """(kind, name, n) if the equation can join a group, else None."""
    entry = _table().get(eq.type)
    if entry is None:
        return None
    out = eq.outputs[0]
    dtype, n = trace.dtypes[out], math.prod(trace.shapes[out])
    if dtype.kind != "f" or n < MIN_ELEMENTS:
        return None
    for k in eq.outputs:
        if trace.dtypes[k] != dtype or math.prod(trace.shapes[k]) != n:
            return None
    for k in eq.inputs:
        if trace.dtypes[k] != dtype or not _elementwise_read(trace.shapes[k], trace.shapes[out]):
            return None
    if entry[0] == "binary_grad":
        if eq.attrs["shape_a"] != eq.attrs["shape_b"]:
            return None  # an operand's gradient is summed: not an elementwise loop
        if any(math.prod(trace.shapes[k]) != n for k in eq.outputs):
            return None
    return entry + (n, dtype)


def schedule(trace):
    """The order to run the equations in: [(position, steps)] per stretch between guards
    (``position``: how many equations have run once its steps have; the guards checked
    then), each step an equation index or a fused run [(index, equation, fusible)].

    Within a stretch equations may move: an equation that does not depend on the open run
    goes before it, and one that does goes after, so that a run grows past the reductions
    and matmuls between elementwise equations (a forward and its backward become one loop).
    """
    cuts = sorted({g.after for g in trace.guards if 0 < g.after < len(trace.equations)})
    bounds = [0] + cuts + [len(trace.equations)]
    return [(stop, _order(trace, list(range(start, stop))))
            for start, stop in zip(bounds, bounds[1:])]


def _order(trace, pending):
    steps = []
    while pending:
        run, key, before, after, tainted = [], None, [], [], set()
        for index in pending:
            eq = trace.equations[index]
            fusible = _fusible(trace, eq)
            depends = any(k in tainted for k in eq.inputs)
            if fusible and len(run) < MAX_GROUP and (key is None or fusible[2:] == key) and (
                    not depends or all(k not in tainted or k in _outputs(run)
                                       for k in eq.inputs)) and _worth_joining(trace, eq,
                                                                               fusible, run):
                run.append((index, eq, fusible))
                key = fusible[2:]
                tainted.update(eq.outputs)
            elif depends:
                after.append(index)
                tainted.update(eq.outputs)
            else:
                before.append(index)
        steps += before
        if sum(fusible[0] != "copy" for _, _, fusible in run) >= 2:
            steps.append(run)
        else:
            steps += [index for index, _, _ in run]
        pending = sorted(after) if run else []
    return steps


def _worth_joining(trace, eq, fusible, run):
    """A move joins a run only where it saves writing: it broadcasts (a single element, a
    bias), or moves what the run computes (a full-size input is better left a NumPy view)."""
    if fusible[0] != "copy":
        return True
    source = eq.inputs[0]
    return math.prod(trace.shapes[source]) != fusible[2] or source in _outputs(run)


def _outputs(run):
    return {k for _, eq, _ in run for k in eq.outputs}


def _flat(slot, repeated, trace):
    """The wrapper's expression passing input ``slot`` to the loop."""
    if repeated:
        return f"np.asarray(s{slot}[{(0,) * len(trace.shapes[slot])!r}]).reshape(1)"
    return f"s{slot}.reshape(-1)"


def _loop_nest(loop, n, m, head, body):
    """The loop over the n elements (in rows of m when m < n) around ``body``."""
    if m == n:
        return [f"    for i in {loop}({n}):"] + [f"        {line}" for line in body]
    return ([f"    for r in {loop}({n // m}):"] + [f"        {line}" for line in head]
            + [f"        for j in range({m}):", f"            i = r * {m} + j"]
            + [f"            {line}" for line in body])


def generate(trace, run, name, needed_after):
    """Source of a module with ``name(*inputs) -> outputs`` for one group, and the group's
    (input slots, output slots). ``needed_after``: slots read after the group."""
    produced = {k for _, eq, _ in run for k in eq.outputs}
    inputs = []
    for _, eq, _ in run:
        for k in eq.inputs:
            if k not in produced and k not in inputs:
                inputs.append(k)
    outputs = [k for _, eq, _ in run for k in eq.outputs if k in needed_after]
    n, dtype = run[0][2][2], run[0][2][3]
    # A constant that repeats one element (a broadcast view, such as a sum's seed) is read
    # as that element, not flattened to full size on every call.
    repeated = {k for k in inputs if k in trace.constants and trace.constants[k].size > 1
                and not any(trace.constants[k].strides)}
    sizes = {k: 1 if k in repeated else math.prod(trace.shapes[k]) for k in inputs}

    def local(k):
        return f"t{k}"

    # With a bias (an operand over the output's trailing axes, of m elements) the loop is
    # two: rows of the smallest such m, then the elements of a row, which LLVM vectorises
    # (element i % m would be a gather). A longer bias, over more trailing axes, is a
    # multiple of m: its row starts at (r % (size // m)) * m.
    partial = sorted({size for size in sizes.values() if 1 < size < n})
    m = partial[0] if partial else n
    head, body = [], []
    for k in inputs:
        if sizes[k] == 1:
            index = "0"
        elif sizes[k] == n:
            index = "i"
        elif sizes[k] == m:
            index = "j"
        else:
            head.append(f"r{k} = (r % {sizes[k] // m}) * {m}")
            index = f"r{k} + j"
        body.append(f"t{k} = IN{k}[{index}]")
    for _, eq, (kind, formula, _, _) in run:
        body += _statements(eq, kind, formula, local)
    body += [f"OUT{k}[i] = t{k}" for k in outputs]
    from ..ops.elementwise import PARALLEL_MIN_SIZE, parallel_kernels_available
    from ..kernels.elementwise import PRELUDE

    parallel = n >= PARALLEL_MIN_SIZE and parallel_kernels_available()
    parameters = ", ".join([f"IN{k}" for k in inputs] + [f"OUT{k}" for k in outputs])
    loop = "prange" if parallel else "range"
    flags = ", parallel=True" if parallel else ""
    source = PRELUDE + f'''
CAST = np.{np.dtype(dtype).name}


@kernel(nogil=True, error_model="numpy"{flags})
def loop({parameters}):
''' + "\n".join(_loop_nest(loop, n, m, head, body)) + f'''


def {name}({", ".join(f"s{k}" for k in inputs)}):
''' + "".join(f"    o{k} = np.empty({trace.shapes[k]!r}, np.{np.dtype(dtype).name})\n"
              for k in outputs) + f'''    loop({", ".join([_flat(k, k in repeated, trace) for k in inputs]
                    + [f"o{k}.reshape(-1)" for k in outputs])})
    return ({", ".join(f"o{k}" for k in outputs)}{"," if outputs else ""})
'''
    return source, inputs, outputs
