"""One Numba kernel that runs a trace of small tensors: ``run(P, V, I)``.

Every tensor of the trace lives in one flat value buffer ``V`` (one float dtype; booleans
as 0 and 1). ``P`` holds one row of integers per step, in order, its columns named in
``COLUMNS``::

    code, n, o0, t0, o1, t1, i0, s0, i1, s1, i2, s2, i3, s3

``n`` is the number of elements the step loops over. For the formulas' steps, copies and
selects, o<k> is output k's offset in V and t<k> its step, i<k> and s<k> input k's: an
input's step is 1 (it has n elements) or 0 (one element, broadcast), an output's is 1, or 0
for a gradient summed into one element (an operand that was broadcast). A formula's
gradient whose operands broadcast along some axes is a step of its own (``binary_grad_nd``):
it reads them, and adds into their gradients from zeros, in order, as eager's n-d loop does,
through their elements' offsets at ``I[table]`` (operand a's, n of them, then b's). A guard step
returns its number (kept in o0) when it fails; ``run`` returns -1 when every step ran.

``I`` holds the integer tables some steps read. The other fixed steps' columns:

- gather: ``V[o0 + i] = V[I[i0 + i]]`` (a transpose, a slice, a broadcast, a tile, a
  concatenation);
- scatter: t1 zeros at o0, then ``V[I[i1 + i]] = V[i0 + i]``, added in order if t0;
- reduce: t1 outputs at o0 from the n elements at i0; t0 the kind (``kernels.reduce``), o1
  the layout (``PLANS``), s0 and i1 its outer and inner extents, i2 and s2 the offset in I
  and the length of an n-d layout's strides and extents. It calls eager's own reductions,
  with the layout eager's planner chose, so it adds in the same order;
- matmul: t0 products of o1 x t1 and t1 x i2 matrices, at i0 and i1 (s0 and s1 apart), into
  o0: eager's own ``kernels.matmul``.

The steps are generated from ``kernels.formulas``, the same text as the eager kernels, so
a trace gives the values eager operations give. Each family of steps is its own function,
so that one huge function does not make LLVM's compile time explode.
"""

from . import formulas
from .elementwise import PRELUDE, binary_saved

# A row's columns, by name (the fixed steps give some their own meanings: see above).
COLUMNS = ("code", "n", "o0", "t0", "o1", "t1", "i0", "s0", "i1", "s1", "i2", "s2", "i3", "s3",
           "table")
VECTOR_MIN = 8  # elements from which a step loops over views (a view costs a little)
# Fixed opcodes, then the formulas' (``opcodes()``).
COPY, NONZERO, SELECT, GUARD_OUTCOME, GUARD_VALUE, GATHER, SCATTER, REDUCE, MATMUL = range(9)
_FIXED = ["copy", "nonzero", "select", "guard_outcome", "guard_value", "gather", "scatter",
          "reduce", "matmul"]
# A reduce step's layouts: eager's plans (``ops.reductions._reduction_plan``), numbered.
PLANS = ("all", "rows", "cols", "nd")


def _differentiable(derivative):
    return derivative not in (None, "1", "-1")


def opcodes():
    """[(kind, name, needs)] in opcode order: the fixed steps, then per formula its forward,
    and its fused gradient (for each set of operands it can be asked for)."""
    table = [("fixed", name, "") for name in _FIXED]
    for name, spec in formulas.UNARY.items():
        table.append(("unary", name, ""))
        if _differentiable(spec.derivative):
            table.append(("unary_grad", name, ""))
    for name, spec in formulas.BINARY.items():
        table.append(("binary", name, ""))
        letters = [n for n in "ab" if _differentiable(getattr(spec, "derivative_" + n))]
        for needs in ("a", "b", "ab"):
            if set(needs) <= set(letters):
                table.append(("binary_grad", name, needs))
                table.append(("binary_grad_nd", name, needs))
    return table


def _read(var, k):
    return f"{var} = V[i{k} + i * s{k}]"


# A step reads its row itself: a call of three arguments costs less than one of fourteen.
_PROLOGUE = """\
    n, o0, t0, o1, t1 = P[row, 1], P[row, 2], P[row, 3], P[row, 4], P[row, 5]
    i0, s0, i1, s1 = P[row, 6], P[row, 7], P[row, 8], P[row, 9]
    i2, s2, i3, s3 = P[row, 10], P[row, 11], P[row, 12], P[row, 13]"""


