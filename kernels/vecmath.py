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
computes in float64 and returns a float64. Accuracy is within about 1-2 ulp of a correctly
rounded result over the whole float64 range, special values included (IEEE results for
+-0, +-inf, nan, subnormals, overflow and underflow).

Implementation notes:

* Everything is ``inline="always"``: Numba inlines the body into the caller's IR, so the
  code is compiled with the *caller's* flags. No flag is required: the code vectorises
  without ``fastmath``, and does not depend on it. (``fastmath=True`` callers get
  ``nnan``/``ninf`` semantics from Numba, which this module cannot protect against.)
* Divisions go through ``_fdiv`` (a bare ``fdiv``) so that callers compiled with Numba's
  default ``error_model="python"`` do not get a ZeroDivisionError check, which would stop
  the loop from vectorising.
* Polynomials use ``llvm.fmuladd``: a fused multiply-add where the target has one (the
  host CPU, which is what Numba compiles for), a multiply and an add elsewhere. The error
  bounds hold either way.
* sin and cos reduce the argument with a branch-free Cody-Waite reduction that is exact
  for ``|x| <= 1.6e6``; larger arguments (and inf) go to the C library. That call is made
  through a function that carries a ``vector-function-abi-variant`` attribute naming masked
  vector versions of itself, so the loop vectoriser keeps vectorising: the vector version
  returns at once when no lane needs the slow path (the common case) and calls the C
  library lane by lane otherwise.

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
    """a / b with IEEE semantics and no ZeroDivisionError check, whatever the error model."""
    if not (a == b == types.float64):
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


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

# exp(r) - 1 - r = r*r * q(r), q(r) = sum r**i / (i + 2)!, i = 0..11; |r| <= ln(2)/2
_E2, _E3, _E4, _E5, _E6, _E7 = (1.0 / math.factorial(i) for i in range(2, 8))
_E8, _E9, _E10, _E11, _E12, _E13 = (1.0 / math.factorial(i) for i in range(8, 14))

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
    """x = k ln2 + r, |r| <= ln2/2 (plus rounding); returns (k as float, bits of k+_SHIFT, r, rc).

    r + rc is the reduced argument to about 2**-106 relative. |x| must be below ~2**50.
    """
    kd = _fma(x, _INV_LN2, _SHIFT)
    kbits = _as_int64(kd)
    k = kd - _SHIFT
    hi = x - k * _LN2_HI  # exact
    lo = k * _LN2_LO
    r = hi - lo
    rc = (hi - r) - lo
    return k, kbits, r, rc


@njit(inline="always", error_model="numpy")
def _expm1_tail(r, rc):
    """exp(r + rc) - 1 - r for |r| <= ~0.35, |rc| tiny (Taylor series to r**13, Estrin)."""
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a0 = _fma(r, _E3, _E2)
    a1 = _fma(r, _E5, _E4)
    a2 = _fma(r, _E7, _E6)
    a3 = _fma(r, _E9, _E8)
    a4 = _fma(r, _E11, _E10)
    a5 = _fma(r, _E13, _E12)
    b0 = _fma(r2, a1, a0)
    b1 = _fma(r2, a3, a2)
    b2 = _fma(r2, a5, a4)
    q = _fma(r8, b2, _fma(r4, b1, b0))
    # exp(r + rc) - 1 = expm1(r) + rc * exp(r), and rc * exp(r) ~ rc * (1 + r)
    return _fma(r2, q, _fma(rc, r, rc))


@njit(inline="always", error_model="numpy")
def _pow2(kbits):
    """2**k as float64 for -1022 <= k <= 1023, k read from the low bits of k + _SHIFT."""
    return _as_float64((kbits + 1023) << 52)


