"""kernels.vecmath: vectorisable exp, expm1, log, log1p, sin, cos, tanh for Numba loops.

Accuracy against NumPy (in float64, and in long double where that is wider, which gives
the true error), IEEE special values, float32 inputs, symmetry, callers compiled with
``fastmath=True``, and that the loops really vectorise. Every kernel is one loop computing
all seven functions, so the module compiles only a handful of Numba functions.
"""

import functools
import platform
import re

import numpy as np
import pytest
from numba import njit

from autotape.kernels import vecmath as vm

NAMES = ("exp", "expm1", "log", "log1p", "sin", "cos", "tanh")
LONG_DOUBLE_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def _all_functions(**flags):
    # Numba's default error_model="python" on purpose: no ZeroDivisionError may escape.
    @njit(**flags)
    def run(x, out):
        for i in range(x.size):
            a = x[i]
            out[0, i] = vm.vexp(a)
            out[1, i] = vm.vexpm1(a)
            out[2, i] = vm.vlog(a)
            out[3, i] = vm.vlog1p(a)
            out[4, i] = vm.vsin(a)
            out[5, i] = vm.vcos(a)
            out[6, i] = vm.vtanh(a)

    return run


@functools.cache
def _kernel(fastmath=False):
    return _all_functions(fastmath=True) if fastmath else _all_functions()


def evaluate(x, fastmath=False, out_dtype=None):
    """{name: vm.v<name>(x)} computed in one Numba loop over x (any float dtype)."""
    x = np.ascontiguousarray(x)
    out = np.empty((len(NAMES), x.size), out_dtype or np.float64)
    _kernel(fastmath)(x, out)
    return dict(zip(NAMES, out))


def numpy_ref(name, x, dtype=np.float64):
    with np.errstate(all="ignore"):
        return getattr(np, name)(np.asarray(x, dtype))


def ulp_error(got, ref):
    """|got - ref| in units of the float64 ulp at ref (ref may be long double); equal -> 0."""
    ref64 = np.asarray(ref).astype(np.float64)
    with np.errstate(all="ignore"):
        ulp = np.spacing(np.abs(ref64)).astype(np.asarray(ref).dtype)
        err = np.abs(np.asarray(got, np.asarray(ref).dtype) - ref) / ulp
    same = (got == ref64) | (np.isnan(got) & np.isnan(ref64))
    return np.where(same, 0.0, err.astype(np.float64))


def _loguniform(rng, lo, hi, n, signed=False):
    x = 10.0 ** rng.uniform(lo, hi, n)
    return x * rng.choice([-1.0, 1.0], n) if signed else x


def _samples():
    rng = np.random.default_rng(20240611)
    n = 40_000
    u = rng.uniform
    return {
        "exp": [u(-1, 1, n), u(-745.2, 709.8, n), u(-745.14, -708, n),
                _loguniform(rng, -320, 0, n, True)],
        "expm1": [u(-1, 1, n), u(-50, 709.8, n), _loguniform(rng, -320, 0, n, True)],
        "log": [u(0.5, 2, n), u(0.99, 1.01, n), _loguniform(rng, -323, 308, n)],
        "log1p": [u(-1, 1, n), _loguniform(rng, -320, 0, n, True), _loguniform(rng, -320, 308, n)],
        "sin": [u(-10, 10, n), u(-1.6e6, 1.6e6, n), _loguniform(rng, -320, 300, n, True),
                np.arange(1, n + 1) * (np.pi / 2)],  # near multiples of pi/2: tiny results
        "tanh": [u(-1, 1, n), u(0.6, 0.7, n), u(-25, 25, n), _loguniform(rng, -320, 3, n, True)],
    }


SAMPLES = _samples()
SAMPLES["cos"] = SAMPLES["sin"]


@pytest.fixture(scope="module")
def results():
    return {name: [evaluate(x)[name] for x in xs] for name, xs in SAMPLES.items()}


