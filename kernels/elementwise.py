"""Numba loops generated from the scalar formulas in ``kernels.formulas``.

For each primitive one Python module is written to a cache directory and imported, so
that Numba's ``cache=True`` works (it does not for ``exec``-made functions) and a second
process loads compiled machine code instead of compiling again. The directory name holds a
hash of this file, the formulas and the Numba version, so an upgrade never loads stale code.

All kernels take flat (1-d, C-contiguous) arrays and write into preallocated outputs.
Layouts of binary operands: ``vv`` both full size, ``sv``/``vs`` one of them a single
element, ``nd`` general broadcasting through element strides (0 on broadcast axes).
Backward ``nd`` kernels accumulate into the inputs' shapes: they unbroadcast as they go.
"""

import threading

from . import formulas

# Scalar helpers shared by every generated module (inlined into the loops by Numba).
PRELUDE = '''\
import math
import numpy as np
from numba import njit, prange

from autotape.kernels.cache import kernel
from autotape.kernels.vecmath import vcos as cos
from autotape.kernels.vecmath import vexp as exp
from autotape.kernels.vecmath import vexpm1 as expm1
from autotape.kernels.vecmath import vlog as log
from autotape.kernels.vecmath import vlog1p as log1p
from autotape.kernels.vecmath import vsin as sin
from autotape.kernels.vecmath import vtanh as tanh

# The rest are libm calls (they do not vectorise; see kernels.vecmath).
tan, asin, acos, atan = math.tan, math.asin, math.acos, math.atan
sinh, cosh, sqrt = math.sinh, math.cosh, math.sqrt
log2, log10, exp2 = math.log2, math.log10, math.exp2
asinh, acosh, atanh = math.asinh, math.acosh, math.atanh
atan2, hypot, copysign = math.atan2, math.hypot, math.copysign
is_nan, is_inf, is_finite = math.isnan, math.isinf, math.isfinite


@njit(inline="always", error_model="numpy")
def where(c, x, y):
    return x if c else y


@njit(inline="always", error_model="numpy")
def sign(a):
    if a > 0:
        return 1
    if a < 0:
        return -1
    return a - a  # 0 for zeros of either sign (NumPy gives sign(-0.0) == 0.0), NaN for NaN


@njit(inline="always", error_model="numpy")
def floor(a):
    return np.floor(a)


@njit(inline="always", error_model="numpy")
def round(a):
    return np.rint(a)


@njit(inline="always", error_model="numpy")
def trunc(a):
    return np.trunc(a)


@njit(inline="always", error_model="numpy")
def ceil(a):
    return np.ceil(a)


@njit(inline="always", error_model="numpy")
def cbrt(a):
    return np.cbrt(a)


@njit(inline="always", error_model="numpy")
def signbit(a):
    return np.signbit(a)


@njit(inline="always", error_model="numpy")
def sigmoid(a):
    e = exp(-abs(a))  # never overflows
    return where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@njit(inline="always", error_model="numpy")
def softplus(a):
    return max(a, 0.0) + log1p(exp(-abs(a)))

'''

JIT = '@kernel(nogil=True, error_model="numpy")'
JIT_PARALLEL = '@kernel(nogil=True, error_model="numpy", parallel=True)'

# Reads of operand X inside a flat loop, by layout letter: full size, or a single element.
_READ = {"v": "{x} = {X}[i]", "s": "{x} = {X}[0]"}

_ND_STEP = '''\
        d = nd - 1
        while d >= 0:
            idx[d] += 1
            ia += SA[d]
            ib += SB[d]
            if idx[d] < SHAPE[d]:
                break
            ia -= SA[d] * SHAPE[d]
            ib -= SB[d] * SHAPE[d]
            idx[d] = 0
            d -= 1
'''


def _is_passthrough(derivative):
    return derivative in ("1", "-1")


def _flat_loop(name, params, reads, body, parallel, size="OUT0"):
    loop = "prange" if parallel else "range"
    lines = [JIT_PARALLEL if parallel else JIT, f"def {name}({', '.join(params)}):",
             f"    for i in {loop}({size}.size):"]
    lines += [f"        {r}" for r in reads] + [f"        {b}" for b in body]
    return "\n".join(lines) + "\n"


