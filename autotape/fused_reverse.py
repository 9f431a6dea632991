"""The reverse pass of a small, purely elementwise tape, run as one compiled kernel.

Scientific scripts often differentiate chains of scalar or few-element operations, where a
Python-level reverse step per record costs far more than its arithmetic. When every record
on the path is an elementwise primitive of kernels.formulas over tensors of one shape (or
single elements) and no outer tape needs the gradient computation recorded, the records are
encoded as rows of integers and ``kernels.elementwise.reverse`` runs them all in one call.
Anything else returns None and the general reverse pass (``backprop.apply_rules``) runs instead.
"""

import functools

import numpy as np

from .recording import SMALL
from .tensor import Tensor


@functools.cache
def _interpreter():
    from .kernels import elementwise  # imports Numba: only once a kernel runs
    from .ops.elementwise import op_type_of

    codes = {op_type_of(name): code for code, (_, name) in enumerate(elementwise.reverse_opcodes())}
    return codes, elementwise.reverse_interpreter().reverse


# Below this many records the general pass costs about as little as packing the arrays.
MIN_RECORDS = 8


class _Ineligible(Exception):
    """The tape holds something the interpreter cannot run."""


def run(relevant, reach, targets, seeds, sources):
    """{source id: gradient} computed by the interpreter, or None where it does not apply."""
    if len(relevant) < MIN_RECORDS or not targets:
        return None
    shape, dtype = targets[0].shape, targets[0].dtype
    width = int(np.prod(shape, dtype=np.int64))
    if width > SMALL or dtype.kind != "f":
        return None
    codes, reverse = _interpreter()
    slots, values = {}, []
    mixed = False  # whether single elements stand beside full-width tensors

    def slot(t):
        nonlocal mixed
        k = slots.get(t._id)
        if k is None:
            if type(t) is not Tensor:  # a Variable snapshot is a Tensor; Released is not
                raise _Ineligible
            value = t._value
            if value.dtype != dtype:
                raise _Ineligible
            if value.shape != shape:
                if value.size != 1 or value.ndim > len(shape):
                    raise _Ineligible
                mixed = True
            k = slots[t._id] = len(values)
            values.append(value)
        return k

    rows = []
    try:
        for op in relevant:
            code = codes.get(op.type)
            if code is None:
                raise _Ineligible
            inputs = op.inputs
            output = slot(op.outputs[0])
            a = inputs[0]
            need = a._id in reach
            if len(inputs) == 2:
                b = inputs[1]
                rows.append((code, output, slot(a), slot(b), need | (b._id in reach) << 1))
            else:
                rows.append((code, output, slot(a), 0, need))
        seeded = []
        for target, seed in zip(targets, seeds):
            if target._id in reach and target.dtype.kind == "f":
                if seed is not None and np.shape(getattr(seed, "_value", seed)) != target.shape:
                    raise _Ineligible  # the general pass reports the error
                seeded.append((slot(target), 1.0 if seed is None else seed))
    except _Ineligible:
        return None

    count = len(values)
    if mixed:
        V = np.empty((count, width), dtype)
        for k, value in enumerate(values):
            V[k] = value.reshape(-1)
    else:
        V = np.array(values, dtype).reshape(count, width)
    G = np.zeros((count, width), dtype)
    T = np.zeros(count, np.bool_)
    for k, seed in seeded:
        G[k] += np.reshape(getattr(seed, "_value", seed), -1)
        T[k] = True
    P = np.array(rows, np.int64).reshape(len(rows), 5)
    reverse(P, V, G, T)

    grads = {}
    for s in sources:
        k = slots.get(s._id)
        if k is None or not T[k]:
            continue
        row = G[k]
        grads[s._id] = Tensor(row.reshape(shape).copy() if s.shape == shape
                              else np.array(row.sum(), dtype).reshape(s.shape))
    return grads
