"""Vectorisable scalar versions of exp, expm1, log, log1p, sin, cos and tanh.

Numba compiles ``math.exp`` and friends to calls into the C library, one element at a
time, so a loop over them cannot use SIMD instructions. The functions here are written
branch-free (selects instead of branches, bit tricks instead of int<->float conversions,
no calls) so that LLVM's loop vectoriser turns a loop such as::

    @njit
    def kernel(x, out):
        for i in range(x.size):
            out[i] = vexp(x[i])

into AVX2/AVX-512/NEON code. Each function takes a float32 or float64 (integers work too),
computes in float64 and returns a float64, with IEEE results for +-0, +-inf, nan,
subnormals, overflow and underflow. Measured maximum errors (2M-point samples per range
over the whole float64 domain, against NumPy evaluated in long double): exp 0.82 ulp,
expm1 1.11, log 0.82, log1p 0.80, sin 0.78, cos 0.77, tanh 1.15.

Implementation notes:

* Everything is ``inline="always"``: Numba inlines the body into the caller's IR, so it is
  compiled with the *caller's* flags. No flag is needed: the code vectorises without
  ``fastmath``. It also keeps its accuracy inside ``fastmath=True`` callers (see
  ``_make_strict``), where only the handling of inf and nan inputs is lost to the
  caller's ``nnan``/``ninf``.
* Divisions go through ``_fdiv`` (a bare ``fdiv``) so that callers compiled with Numba's
  default ``error_model="python"`` get no ZeroDivisionError check, which would stop the
  loop from vectorising.
* No int <-> float conversions (AVX2 has no packed int64 <-> float64 conversion): rounding
  to an integer and back uses the x + 1.5 * 2**52 trick, and 2**k is built from bits.
* Polynomials use ``llvm.fmuladd``: a fused multiply-add where the target has one (the
  host CPU, which is what Numba compiles for), a multiply and an add elsewhere. The error
  bounds hold either way.
* sin and cos reduce the argument with a branch-free Cody-Waite reduction that is exact
  for ``|x| <= 1.6e6``; larger arguments (and inf) go to the C library. That call is made
  through a function that carries a ``vector-function-abi-variant`` attribute naming masked
  vector versions of itself, so the loop vectoriser keeps vectorising: the vector version
  returns at once when no lane needs the slow path (the common case) and calls the C
  library lane by lane otherwise (see ``_slow_function``).

The polynomial coefficients of the sin/cos kernels and of log are those of FreeBSD's
msun (fdlibm, Copyright (C) 1993 by Sun Microsystems, "Permission to use, copy, modify,
and distribute this software is freely granted, provided that this notice is
preserved"); the tanh rational function is Cephes' (Stephen L. Moshier).
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["vexp", "vexpm1", "vlog", "vlog1p", "vsin", "vcos", "vtanh"]

_F64 = ir.DoubleType()
_NO_FAST = ("afn",)  # see _make_strict
_I64 = ir.IntType(64)


# --------------------------------------------------------------------------- intrinsics

@intrinsic
def _as_int64(typingctx, x):
    """The bits of a float64 as an int64 (a bitcast, no conversion)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], _I64)

    return types.int64(types.float64), codegen


@intrinsic
def _as_float64(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], _F64)

    return types.float64(types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c, fused if the target has a fast FMA (``llvm.fmuladd``)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(_F64, [_F64, _F64, _F64])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.fmuladd.f64")
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def _fdiv(typingctx, a, b):
    """a / b, IEEE (no ZeroDivisionError check, whatever the caller's error model)."""
    if not (a == b == types.float64):
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1], flags=_NO_FAST)

    return types.float64(types.float64, types.float64), codegen


def _make_strict(op):
    @intrinsic
    def strict(typingctx, a, b):
        if not (a == b == types.float64):
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, op)(args[0], args[1], flags=_NO_FAST)

        return types.float64(types.float64, types.float64), codegen

    return strict


