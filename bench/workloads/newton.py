"""newton: the root of y**3 + y = c by Newton's method under ``while |residual| > tol``, and
its derivative dy/dc, for 4 values of c whose iteration counts differ (4 to 9).

A timed call solves all four in turn, so a compiled variant meets a guard (the ``while``
test) that changes between its calls. The derivative goes through the unrolled iterations
(it equals 1 / (3 y**2 + 1) at the root). Each variant returns (roots, derivatives).
"""

import numpy as np

from bench import autodiff
from bench.registry import Inputs, define_workload

TOLERANCE = 1e-12
TARGETS = (0.5, 2.0, 10.0, 60.0)


def newton(abs, c):
    y = c / (1.0 + abs(c))  # a start below the root
    residual = y * y * y + y - c
    while abs(residual) > TOLERANCE:
        y = y - residual / (3.0 * y * y + 1.0)
        residual = y * y * y + y - c
    return y


def iterations(c):
    """How many Newton steps ``newton`` takes for c (for the docstring's claim; tests)."""
    y, steps = c / (1.0 + abs(c)), 0
    while abs(y ** 3 + y - c) > TOLERANCE:
        y -= (y ** 3 + y - c) / (3 * y * y + 1)
        steps += 1
    return steps


def build_inputs(quick: bool) -> Inputs:
    return Inputs({"targets": np.array(TARGETS)},
                  note=f"c in {TARGETS}: {[iterations(c) for c in TARGETS]} Newton steps")


workload = define_workload(
    "newton", "Newton's method for y**3 + y = c under while |residual| > tol, and dy/dc, "
              f"for {len(TARGETS)} values of c", build_inputs)


def _each(solvers):
    """A call running every solver (one per target) in turn: (roots, derivatives)."""
    def call():
        results = [solve() for solve in solvers]
        return (np.array([float(v) for v, _ in results]),
                np.array([float(d) for _, d in results]))
    return call


@workload.variant("autotape", note="GradientTape around the Python while loop, eagerly")
def autotape(at, targets):
    return _each([autodiff.gradient_tape(at, lambda t: newton(at.abs, t), c) for c in targets])


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(newton)): one "
                                       "trace per iteration count, chosen by its guards")
def autotape_jit(at, targets):
    value_and_gradient = at.value_and_grad(at.tape_function(lambda t: newton(at.abs, t)))
    return _each([lambda s=at.constant(c): value_and_gradient(s) for c in targets])


@workload.variant("jax", note="lax.while_loop under jit, derivative by forward mode (jvp): "
                              "reverse mode does not go through while_loop")
def jax(jax, targets):
    jnp = jax.numpy

    def solve(c):
        def step(state):
            y, _ = state
            y = y - (y * y * y + y - c) / (3.0 * y * y + 1.0)
            return y, y * y * y + y - c

        start = c / (1.0 + jnp.abs(c))
        y, _ = jax.lax.while_loop(lambda s: jnp.abs(s[1]) > TOLERANCE, step,
                                  (start, start * start * start + start - c))
        return y

    value_and_derivative = jax.jit(lambda c: jax.jvp(solve, (c,), (jnp.ones_like(c),)))
    return _each([lambda s=jnp.asarray(c): value_and_derivative(s) for c in targets])


@workload.variant("torch", note="the Python while loop on tensors, torch.autograd.grad")
def torch(torch, targets):
    return _each([autodiff.torch_autograd(torch, lambda t: newton(torch.abs, t), c)
                  for c in targets])


@workload.variant("autograd")
def autograd(autograd, targets):
    import autograd.numpy as anp

    return _each([autodiff.hips_autograd(autograd, lambda t: newton(anp.abs, t), c)
                  for c in targets])
