"""third: the third derivative of ``sin(x)**2`` at 100 points, float64, as in the tutorial.

x = linspace(-2 pi, 2 pi, 100). The function is elementwise, so the derivative of the sum of
its values is its pointwise derivative: each variant differentiates three times that way
(nested ``at.gradients_function``, as TensorFlow's eager tutorial does) and returns the
third derivative alone; it equals ``-4 sin(2x)``.
"""

import math

import numpy as np

from bench.registry import Inputs, define_workload

POINTS = 100


def f(square, sin, x):
    return square(sin(x))


def closed_form_third_derivative(x):
    """d3/dx3 sin(x)**2 = -4 sin(2x), in NumPy that Numba compiles (the ``numba`` variant)."""
    return -4.0 * np.sin(2.0 * x)


def build_inputs(quick: bool) -> Inputs:
    x = np.linspace(-2 * math.pi, 2 * math.pi, POINTS)
    return Inputs({"x": x}, note=f"x: {POINTS} float64, linspace(-2 pi, 2 pi)")


workload = define_workload(
    "third", f"third derivative of sin(x)**2 at {POINTS} points (nested gradients)",
    build_inputs)


@workload.variant("autotape", note="at.gradients_function nested three times")
def autotape(at, x):
    def derivative(g):
        return lambda t: at.gradients_function(g)(t)[0]

    third = derivative(derivative(derivative(lambda t: f(at.square, at.sin, t))))
    source = at.constant(x)
    return lambda: third(source)


@workload.variant("autotape_jit", note="the nested gradients_function under one "
                                       "at.tape_function")
def autotape_jit(at, x):
    def derivative(g):
        return lambda t: at.gradients_function(g)(t)[0]

    third = at.tape_function(derivative(derivative(derivative(
        lambda t: f(at.square, at.sin, t)))))
    source = at.constant(x)
    return lambda: third(source)


@workload.variant("numba", note="closed form -4 sin(2x) under @njit: no differentiation")
def numba(numba, x):
    third = numba.njit(closed_form_third_derivative)
    return lambda: third(x)


@workload.variant("jax", note="jax.grad of the sum, nested three times, under jax.jit")
def jax(jax, x):
    jnp = jax.numpy

    def derivative(g):
        return jax.grad(lambda t: jnp.sum(g(t)))

    third = jax.jit(derivative(derivative(derivative(lambda t: f(jnp.square, jnp.sin, t)))))
    source = jnp.asarray(x)
    return lambda: third(source)


@workload.variant("torch", note="torch.autograd.grad of the sum with create_graph, three times")
def torch(torch, x):
    source = torch.from_numpy(x).requires_grad_(True)

    def third():
        value = f(torch.square, torch.sin, source)
        (first,) = torch.autograd.grad(value.sum(), source, create_graph=True)
        (second,) = torch.autograd.grad(first.sum(), source, create_graph=True)
        (result,) = torch.autograd.grad(second.sum(), source)
        return result

    return third


@workload.variant("autograd", note="autograd.elementwise_grad nested three times")
def autograd(autograd, x):
    import autograd.numpy as anp

    derivative = autograd.elementwise_grad
    third = derivative(derivative(derivative(lambda t: f(anp.square, anp.sin, t))))
    return lambda: third(x)


@workload.variant("tensorflow", note="three nested GradientTapes")
def tensorflow(tf, x):
    source = tf.constant(x)

    def third():
        with tf.GradientTape() as tape3:
            tape3.watch(source)
            with tf.GradientTape() as tape2:
                tape2.watch(source)
                with tf.GradientTape() as tape1:
                    tape1.watch(source)
                    value = f(tf.square, tf.sin, source)
                first = tape1.gradient(value, source)  # of the sum: pointwise
            second = tape2.gradient(first, source)
        return tape3.gradient(second, source)

    return third