# IEEE operations that keep their meaning inside a ``fastmath=True`` caller: error-free
# transformations such as (a + b) - a and the x + 2**52 rounding trick must not be
# reassociated away. Numba's fastmath pass adds its flags to every floating-point operation
# that has none, so these carry ``afn`` (approximate *functions*: no effect on an add).
_add = _make_strict("fadd")
_sub = _make_strict("fsub")
_mul = _make_strict("fmul")


@njit(inline="always", error_model="numpy")
def _two_sum(a, b):
    """(s, e) with s = fl(a + b) and s + e == a + b exactly (Knuth)."""
    s = _add(a, b)
    bb = _sub(s, a)
    return s, _add(_sub(a, _sub(s, bb)), _sub(b, bb))


@njit(inline="always", error_model="numpy")
def _fast_two_sum(a, b):
    """(s, e) with s = fl(a + b) and s + e == a + b exactly, if |a| >= |b| (Dekker)."""
    s = _add(a, b)
    return s, _sub(b, _sub(s, a))


# Vector widths for which masked vector variants of the slow calls are provided.
_VECTOR_WIDTHS = (2, 4, 8, 16)


def _slow_function(module, name, llvm_intrinsic):
    """Get or define, in ``module``, the scalar fallback ``name`` and its vector variants.

    ``name(x)`` calls ``llvm_intrinsic`` (``llvm.sin.f64``, which becomes a C library
    call). It is ``noinline`` and not ``speculatable``, and its attribute
    ``vector-function-abi-variant`` tells the loop vectoriser that ``name_vN(x, mask)``
    computes it for N lanes at once, for the lanes set in ``mask``. The loop vectoriser
    can then vectorise a loop that calls ``name`` under a rarely true condition, calling
    ``name_vN`` with that condition as the mask; the variant returns immediately when the
    mask is all false. Without it, the loop vectoriser either refuses the call or, for
    the intrinsic itself, calls the C library on every lane of every vector.

    The definitions are ``weak_odr`` so that every Numba module can carry its own copy
    (the linker keeps one) and no optimisation pass deletes the variants, which nothing
    references until the loop vectoriser runs.
    """
    try:
        return module.get_global(name)
    except KeyError:
        pass
    fnty = ir.FunctionType(_F64, [_F64])
    intr = cgutils.get_or_insert_function(module, fnty, llvm_intrinsic)
    mappings = []
    for width in _VECTOR_WIDTHS:
        vty = ir.VectorType(_F64, width)
        mty = ir.VectorType(ir.IntType(1), width)
        vname = f"{name}_v{width}"
        vfn = ir.Function(module, ir.FunctionType(vty, [vty, mty]), vname)
        vfn.linkage = "weak_odr"
        vfn.attributes.add("noinline")
        vfn.attributes.add("nounwind")
        entry, slow, done = (vfn.append_basic_block(b) for b in ("entry", "slow", "done"))
        b = ir.IRBuilder(entry)
        bits = b.bitcast(vfn.args[1], ir.IntType(width))
        b.cbranch(b.icmp_unsigned("!=", bits, ir.Constant(ir.IntType(width), 0)), slow, done)
        b = ir.IRBuilder(slow)
        acc = vfn.args[0]
        for lane in range(width):  # rare path: every lane, active or not
            idx = ir.Constant(ir.IntType(32), lane)
            acc = b.insert_element(acc, b.call(intr, [b.extract_element(vfn.args[0], idx)]), idx)
        b.branch(done)
        b = ir.IRBuilder(done)
        phi = b.phi(vty)
        phi.add_incoming(vfn.args[0], entry)
        phi.add_incoming(acc, slow)
        b.ret(phi)
        mappings.append(f"_ZGV_LLVM_M{width}v_{name}({vname})")
    fn = ir.Function(module, fnty, name)
    fn.linkage = "weak_odr"
    for attr in ("noinline", "nounwind", "readnone"):
        fn.attributes.add(attr)
    # llvmlite only knows keyword attributes; a string attribute is printed verbatim.
    set.add(fn.attributes, '"vector-function-abi-variant"="%s"' % ",".join(mappings))
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.ret(b.call(intr, fn.args))
    return fn