@pytest.mark.parametrize("name", NAMES)
def test_matches_numpy_float64(name, results):
    for x, got in zip(SAMPLES[name], results[name]):
        ref = numpy_ref(name, x)
        err = ulp_error(got, ref)
        worst = int(np.argmax(err))
        assert err.max() <= 2.0, (name, x[worst], got[worst], ref[worst], err.max())
        finite = np.isfinite(ref) & (ref != 0)
        rel = np.abs(got[finite] - ref[finite]) / np.abs(ref[finite])
        # ~2 ulp (NumPy's own error included); subnormal results excepted
        big = np.abs(ref[finite]) >= 2.3e-308
        assert rel[big].max(initial=0) <= 4.5e-16, (name, rel.max())


@pytest.mark.skipif(not LONG_DOUBLE_IS_WIDER, reason="long double is float64 here")
@pytest.mark.parametrize("name", NAMES)
def test_true_error_against_long_double(name, results):
    # NumPy in long double (64-bit or 113-bit mantissa) is a near-exact reference.
    for x, got in zip(SAMPLES[name], results[name]):
        err = ulp_error(got, numpy_ref(name, x, np.longdouble))
        worst = int(np.argmax(err))
        assert err.max() <= 1.5, (name, x[worst], got[worst], err.max())


INF, NAN = np.inf, np.nan
TINY = 5e-324  # smallest subnormal
SPECIAL = {
    "exp": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, 0.0), (NAN, NAN), (TINY, 1.0),
            (-TINY, 1.0), (1e-300, 1.0), (709.782712893384, 1.7976931348622732e308),
            (709.7827128933841, INF), (710.0, INF), (1e300, INF), (-745.1332191019411, TINY),
            (-745.1332191019412, 0.0), (-746.0, 0.0), (-1e300, 0.0)],
    "expm1": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -1.0), (NAN, NAN), (TINY, TINY),
              (-TINY, -TINY), (1e-300, 1e-300), (-1e-300, -1e-300), (710.0, INF),
              (-40.0, -1.0), (-1e300, -1.0)],
    "log": [(0.0, -INF), (-0.0, -INF), (1.0, 0.0), (INF, INF), (-INF, NAN), (-1.0, NAN),
            (-TINY, NAN), (NAN, NAN), (TINY, -744.4400719213812),
            (2.2250738585072014e-308, -708.3964185322641),
            (1.7976931348623157e308, 709.782712893384)],
    "log1p": [(0.0, 0.0), (-0.0, -0.0), (-1.0, -INF), (-2.0, NAN), (INF, INF), (-INF, NAN),
              (NAN, NAN), (TINY, TINY), (-TINY, -TINY), (1e-300, 1e-300), (-1e-300, -1e-300),
              (1.7976931348623157e308, 709.782712893384)],
    "sin": [(0.0, 0.0), (-0.0, -0.0), (INF, NAN), (-INF, NAN), (NAN, NAN), (TINY, TINY),
            (-TINY, -TINY), (1e-300, 1e-300), (1e-10, 1e-10), (1e22, -0.8522008497671888)],
    "cos": [(0.0, 1.0), (-0.0, 1.0), (INF, NAN), (-INF, NAN), (NAN, NAN), (TINY, 1.0),
            (1e-10, 1.0), (1e22, 0.523214785395139)],
    "tanh": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (TINY, TINY),
             (-TINY, -TINY), (1e-300, 1e-300), (1e-10, 1e-10), (-1e-10, -1e-10),
             (19.0, 0.9999999999999999), (20.0, 1.0), (-20.0, -1.0), (1e300, 1.0)],
}


@pytest.mark.parametrize("name", NAMES)
def test_special_values(name):
    x = np.array([a for a, _ in SPECIAL[name]])
    want = np.array([b for _, b in SPECIAL[name]])
    got = evaluate(x)[name]
    for a, g, w in zip(x, got, want):
        if np.isnan(w):
            assert np.isnan(g), (name, a, g)
        else:  # exact, sign of zero included
            assert g == w and np.signbit(g) == np.signbit(w), (name, a, g, w)


