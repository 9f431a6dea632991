"""hessian: the 100x100 Hessian of the 100-dimensional Rosenbrock function, float64.

``f(x) = sum(100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)`` at a fixed seeded point;
each variant returns the Hessian alone (the function's own second-derivative transform
where the library has one: reverse over reverse in autotape, torch and autograd, forward over
reverse in jax).
"""

import numpy as np

from bench.registry import Inputs, define_workload, seeded_rng

DIMENSION = 100


def rosenbrock(total, x):
    return total(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def build_inputs(quick: bool) -> Inputs:
    x = seeded_rng().uniform(-1.5, 1.5, DIMENSION)
    return Inputs({"x": x}, note=f"x: {DIMENSION} float64, uniform in [-1.5, 1.5)")


workload = define_workload(
    "hessian", f"{DIMENSION}x{DIMENSION} Hessian of the {DIMENSION}-dimensional Rosenbrock "
               "function", build_inputs)


def analytic_hessian(x):
    """The Rosenbrock Hessian (tridiagonal), in NumPy that Numba compiles (the ``numba``
    variant; the tests call it uncompiled)."""
    n = x.size
    hessian = np.zeros((n, n))
    for i in range(n - 1):
        hessian[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        hessian[i + 1, i + 1] += 200.0
        hessian[i, i + 1] = -400.0 * x[i]
        hessian[i + 1, i] = -400.0 * x[i]
    return hessian


@workload.variant("autotape", note="at.hessian(f): the Jacobian (one reverse pass per row) "
                                   "of at.grad(f)")
def autotape(at, x):
    hessian = at.hessian(lambda t: rosenbrock(at.reduce_sum, t))
    source = at.constant(x)
    return lambda: hessian(source)


@workload.variant("autotape_jit", note="at.hessian(at.tape_function(f)): the Hessian "
                                       "computation traced and compiled as one")
def autotape_jit(at, x):
    hessian = at.hessian(at.tape_function(lambda t: rosenbrock(at.reduce_sum, t)))
    source = at.constant(x)
    return lambda: hessian(source)


@workload.variant("numba", note="analytic tridiagonal Hessian in one @njit loop")
def numba(numba, x):
    hessian = numba.njit(analytic_hessian)
    return lambda: hessian(x)


@workload.variant("jax", note="jax.jit(jax.hessian(f)): forward over reverse")
def jax(jax, x):
    hessian = jax.jit(jax.hessian(lambda t: rosenbrock(jax.numpy.sum, t)))
    source = jax.numpy.asarray(x)
    return lambda: hessian(source)


@workload.variant("torch", note="torch.autograd.functional.hessian (one backward pass per row)")
def torch(torch, x):
    source = torch.from_numpy(x)
    return lambda: torch.autograd.functional.hessian(
        lambda t: rosenbrock(torch.sum, t), source)


@workload.variant("autograd")
def autograd(autograd, x):
    import autograd.numpy as anp

    hessian = autograd.hessian(lambda t: rosenbrock(anp.sum, t))
    return lambda: hessian(x)


@workload.variant("tensorflow", note="tape.jacobian of the gradient, in nested tapes")
def tensorflow(tf, x):
    source = tf.constant(x)

    def hessian():
        with tf.GradientTape() as outer:
            outer.watch(source)
            with tf.GradientTape() as inner:
                inner.watch(source)
                value = rosenbrock(tf.reduce_sum, source)
            gradient = inner.gradient(value, source)
        return outer.jacobian(gradient, source)

    return hessian
