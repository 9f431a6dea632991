"""Value-and-gradient wrappers, one per way of differentiating, shared by the workloads.

Each takes a library module, a function ``f`` of one input written with that library's
operations, and the input as a NumPy value; it converts the input once and returns the
zero-argument callable that the harness times, returning ``(value, gradient)``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import numpy as np

Timed = Callable[[], Any]


def gradient_tape(lib: ModuleType, f: Callable, x: Any) -> Timed:
    """``lib.GradientTape`` eager: autotape, and tensorflow (same API)."""
    source = lib.constant(x)

    def value_and_gradient():
        with lib.GradientTape() as tape:
            tape.watch(source)
            value = f(source)
        return value, tape.gradient(value, source)

    return value_and_gradient


def tape_function_value_and_grad(at: ModuleType, f: Callable, x: Any) -> Timed:
    """``at.value_and_grad(at.tape_function(f))``: value and gradient traced as one."""
    value_and_gradient = at.value_and_grad(at.tape_function(f))
    source = at.constant(x)
    return lambda: value_and_gradient(source)


def torch_autograd(torch: ModuleType, f: Callable, x: Any) -> Timed:
    """PyTorch eager on the CPU: a tensor with ``requires_grad`` and ``torch.autograd.grad``."""
    source = torch.from_numpy(np.array(x)).requires_grad_(True)

    def value_and_gradient():
        value = f(source)
        (gradient,) = torch.autograd.grad(value, source)
        return value.detach(), gradient

    return value_and_gradient


def jax_value_and_grad(jax: ModuleType, f: Callable, x: Any, jit: bool = True) -> Timed:
    """``jax.jit(jax.value_and_grad(f))``, or without jit for eager per-operation cost."""
    value_and_gradient = jax.value_and_grad(f)
    if jit:
        value_and_gradient = jax.jit(value_and_gradient)
    source = jax.numpy.asarray(x)
    return lambda: value_and_gradient(source)


def hips_autograd(autograd: ModuleType, f: Callable, x: Any) -> Timed:
    """HIPS ``autograd.value_and_grad`` on NumPy arrays."""
    value_and_gradient = autograd.value_and_grad(f)
    return lambda: value_and_gradient(x)