def _contiguous(names, expression):
    """The loop for steps whose operands all have n elements, over views of V: LLVM
    vectorises it (a loop indexing V itself it does not, for fear of aliasing)."""
    lines = ["        OUT = V[o0:o0 + n]"]
    lines += [f"        {v.upper()} = V[i{k}:i{k} + n]" for k, v in enumerate(names)]
    lines += ["        for i in range(n):"]
    lines += [f"            {v} = {v.upper()}[i]" for v in names]
    lines += [f"            OUT[i] = {expression}", "        return"]
    steps = " and ".join(f"s{k} == 1" for k in range(len(names)))
    return [f"    if n >= {VECTOR_MIN} and {steps}:"] + lines


def _broadcast_gradient(spec, needs, saved):
    """A binary gradient's loop over operands broadcast along axes, through their tables."""
    place = {"a": "I[T + i]", "b": "I[T + n + i]", "y": "i", "g": "i"}
    lines = [f"    T = P[row, {COLUMNS.index('table')}]", "    for i in range(n):"]
    lines += [f"        V[o{k} + {place[x]}] = 0" for k, x in enumerate(needs)]
    lines += ["    for i in range(n):"]
    lines += [f"        {v} = V[i{k} + {place[v]}]" for k, v in enumerate(saved + ["g"])]
    lines += [f"        V[o{k} + {place[x]}] += g * ({getattr(spec, 'derivative_' + x)})"
              for k, x in enumerate(needs)]
    return lines


def _step_function(code, kind, name, needs):
    if kind == "binary_grad_nd":  # its own step: the common one checks no table
        spec = formulas.BINARY[name]
        return "\n".join(["@njit(error_model='numpy')", f"def step_{code}(P, row, V, I):",
                          _PROLOGUE] + _broadcast_gradient(spec, needs, binary_saved(spec, needs))
                         ) + "\n"
    lines = ["@njit(error_model='numpy')", f"def step_{code}(P, row, V):", _PROLOGUE]
    if kind == "unary":
        lines += _contiguous(["a"], formulas.UNARY[name].value)
    elif kind == "binary":
        lines += _contiguous(["a", "b"], formulas.BINARY[name].value)
    elif kind == "unary_grad":
        spec = formulas.UNARY[name]
        saved = [v for v in ("a", "y") if formulas.uses(spec.derivative, v)]
        lines += _contiguous(saved + ["g"], f"g * ({spec.derivative})")
    if kind == "unary":
        spec = formulas.UNARY[name]
        lines += ["    for i in range(n):", f"        {_read('a', 0)}",
                  f"        V[o0 + i] = {spec.value}"]
    elif kind == "binary":
        spec = formulas.BINARY[name]
        lines += ["    for i in range(n):", f"        {_read('a', 0)}", f"        {_read('b', 1)}",
                  f"        V[o0 + i] = {spec.value}"]
    elif kind == "unary_grad":
        spec = formulas.UNARY[name]
        saved = [v for v in ("a", "y") if formulas.uses(spec.derivative, v)]
        lines += ["    for i in range(n):"]
        lines += [f"        {_read(v, k)}" for k, v in enumerate(saved + ["g"])]
        lines += [f"        V[o0 + i] = g * ({spec.derivative})"]
    else:  # binary_grad: g * d/dn summed to operand n's shape, for n in needs
        spec = formulas.BINARY[name]
        saved = binary_saved(spec, needs)
        # A gradient summed into one element starts at 0 and adds in order, as eager's does.
        lines += [f"    if t{k} == 0:\n        V[o{k}] = 0" for k in range(len(needs))]
        lines += ["    for i in range(n):"]
        lines += [f"        {_read(v, k)}" for k, v in enumerate(saved + ["g"])]
        for k, n in enumerate(needs):
            term = f"g * ({getattr(spec, 'derivative_' + n)})"
            lines += [f"        if t{k}:", f"            V[o{k} + i] = {term}",
                      "        else:", f"            V[o{k}] += {term}"]
    return "\n".join(lines) + "\n"