def test_huge_trig_arguments_use_the_c_library():
    x = np.array([1.6e6, 1.7e6, 1e22, 1e300, -1e300, 1.7976931348623157e308, 123.0])
    got = evaluate(x)
    for name in ("sin", "cos"):
        assert ulp_error(got[name], numpy_ref(name, x)).max() <= 1.0, name


def test_exp_subnormal_results():
    x = np.linspace(-745.2, -708.0, 20_001)
    got = evaluate(x)["exp"]
    assert np.any((got > 0) & (got < 2.2250738585072014e-308))
    assert ulp_error(got, numpy_ref("exp", x)).max() <= 1.0


@pytest.mark.parametrize("odd, name", [(True, "sin"), (False, "cos"), (True, "tanh")])
def test_symmetry(odd, name):
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(0, 10, 2000), rng.uniform(0, 1e6, 2000), [0.0, 2e6, 1e300]])
    pos, neg = evaluate(x)[name], evaluate(-x)[name]
    expected = -pos if odd else pos
    assert np.array_equal(neg, expected), name  # bit for bit, sign of zero included
    assert np.array_equal(np.signbit(neg), np.signbit(expected))


def test_float32_inputs():
    rng = np.random.default_rng(3)
    x32 = np.concatenate([rng.standard_normal(20_000) * 3, rng.uniform(0, 80, 20_000),
                          [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38]]).astype(np.float32)
    got = evaluate(x32, out_dtype=np.float32)  # float32 in, computed in float64, stored as float32
    x64 = x32.astype(np.float64)
    for name in NAMES:
        ref = numpy_ref(name, x64).astype(np.float32)  # NumPy in float64, rounded once
        g = got[name]
        same = (g == ref) | (np.isnan(g) & np.isnan(ref))
        with np.errstate(all="ignore"):
            ulps = np.abs(g.astype(np.float64) - ref) / np.spacing(np.abs(ref)).astype(np.float64)
        assert np.all(same | (ulps <= 1.0)), name


def test_scalar_calls():
    # Outside a vectorised loop, including the C-library path for large arguments.
    @njit
    def f(a):
        return vm.vsin(a)

    for a in (np.float32(0.75), 0.75, np.float32(2e6), 2e6, 1e300):
        got = f(a)
        assert isinstance(got, float)
        assert ulp_error(np.array([got]), np.sin(np.array([a], np.float64))).max() <= 1.0, a


def test_fastmath_caller_keeps_accuracy_on_finite_values():
    # The error-free transformations inside must survive Numba's fast-math flags.
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-20, 20, 20_000), rng.uniform(-1e5, 1e5, 20_000)])
    got = evaluate(x, fastmath=True)
    for name in NAMES:
        ref = numpy_ref(name, x)
        ok = np.isfinite(ref) & (np.abs(ref) > 1e-300)
        assert ulp_error(got[name][ok], ref[ok]).max() <= 2.0, name


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="checks x86 assembly")
@pytest.mark.parametrize("name", ["exp", "sin"])
def test_loop_vectorises(name):
    f = getattr(vm, "v" + name)

    @njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    x = np.linspace(-3, 3, 64)
    out = np.empty_like(x)
    loop(x, out)
    assert ulp_error(out, numpy_ref(name, x)).max() <= 1.0
    asm = loop.inspect_asm(loop.signatures[0])
    # packed double-precision arithmetic (SSE2 mulpd or AVX vmulpd / vfmadd...pd)
    assert re.search(r"\b(v?mulpd|vfn?m(add|sub)\w*pd)\b", asm), "loop did not vectorise"
    if name == "sin":  # the rare C-library path goes through a masked vector variant
        assert re.search(r"autotape_vecmath_slow_sin_v\d+", asm)
