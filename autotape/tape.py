"""GradientTape: recording scopes, and the calls that run the reverse pass over them."""

import contextlib
import enum
import warnings

import numpy as np

from . import nest, ops
from .backprop import NotBatchable, backprop, differentiable
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

    _keeps_values = False  # records release what gradient rules do not read (not a tracer)

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._records = []
        self._tracked = set()  # ids of watched tensors and of outputs recorded from them
        self._watched_variables = {}  # id -> Variable
        self._entered = False
        self._used = False

    # --- recording scope ------------------------------------------------------------------
    def __enter__(self):
        if self._recording():
            raise ValueError("GradientTape: the tape is already recording; a tape cannot be "
                             "entered again inside its own `with` block")
        self._entered = True
        state.tapes.append(self)
        return self

    def __exit__(self, *exc_info):
        self._stop()
        return False

    def _recording(self):
        return any(tape is self for tape in state.tapes)

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
        if not self._entered:
            raise RuntimeError("stop_recording: the tape was never entered, so it is not "
                               "recording (use it inside the tape's `with` block)")
        position = self._stop()
        if position is None:
            raise ValueError("stop_recording: the tape is not recording (its `with` block "
                             "has ended)")
        try:
            yield
        finally:
            state.tapes.insert(position, self)

    def reset(self):
        """Forget everything recorded and watched, as if the tape had just been entered."""
        if not self._recording():
            raise ValueError("reset: the tape must be recording (call it inside the tape's "
                             "`with` block)")
        self._records = []
        self._tracked = set()
        self._watched_variables = {}
        self._used = False

    # --- watching -------------------------------------------------------------------------
    def watch(self, tensor):
        """Track a Tensor or Variable (or a nested list/tuple/dict of them).

        The tapes enclosing this one that are recording watch it too, so that nested tapes
        give higher derivatives of constants; tapes nested inside this one do not."""
        tapes = state.tapes
        position = next((i for i, tape in enumerate(tapes) if tape is self), 0)
        for x in nest.flatten(tensor):
            if not isinstance(x, Tensor):
                raise ValueError(f"watch: expected a Tensor or Variable, got "
                                 f"{type(x).__name__}; convert it with at.constant() first")
            if not differentiable(x.dtype):
                warnings.warn(f"watch: the dtype of the watched tensor must be floating, "
                              f"got {x.dtype}; it is not watched", stacklevel=2)
                continue
            self._watch_one(x)
            for tape in tapes[:position]:
                tape._watch_one(x)

    def _watch_one(self, x):
        self._tracked.add(x._id)
        if isinstance(x, Variable):
            self._watched_variables[x._id] = x

    def watched_variables(self):
        """The Variables this tape watches, in creation order."""
        return tuple(v for _, v in sorted(self._watched_variables.items()))

    # --- gradients ------------------------------------------------------------------------
    def _check_usable(self, what):
        if not self._entered:
            raise RuntimeError(f"{what}: the tape was never entered, so it recorded nothing "
                               "(compute inside `with GradientTape() as tape:`)")
        if self._used:
            raise RuntimeError(f"{what}: a non-persistent GradientTape can compute only one "
                               "set of gradients; use GradientTape(persistent=True) for more")

    def _begin_reverse_pass(self):
        """The records, handed to one reverse pass (called once the arguments are valid:
        a call that fails before this leaves the tape as it was, as in TensorFlow)."""
        records = self._records
        if not self._persistent:
            self._stop()  # called inside its own block: a non-persistent tape stops here
            self._used = True
            self._records = []  # the reverse pass owns the records and frees them as it goes
        return records

    def _sources(self, sources):
        """The sources this tape can differentiate against: watched, or computed by an
        operation it recorded (others get None, as in TensorFlow)."""
        return [s for s in sources if s._id in self._tracked]

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of ``sources``."""
        self._check_usable("gradient")
        unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        if target is None:
            raise TypeError("gradient: target is None; pass the tensor(s) to differentiate")
        targets = [_as_tracked(t, "target") for t in nest.flatten(target)]
        source_tensors = [_as_tracked(s, "source") for s in nest.flatten(sources)]
        seeds = _seeds(targets, output_gradients)
        for t in targets:  # a trainable Variable as the target counts as read by the tape
            if isinstance(t, Variable) and t.trainable and self._watch_accessed_variables:
                self._watch_one(t)
        for t in targets:
            warn_if_not_float(t.dtype, "target")
        for s in source_tensors:
            warn_if_not_float(s.dtype, "source")
        grads = backprop(self._begin_reverse_pass(), targets, seeds,
                         self._sources(source_tensors), release=not self._persistent)
        results = [_finish(grads.get(s._id), s, unconnected_gradients) for s in source_tensors]
        return nest.pack_like(sources, results)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...], of shape target.shape + source.shape."""
        self._check_usable("jacobian")
        unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        target = _as_tracked(target, "target")
        source_tensors = [_as_tracked(s, "source") for s in nest.flatten(sources)]
        records = self._begin_reverse_pass()
        if target.size == 0:  # no rows: empty Jacobians, connected or not
            return nest.pack_like(sources, [ops.zeros(target.shape + s.shape, s.dtype)
                                            for s in source_tensors])
        seeds = np.eye(target.size, dtype=target.dtype).reshape((target.size,) + target.shape)
        connected = self._sources(source_tensors)
        rows_of = dict(zip([s._id for s in connected],
                           _reverse_passes(records, target, connected, seeds)))
        results = []
        for s in source_tensors:
            rows = rows_of.get(s._id)
            if rows is None:
                results.append(None if unconnected_gradients is UnconnectedGradients.NONE
                               else ops.zeros(target.shape + s.shape, s.dtype))
            else:
                results.append(ops.reshape(rows, target.shape + s.shape))
        return nest.pack_like(sources, results)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: shape (batch,) + target.shape[1:] + source.shape[1:].

        Assumes example i of the target depends only on example i of the source. Where the
        target does not depend on the source the result is zeros of the target's dtype,
        whatever ``unconnected_gradients`` says (as in TensorFlow)."""
        self._check_usable("batch_jacobian")
        target = _as_tracked(target, "target")
        source = _as_tracked(source, "source")
        if target.ndim < 2 or source.ndim < 2:
            raise ValueError(f"batch_jacobian: target {target.shape} and source {source.shape} "
                             "must both have rank 2 or more (a batch axis and an example axis)")
        if target.shape[0] != source.shape[0]:
            raise ValueError(f"batch_jacobian: the first (batch) dimensions of target "
                             f"{target.shape} and source {source.shape} differ")
        records = self._begin_reverse_pass()
        batch = target.shape[0]
        per_example = int(np.prod(target.shape[1:], dtype=np.int64))
        # Seed k selects element k of every example at once.
        seeds = np.broadcast_to(np.eye(per_example, dtype=target.dtype)[:, None, :],
                                (per_example, batch, per_example))
        sources = self._sources([source])
        rows = _reverse_passes(records, target, sources, seeds.reshape(
            (per_example,) + target.shape))[0] if sources else None
        if rows is None:
            return ops.zeros(target.shape + source.shape[1:], target.dtype)
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
        sizes = [min(chunk, rows - start) for start in range(0, rows, chunk)]
        blocks = [backprop(records, [target], [seeds[start:start + size]], sources,
                           release=False, batch=(size,))
                  for start, size in zip(range(0, rows, chunk), sizes)]
        parts = [[block.get(s._id) for s in sources] for block in blocks]
    except NotBatchable:
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


def _seeds(targets, output_gradients):
    """The seed of each target (None: ones), checked before the tape is used up, so that a
    call with wrong ``output_gradients`` can be corrected."""
    if output_gradients is None:
        return [None] * len(targets)
    given = nest.flatten(output_gradients)
    if len(given) != len(targets):
        raise ValueError(f"gradient: {len(given)} output_gradients for {len(targets)} targets")
    seeds = []
    for target, s in zip(targets, given):
        if s is not None and differentiable(target.dtype):
            s = as_tensor(s, target.dtype)
            if s.shape != target.shape:
                raise ValueError(f"gradient: output_gradients of shape {s.shape} for a "
                                 f"target of shape {target.shape}")
        seeds.append(s)
    return seeds


def _as_tracked(x, role):
    if isinstance(x, Tensor):
        return x
    raise ValueError(f"gradient: each {role} must be a Tensor or Variable, got "
                     f"{type(x).__name__}")


def warn_if_not_float(dtype, role, where="", stacklevel=3):
    """TensorFlow's warning for a target or source that cannot carry a gradient."""
    if not differentiable(dtype):
        warnings.warn(f"The dtype of the {role} tensor must be floating (e.g. float32) when "
                      f"calling GradientTape.gradient, got {dtype}{where}; its gradient is "
                      "None", stacklevel=stacklevel)


def _finish(grad, source, unconnected):
    if not differentiable(source.dtype):
        return None
    if grad is None and unconnected is UnconnectedGradients.ZERO:
        return ops.zeros(source.shape, source.dtype)
    return grad