_FIXED_STEPS = '''
from autotape.kernels.matmul import matmul_into
from autotape.kernels.reduce import MAX, PROD, SUM, reduce_all, reduce_cols, reduce_nd
from autotape.kernels.reduce import reduce_rows, sum_all, sum_rows


@njit(error_model="numpy")
def reduce_into(X, kind, plan, outer, inner, SO, SHAPE, OUT):
    if plan == 0:
        if kind == SUM:
            sum_all(X, OUT)
        else:
            reduce_all(X, kind, OUT)
    elif plan == 1:
        if kind == SUM:
            sum_rows(X.reshape((outer, inner)), OUT)
        else:
            reduce_rows(X.reshape((outer, inner)), kind, OUT)
    elif plan == 2:
        reduce_cols(X.reshape((outer, inner)), kind, OUT)
    else:
        reduce_nd(X, SO, SHAPE, kind, OUT)


@njit(error_model="numpy")
def gather_step(V, I, n, o0, i0):
    """Element i of the output is element I[i0 + i] of V."""
    for i in range(n):
        V[o0 + i] = V[I[i0 + i]]


@njit(error_model="numpy")
def scatter_step(V, I, n, o0, add, m, i0, i1):
    """m zeros at o0, then V[I[i1 + i]] = (or +=) V[i0 + i]."""
    for i in range(m):
        V[o0 + i] = 0
    if add:  # positions may repeat: they add up, in order, as eager's scatter_add does
        for i in range(n):
            V[I[i1 + i]] += V[i0 + i]
    else:
        for i in range(n):
            V[I[i1 + i]] = V[i0 + i]


@njit(error_model="numpy")
def reduce_step(V, I, n, o0, kind, plan, m, i0, outer, inner, pool, nd):
    """m outputs at o0 from the n elements at i0; kind: sum, prod, max, min. Sums and
    products accumulate in float64, extrema in V's dtype, as eager's reductions do."""
    X = V[i0:i0 + n]
    SO, SHAPE = I[pool:pool + nd], I[pool + nd:pool + 2 * nd]
    if kind == SUM or kind == PROD:
        ACC = np.full(m, 0.0 if kind == SUM else 1.0)
        if n:
            reduce_into(X, kind, plan, outer, inner, SO, SHAPE, ACC)
        for j in range(m):
            V[o0 + j] = ACC[j]
    else:
        EXT = V[o0:o0 + m]
        EXT[:] = -np.inf if kind == MAX else np.inf
        if n:
            reduce_into(X, kind, plan, outer, inner, SO, SHAPE, EXT)


@njit(error_model="numpy")
def matmul_step(V, o0, batch, m, k, n, ia, sa, ib, sb):
    """The batch of m x k times k x n products at ia and ib (steps sa, sb), into o0."""
    A = V[ia:ia + (batch - 1) * sa + m * k]
    B = V[ib:ib + (batch - 1) * sb + k * n]
    matmul_into(A, B, V[o0:o0 + batch * m * n], batch, m, k, n, sa, sb)

'''


def source():
    table = opcodes()
    functions = [_step_function(code, *entry) for code, entry in enumerate(table)
                 if entry[0] != "fixed"]
    calls = "\n".join(
        f"        elif code == {code}:\n"
        f"            step_{code}(P, row, V{', I' if entry[0] == 'binary_grad_nd' else ''})"
        for code, entry in enumerate(table) if entry[0] != "fixed")
    return PRELUDE + _FIXED_STEPS + "\n\n".join(functions) + f'''

@kernel(nogil=True, error_model="numpy")
def run(P, V, I):
    for row in range(P.shape[0]):
        # Scalars, not a row view: a view per row costs reference counting.
        code, n = P[row, 0], P[row, 1]
        o0, t0, o1, t1 = P[row, 2], P[row, 3], P[row, 4], P[row, 5]
        i0, s0, i1, s1 = P[row, 6], P[row, 7], P[row, 8], P[row, 9]
        i2, s2, i3, s3 = P[row, 10], P[row, 11], P[row, 12], P[row, 13]
        if code == {COPY}:
            for i in range(n):
                V[o0 + i] = V[i0 + i * s0]
        elif code == {NONZERO}:
            for i in range(n):
                V[o0 + i] = V[i0 + i * s0] != 0
        elif code == {SELECT}:
            for i in range(n):
                if V[i0 + i * s0] != 0:
                    V[o0 + i] = V[i1 + i * s1]
                else:
                    V[o0 + i] = V[i2 + i * s2]
        elif code == {GUARD_OUTCOME}:  # in1 holds the outcome the trace saw (0 or 1)
            if (V[i0] != 0) != (i1 != 0):
                return o0
        elif code == {GUARD_VALUE}:  # the n values at in0 must equal those at in1
            for i in range(n):
                x = V[i0 + i]
                e = V[i1 + i]
                if x != e and not (x != x and e != e):
                    return o0
        elif code == {GATHER}:
            gather_step(V, I, n, o0, i0)
        elif code == {SCATTER}:
            scatter_step(V, I, n, o0, t0, t1, i0, i1)
        elif code == {REDUCE}:
            reduce_step(V, I, n, o0, t0, o1, t1, i0, s0, i1, i2, s2)
        elif code == {MATMUL}:
            matmul_step(V, o0, t0, o1, t1, i2, i0, s0, i1, s1)
{calls}
    return -1
'''
