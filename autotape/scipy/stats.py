"""``at.scipy.stats``: log-densities, densities and distribution functions with SciPy's
signatures (``loc``, ``scale``), as JAX's ``jax.scipy.stats``. Outside a distribution's
support the log-density is -inf (the density 0) with a zero gradient, as in SciPy's values.
Everything is differentiable in every argument, but for the distribution functions of t,
gamma and beta in their shape parameters (df, a, b): asking for those gradients raises
NotImplementedError (the incomplete gamma and beta functions' derivatives there have no
closed form)."""

import math
import types

import numpy as np

from .. import ops
from ..ops import special
from ..tensor import as_tensor

__all__ = ["beta", "gamma", "multivariate_normal", "norm", "poisson", "t"]

_LOG_2PI = math.log(2 * math.pi)


def _floats(*values):
    """The values as tensors of one float dtype: their common one (Python numbers take the
    others' dtype), float64 for integers."""
    tensors = [as_tensor(v) for v in values]
    typed = [t.dtype for t, v in zip(tensors, values) if not isinstance(v, (int, float))]
    dtype = np.result_type(*typed) if typed else np.dtype(np.float64)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    return [t if t.dtype == dtype else ops.cast(t, dtype) for t in tensors]


def _standardized(x, loc, scale):
    x, loc, scale = _floats(x, loc, scale)
    return (x - loc) / scale, scale


def _within(support, log_density):
    """``log_density`` where ``support`` holds, else -inf. ``log_density`` is a function of
    a mask: it must keep its own arguments finite where the mask is false."""
    return ops.where(support, log_density(support), -np.inf)


def _both(p, q):
    return ops.where(p, q, False)


def _namespace(name, **functions):
    for function_name, function in functions.items():
        function.__name__ = function.__qualname__ = f"{name}.{function_name}"
    return types.SimpleNamespace(**functions)


def _exp_of(log_function):
    return lambda *args, **kwargs: ops.exp(log_function(*args, **kwargs))


# --- normal ------------------------------------------------------------------------------------
def _norm_logpdf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return -0.5 * z * z - ops.log(scale) - 0.5 * _LOG_2PI


def _norm_cdf(x, loc=0, scale=1):
    return special.ndtr(_standardized(x, loc, scale)[0])


def _norm_logcdf(x, loc=0, scale=1):
    return special.log_ndtr(_standardized(x, loc, scale)[0])


def _norm_sf(x, loc=0, scale=1):
    return special.ndtr(-_standardized(x, loc, scale)[0])


def _norm_logsf(x, loc=0, scale=1):
    return special.log_ndtr(-_standardized(x, loc, scale)[0])


def _norm_ppf(q, loc=0, scale=1):
    q, loc, scale = _floats(q, loc, scale)
    return loc + scale * special.ndtri(q)


norm = _namespace("norm", logpdf=_norm_logpdf, pdf=_exp_of(_norm_logpdf), cdf=_norm_cdf,
                  logcdf=_norm_logcdf, sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf)


