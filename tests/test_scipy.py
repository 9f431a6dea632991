"""at.scipy: scipy.special's ufuncs through NumPy's protocol and its other functions, the
stats distributions and scipy.linalg's solves and expm. SciPy's own result is the oracle
for every value; gradients against central finite differences in float64, to third order
for the special functions; and the clear ImportError without SciPy."""

import sys

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats

import autotape as at
from gradcheck import assert_close
from numpy_oracle import F32, F64, compare, sample

DTYPES = [F64, F32]
POSITIVE = np.abs(sample((3, 4), 1))  # in [0.3, 1.7)
UNIT = POSITIVE / 2  # in (0, 1)
REAL = sample((3, 4), 2)

UNARY = [  # (name, domain)
    ("gammaln", POSITIVE), ("gamma", POSITIVE), ("digamma", POSITIVE), ("psi", POSITIVE),
    ("erf", REAL), ("erfc", REAL), ("erfinv", UNIT * 1.6 - 0.8), ("erfcinv", UNIT * 1.6 + 0.2),
    ("expit", REAL), ("logit", UNIT), ("ndtr", REAL), ("ndtri", UNIT), ("log_ndtr", REAL * 3),
    ("i0", REAL), ("i1", REAL), ("i0e", REAL), ("i1e", REAL),
]
BINARY = [("xlogy", REAL, POSITIVE), ("xlog1py", REAL, UNIT), ("beta", POSITIVE, POSITIVE[0]),
          ("betaln", POSITIVE, POSITIVE[:, :1])]
