"""GradientTape: recording scopes and the reverse pass over what they recorded."""

import contextlib
import enum
import sys
import warnings

import numpy as np

from . import fused_reverse, nest, ops
from .ops import registry
from .recording import state
from .tensor import Tensor, Variable, as_tensor


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` gives for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations on watched tensors so that gradients can be computed later.

    Use as a context manager. ``persistent=True`` allows several ``gradient`` calls;
    ``watch_accessed_variables=False`` watches only what ``watch`` is given."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._records = []
        self._tracked = set()  # ids of watched tensors and of outputs recorded from them
        self._watched_variables = {}  # id -> Variable
        self._used = False

    # --- recording scope ------------------------------------------------------------------
    def __enter__(self):
        state.tapes.append(self)
        return self

    def __exit__(self, *exc_info):
        self._stop()
        return False

    def _stop(self):
        tapes = state.tapes
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self:
                del tapes[i]
                return i
        return None

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations run in this block are not recorded on this tape."""
        position = self._stop()
        if position is None:
            raise RuntimeError("stop_recording: the tape is not recording "
                               "(use it inside the tape's `with` block)")
        try:
            yield
        finally:
            state.tapes.insert(position, self)

    def reset(self):
        """Forget everything recorded and watched, as if the tape had just been entered."""
        self._records = []
        self._tracked = set()
        self._watched_variables = {}
        self._used = False

    # --- watching -------------------------------------------------------------------------
    def watch(self, tensor):
        """Track a Tensor or Variable (or a nested list/tuple/dict of them).

        Enclosing tapes that are recording watch it too, so that nested tapes give higher
        derivatives of constants."""
        for x in nest.flatten(tensor):
            if not isinstance(x, Tensor):
                raise ValueError(f"watch: expected a Tensor or Variable, got "
                                 f"{type(x).__name__}; convert it with at.constant() first")
            if not dtype_is_differentiable(x.dtype):
                warnings.warn(f"watch: the dtype of the watched tensor must be floating, "
                              f"got {x.dtype}; it is not watched", stacklevel=2)
                continue
            self._watch_one(x)
            for tape in state.tapes:
                if tape is not self:
                    tape._watch_one(x)

    def _watch_one(self, x):
        self._tracked.add(x._id)
        if isinstance(x, Variable):
            self._watched_variables[x._id] = x

    def watched_variables(self):
        """The Variables this tape watches, in creation order."""
        return tuple(v for _, v in sorted(self._watched_variables.items()))

    # --- gradients ------------------------------------------------------------------------
    def _begin_reverse_pass(self, what):
        if self._used:
            raise RuntimeError(f"{what}: a non-persistent GradientTape can compute only one "
                               "set of gradients; use GradientTape(persistent=True) for more")
        if not self._persistent:
            self._stop()  # called inside its own block: a non-persistent tape stops here
            self._used = True
        records = self._records
        if not self._persistent:
            self._records = []  # the reverse pass owns the records and frees them as it goes
        return records

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of ``sources``."""
        unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        if target is None:
            raise ValueError("gradient: target is None; pass the tensor(s) to differentiate")
        targets = [_as_tracked(t, "target") for t in nest.flatten(target)]
        flat_sources = nest.flatten(sources)
        source_tensors = [_as_tracked(s, "source") for s in flat_sources]
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds = nest.flatten(output_gradients)
            if len(seeds) != len(targets):
                raise ValueError(f"gradient: {len(seeds)} output_gradients for "
                                 f"{len(targets)} targets")
        for t in targets:  # a trainable Variable as the target counts as read by the tape
            if isinstance(t, Variable) and t.trainable and self._watch_accessed_variables:
                self._watch_one(t)
        records = self._begin_reverse_pass("gradient")
        for t in targets:
            _warn_if_integer(t.dtype, "target")
        for s in source_tensors:
            _warn_if_integer(s.dtype, "source")
        grads = backprop(records, targets, seeds, source_tensors,
                         release=not self._persistent)
        results = [_finish(grads.get(s._id), s, unconnected_gradients) for s in source_tensors]
        return nest.pack_like(sources, results)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...], of shape target.shape + source.shape."""
        unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        target = _as_tracked(target, "target")
        source_tensors = [_as_tracked(s, "source") for s in nest.flatten(sources)]
        records = self._begin_reverse_pass("jacobian")
        seeds = np.eye(target.size, dtype=target.dtype).reshape((target.size,) + target.shape)
        results = []
        for s, rows in zip(source_tensors, _reverse_passes(records, target, source_tensors,
                                                           seeds)):
            if rows is None:
                results.append(None if unconnected_gradients is UnconnectedGradients.NONE
                               else ops.zeros(target.shape + s.shape, s.dtype))
            else:
                results.append(ops.reshape(rows, target.shape + s.shape))
        return nest.pack_like(sources, results)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: shape (batch,) + target.shape[1:] + source.shape[1:].

        Assumes example i of the target depends only on example i of the source."""
        unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        target = _as_tracked(target, "target")
        source = _as_tracked(source, "source")
        if target.ndim < 1 or source.ndim < 1 or target.shape[0] != source.shape[0]:
            raise ValueError(f"batch_jacobian: target {target.shape} and source {source.shape} "
                             "need the same first (batch) dimension")
        records = self._begin_reverse_pass("batch_jacobian")
        batch = target.shape[0]
        per_example = int(np.prod(target.shape[1:], dtype=np.int64))
        # Seed k selects element k of every example at once.
        seeds = np.broadcast_to(np.eye(per_example, dtype=target.dtype)[:, None, :],
                                (per_example, batch, per_example))
        (rows,) = _reverse_passes(records, target, [source],
                                  seeds.reshape((per_example,) + target.shape))
        if rows is None:
            if unconnected_gradients is UnconnectedGradients.NONE:
                return None
            return ops.zeros(target.shape + source.shape[1:], source.dtype)
        by_example = ops.transpose(rows, (1, 0) + tuple(range(2, rows.ndim)))
        return ops.reshape(by_example, target.shape + source.shape[1:])


# Elements in one batched reverse pass (seed rows x the largest source): bounds its memory.
BATCH_ELEMENTS = 1 << 22


def _reverse_passes(records, target, sources, seeds):
    """Gradients of sum(seed * target) for every row of ``seeds`` (shape (rows,) +
    target.shape): per source, a Tensor of shape (rows,) + source.shape, or None where
    unconnected. Rows go through the tape together, as a leading batch axis, where every
    rule on the way handles one; otherwise one reverse pass per row."""
    rows = seeds.shape[0]
    width = max([target.size] + [s.size for s in sources] + [1])
    chunk = max(1, BATCH_ELEMENTS // width)
    try:
        blocks = [backprop(records, [target], [seeds[start:start + chunk]], sources,
                           release=False, batch=(len(seeds[start:start + chunk]),))
                  for start in range(0, rows, chunk)]
        parts = [[block.get(s._id) for s in sources] for block in blocks]
        sizes = [len(seeds[start:start + chunk]) for start in range(0, rows, chunk)]
    except _NotBatchable:
        parts = [[None if g is None else ops.expand_dims(g, 0) for g in
                  (backprop(records, [target], [seed], sources, release=False).get(s._id)
                   for s in sources)] for seed in seeds]
        sizes = [1] * rows
    results = []
    for j, s in enumerate(sources):
        column = [part[j] for part in parts]
        if all(g is None for g in column):
            results.append(None)
            continue
        column = [ops.zeros((n,) + s.shape, s.dtype) if g is None else g
                  for g, n in zip(column, sizes)]
        results.append(column[0] if len(column) == 1 else ops.concat(column, 0))
    return results


class _NotBatchable(Exception):
    """A rule on the tape cannot take gradients with leading batch axes."""


def dtype_is_differentiable(dtype):
    return dtype.kind in "fc"


def _as_tracked(x, role):
    if isinstance(x, Variable):
        return x
    if isinstance(x, Tensor):
        return x
    raise ValueError(f"gradient: each {role} must be a Tensor or Variable, got "
                     f"{type(x).__name__}")


def _warn_if_integer(dtype, role):
    if not dtype_is_differentiable(dtype):
        warnings.warn(f"The dtype of the {role} tensor must be floating (e.g. float32) when "
                      f"calling GradientTape.gradient, got {dtype}", stacklevel=3)


def _finish(grad, source, unconnected):
    if not dtype_is_differentiable(source.dtype):
        return None
    if grad is None and unconnected is UnconnectedGradients.ZERO:
        return ops.zeros(source.shape, source.dtype)
    return grad


def backprop(records, targets, seeds, sources, release, batch=()):
    """The reverse pass: gradients of the targets (weighted by seeds, None meaning ones)
    with respect to every tensor on a path from a source. Returns {tensor id: gradient}.

    ``release``: drop each record once used (the caller handed over the only reference).
    ``batch``: leading axes of the seeds and so of every gradient (several reverse passes
    at once); raises _NotBatchable if a rule on the way cannot take them."""
    reach = {s._id for s in sources if dtype_is_differentiable(s.dtype)}
    source_ids = set(reach)
    relevant = []
    for op in records:  # forward sweep: the records on a path from a source
        for x in op.inputs:
            if x._id in reach:
                relevant.append(op)
                reach.update([y._id for y in op.outputs if y.dtype.kind in "fc"])
                break
    if release:
        records.clear()  # ``relevant`` now holds the only references
    if not state.tapes and not batch:  # nothing records the reverse pass: it may run compiled
        fused = fused_reverse.run(relevant, reach, targets, seeds, sources)
        if fused is not None:
            return fused

    grads = {}
    for target, seed in zip(targets, seeds):
        if not dtype_is_differentiable(target.dtype) or target._id not in reach:
            continue
        if seed is None:
            seed = ops.ones(target.shape, target.dtype)
        else:
            seed = as_tensor(seed, target.dtype)
            if seed.shape != batch + target.shape:
                raise ValueError(f"gradient: output_gradients of shape {seed.shape} for a "
                                 f"target of shape {target.shape}")
        _accumulate(grads, target._id, seed)

    rules, not_differentiable = registry.rules, registry.NOT_DIFFERENTIABLE
    in_place = not state.tapes  # nothing records the accumulations: they may reuse memory
    get, pop = grads.get, grads.pop
    while relevant:
        op = relevant.pop()  # the last use of a record: popping frees it
        outputs = op.outputs
        if len(outputs) == 1:
            key = outputs[0]._id
            g = get(key) if key in source_ids else pop(key, None)
            if g is None:
                continue
            # Nothing else holds this gradient (the local name is its only reference): its
            # memory can take the rule's result.
            op.donated = in_place and key not in source_ids and _sole_owner(g, 1)
            out_grads = (g,)
        else:
            out_grads = [get(y._id) if y._id in source_ids else pop(y._id, None)
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
        if batch:
            if op.type not in registry.batch_aware_types:
                raise _NotBatchable(op.type)
        op.batch = batch
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
            key = x._id
            previous = get(key)
            if previous is None:
                grads[key] = g
            elif in_place and _sole_owner(previous, 2):  # the table and `previous`
                ops.add_into(previous, g)
            else:
                grads[key] = ops.add(previous, g)
    return grads


def _sole_owner(t, references):
    """Whether gradient ``t`` is held by no more than the reverse pass's own ``references``
    (its table, its local names) and its array by ``t`` alone, so writing into the array
    changes nothing anyone else holds."""
    # getrefcount counts its own argument, and this function's parameter.
    return (sys.getrefcount(t) <= references + 2 and sys.getrefcount(t._value) <= 2
            and t._value.base is None and t._value.flags.writeable)


def _conform(g, shape, dtype, op_type, batch_dims):
    """A gradient brought to its input's shape (unbroadcasting) and dtype."""
    if g.shape != shape:
        g = ops.sum_to_shape(g, shape, op_type, batch_dims)
    return g if g.dtype == dtype else ops.cast(g, dtype)


def _accumulate(grads, key, g):
    previous = grads.get(key)
    grads[key] = g if previous is None else ops.add(previous, g)