# --- Student's t ---------------------------------------------------------------------------------
def _t_logpdf(x, df, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    (df,) = _floats(df)
    half = (df + 1) / 2
    return (special.gammaln(half) - special.gammaln(df / 2) - 0.5 * ops.log(df * math.pi)
            - ops.log(scale) - half * ops.log1p(z * z / df))


def _t_cdf(x, df, loc=0, scale=1):
    z, _ = _standardized(x, loc, scale)
    (df,) = _floats(df)
    return special.stdtr(df, z)


def _log_of(function):
    return lambda *args, **kwargs: ops.log(function(*args, **kwargs))


t = _namespace("t", logpdf=_t_logpdf, pdf=_exp_of(_t_logpdf), cdf=_t_cdf,
               logcdf=_log_of(_t_cdf))


# --- gamma -----------------------------------------------------------------------------------------
def _gamma_logpdf(x, a, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    (a,) = _floats(a)

    def log_density(inside):
        u = ops.where(inside, z, 1.0)
        return special.xlogy(a - 1, u) - u - special.gammaln(a) - ops.log(scale)
    return _within(ops.greater_equal(z, 0), log_density)


def _gamma_cdf(x, a, loc=0, scale=1):
    z, _ = _standardized(x, loc, scale)
    (a,) = _floats(a)
    inside = ops.greater_equal(z, 0)
    return ops.where(inside, special.gammainc(a, ops.where(inside, z, 1.0)), 0.0)


gamma = _namespace("gamma", logpdf=_gamma_logpdf, pdf=_exp_of(_gamma_logpdf), cdf=_gamma_cdf,
                   logcdf=_log_of(_gamma_cdf))


# --- beta ------------------------------------------------------------------------------------------
def _beta_logpdf(x, a, b, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    a, b = _floats(a, b)

    def log_density(inside):
        u = ops.where(inside, z, 0.5)
        return (special.xlogy(a - 1, u) + special.xlog1py(b - 1, -u) - special.betaln(a, b)
                - ops.log(scale))
    return _within(_both(ops.greater_equal(z, 0), ops.less_equal(z, 1)), log_density)


def _beta_cdf(x, a, b, loc=0, scale=1):
    z, _ = _standardized(x, loc, scale)
    a, b = _floats(a, b)
    inside = _both(ops.greater(z, 0), ops.less(z, 1))
    outside = ops.cast(ops.greater(z, 0), z.dtype)  # 0 below the support, 1 above it
    return ops.where(inside, special.betainc(a, b, ops.where(inside, z, 0.5)), outside)


beta = _namespace("beta", logpdf=_beta_logpdf, pdf=_exp_of(_beta_logpdf), cdf=_beta_cdf,
                  logcdf=_log_of(_beta_cdf))


# --- Poisson ---------------------------------------------------------------------------------------
def _poisson_logpmf(k, mu, loc=0):
    k, mu, loc = _floats(k, mu, loc)
    count = k - loc

    def log_mass(inside):
        n = ops.where(inside, count, 0.0)
        return special.xlogy(n, mu) - special.gammaln(n + 1) - mu
    return _within(_both(ops.greater_equal(count, 0), ops.equal(count, ops.floor(count))),
                   log_mass)


def _poisson_cdf(k, mu, loc=0):
    """P(K <= k) = Q(floor(k - loc) + 1, mu), the upper regularized incomplete gamma: its
    derivative in mu is minus the mass at floor(k - loc); in k it is 0 (a step function)."""
    k, mu, loc = _floats(k, mu, loc)
    n = ops.stop_gradient(ops.floor(k - loc))
    inside = ops.greater_equal(n, 0)
    return ops.where(inside, special.gammaincc(ops.where(inside, n, 0.0) + 1, mu), 0.0)


poisson = _namespace("poisson", logpmf=_poisson_logpmf, pmf=_exp_of(_poisson_logpmf),
                     cdf=_poisson_cdf, logcdf=_log_of(_poisson_cdf))


# --- multivariate normal ---------------------------------------------------------------------------
def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    """As SciPy: the dimension d comes from mean or cov (a matrix, a vector of variances or
    one variance); x holds points (..., d), or one point, or (d == 1) numbers; the result
    has x's leading shape with axes of length 1 squeezed, as SciPy's."""
    from ..ops import lapack
    from ..ops.indexing import getitem

    if allow_singular:
        raise NotImplementedError("multivariate_normal: allow_singular=True is not supported")
    x, cov = _floats(x, cov)
    mean = None if mean is None else _floats(mean)[0]
    d = mean.size if mean is not None else cov.shape[0] if cov.ndim else 1
    if cov.ndim < 2:
        cov = cov * np.eye(d, dtype=cov.dtype)  # variances on the diagonal
    if cov.shape != (d, d):
        raise ValueError(f"multivariate_normal: cov of shape {cov.shape} does not fit "
                         f"dimension {d}")
    if x.ndim == 0 or (x.ndim == 1 and d == 1):
        x = ops.reshape(x, (-1, 1))
    if x.shape[-1] != d:
        raise ValueError(f"multivariate_normal: points of shape {x.shape} are not of "
                         f"dimension {d}")
    deviation = x if mean is None else x - ops.reshape(mean, (d,))
    chol = lapack.cholesky(cov)
    z = lapack.triangular_solve(chol, ops.transpose(ops.reshape(deviation, (-1, d))),
                                lower=True)
    log_diagonal = ops.log(getitem(chol, (np.arange(d), np.arange(d))))
    result = (-0.5 * ops.reduce_sum(z * z, 0) - ops.reduce_sum(log_diagonal)
              - 0.5 * d * _LOG_2PI)
    return ops.squeeze(ops.reshape(result, deviation.shape[:-1]))


multivariate_normal = _namespace("multivariate_normal", logpdf=_mvn_logpdf,
                                 pdf=_exp_of(_mvn_logpdf))
