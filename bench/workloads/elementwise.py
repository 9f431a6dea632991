"""elementwise: value and gradient of ``sum(sin(x)**2 * exp(-x*x) + tanh(x))`` on a large x."""

import math

import numpy as np

from bench import autodiff
from bench.registry import Inputs, define_workload, seeded_rng

SIZE = 2_000_000
QUICK_SIZE = 200_000


def objective(sin, exp, tanh, total, x):
    return total(sin(x) ** 2 * exp(-x * x) + tanh(x))


def build_inputs(quick: bool) -> Inputs:
    size = QUICK_SIZE if quick else SIZE
    x = seeded_rng().standard_normal(size)
    note = f"x: {size:,} float64, standard normal"
    if quick:
        note += f" (--quick: full run uses {SIZE:,})"
    return Inputs({"x": x}, note=note)


workload = define_workload(
    "elementwise", "sum(sin(x)**2 * exp(-x*x) + tanh(x)) and its gradient", build_inputs)


def _autotape_objective(at):
    return lambda t: objective(at.sin, at.exp, at.tanh, at.reduce_sum, t)


@workload.variant("autotape")
def autotape(at, x):
    return autodiff.gradient_tape(at, _autotape_objective(at), x)


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(f))")
def autotape_jit(at, x):
    return autodiff.tape_function_value_and_grad(at, _autotape_objective(at), x)


@workload.variant("autotape_jit_tape", note="GradientTape around an at.tape_function call")
def autotape_jit_tape(at, x):
    return autodiff.gradient_tape(at, at.tape_function(_autotape_objective(at)), x)


@workload.variant("numba", note="forward and analytic gradient in one @njit(parallel=True) loop")
def numba(numba, x):
    @numba.njit(parallel=True)
    def value_and_gradient(x):
        gradient = np.empty_like(x)
        total = 0.0
        for i in numba.prange(x.size):
            xi = x[i]
            s = math.sin(xi)
            e = math.exp(-xi * xi)
            t = math.tanh(xi)
            total += s * s * e + t
            gradient[i] = 2.0 * s * e * (math.cos(xi) - xi * s) + 1.0 - t * t
        return total, gradient

    return lambda: value_and_gradient(x)


@workload.variant("jax")
def jax(jax, x):
    jnp = jax.numpy
    return autodiff.jax_value_and_grad(
        jax, lambda t: objective(jnp.sin, jnp.exp, jnp.tanh, jnp.sum, t), x)


@workload.variant("torch")
def torch(torch, x):
    return autodiff.torch_autograd(
        torch, lambda t: objective(torch.sin, torch.exp, torch.tanh, torch.sum, t), x)


@workload.variant("autograd")
def autograd(autograd, x):
    import autograd.numpy as anp

    return autodiff.hips_autograd(
        autograd, lambda t: objective(anp.sin, anp.exp, anp.tanh, anp.sum, t), x)


@workload.variant("tensorflow")
def tensorflow(tf, x):
    return autodiff.gradient_tape(
        tf, lambda t: objective(tf.sin, tf.exp, tf.tanh, tf.reduce_sum, t), x)
