"""overhead: per-operation cost of recording on a tape, on 1-element tensors.

A watched 0-d x is multiplied 1000 times by a 0-d constant under the tape, then
differentiated: the time per call divided by 1000 is the cost of one recorded operation
(forward, record and its share of the reverse pass).
"""

import numpy as np

from bench import autodiff
from bench.registry import Inputs, define_workload

MULTIPLIES = 1000


def repeated_multiply(x, factor):
    y = x
    for _ in range(MULTIPLIES):
        y = y * factor
    return y


def build_inputs(quick: bool) -> Inputs:
    return Inputs({"x": np.float64(0.75), "factor": np.float64(1.0001)},
                  note="x, factor: 0-d float64")


workload = define_workload(
    "overhead", f"{MULTIPLIES} multiplies of a watched 0-d (1-element) tensor under a tape",
    build_inputs, ops_per_call=MULTIPLIES)


@workload.variant("autotape")
def autotape(at, x, factor):
    factor = at.constant(factor)
    return autodiff.gradient_tape(at, lambda t: repeated_multiply(t, factor), x)


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(f)): one compiled "
                                       "trace, no per-operation recording")
def autotape_jit(at, x, factor):
    factor = at.constant(factor)
    return autodiff.tape_function_value_and_grad(at, lambda t: repeated_multiply(t, factor), x)


@workload.variant("autotape_jit_tape", note="GradientTape around an at.tape_function call")
def autotape_jit_tape(at, x, factor):
    factor = at.constant(factor)
    compiled = at.tape_function(repeated_multiply)
    return autodiff.gradient_tape(at, lambda t: compiled(t, factor), x)


@workload.variant("numba", note="value and derivative in one @njit loop: no recording at all")
def numba(numba, x, factor):
    @numba.njit
    def value_and_gradient(x, factor):
        value = x
        gradient = 1.0
        for _ in range(MULTIPLIES):
            value *= factor
        for _ in range(MULTIPLIES):  # reverse pass: d(y * factor)/dy = factor
            gradient *= factor
        return value, gradient

    return lambda: value_and_gradient(x, factor)


@workload.variant("jax", note="eager, no jit: jit would compile the chain away")
def jax(jax, x, factor):
    factor = jax.numpy.asarray(factor)
    return autodiff.jax_value_and_grad(jax, lambda t: repeated_multiply(t, factor), x, jit=False)


@workload.variant("torch")
def torch(torch, x, factor):
    factor = torch.from_numpy(np.array(factor))
    return autodiff.torch_autograd(torch, lambda t: repeated_multiply(t, factor), x)


@workload.variant("autograd")
def autograd(autograd, x, factor):
    return autodiff.hips_autograd(autograd, lambda t: repeated_multiply(t, factor), x)


@workload.variant("tensorflow")
def tensorflow(tf, x, factor):
    factor = tf.constant(factor)
    return autodiff.gradient_tape(tf, lambda t: repeated_multiply(t, factor), x)
