"""scalar: a 100-operation chain on a 0-d float64: 50 times ``x = sin(x); x = x * 1.01``."""

import math

import numpy as np

from bench import autodiff
from bench.registry import Inputs, define_workload

STEPS = 50
FACTOR = 1.01
START = 0.5


def chain(sin, x):
    for _ in range(STEPS):
        x = sin(x)
        x = x * FACTOR
    return x


def build_inputs(quick: bool) -> Inputs:
    return Inputs({"x": np.float64(START)}, note=f"x: 0-d float64 = {START}")


workload = define_workload(
    "scalar", f"{2 * STEPS}-operation scalar chain: {STEPS} x (x = sin(x); x = x * {FACTOR})",
    build_inputs, ops_per_call=2 * STEPS)


@workload.variant("autotape")
def autotape(at, x):
    return autodiff.gradient_tape(at, lambda t: chain(at.sin, t), x)


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(f))")
def autotape_jit(at, x):
    return autodiff.tape_function_value_and_grad(at, lambda t: chain(at.sin, t), x)


@workload.variant("autotape_jit_tape", note="GradientTape around an at.tape_function call")
def autotape_jit_tape(at, x):
    return autodiff.gradient_tape(at, at.tape_function(lambda t: chain(at.sin, t)), x)


@workload.variant("numba", note="value and derivative (chain rule) in one @njit loop")
def numba(numba, x):
    @numba.njit
    def value_and_derivative(x):
        derivative = 1.0
        for _ in range(STEPS):
            derivative *= math.cos(x) * FACTOR
            x = math.sin(x) * FACTOR
        return x, derivative

    return lambda: value_and_derivative(x)


@workload.variant("jax")
def jax(jax, x):
    return autodiff.jax_value_and_grad(jax, lambda t: chain(jax.numpy.sin, t), x)


@workload.variant("torch")
def torch(torch, x):
    return autodiff.torch_autograd(torch, lambda t: chain(torch.sin, t), x)


@workload.variant("autograd")
def autograd(autograd, x):
    import autograd.numpy as anp

    return autodiff.hips_autograd(autograd, lambda t: chain(anp.sin, t), x)


@workload.variant("tensorflow")
def tensorflow(tf, x):
    return autodiff.gradient_tape(tf, lambda t: chain(tf.sin, t), x)