def _make_slow(name, llvm_intrinsic):
    @intrinsic
    def slow(typingctx, x):
        if x != types.float64:
            return None

        def codegen(context, builder, sig, args):
            return builder.call(_slow_function(builder.module, name, llvm_intrinsic), args)

        return types.float64(types.float64), codegen

    return slow


_slow_sin = _make_slow("autotape_vecmath_slow_sin", "llvm.sin.f64")
_slow_cos = _make_slow("autotape_vecmath_slow_cos", "llvm.cos.f64")


# ---------------------------------------------------------------------------- constants

_INF = math.inf
_NAN = math.nan
_SHIFT = float.fromhex("0x1.8p52")  # x + _SHIFT - _SHIFT rounds x to an integer (|x| < 2**51)
_SHIFT_BITS = 0x4338000000000000  # its bits: _as_int64(n + _SHIFT) - _SHIFT_BITS == n
_INV_LN2 = float.fromhex("0x1.71547652b82fep0")
_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # 32 bits: k * _LN2_HI is exact for |k| < 2**21
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_TWO_M54 = float.fromhex("0x1p-54")
_TWO_P54 = float.fromhex("0x1p54")
_MIN_NORMAL = float.fromhex("0x1p-1022")
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # bits of sqrt(2)/2

# exp(r) - 1 - r = r*r * q(r) on |r| <= ln(2)/2: minimax polynomial of degree 10 (Remez,
# computed with mpmath; approximation error 1.4e-18, i.e. < 0.01 ulp of exp).
_Q0, _Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8, _Q9, _Q10 = (float.fromhex(h) for h in (
    "0x1.0000000000000p-1", "0x1.5555555555557p-3", "0x1.5555555555558p-5",
    "0x1.11111111100dfp-7", "0x1.6c16c16c15201p-10", "0x1.a01a01abe6501p-13",
    "0x1.a01a01acf8ef2p-16", "0x1.71de0236f77dcp-19", "0x1.27e4ccd26ebffp-22",
    "0x1.af4dde3396716p-26", "0x1.1f8b44c44e29dp-29"))

# pi/2 in four pieces; the first three have 33 bits, so j * piece is exact for |j| < 2**20.
_INV_PIO2 = float.fromhex("0x1.45f306dc9c883p-1")
_PIO2_1 = float.fromhex("0x1.921fb54400000p0")
_PIO2_2 = float.fromhex("0x1.0b4611a600000p-34")
_PIO2_3 = float.fromhex("0x1.3198a2e000000p-69")
_PIO2_3T = float.fromhex("0x1.b839a252049c1p-104")
_TRIG_FAST_MAX = 1.6e6  # |x| * 2/pi < 2**20 below this
_TRIG_TINY = float.fromhex("0x1p-27")  # sin(x) rounds to x below this

# fdlibm __kernel_sin / __kernel_cos on [-pi/4, pi/4]
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11

# fdlibm log: log(1+f) = 2 atanh(s), s = f / (2 + f)
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01

# Cephes tanh on |x| < 0.625: x + x**3 P(x**2) / Q(x**2)
_TP0 = -9.64399179425052238628e-1
_TP1 = -9.92877231001918586564e1
_TP2 = -1.61468768441708447952e3
_TQ1 = 1.12811678491632931402e2
_TQ2 = 2.23548839060100448583e3
_TQ3 = 4.84406305325125486048e3


# ---------------------------------------------------------------------- exp and expm1

@njit(inline="always", error_model="numpy")
def _exp_reduce(x):
    """x = k ln2 + r + rc, |r| <= ~ln2/2: (bits of k + _SHIFT, r, rc), for |x| < ~2**50.

    r + rc is the reduced argument to about 2**-100 relative.
    """
    kd = _fma(x, _INV_LN2, _SHIFT)
    k = _sub(kd, _SHIFT)  # rint(x / ln2)
    hi = _fma(k, -_LN2_HI, x)  # exact
    r, rc = _fast_two_sum(hi, _mul(k, -_LN2_LO))
    return _as_int64(kd), r, rc


