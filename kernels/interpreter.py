"""One Numba kernel that runs a whole trace of small tensors: ``run(P, V)``.

Every tensor of the trace lives in one flat value buffer ``V`` (one float dtype; booleans
as 0 and 1). ``P`` holds one row of integers per step, in order::

    code, n, out0, step0, out1, step1, in0, step_in0, in1, step_in1, in2, ..., in3, step_in3

``n`` is the number of elements the step loops over; an input's step is 1 (it has n
elements) or 0 (one element, broadcast); an output's step is 1, or 0 for a gradient summed
into one element (an operand that was broadcast). A guard step returns its number (kept in
``out0``) when it fails; ``run`` returns -1 when every step ran.

The steps are generated from ``kernels.formulas``, the same text as the eager kernels, so
a trace gives the values eager operations give. Each family of steps is its own function,
so that one huge function does not make LLVM's compile time explode.
"""

from . import formulas
from .elementwise import PRELUDE, binary_saved

COLUMNS = 14
SUM, COPY, NONZERO, SELECT, GUARD_OUTCOME, GUARD_VALUE = range(6)  # fixed opcodes
_FIXED = ["sum", "copy", "nonzero", "select", "guard_outcome", "guard_value"]


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
    return table


def _read(var, k):
    return f"{var} = V[i{k} + i * s{k}]"


_PARAMS = "V, n, o0, t0, o1, t1, i0, s0, i1, s1, i2, s2, i3, s3"


def _step_function(code, kind, name, needs):
    lines = [f"@njit(error_model='numpy')", f"def step_{code}({_PARAMS}):"]
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


def source():
    table = opcodes()
    functions = [_step_function(code, *entry) for code, entry in enumerate(table)
                 if entry[0] != "fixed"]
    calls = "\n".join(
        f"        elif code == {code}:\n"
        f"            step_{code}(V, n, r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],"
        f" r[11], r[12], r[13])"
        for code, entry in enumerate(table) if entry[0] != "fixed")
    return PRELUDE + "\nfrom autotape.kernels.reduce import sum_all\n\n\n" + "\n\n".join(
        functions) + f'''

@kernel(nogil=True, error_model="numpy")
def run(P, V):
    total = np.zeros(1, np.float64)
    for row in range(P.shape[0]):
        r = P[row]
        code = r[0]
        n = r[1]
        if code == {SUM}:  # the sum of n elements, as eager's reduce_sum (in float64)
            total[0] = 0.0
            sum_all(V[r[6]:r[6] + n], total)
            V[r[2]] = total[0]
        elif code == {COPY}:
            for i in range(n):
                V[r[2] + i] = V[r[6] + i * r[7]]
        elif code == {NONZERO}:
            for i in range(n):
                V[r[2] + i] = V[r[6] + i * r[7]] != 0
        elif code == {SELECT}:
            for i in range(n):
                if V[r[6] + i * r[7]] != 0:
                    V[r[2] + i] = V[r[8] + i * r[9]]
                else:
                    V[r[2] + i] = V[r[10] + i * r[11]]
        elif code == {GUARD_OUTCOME}:  # in1 holds the outcome the trace saw (0 or 1)
            if (V[r[6]] != 0) != (r[8] != 0):
                return r[2]
        elif code == {GUARD_VALUE}:  # the n values at in0 must equal those at in1
            for i in range(n):
                x = V[r[6] + i]
                e = V[r[8] + i]
                if x != e and not (x != x and e != e):
                    return r[2]
{calls}
    return -1
'''
