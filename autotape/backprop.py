"""The reverse pass: from recorded operations and the targets' gradients to the sources'.

Three steps: ``prune`` keeps the records on a path from a source (a path stops at an
operation that is not differentiable, such as ``stop_gradient``), ``seed`` starts each
target's gradient, and ``apply_rules`` walks the kept records backwards, calling each
gradient rule and accumulating what it returns. ``Ownership`` tells which gradient arrays the
pass may write into, from what the pass itself did (never from reference counts).
"""

from . import fused_reverse, ops
from .ops import registry
from .recording import state
from .tensor import Tensor, as_tensor, next_id


def differentiable(dtype):
    return dtype.kind in "fc"


class NotBatchable(Exception):
    """A rule on the tape cannot take gradients with leading batch axes."""


def backprop(records, targets, seeds, sources, release, batch=()):
    """Gradients of the targets (weighted by ``seeds``: Tensors of shape batch +
    target.shape, or None for ones) with respect to every tensor on a path from a source.
    Returns {tensor id: gradient}.

    ``release``: drop each record once used (the caller handed over the only reference).
    ``batch``: leading axes of the seeds and so of every gradient (several reverse passes
    at once); raises NotBatchable if a rule on the way cannot take them."""
    relevant, reach = prune(records, sources)
    if release:
        records.clear()  # ``relevant`` now holds the only references
    if not state.tapes and not batch:  # nothing records the reverse pass: it may run compiled
        fused = fused_reverse.run(relevant, reach, targets, seeds, sources)
        if fused is not None:
            return fused
    ownership = Ownership(enabled=not state.tapes)  # in-place writes only when unrecorded
    grads = seed(targets, seeds, reach, batch, ownership)
    apply_rules(relevant, grads, reach, {s._id for s in sources}, batch, ownership)
    return grads


def prune(records, sources):
    """The records on a path from a source, in order, and the ids of every tensor on one."""
    reach = {s._id for s in sources if differentiable(s.dtype)}
    rules, not_differentiable = registry.rules, registry.NOT_DIFFERENTIABLE
    relevant = []
    for op in records:
        for x in op.inputs:
            if x._id in reach:
                break
        else:
            continue
        if rules.get(op.type) is not_differentiable:
            continue  # no gradient goes through: what it feeds does not reach a source
        relevant.append(op)
        reach.update([y._id for y in op.outputs if differentiable(y.dtype)])
    return relevant, reach


def seed(targets, seeds, reach, batch, ownership):
    """The gradient table, started with each target's seed."""
    grads = {}
    for target, s in zip(targets, seeds):
        if not differentiable(target.dtype) or target._id not in reach:
            continue
        if s is None:
            s = ownership.adopt(ops.ones(batch + target.shape, target.dtype), trusted=True)
        else:
            s = as_tensor(s, target.dtype)  # the caller's: never written into
        _accumulate(grads, target._id, s, ownership)
    return grads