@njit(inline="always", error_model="numpy")
def _exp_q(r):
    """q(r) = (exp(r) - 1 - r) / r**2 for |r| <= ~ln(2)/2 (Estrin's scheme)."""
    r2 = _mul(r, r)
    r4 = _mul(r2, r2)
    b0 = _fma(r2, _fma(r, _Q3, _Q2), _fma(r, _Q1, _Q0))
    b1 = _fma(r2, _fma(r, _Q7, _Q6), _fma(r, _Q5, _Q4))
    b2 = _fma(r2, _Q10, _fma(r, _Q9, _Q8))
    return _fma(_mul(r4, r4), b2, _fma(r4, b1, b0))


@njit(inline="always", error_model="numpy")
def _expm1_tail(r, rc):
    """exp(r + rc) - 1 - r for |r| <= ~ln(2)/2, |rc| <= ulp(r)."""
    # exp(r + rc) - 1 = expm1(r) + rc exp(r), and rc exp(r) ~ rc (1 + r)
    return _fma(_mul(r, r), _exp_q(r), _fma(rc, r, rc))


@njit(inline="always", error_model="numpy")
def _pow2(kbits):
    """2**k for -1022 <= k <= 1023, k read from the low 12 bits of kbits (k, or k + _SHIFT)."""
    return _as_float64((kbits + 1023) << 52)


@njit(inline="always", error_model="numpy")
def vexp(x):
    """exp(x), vectorisable. Error < 1 ulp; IEEE overflow, underflow and subnormal results."""
    x = np.float64(x)
    # Clamp so that 2**k stays representable in two factors; nan passes through.
    x = 710.0 if x > 710.0 else x
    x = -750.0 if x < -750.0 else x
    # As _exp_reduce, without the correction rc (|rc| <= 2**-54 changes exp by < 0.25 ulp)
    kd = _fma(x, _INV_LN2, _SHIFT)
    kbits = _as_int64(kd)
    k = _sub(kd, _SHIFT)
    r = _fma(k, -_LN2_LO, _fma(k, -_LN2_HI, x))
    hi, lo = _fast_two_sum(1.0, r)  # 1 + r kept exactly
    p = _add(hi, _add(lo, _mul(_mul(r, r), _exp_q(r))))
    # 2**k in two factors, so that k = 1024 does not overflow and a subnormal result is
    # rounded once (p * 2**k1 is exact, the second product rounds).
    k1 = (kbits - _SHIFT_BITS) >> 1
    return _mul(_mul(p, _pow2(k1)), _pow2(kbits - k1))


@njit(inline="always", error_model="numpy")
def vexpm1(x):
    """exp(x) - 1, vectorisable, accurate near 0. Error < 1.2 ulp."""
    x = np.float64(x)
    xc = 710.0 if x > 710.0 else x
    xc = -45.0 if xc < -45.0 else xc  # expm1(-45) rounds to -1
    kbits, r, rc = _exp_reduce(xc)
    # expm1(x) = 2**k (1 + r + t) - 1 = 2 ((s - 1/2) + s r + s t) with s = 2**(k-1): s - 1/2
    # and s r are exact and their sum is kept exactly; k = 0 gives r + t, and k = 1024 does
    # not overflow before the last product.
    s = _pow2(kbits - 1)
    hi, lo = _two_sum(_sub(s, 0.5), _mul(s, r))
    y = _mul(2.0, _add(hi, _fma(s, _expm1_tail(r, rc), lo)))
    return x if abs(x) < _TWO_M54 else y  # -0.0 and subnormals: x itself


# ---------------------------------------------------------------------- log and log1p

@njit(inline="always", error_model="numpy")
def _split_log(u):
    """u = m * 2**k with sqrt(2)/2 <= m < sqrt(2), for positive normal u: (k as float, m)."""
    ub = _as_int64(u)
    kb = (ub - _SQRT_HALF_BITS) >> 52
    m = _as_float64(ub - (kb << 52))
    k = _sub(_as_float64(_SHIFT_BITS + kb), _SHIFT)  # int -> float without cvtsi2sd
    return k, m


