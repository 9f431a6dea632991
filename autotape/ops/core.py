"""Running a primitive: wrap its kernel's results and record it on the tapes."""

from ..recording import record_operation, state
from ..tensor import Tensor


def run(op_type, forward, inputs, attrs=None, saves="both"):
    """Apply ``forward`` (ndarrays -> ndarray or tuple of them) to the input Tensors and
    record the operation. Returns a Tensor, or a tuple of them for several outputs."""
    result = forward(*[x._value for x in inputs], **(attrs or {}))
    if isinstance(result, tuple):
        outputs = tuple(Tensor(r) for r in result)
    else:
        outputs = (Tensor(result),)
    if state.tapes:
        record_operation(op_type, tuple(inputs), outputs, attrs, saves)
    return outputs if isinstance(result, tuple) else outputs[0]