def _unary_source(spec):
    parts = [PRELUDE]
    for parallel, suffix in ((False, ""), (True, "_par")):
        parts.append(_flat_loop("fwd" + suffix, ["A", "OUT0"], ["a = A[i]"],
                                [f"OUT0[i] = {spec.value}"], parallel))
        if spec.derivative is not None and not _is_passthrough(spec.derivative):
            saved = [n for n in ("a", "y") if formulas.uses(spec.derivative, n)]
            params = [n.upper() for n in saved] + ["G", "OUT0"]
            reads = [f"{n} = {n.upper()}[i]" for n in saved]
            parts.append(_flat_loop("bwd" + suffix, params, reads,
                                    [f"OUT0[i] = G[i] * ({spec.derivative})"], parallel))
            # In place into G (a donated gradient): a loop writing the array it reads
            # vectorises, while one whose output merely aliases an input does not.
            parts.append(_flat_loop("bwd_inplace" + suffix, params[:-1], reads,
                                    [f"G[i] = G[i] * ({spec.derivative})"], parallel, "G"))
    return "\n\n".join(parts)


def binary_saved(spec, needs):
    """Names among a, b, y whose values the backward kernel for ``needs`` reads."""
    exprs = [getattr(spec, "derivative_" + n) for n in needs]
    return [n for n in ("a", "b", "y") if any(formulas.uses(e, n) for e in exprs)]


def _summing_gradient(spec, needs, layout, saved, reads):
    """bwd_<needs>_<layout> where an operand in ``needs`` is a single element (layout sv or
    vs): its gradient is the sum of g * d/dn over the output, added in order from zero in a
    register, each partial sum rounded to the gradient's dtype, so that it has the bits of
    the nd kernel's ``OUT[0] += ...`` without its store and load per element (0.21 against
    0.83 ms for 250,000 float64 elements)."""
    params = [n.upper() for n in saved] + ["G"] + [f"OUT{k}" for k in range(len(needs))]
    lines = [JIT, f"def bwd_{needs}_{layout}({', '.join(params)}):"]
    summed = [k for k, n in enumerate(needs) if layout["ab".index(n)] == "s"]
    for k in summed:
        lines += [f"    OUT{k}[0] = 0", f"    total{k} = OUT{k}[0]"]
    lines += ["    for i in range(G.size):"] + [f"        {r}" for r in reads]
    lines.append("        g = G[i]")
    for k, n in enumerate(needs):
        term = f"g * ({getattr(spec, 'derivative_' + n)})"
        lines.append(f"        total{k} = OUT{k}.dtype.type(total{k} + {term})" if k in summed
                     else f"        OUT{k}[i] = {term}")
    lines += [f"    OUT{k}[0] = total{k}" for k in summed]
    return "\n".join(lines) + "\n"


def _binary_source(spec):
    parts = [PRELUDE]
    for layout in ("vv", "sv", "vs"):
        reads = [_READ[layout[0]].format(x="a", X="A"), _READ[layout[1]].format(x="b", X="B")]
        for parallel, suffix in ((False, ""), (True, "_par")):
            parts.append(_flat_loop(f"fwd_{layout}{suffix}", ["A", "B", "OUT0"], reads,
                                    [f"OUT0[i] = {spec.value}"], parallel))
    parts.append(f'''{JIT}
def fwd_nd(A, SA, B, SB, SHAPE, OUT0):
    nd = SHAPE.size
    idx = np.zeros(nd, np.int64)
    ia = 0
    ib = 0
    for i in range(OUT0.size):
        a = A[ia]
        b = B[ib]
        OUT0[i] = {spec.value}
{_ND_STEP}''')
    differentiable = [n for n in ("a", "b")
                      if getattr(spec, "derivative_" + n) not in (None, "1", "-1")]
    for needs in ("a", "b", "ab"):
        if not set(needs) <= set(differentiable):
            continue
        saved = binary_saved(spec, needs)
        grads = [f"OUT{k}" for k in range(len(needs))]
        for layout in ("vv", "sv", "vs"):
            reads = [_READ[layout["ab".index(n)] if n != "y" else "v"].format(x=n, X=n.upper())
                     for n in saved]
            if any(layout["ab".index(n)] == "s" for n in needs):
                parts.append(_summing_gradient(spec, needs, layout, saved, reads))
                continue
            body = [f"{g}[i] = G[i] * ({getattr(spec, 'derivative_' + n)})"
                    for g, n in zip(grads, needs)]
            params = [n.upper() for n in saved] + ["G"] + grads
            # In place: the last gradient goes into G (see _unary_source's bwd_inplace).
            in_place = [f"{out}[i] = g * ({getattr(spec, 'derivative_' + n)})"
                        for out, n in zip(grads[:-1] + ["G"], needs)]
            for parallel, suffix in ((False, ""), (True, "_par")):
                parts.append(_flat_loop(f"bwd_{needs}_{layout}{suffix}", params, reads, body,
                                        parallel))
                if layout == "vv":
                    parts.append(_flat_loop(f"bwd_{needs}_vv_inplace{suffix}", params[:-1],
                                            reads + ["g = G[i]"], in_place, parallel, "G"))
        index = {"a": "ia", "b": "ib", "y": "i"}
        reads = "\n".join(f"        {n} = {n.upper()}[{index[n]}]" for n in saved)
        body = "\n".join(f"        {g}[{index[n]}] += g * ({getattr(spec, 'derivative_' + n)})"
                         for g, n in zip(grads, needs))
        params = ", ".join([n.upper() for n in saved if n != "y"] + ["SA", "SB", "SHAPE"]
                           + (["Y"] if "y" in saved else []) + ["G"] + grads)
        parts.append(f'''{JIT}
def bwd_{needs}_nd({params}):
    nd = SHAPE.size
    idx = np.zeros(nd, np.int64)
    ia = 0
    ib = 0
    for i in range(G.size):
{reads}
        g = G[i]
{body}
{_ND_STEP}''')
    return "\n\n".join(parts)