# Differentiable in their last argument only (the others are constants here).
INCOMPLETE = [("gammainc", (POSITIVE[0] + 1,), POSITIVE), ("gammaincc", (2.5,), POSITIVE),
              ("betainc", (2.5, POSITIVE[:, :1]), UNIT), ("stdtr", (3.5,), REAL)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, domain", UNARY)
def test_special_ufuncs_through_numpys_protocol(name, domain, dtype):
    f = getattr(scipy.special, name)
    compare(f, [domain], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, a, b", BINARY)
def test_binary_special_ufuncs(name, a, b, dtype):
    compare(getattr(scipy.special, name), [a, b], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, constants, x", INCOMPLETE)
def test_incomplete_gamma_beta_and_t_distribution_functions(name, constants, x, dtype):
    f = getattr(scipy.special, name)
    constants = [np.asarray(c, dtype) for c in constants]
    compare(lambda u: f(*constants, u), [x], dtype)
    at.testing.check_gradients(lambda u: getattr(at.scipy.special, name)(*constants, u),
                               at.constant(x[0].astype(F64)), order=2)


@pytest.mark.parametrize("name, domain", [(n, d) for n, d in UNARY if n != "psi"])
def test_special_third_order(name, domain):
    f = getattr(at.scipy.special, name)
    at.testing.check_gradients(f, domain[0, :3], order=3)


@pytest.mark.parametrize("name, a, b", BINARY)
def test_binary_special_second_order(name, a, b):
    f = getattr(at.scipy.special, name)
    at.testing.check_gradients(f, a[0, :3], b.reshape(-1)[:3], order=2)


def test_special_boundaries():
    x = at.constant([0.0, 1.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(scipy.special.i1(x)) + at.reduce_sum(scipy.special.i1e(x))
    assert_close(tape.gradient(y, x).numpy()[0], 1.0)  # i1'(0) = i1e'(0) = 1/2
    # x log y is 0 at x == 0 whatever y: its y-derivative is 0, not 0 / 0
    a, b = at.constant(0.0), at.constant(0.0)
    with at.GradientTape() as tape:
        tape.watch([a, b])
        y = scipy.special.xlogy(a, b)
    assert y.numpy() == 0 and tape.gradient(y, b).numpy() == 0


def test_polygamma_logsumexp_softmax():
    compare(lambda a: at.scipy.special.polygamma(2, a) if isinstance(a, at.Tensor)
            else scipy.special.polygamma(2, a), [POSITIVE])
    at.testing.check_gradients(lambda a: at.scipy.special.polygamma(1, a), POSITIVE[0], order=2)
    with pytest.raises(ValueError, match="polygamma: the order n must be an integer"):
        at.scipy.special.polygamma(1.5, 1.0)
    S = at.scipy.special
    pairs = [
        (lambda a: S.logsumexp(a), scipy.special.logsumexp),
        (lambda a: S.logsumexp(a, axis=1, keepdims=True),
         lambda a: scipy.special.logsumexp(a, axis=1, keepdims=True)),
        (lambda a: S.logsumexp(a, axis=0, b=POSITIVE[:, :1]),
         lambda a: scipy.special.logsumexp(a, axis=0, b=POSITIVE[:, :1])),
        (lambda a: S.logsumexp(a, axis=1, b=REAL, return_sign=True)[0],
         lambda a: scipy.special.logsumexp(a, axis=1, b=REAL, return_sign=True)[0]),
        (lambda a: S.softmax(a), scipy.special.softmax),
        (lambda a: S.softmax(a, axis=0), lambda a: scipy.special.softmax(a, axis=0)),
        (lambda a: S.log_softmax(a, axis=-1), lambda a: scipy.special.log_softmax(a, axis=-1)),
    ]
    for ours, theirs in pairs:
        compare(lambda a: ours(a) if isinstance(a, at.Tensor) else theirs(a), [REAL])
    sign = S.logsumexp(REAL, axis=1, b=REAL, return_sign=True)[1]
    assert np.array_equal(sign.numpy(), scipy.special.logsumexp(REAL, 1, b=REAL,
                                                                return_sign=True)[1])


def test_logsumexp_closed_forms_and_stability():
    # d/da logsumexp(a) = softmax(a); with b, b * exp(a - y); no overflow at 1000
    a = np.array([[1000.0, 1000.0, 999.0], [-3.0, 0.5, 2.0]])
    b = np.array([1.0, 2.0, 0.5])
    x = at.constant(a)
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = at.scipy.special.logsumexp(x, axis=1)
        yb = at.scipy.special.logsumexp(x, axis=1, b=b)
    e = np.exp(a - a.max(1, keepdims=True))
    assert_close(y.numpy(), a.max(1) + np.log(e.sum(1)), rtol=1e-15)
    assert_close(tape.gradient(y, x).numpy(), e / e.sum(1, keepdims=True), rtol=1e-14)
    assert_close(tape.gradient(yb, x).numpy(), b * e / (b * e).sum(1, keepdims=True),
                 rtol=1e-14)

def _both(ours, theirs):
    return lambda *a: ours(*a) if isinstance(a[0], at.Tensor) else theirs(*a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"])
def test_norm(name, dtype):
    compare(_both(getattr(at.scipy.stats.norm, name), getattr(scipy.stats.norm, name)),
            [REAL, REAL[0], POSITIVE[1]], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_other_distributions(dtype):
    S, T = at.scipy.stats, scipy.stats
    compare(_both(S.norm.ppf, T.norm.ppf), [UNIT, REAL[0]], dtype)
    for name in ("logpdf", "pdf"):
        compare(_both(getattr(S.t, name), getattr(T.t, name)),
                [REAL, POSITIVE + 1, REAL[0], POSITIVE[1]], dtype)
        compare(_both(lambda x, a, s: getattr(S.gamma, name)(x, a, scale=s),
                      lambda x, a, s: getattr(T.gamma, name)(x, a, scale=s)),
                [POSITIVE, POSITIVE + 1, POSITIVE[1]], dtype)
        compare(_both(getattr(S.beta, name), getattr(T.beta, name)),
                [UNIT, POSITIVE + 1, POSITIVE[0] + 1], dtype)
    k = np.array([0.0, 1.0, 3.0], dtype)
    compare(_both(lambda mu: S.poisson.logpmf(k, mu), lambda mu: T.poisson.logpmf(k, mu)),
            [POSITIVE[0, :3] + 1], dtype)



@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["cdf", "logcdf"])
def test_distribution_functions(name, dtype):
    """Differentiable in x, loc, scale (and Poisson's mu); the shape parameters are
    constants here (their gradients raise: see the next test)."""
    S, T = at.scipy.stats, scipy.stats
    df, a, b = (POSITIVE[0] + 1).astype(dtype), (POSITIVE + 1).astype(dtype), dtype(2.5)
    compare(_both(lambda x, loc, s: getattr(S.t, name)(x, df, loc, s),
                  lambda x, loc, s: getattr(T.t, name)(x, df, loc, s)),
            [REAL, REAL[0], POSITIVE[1]], dtype)
    compare(_both(lambda x, s: getattr(S.gamma, name)(x, a, scale=s),
                  lambda x, s: getattr(T.gamma, name)(x, a, scale=s)),
            [POSITIVE, POSITIVE[1]], dtype)
    compare(_both(lambda x: getattr(S.beta, name)(x, a, b),
                  lambda x: getattr(T.beta, name)(x, a, b)), [UNIT], dtype)
    k = np.array([0.0, 1.0, 3.5], dtype)
    compare(_both(lambda mu: getattr(S.poisson, name)(k, mu),
                  lambda mu: getattr(T.poisson, name)(k, mu)), [POSITIVE[0, :3] + 1], dtype)


def test_distribution_functions_outside_the_support_and_shape_gradients():
    S, T = at.scipy.stats, scipy.stats
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert_close(S.gamma.cdf(x, 2.0).numpy(), T.gamma.cdf(x, 2.0), rtol=1e-12)
    assert_close(S.beta.cdf(x, 2.0, 3.0).numpy(), T.beta.cdf(x, 2.0, 3.0), rtol=1e-12)
    assert_close(S.poisson.cdf(x * 2, 1.5).numpy(), T.poisson.cdf(x * 2, 1.5), rtol=1e-12)
    at.testing.check_gradients(lambda u: S.gamma.cdf(u, 2.5), at.constant([0.4, 1.3]),
                               order=2)
    at.testing.check_gradients(lambda u: S.t.cdf(u, 4.0), at.constant([-0.4, 1.3]), order=2)
    shape = at.constant(2.0)
    for f in (lambda: S.gamma.cdf(x, shape), lambda: S.t.cdf(x, shape),
              lambda: S.beta.cdf(x, 2.0, shape)):
        with at.GradientTape() as tape:
            tape.watch(shape)
            y = at.reduce_sum(f())
        with pytest.raises(NotImplementedError, match="the derivative with respect to "
                                                      "argument [01] is not implemented"):
            tape.gradient(y, shape)
    k = at.constant([0.0, 2.0])
    with at.GradientTape() as tape:  # a step function of k: no gradient, and no error
        tape.watch(k)
        y = at.reduce_sum(S.poisson.cdf(k, 1.5))
    assert tape.gradient(y, k) is None

def test_outside_the_support():
    S, T = at.scipy.stats, scipy.stats
    x = np.array([-1.0, 0.5, 2.0])
    assert_close(S.gamma.logpdf(x, 2.0).numpy(), T.gamma.logpdf(x, 2.0))
    assert_close(S.beta.pdf(x, 2.0, 3.0).numpy(), T.beta.pdf(x, 2.0, 3.0))
    k = np.array([0.0, 1.0, 3.0, 2.5, -1.0])
    assert_close(S.poisson.logpmf(k, 2.0).numpy(), T.poisson.logpmf(k, 2.0))
    shape = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch(shape)
        y = at.reduce_sum(S.gamma.pdf(x, shape))
    assert np.isfinite(tape.gradient(y, shape).numpy())  # outside: 0, no NaN


def test_multivariate_normal():
    S, T = at.scipy.stats.multivariate_normal, scipy.stats.multivariate_normal
    m = sample((3, 3), 3)
    cov, points = m @ m.T + np.eye(3), sample((5, 3), 4)
    symmetric = lambda c: (c + np.transpose(c)) / 2  # noqa: E731  (one triangle is read)
    compare(lambda p, mu, c: S.logpdf(p, mu, symmetric(c)) if isinstance(p, at.Tensor)
            else T.logpdf(p, mu, symmetric(c)), [points, points[0], cov])
    compare(lambda p, mu, c: S.pdf(p, mu, symmetric(c)) if isinstance(p, at.Tensor)
            else T.pdf(p, mu, symmetric(c)), [points[0], points[1], cov])
    compare(_both(lambda p: S.logpdf(p, cov=np.array([1.0, 2.0, 0.5]), mean=np.zeros(3)),
                  lambda p: T.logpdf(p, cov=np.array([1.0, 2.0, 0.5]), mean=np.zeros(3))),
            [points])
    assert_close(S.logpdf(np.array([1.0, 2.0])).numpy(), T.logpdf(np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="multivariate_normal: points of shape"):
        S.logpdf(np.ones((2, 4)), np.zeros(3), cov)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scipy_linalg(dtype):
    L, SL = at.scipy.linalg, scipy.linalg
    a, b = sample((3, 3), 5) + 3 * np.eye(3), sample((3, 2), 6)
    spd = a @ a.T
    symmetric = lambda c: (c + np.transpose(c)) / 2  # noqa: E731  (one triangle is read)
    for lower in (False, True):
        for trans in (0, "T"):
            compare(_both(lambda m, r: L.solve_triangular(m, r, trans=trans, lower=lower),
                          lambda m, r: SL.solve_triangular(m, r, trans=trans, lower=lower)),
                    [a, b], dtype)
        compare(_both(lambda m, r: L.solve_triangular(m, r, lower=lower, unit_diagonal=True),
                      lambda m, r: SL.solve_triangular(m, r, lower=lower, unit_diagonal=True)),
                [a, b[:, 0]], dtype)
        compare(_both(lambda c, r: L.cho_solve(L.cho_factor(symmetric(c), lower=lower), r),
                      lambda c, r: SL.cho_solve(SL.cho_factor(symmetric(c), lower=lower), r)),
                [spd, b], dtype)
    c, lower = L.cho_factor(spd)
    assert lower is False and np.allclose(np.tril(c.numpy(), -1), 0)
    assert_close(np.triu(c.numpy()), np.triu(SL.cho_factor(spd)[0]), rtol=1e-12)
    compare(_both(L.expm, SL.expm), [a / 3], dtype)
    with pytest.raises(ValueError, match="solve_triangular: trans must be"):
        L.solve_triangular(a, b, trans=3)


def test_without_scipy_the_error_says_what_to_install(monkeypatch):
    from autotape.ops import matrix_functions, special

    for module in ("scipy", "scipy.special", "scipy.linalg"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails
    special.scipy_special.cache_clear()
    matrix_functions._scipy_expm.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"need SciPy: pip install scipy"):
            at.scipy.special.gammaln(1.5)
        with pytest.raises(ImportError, match=r"expm: .*needs SciPy \(pip install scipy\)"):
            at.linalg.expm(np.eye(2))
        assert np.asarray(at.scipy.special.logsumexp(np.zeros(2))) == np.log(2.0)
    finally:
        special.scipy_special.cache_clear()
        matrix_functions._scipy_expm.cache_clear()


def test_inside_a_tape_function():
    def f(x):
        return at.reduce_sum(scipy.special.gammaln(x) + at.scipy.stats.norm.logcdf(x)) \
            + at.scipy.special.logsumexp(x)

    compiled = at.value_and_grad(at.tape_function(f))
    for seed in (7, 8):
        x = at.constant(np.abs(sample((4,), seed)))
        value, grad = at.value_and_grad(f)(x)
        got_value, got_grad = compiled(x)
        assert_close(got_value.numpy(), value.numpy(), rtol=1e-12)
        assert_close(got_grad.numpy(), grad.numpy(), rtol=1e-12)
    assert compiled.cache_info().compiled_calls == 1
    assert "SpecialFunction" in compiled.explain()


def test_scipys_python_functions_on_tensors_warn_that_the_gradient_stops():
    """scipy.special.polygamma and scipy.linalg's functions convert their arguments to
    arrays (they are not ufuncs): on a recorded Tensor that warns, as the API reference
    says, instead of giving a silent zero; the at.scipy names are differentiated."""
    x = at.constant(np.array([[2.0, 0.5], [0.25, 3.0]]))
    with at.GradientTape() as tape:
        tape.watch(x)
        with pytest.warns(UserWarning, match="cuts the gradient"):
            scipy.special.polygamma(1, x)
        with pytest.warns(UserWarning, match="cuts the gradient"):
            scipy.linalg.expm(x)
        y = at.reduce_sum(at.scipy.special.polygamma(1, x)) + at.reduce_sum(
            at.scipy.linalg.expm(x))
    assert np.all(tape.gradient(y, x).numpy() != 0)