def apply_rules(relevant, grads, reach, source_ids, batch, ownership):
    """Run the gradient rule of every relevant record, last first, filling ``grads``."""
    rules, not_differentiable = registry.rules, registry.NOT_DIFFERENTIABLE
    trusted_types = registry.builtin_types
    get = grads.get
    while relevant:
        op = relevant.pop()  # the last use of a record: popping frees it
        outputs = op.outputs
        if len(outputs) == 1:
            key = outputs[0]._id
            g = get(key) if key in source_ids else _take(grads, key, ownership)
            if g is None:
                continue
            # A gradient the pass alone holds can take the rule's result in its memory.
            op.donated = key not in source_ids and ownership.donatable(g)
            out_grads = (g,)
        else:
            out_grads = [get(y._id) if y._id in source_ids else _take(grads, y._id, ownership)
                         for y in outputs]
            if all(g is None for g in out_grads):
                continue
            if op.type not in registry.accepts_missing_types:
                out_grads = [ops.zeros(batch + y.shape, y.dtype) if g is None else g
                             for g, y in zip(out_grads, outputs)]
        rule = rules.get(op.type)
        if rule is None:
            registry.gradient_rule(op.type)  # raises the LookupError
        if rule is not_differentiable:
            continue
        if batch and op.type not in registry.batch_aware_types:
            raise NotBatchable(op.type)
        op.batch = batch
        trusted = op.type in trusted_types
        if not trusted:
            ownership.expose(out_grads)  # a user's rule may keep what it is given
        inputs = op.inputs
        needs = op.needs_gradient = ((inputs[0]._id in reach,) if len(inputs) == 1
                                     else tuple([x._id in reach for x in inputs]))
        in_grads = rule(op, *out_grads)
        if type(in_grads) is not tuple:
            in_grads = tuple(in_grads) if isinstance(in_grads, list) else (in_grads,)
        if len(in_grads) != len(inputs):
            raise ValueError(f"the gradient of {op.type} returned {len(in_grads)} values for "
                             f"{len(inputs)} inputs")
        for x, g, needed in zip(inputs, in_grads, needs):
            if g is None or not needed:
                continue
            if type(g) is not Tensor:
                g = as_tensor(g)
            value = g._value
            shape = batch + x.shape if batch else x.shape
            if value.shape != shape or value.dtype != x.dtype:
                g = _conform(g, shape, x.dtype, op.type, len(batch))
            _accumulate(grads, x._id, ownership.adopt(g, trusted), ownership)


def _take(grads, key, ownership):
    g = grads.pop(key, None)
    if g is not None:
        ownership.release(g)
    return g


def _accumulate(grads, key, g, ownership):
    previous = grads.get(key)
    if previous is None:
        grads[key] = g
        ownership.claim(g)
    elif ownership.writable(previous) and _owner(g._value) is not previous._value:
        ops.add_into(previous, g)
    else:
        ownership.release(previous)
        total = grads[key] = ownership.adopt(ops.add(previous, g), trusted=True)
        ownership.claim(total)


def _conform(g, shape, dtype, op_type, batch_dims):
    """A gradient brought to its input's shape (unbroadcasting) and dtype."""
    if g.shape != shape:
        g = ops.sum_to_shape(g, shape, op_type, batch_dims)
    return g if g.dtype == dtype else ops.cast(g, dtype)


def _owner(array):
    """The object whose memory ``array`` uses (itself unless it is a view)."""
    return array if array.base is None else array.base


class Ownership:
    """Which gradients the reverse pass may overwrite: those whose array it made itself
    (after the pass began, through autotape's own rules or its own sums), whose array owns
    its memory, and that exactly one entry of the gradient table holds, with no view of
    that memory in another entry. Disabled while a tape records the pass (the values are
    then saved on that tape)."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.first_id = next_id()  # tensors made from here on were made during the pass
        self.owned = set()  # ids of Tensors whose arrays the pass made
        self.claims = {}  # id(memory owner) -> how many table entries use that memory

    def adopt(self, t, trusted):
        """``t`` is about to enter the table; remember it if the pass made its array."""
        if self.enabled and trusted and t._id > self.first_id:
            value = t._value
            if value.base is None and value.flags.writeable:
                self.owned.add(t._id)
        return t

    def claim(self, t):
        key = id(_owner(t._value))
        self.claims[key] = self.claims.get(key, 0) + 1

    def release(self, t):
        key = id(_owner(t._value))
        count = self.claims[key] - 1
        if count:
            self.claims[key] = count
        else:
            del self.claims[key]

    def expose(self, tensors):
        """These tensors were handed to code that may keep them: never write into them."""
        for t in tensors:
            if t is not None:
                self.owned.discard(t._id)

    def writable(self, t):
        """Whether ``t``, held by one table entry, can be added into in place."""
        return t._id in self.owned and self.claims.get(id(t._value)) == 1

    def donatable(self, t):
        """Whether ``t``, just taken out of the table, can take a rule's result."""
        return t._id in self.owned and id(t._value) not in self.claims