@njit(inline="always", error_model="numpy")
def vexp(x):
    """exp(x), vectorisable. Error < 1 ulp; exact IEEE overflow, underflow, subnormals."""
    x = np.float64(x)
    # Clamp so that 2**k stays representable in two factors; nan passes through.
    x = 710.0 if x > 710.0 else x
    x = -750.0 if x < -750.0 else x
    k, kbits, r, rc = _exp_reduce(x)
    t = _expm1_tail(r, rc)
    hi = 1.0 + r
    p = hi + (((1.0 - hi) + r) + t)  # 1 + r kept exactly (Fast2Sum)
    # 2**k in two factors, so that k = 1024 does not overflow and a subnormal result is
    # rounded once (p * 2**k1 is exact, the last product rounds).
    kb1 = (kbits - _SHIFT_BITS) >> 1
    return p * _pow2(kb1) * _pow2(kbits - kb1)


@njit(inline="always", error_model="numpy")
def vexpm1(x):
    """exp(x) - 1, vectorisable, accurate near 0 (vexpm1(1e-300) == 1e-300)."""
    x = np.float64(x)
    xc = 710.0 if x > 710.0 else x
    xc = -45.0 if xc < -45.0 else xc  # expm1(-45) rounds to -1
    k, kbits, r, rc = _exp_reduce(xc)
    t = _expm1_tail(r, rc)
    # expm1(x) = 2**k (1 + r + t) - 1 = 2 ((s - 1/2) + s r + s t) with s = 2**(k-1): s - 1/2
    # and s r are exact, their sum is kept exactly (TwoSum) and k = 1024 does not overflow
    # early. k = 0 gives r + t.
    s = _pow2(kbits - 1)
    a = s - 0.5
    b = s * r
    hi = a + b
    bb = hi - a
    lo = (a - (hi - bb)) + (b - bb)
    y = 2.0 * (hi + _fma(s, t, lo))
    # Keeps the sign of -0.0 and exact results for subnormals.
    return x if abs(x) < _TWO_M54 else y


# ---------------------------------------------------------------------- log and log1p

@njit(inline="always", error_model="numpy")
def _split_log(u):
    """u = m * 2**k with sqrt(2)/2 <= m < sqrt(2), for positive normal u: (k as float, m)."""
    ub = _as_int64(u)
    kb = (ub - _SQRT_HALF_BITS) >> 52
    m = _as_float64(ub - (kb << 52))
    k = _as_float64(_SHIFT_BITS + kb) - _SHIFT  # int -> float without cvtsi2sd
    return k, m


@njit(inline="always", error_model="numpy")
def _log_kernel(f, k, c):
    """log(1 + f) + k log(2) + c for sqrt(2)/2 - 1 <= f < sqrt(2) - 1, c tiny (fdlibm)."""
    s = _fdiv(f, 2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _fma(w, _fma(w, _LG6, _LG4), _LG2)
    t2 = z * _fma(w, _fma(w, _fma(w, _LG7, _LG5), _LG3), _LG1)
    R = t2 + t1
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + R) + (k * _LN2_LO + c))) - f)


@njit(inline="always", error_model="numpy")
def vlog(x):
    """Natural logarithm, vectorisable. Error < 1 ulp."""
    x = np.float64(x)
    sub = x < _MIN_NORMAL
    u = x * _TWO_P54 if sub else x  # subnormals (and garbage for x <= 0, fixed below)
    k, m = _split_log(u)
    k = k - 54.0 if sub else k
    y = _log_kernel(m - 1.0, k, 0.0)
    y = y if x < _INF else x + x  # inf -> inf, nan -> nan
    y = -_INF if x == 0.0 else y
    return _NAN if x < 0.0 else y