@njit(inline="always", error_model="numpy")
def _log_kernel(f, k, c):
    """log(1 + f) + k log(2) + c for sqrt(2)/2 - 1 <= f < sqrt(2) - 1, c tiny (fdlibm)."""
    s = _fdiv(f, _add(2.0, f))
    z = _mul(s, s)
    w = _mul(z, z)
    t1 = _mul(w, _fma(w, _fma(w, _LG6, _LG4), _LG2))
    t2 = _mul(z, _fma(w, _fma(w, _fma(w, _LG7, _LG5), _LG3), _LG1))
    hfsq = _mul(_mul(0.5, f), f)
    # k ln2_hi - ((hfsq - (s (hfsq + R) + (k ln2_lo + c))) - f)
    tail = _add(_mul(s, _add(hfsq, _add(t2, t1))), _fma(k, _LN2_LO, c))
    return _sub(_mul(k, _LN2_HI), _sub(_sub(hfsq, tail), f))


@njit(inline="always", error_model="numpy")
def vlog(x):
    """Natural logarithm, vectorisable. Error < 1 ulp."""
    x = np.float64(x)
    sub = x < _MIN_NORMAL
    u = _mul(x, _TWO_P54) if sub else x  # subnormals (garbage for x <= 0, replaced below)
    k, m = _split_log(u)
    k = _sub(k, 54.0) if sub else k
    y = _log_kernel(_sub(m, 1.0), k, 0.0)
    y = y if x < _INF else x + x  # inf -> inf, nan -> nan
    y = -_INF if x == 0.0 else y
    return _NAN if x < 0.0 else y


@njit(inline="always", error_model="numpy")
def vlog1p(x):
    """log(1 + x), vectorisable, accurate near 0. Error < 1 ulp."""
    x = np.float64(x)
    u = _add(1.0, x)
    k, m = _split_log(u)
    # c = 1 + x - u exactly (Fast2Sum, larger operand first); log(1 + x) ~ log(u) + c / u.
    # Where k == 0, f = x exactly and no correction is needed.
    c = _sub(1.0, _sub(u, x)) if x > 1.0 else _sub(x, _sub(u, 1.0))
    zero = k == 0.0
    f = x if zero else _sub(m, 1.0)
    c = 0.0 if zero else _fdiv(c, u)
    y = _log_kernel(f, k, c)
    y = x if abs(x) < _TWO_M54 else y  # -0.0 and subnormals: x itself
    y = y if x < _INF else x + x
    y = -_INF if x == -1.0 else y
    return _NAN if x < -1.0 else y


# ---------------------------------------------------------------------------- sin, cos

@njit(inline="always", error_model="numpy")
def _trig_reduce(x):
    """x = j pi/2 + hi + lo, |hi| <= ~pi/4: (bits with j in the low bits, hi, lo).

    Branch-free Cody-Waite reduction, valid for |x| <= _TRIG_FAST_MAX, with pi/2 to 160
    bits: j * _PIO2_{1,2,3} are exact and the subtractions are tracked as a double-double,
    so hi + lo is accurate to ~2**-100 relative even for x within 2**-60 of a multiple of
    pi/2.
    """
    jd = _fma(x, _INV_PIO2, _SHIFT)
    j = _sub(jd, _SHIFT)  # rint(x * 2/pi)
    r1 = _sub(x, _mul(j, _PIO2_1))  # exact
    # Fast2Sum is exact here even where |r1| < |j * _PIO2_2|: r2 is then exact.
    r2, e2 = _fast_two_sum(r1, -_mul(j, _PIO2_2))
    r3, e3 = _two_sum(r2, -_mul(j, _PIO2_3))
    lo = _sub(_add(e2, e3), _mul(j, _PIO2_3T))
    hi, lo = _fast_two_sum(r3, lo)
    return _as_int64(jd), hi, lo


