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


def composite_gradient(definition):
    """A gradient rule for a fused primitive equal to ``definition`` (autotape operations):
    the gradient of the definition. Derivatives of any order follow, since every step is
    recorded on the enclosing tapes."""

    def rule(op, *output_grads):
        from ..tape import GradientTape
        from .selection import identity

        inputs = list(op.inputs)
        if len({x._id for x in inputs}) < len(inputs):
            # One alias per input position (recorded, so outer tapes stay connected): an
            # input passed twice, as in x * x, must get each position's gradient once.
            inputs = [identity(x) for x in inputs]
        with GradientTape() as local:
            for x in inputs:
                local._watch_one(x)  # this tape only: outer tapes already track what matters
            outputs = definition(*inputs, **op.attrs)
        return local.gradient(outputs, inputs, output_gradients=list(output_grads)
                              if isinstance(outputs, tuple) else output_grads[0])

    return rule
