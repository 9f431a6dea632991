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
        trusted = s is None  # a seed the caller gave is never written into
        s = ops.ones(batch + target.shape, target.dtype) if s is None else as_tensor(
            s, target.dtype)
        _accumulate(grads, target._id, s, ownership, trusted)
    return grads


def apply_rules(relevant, grads, reach, source_ids, batch, ownership):
    """Run the gradient rule of every relevant record, last first, filling ``grads``."""
    rules, not_differentiable = registry.rules, registry.NOT_DIFFERENTIABLE
    trusted_types = registry.builtin_types
    get = grads.get
    while relevant:
        op = relevant.pop()  # the last use of a record: popping frees it
        outputs = op.outputs
        donated = False
        if len(outputs) == 1:
            key = outputs[0]._id
            if key in source_ids:
                g = get(key)
            else:  # a gradient the pass alone held can take the rule's result in its memory
                g, donated = _take(grads, key, ownership)
            if g is None:
                continue
            out_grads = (g,)
        else:
            out_grads = [get(y._id) if y._id in source_ids
                         else _take(grads, y._id, ownership)[0] for y in outputs]
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
        trusted = op.type in trusted_types
        if not trusted:
            ownership.expose(out_grads)  # a user's rule may keep what it is given
        inputs = op.inputs
        needs = ((inputs[0]._id in reach,) if len(inputs) == 1
                 else tuple([x._id in reach for x in inputs]))
        in_grads = rule(RuleCall(op, needs, batch, donated), *out_grads)
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
            _accumulate(grads, x._id, g, ownership, trusted)


class RuleCall:
    """A record as its gradient rule sees it in one reverse pass: the record's ``type``,
    ``inputs``, ``outputs`` and ``attrs``, and this pass's state: ``needs_gradient`` (which
    inputs want one), ``batch`` (leading axes of the gradients) and ``donated`` (the rule
    may write its result into its output gradient's array). The record itself is shared by
    tapes and passes, so it is never changed."""

    __slots__ = ("type", "inputs", "outputs", "attrs", "needs_gradient", "batch", "donated")

    def __init__(self, op, needs_gradient, batch, donated):
        self.type, self.inputs, self.outputs, self.attrs = op.type, op.inputs, op.outputs, op.attrs
        self.needs_gradient, self.batch, self.donated = needs_gradient, batch, donated


def _take(grads, key, ownership):
    """(gradient taken out of the table or None, whether the pass alone held its array)."""
    g = grads.pop(key, None)
    return g, g is not None and ownership.release(g)


def _accumulate(grads, key, g, ownership, trusted):
    previous = grads.get(key)
    if previous is None:
        grads[key] = g
        ownership.claim(g, trusted)
    elif ownership.writable(previous) and _owner(g._value) is not previous._value:
        ops.add_into(previous, g)
    else:
        ownership.release(previous)
        total = grads[key] = ops.add(previous, g)
        ownership.claim(total, trusted=True)


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
    (after the pass began, through autotape's own rules or its own sums), that own their
    memory, and that exactly one entry of the gradient table holds. An array of which a
    view entered the table, or that was handed to a user's rule, is never written again.
    Disabled while a tape records the pass (the values are then saved on that tape)."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.first_id = next_id()  # tensors made from here on were made during the pass
        self.holders = {}  # id(array the pass may write) -> table entries holding it
        self.shared = set()  # ids of arrays never to write: viewed, or seen by user code

    def claim(self, t, trusted):
        """``t`` enters a table entry; ``trusted``: autotape's own code made it."""
        if not self.enabled:
            return
        value = t._value
        if value.base is not None or not trusted:
            # A view, or what a user's rule returned (it may keep it): never written again.
            self._share(_owner(value))
            return
        key = id(value)
        count = self.holders.get(key)
        if count is not None:
            self.holders[key] = count + 1
        elif (t._id > self.first_id and key not in self.shared and value.flags.writeable
              and value.flags.c_contiguous):  # the kernels write through a flat view
            self.holders[key] = 1

    def release(self, t):
        """``t`` leaves its table entry. True if no entry holds its array any more and the
        pass made it: the array may then take a rule's result."""
        key = id(t._value)
        count = self.holders.get(key)
        if count is None:
            return False
        if count > 1:
            self.holders[key] = count - 1
            return False
        del self.holders[key]  # no entry holds it: an id that may be reused once it is freed
        return True

    def writable(self, t):
        """Whether ``t``, in one table entry, can be added into in place."""
        return self.holders.get(id(t._value)) == 1

    def expose(self, tensors):
        """These tensors go to code that may keep them: never write into their memory."""
        for t in tensors:
            if t is not None:
                self._share(_owner(t._value))

    def _share(self, array):
        self.shared.add(id(array))
        self.holders.pop(id(array), None)
