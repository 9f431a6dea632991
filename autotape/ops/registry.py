"""The gradient registry: op type -> gradient function, or "not differentiable"."""

import threading

NOT_DIFFERENTIABLE = object()
rules = {}  # op type -> rule or NOT_DIFFERENTIABLE
_lock = threading.Lock()


def register(op_type, rule):
    """``rule(op, *output_grads)`` returns one gradient (or None) per input of the op."""
    with _lock:
        rules[op_type] = rule


def gradient_rule(op_type):
    """The rule for ``op_type``; None if it is not differentiable; LookupError if unknown."""
    rule = rules.get(op_type)
    if rule is None:
        raise LookupError(f"gradient registry has no entry for: {op_type}")
    return None if rule is NOT_DIFFERENTIABLE else rule


class RegisterGradient:
    """Decorator: ``@RegisterGradient("Name")`` on ``f(op, grad) -> gradients per input``."""

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError(f"RegisterGradient: the op type must be a string, got {op_type!r}")
        self._op_type = op_type

    def __call__(self, rule):
        register(self._op_type, rule)
        return rule


def no_gradient(op_type):
    """Register ``op_type`` as not differentiable: its inputs get None, not an error."""
    register(op_type, NOT_DIFFERENTIABLE)