@njit(inline="always", error_model="numpy")
def _sin_kernel(x, y):
    """sin(x + y) for |x| <= ~pi/4, |y| <= ulp(x) (fdlibm __kernel_sin)."""
    z = _mul(x, x)
    w = _mul(z, z)
    r = _fma(_mul(z, w), _fma(z, _S6, _S5), _fma(z, _fma(z, _S4, _S3), _S2))
    v = _mul(z, x)
    # x - ((z (y/2 - v r) - y) - v S1)
    return _sub(x, _sub(_sub(_mul(z, _sub(_mul(0.5, y), _mul(v, r))), y), _mul(v, _S1)))


@njit(inline="always", error_model="numpy")
def _cos_kernel(x, y):
    """cos(x + y) for |x| <= ~pi/4, |y| <= ulp(x) (fdlibm __kernel_cos)."""
    z = _mul(x, x)
    w = _mul(z, z)
    r = _fma(_mul(w, w), _fma(z, _fma(z, _C6, _C5), _C4),
             _mul(z, _fma(z, _fma(z, _C3, _C2), _C1)))
    hz = _mul(0.5, z)
    w = _sub(1.0, hz)
    # w + (((1 - w) - hz) + (z r - x y))
    return _add(w, _add(_sub(_sub(1.0, w), hz), _sub(_mul(z, r), _mul(x, y))))


@njit(inline="always", error_model="numpy")
def _sin_quadrant(q, hi, lo):
    """sin(q pi/2 + hi + lo), q read from its two low bits."""
    s = _sin_kernel(hi, lo)
    c = _cos_kernel(hi, lo)
    y = c if q & 1 else s
    return -y if q & 2 else y


@njit(inline="always", error_model="numpy")
def vsin(x):
    """sin(x), vectorisable. Error < 1 ulp; |x| > 1.6e6 is handed to the C library."""
    x = np.float64(x)
    jbits, hi, lo = _trig_reduce(x)
    y = _sin_quadrant(jbits, hi, lo)
    ax = abs(x)
    y = x if ax < _TRIG_TINY else y  # -0.0, subnormals: x itself
    if ax > _TRIG_FAST_MAX:  # rare: large or infinite x; see _slow_function
        y = _slow_sin(x)
    return y


@njit(inline="always", error_model="numpy")
def vcos(x):
    """cos(x), vectorisable. Error < 1 ulp; |x| > 1.6e6 is handed to the C library."""
    x = np.float64(x)
    jbits, hi, lo = _trig_reduce(x)
    y = _sin_quadrant(jbits + 1, hi, lo)  # cos(x) = sin(x + pi/2)
    if abs(x) > _TRIG_FAST_MAX:
        y = _slow_cos(x)
    return y


# ------------------------------------------------------------------------------- tanh

@njit(inline="always", error_model="numpy")
def vtanh(x):
    """tanh(x), vectorisable. Error < ~1.2 ulp; odd, x itself near 0, saturates to +-1."""
    x = np.float64(x)
    ax = abs(x)
    # |x| < 0.625: ax + ax**3 P / Q (Cephes). Else 1 - 2 / (exp(2 ax) + 1). One division.
    z = _mul(ax, ax)
    num = _mul(_mul(ax, z), _fma(z, _fma(z, _TP0, _TP1), _TP2))
    den = _fma(z, _fma(z, _add(z, _TQ1), _TQ2), _TQ3)
    a = 20.0 if ax > 20.0 else ax  # tanh(20) rounds to 1
    kbits, r, rc = _exp_reduce(_add(a, a))
    # exp(2 a) + 1 = (s + 1) + s r + s t with s = 2**k, with a single rounding for the sum of
    # the first two, so that the denominator is accurate to ~0.5 ulp.
    s = _pow2(kbits)
    hi, lo = _two_sum(_add(s, 1.0), _mul(s, r))
    e1 = _add(hi, _fma(s, _expm1_tail(r, rc), lo))
    small = ax < 0.625
    base = ax if small else 1.0
    num = num if small else -2.0
    den = den if small else e1
    return math.copysign(_add(base, _fdiv(num, den)), x)
