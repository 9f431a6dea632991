"""Running a primitive: its registered forward on the input values, then recording it."""

from ..recording import record_operation, state
from ..tensor import Tensor
from . import registry


def run(op_type, inputs, attrs=None, result=None):
    """Apply the forward defined for ``op_type`` (``registry.define``) to the input Tensors'
    arrays and record the operation. ``result``: the forward's value where the caller already
    computed it (checking its arguments). Returns a Tensor, or a tuple for several outputs."""
    forward, saves = registry.forwards[op_type]
    if result is None:
        result = forward(*[x._value for x in inputs], **(attrs or {}))
    if isinstance(result, tuple):
        outputs = tuple(Tensor(r) for r in result)
    else:
        outputs = (Tensor(result),)
    if state.tapes:
        record_operation(op_type, tuple(inputs), outputs, attrs, saves)
    return outputs if isinstance(result, tuple) else outputs[0]