@njit(inline="always", error_model="numpy")
def vlog1p(x):
    """log(1 + x), vectorisable, accurate near 0."""
    x = np.float64(x)
    u = 1.0 + x
    k, m = _split_log(u)
    # u rounds 1 + x; c = 1 + x - u exactly (Fast2Sum, larger operand first) and c / u
    # corrects log(u) to log(1 + x). With k == 0, f = x exactly and no correction.
    c = 1.0 - (u - x) if x > 1.0 else x - (u - 1.0)
    c = _fdiv(c, u)
    zero = k == 0.0
    f = x if zero else m - 1.0
    c = 0.0 if zero else c
    y = _log_kernel(f, k, c)
    y = x if abs(x) < _TWO_M54 else y  # -0.0 and subnormals
    y = y if x < _INF else x + x
    y = -_INF if x == -1.0 else y
    return _NAN if x < -1.0 else y


# ---------------------------------------------------------------------------- sin, cos

@njit(inline="always", error_model="numpy")
def _trig_reduce(x):
    """x = j pi/2 + (hi + lo), |hi| <= ~pi/4, for |x| <= _TRIG_FAST_MAX: (bits with j, hi, lo).

    Branch-free Cody-Waite with pi/2 to 160 bits; j * _PIO2_{1,2,3} are exact and the
    subtractions are tracked as a double-double, so hi + lo is accurate to ~2**-100
    relative even where x is within 2**-60 of a multiple of pi/2.
    """
    jd = _fma(x, _INV_PIO2, _SHIFT)
    jbits = _as_int64(jd)  # low bits: j (two's complement)
    j = jd - _SHIFT
    r1 = x - j * _PIO2_1  # exact
    w = j * _PIO2_2  # exact
    r2 = r1 - w
    e2 = (r1 - r2) - w  # exact error (Fast2Sum; also right when r2 is exact)
    w = j * _PIO2_3  # exact
    r3 = r2 - w
    bb = r3 - r2  # TwoSum: |r2| may be below |w|
    e3 = (r2 - (r3 - bb)) - (w + bb)
    lo = (e2 + e3) - j * _PIO2_3T
    hi = r3 + lo
    lo = lo - (hi - r3)
    return jbits, hi, lo


@njit(inline="always", error_model="numpy")
def _sin_kernel(x, y):
    """sin(x + y) for |x| <= ~pi/4, |y| <= ulp(x) (fdlibm __kernel_sin)."""
    z = x * x
    w = z * z
    r = _fma(z, _fma(z, _S4, _S3), _S2) + z * w * _fma(z, _S6, _S5)
    v = z * x
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


@njit(inline="always", error_model="numpy")
def _cos_kernel(x, y):
    """cos(x + y) for |x| <= ~pi/4, |y| <= ulp(x) (fdlibm __kernel_cos)."""
    z = x * x
    w = z * z
    r = z * _fma(z, _fma(z, _C3, _C2), _C1) + w * w * _fma(z, _fma(z, _C6, _C5), _C4)
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


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
    y = x if ax < _TRIG_TINY else y  # -0.0, subnormals
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
    """tanh(x), vectorisable. Error ~1 ulp; odd, exact near 0, saturates to +-1."""
    x = np.float64(x)
    ax = abs(x)
    # |x| < 0.625: ax + ax**3 P / Q. Otherwise 1 - 2 / (exp(2 ax) + 1). One division.
    z = ax * ax
    p = ax * z * _fma(z, _fma(z, _TP0, _TP1), _TP2)
    q = _fma(z, _fma(z, z + _TQ1, _TQ2), _TQ3)
    a = 20.0 if ax > 20.0 else ax  # tanh(20) rounds to 1
    k, kbits, r, rc = _exp_reduce(a + a)
    # exp(2 a) + 1 = (s + 1) + s r + s t with s = 2**k: one rounding for the sum of the
    # first two (TwoSum), so that the denominator is accurate to ~0.5 ulp.
    s = _pow2(kbits)
    u = s + 1.0
    v = s * r
    hi = u + v
    bb = hi - u
    lo = (u - (hi - bb)) + (v - bb)
    e1 = hi + _fma(s, _expm1_tail(r, rc), lo)
    small = ax < 0.625
    base = ax if small else 1.0
    num = p if small else -2.0
    den = q if small else e1
    return math.copysign(base + _fdiv(num, den), x)
