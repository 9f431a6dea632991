"""matmul (NumPy's semantics: 1-d promotion, broadcast batches) and norm."""

import numpy as np

from ..tensor import as_tensor
from . import registry
from .core import run
from .operands import binary_operands
from .shape import reshape, transpose


def _swap_last(t):
    perm = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return transpose(t, perm)


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """Matrix product; 1-d operands are promoted as in NumPy, leading axes broadcast."""
    x, y = binary_operands(a, b)
    given = (x.shape, y.shape)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes "
                         f"{x.shape} and {y.shape}")
    if transpose_a:
        x = _swap_last(x)
    if transpose_b:
        y = _swap_last(y)
    vector_a, vector_b = x.ndim == 1, y.ndim == 1
    if vector_a:
        x = reshape(x, (1,) + x.shape)
    if vector_b:
        y = reshape(y, y.shape + (1,))
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: {given[0]} @ {given[1]} "
                         f"({x.shape[-1]} != {y.shape[-2]})")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions do not broadcast: {x.shape} @ "
                         f"{y.shape}") from None
    # NumPy's matmul is BLAS. Numba reaches BLAS only through SciPy, which autotape does not
    # depend on, so the product runs in NumPy rather than in a kernel.
    out = run("MatMul", np.matmul, (x, y), None, "inputs")
    if vector_a or vector_b:
        shape = out.shape[:-2] + (() if vector_a else out.shape[-2:-1]) + (
            () if vector_b else out.shape[-1:])
        out = reshape(out, shape)
    return out


@registry.RegisterGradient("MatMul", batch_aware=True)  # leading axes broadcast in matmul
def _matmul_grad(op, g):
    x, y = op.inputs
    needs_x, needs_y = op.needs_gradient
    # Batch axes that were broadcast are summed back centrally.
    gx = matmul(g, _swap_last(y)) if needs_x else None
    gy = matmul(_swap_last(x), g) if needs_y else None
    return gx, gy


def norm(tensor, ord="euclidean", axis=None, keepdims=False, name=None):
    from . import abs, reduce_max, reduce_sum, sqrt

    x = as_tensor(tensor)
    if ord in ("euclidean", "fro", 2, 2.0):
        return sqrt(reduce_sum(x * x, axis, keepdims))
    if ord in (1, 1.0):
        return reduce_sum(abs(x), axis, keepdims)
    if ord == np.inf:
        return reduce_max(abs(x), axis, keepdims)
    raise ValueError(f"norm: ord {ord!r} is not supported (use 'euclidean', 1, 2 or np.inf)")
