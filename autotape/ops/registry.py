"""The gradient registry: op type -> gradient function, or "not differentiable"."""

import threading

NOT_DIFFERENTIABLE = object()
rules = {}  # op type -> rule or NOT_DIFFERENTIABLE
# Op types whose rule also handles gradients with leading batch axes (``op.batch``): one
# reverse pass then computes many rows of a Jacobian at once.
batch_aware_types = set()
# Op types of several outputs whose rule takes None for an output no gradient reached (a
# symbolic zero). Other rules get zeros: 0 * inf in their formulas would then be NaN.
accepts_missing_types = set()
# Op types whose rules autotape itself registered (``seal_builtins``, once every family is
# imported): the reverse pass may write into the gradients these rules make.
builtin_types = frozenset()
# Op type -> (forward, saves): ``forward(*input arrays, **attrs)`` returns the output array
# (or a tuple of them) from nothing but its arguments, so that a record, which holds no
# values or code, can be run again on new values (``autotape.trace``). ``saves``: what the
# gradient rule reads ("inputs", "outputs", "both" or "none"; see recording.record_operation).
forwards = {}
_lock = threading.Lock()


def define(op_type, forward, saves="both"):
    """Make ``forward`` the computation of primitive ``op_type`` (a user's ``primitive``
    defined again under one name replaces it; traces made before keep the one they ran)."""
    forwards[op_type] = (forward, saves)


def register(op_type, rule, batch_aware=False, accepts_missing=False):
    """``rule(op, *output_grads)`` returns one gradient (or None) per input of the op.

    ``batch_aware``: output gradients may carry leading axes ``op.batch`` (the same for every
    output), and the rule returns input gradients with those leading axes.
    ``accepts_missing``: output gradients no gradient reached are None, not zeros.
    A second registration of one op type is a KeyError, as in TensorFlow."""
    with _lock:
        if op_type in rules:
            raise KeyError(f"RegisterGradient: a gradient for op type {op_type!r} is already "
                           "registered")
        rules[op_type] = rule
        if batch_aware:
            batch_aware_types.add(op_type)
        if accepts_missing:
            accepts_missing_types.add(op_type)


def seal_builtins(untrusted=()):
    """Mark every rule registered so far as autotape's own, except ``untrusted`` ones
    (those that call user code)."""
    global builtin_types
    builtin_types = frozenset(rules) - set(untrusted)


def gradient_rule(op_type):
    """The rule for ``op_type``; None if it is not differentiable; LookupError if unknown."""
    rule = rules.get(op_type)
    if rule is None:
        raise LookupError(f"gradient registry has no entry for: {op_type}")
    return None if rule is NOT_DIFFERENTIABLE else rule


class RegisterGradient:
    """Decorator: ``@RegisterGradient("Name")`` on ``f(op, grad) -> gradients per input``."""

    def __init__(self, op_type, batch_aware=False, accepts_missing=False):
        if not isinstance(op_type, str):
            raise TypeError(f"RegisterGradient: the op type must be a string, got {op_type!r}")
        self._op_type, self._options = op_type, (batch_aware, accepts_missing)

    def __call__(self, rule):
        register(self._op_type, rule, *self._options)
        return rule


def no_gradient(op_type):
    """Register ``op_type`` as not differentiable: its inputs get None, not an error."""
    register(op_type, NOT_DIFFERENTIABLE, batch_aware=True)