def reverse_opcodes():
    """The differentiable elementwise primitives, in the opcode order of ``reverse``."""
    unary = [("unary", n) for n, spec in formulas.UNARY.items() if spec.derivative]
    binary = [("binary", n) for n, spec in formulas.BINARY.items()
              if spec.derivative_a or spec.derivative_b]
    return unary + binary


def _reverse_source():
    """One kernel running a whole reverse pass over elementwise records of one width.

    P holds a row per record, last record last: (opcode, output slot, slot a, slot b,
    need) with need bit 1 for a, bit 2 for b. V holds every tensor's value as a row (single
    elements broadcast along it), G the gradients, zero-initialised; T marks the slots a
    gradient reached. A single-element tensor's gradient is its row's sum, done by the caller."""
    branches = []
    for code, (kind, name) in enumerate(reverse_opcodes()):
        if kind == "unary":
            spec = formulas.UNARY[name]
            reads = ["a = V[ka, i]"]
            updates = [("1", "ka", spec.derivative)]
        else:
            spec = formulas.BINARY[name]
            reads = ["a = V[ka, i]", "b = V[kb, i]"]
            updates = [(bit, slot, d) for bit, slot, d in
                       (("1", "ka", spec.derivative_a), ("2", "kb", spec.derivative_b)) if d]
        body = [f"        {'if' if code == 0 else 'elif'} code == {code}:  # {name}",
                "            for i in range(n):"]
        body += [f"                {r}" for r in reads]
        body += ["                y = V[o, i]", "                g = G[o, i]"]
        body += [f"                if need & {bit}:\n"
                 f"                    G[{slot}, i] += g * ({d})" for bit, slot, d in updates]
        branches.append("\n".join(body))
    return PRELUDE + f'''

{JIT}
def reverse(P, V, G, T):
    n = V.shape[1]
    for r in range(P.shape[0] - 1, -1, -1):
        code = P[r, 0]
        o = P[r, 1]
        if not T[o]:
            continue
        ka = P[r, 2]
        kb = P[r, 3]
        need = P[r, 4]
{chr(10).join(branches)}
        if need & 1:
            T[ka] = True
        if need & 2:
            T[kb] = True
'''


_lock = threading.Lock()
_modules = {}


def _load(kind, name, source_of):
    """The generated module of one primitive, run from its verified file in the kernel cache
    folder (see kernels.cache: rewritten when it differs from ``source_of()``)."""
    key = (kind, name)
    module = _modules.get(key)
    if module is not None:
        return module
    from . import cache  # on first use: import autotape stays cheap

    with _lock:
        if key not in _modules:
            _modules[key] = cache.generated_module(f"{kind}_{name}", source_of())
        return _modules[key]


def unary(name):
    """The kernels of unary primitive ``name``: fwd(A, OUT0), bwd(saved..., G, OUT0), *_par."""
    spec = formulas.UNARY[name]
    return _load("unary", name, lambda: _unary_source(spec))


def reverse_interpreter():
    """The module holding ``reverse`` (see _reverse_source)."""
    return _load("reverse", "interpreter", _reverse_source)


def binary(name):
    """The kernels of binary primitive ``name`` (see the module docstring for layouts)."""
    spec = formulas.BINARY[name]
    return _load("binary", name, lambda: _binary_source(spec))
