"""gp: the gradient of a Gaussian process's negative log marginal likelihood, 500 points.

An RBF kernel on 500 points in 2-d, with three hyperparameters ``theta = (log amplitude,
log lengthscale, log noise)``::

    K = a**2 exp(-d2 / (2 l**2)) + s**2 I,   L = cholesky(K),   alpha = L^-1 y
    nll = alpha . alpha / 2 + sum(log diag(L)) + n log(2 pi) / 2

``d2``, the squared distances, is computed once outside; each variant returns the value and
its gradient with respect to ``theta`` (3 numbers). Every library calls LAPACK for the
Cholesky factor and triangular solves; the difference is the gradient's own work.
"""

import math

import numpy as np

from bench import autodiff
from bench.registry import Inputs, define_workload, seeded_rng

POINTS = 500
THETA = (0.3, -0.5, -1.5)


def build_inputs(quick: bool) -> Inputs:
    rng = seeded_rng()
    points = rng.uniform(-2.0, 2.0, (POINTS, 2))
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    y = np.sin(points[:, 0]) * np.cos(points[:, 1]) + 0.1 * rng.standard_normal(POINTS)
    return Inputs({"theta": np.array(THETA), "d2": d2, "y": y},
                  note=f"{POINTS} points in 2-d, theta = {THETA}")


workload = define_workload(
    "gp", f"GP negative log marginal likelihood and its gradient in 3 hyperparameters, "
          f"{POINTS} points (Cholesky, triangular solve)", build_inputs)

CONSTANT = 0.5 * POINTS * math.log(2.0 * math.pi)


def nll(theta, d2, y, *, exp, total, eye, cholesky, solve_lower, log_diagonal_sum):
    """The negative log marginal likelihood, from one library's operations."""
    amplitude2, lengthscale2, noise2 = exp(2.0 * theta[0]), exp(2.0 * theta[1]), exp(
        2.0 * theta[2])
    k = amplitude2 * exp(-0.5 * d2 / lengthscale2) + noise2 * eye
    chol = cholesky(k)
    alpha = solve_lower(chol, y)
    return 0.5 * total(alpha * alpha) + log_diagonal_sum(chol) + CONSTANT


def _autotape_nll(at, d2, y):
    diagonal = (np.arange(POINTS), np.arange(POINTS))
    d2, y, eye = at.constant(d2), at.constant(y[:, None]), at.constant(np.eye(POINTS))
    return lambda theta: nll(
        theta, d2, y, exp=at.exp, total=at.reduce_sum, eye=eye, cholesky=at.linalg.cholesky,
        solve_lower=lambda c, b: at.linalg.triangular_solve(c, b, lower=True),
        log_diagonal_sum=lambda c: at.reduce_sum(at.log(c[diagonal])))


@workload.variant("autotape")
def autotape(at, theta, d2, y):
    return autodiff.gradient_tape(at, _autotape_nll(at, d2, y), theta)


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(nll))")
def autotape_jit(at, theta, d2, y):
    return autodiff.tape_function_value_and_grad(at, _autotape_nll(at, d2, y), theta)


@workload.variant("jax", note="jax.jit(jax.value_and_grad(nll)), jax.scipy.linalg")
def jax(jax, theta, d2, y):
    import jax.numpy as jnp
    from jax.scipy.linalg import cholesky, solve_triangular

    d2, y, eye = jnp.asarray(d2), jnp.asarray(y), jnp.eye(POINTS)
    return autodiff.jax_value_and_grad(jax, lambda t: nll(
        t, d2, y, exp=jnp.exp, total=jnp.sum, eye=eye, cholesky=lambda k: cholesky(k, lower=True),
        solve_lower=lambda c, b: solve_triangular(c, b, lower=True),
        log_diagonal_sum=lambda c: jnp.log(jnp.diag(c)).sum()), theta)


@workload.variant("torch", note="torch.linalg.cholesky and solve_triangular, autograd.grad")
def torch(torch, theta, d2, y):
    d2, y = torch.from_numpy(d2), torch.from_numpy(y[:, None])
    eye = torch.eye(POINTS, dtype=torch.float64)
    return autodiff.torch_autograd(torch, lambda t: nll(
        t, d2, y, exp=torch.exp, total=torch.sum, eye=eye, cholesky=torch.linalg.cholesky,
        solve_lower=lambda c, b: torch.linalg.solve_triangular(c, b, upper=False),
        log_diagonal_sum=lambda c: torch.log(torch.diagonal(c)).sum()), theta)


@workload.variant("autograd", note="autograd.numpy.linalg.cholesky, autograd.scipy.linalg")
def autograd(autograd, theta, d2, y):
    import autograd.numpy as anp
    from autograd.scipy.linalg import solve_triangular

    eye = np.eye(POINTS)
    return autodiff.hips_autograd(autograd, lambda t: nll(
        t, d2, y, exp=anp.exp, total=anp.sum, eye=eye, cholesky=anp.linalg.cholesky,
        solve_lower=lambda c, b: solve_triangular(c, b, lower=True),
        log_diagonal_sum=lambda c: anp.sum(anp.log(anp.diag(c)))), theta)


@workload.variant("tensorflow")
def tensorflow(tf, theta, d2, y):
    d2, y = tf.constant(d2), tf.constant(y[:, None])
    eye = tf.eye(POINTS, dtype=tf.float64)
    return autodiff.gradient_tape(tf, lambda t: nll(
        t, d2, y, exp=tf.exp, total=tf.reduce_sum, eye=eye, cholesky=tf.linalg.cholesky,
        solve_lower=lambda c, b: tf.linalg.triangular_solve(c, b, lower=True),
        log_diagonal_sum=lambda c: tf.reduce_sum(tf.math.log(tf.linalg.diag_part(c)))), theta)
