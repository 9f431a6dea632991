"""Running a trace of small tensors in one call of the interpreter kernel (kernels.interpreter).

A trace qualifies when every equation is a step the kernel has (the elementwise formulas and
their fused gradients, full sums, copies, casts to and from bool, where) and every tensor is
small: at most ``MAX_ELEMENTS`` elements, of one float dtype or bool, each operand either
of the step's size or a single element. Then the trace becomes rows of integers over one
value buffer, and a call is: copy the inputs in, run the rows, read the outputs out. No
compile per trace: the kernel is compiled once and cached on disk.
"""

import functools
import hashlib
import math

import numpy as np

from ..kernels import formulas

MAX_ELEMENTS = 256  # per tensor: beyond this a loop per operation costs more than dispatch


class NotEligible(Exception):
    """The trace holds something the interpreter does not run (the message says what)."""


@functools.cache
def _kernel():
    from ..kernels import cache, interpreter, reduce

    source = interpreter.source()
    # Named by what it compiles: its source and the reduce.sum_all it calls (Numba's cache
    # would not notice a change of a called function), so an upgrade never loads stale code.
    with open(reduce.__file__, "rb") as f:
        digest = hashlib.sha256(source.encode() + f.read()).hexdigest()[:16]
    return cache.generated_module(f"interpreter_{digest}", source).run


@functools.cache
def _steps():
    """{op type (and needs, for binary gradients): (opcode, kind, formula name)}."""
    from ..kernels import interpreter
    from ..ops.elementwise import formula_op_types

    codes = {(kind, name, needs): code
             for code, (kind, name, needs) in enumerate(interpreter.opcodes())}
    steps = {}
    for op_type, (kind, name) in formula_op_types().items():
        for needs in (("a", "b", "ab") if kind == "binary_grad" else ("",)):
            code = codes.get((kind, name, needs))
            if code is not None:
                steps[(op_type, needs) if needs else op_type] = (code, kind, name)
    return steps


_COPIES = {"Reshape", "Identity", "StopGradient", "BroadcastTo"}


class Interpreted:
    """A trace encoded for the interpreter kernel; ``call(inputs)`` runs it."""

    backend = "interpreter"

    def __init__(self, trace):
        from ..kernels import interpreter as k

        self._k = k
        self.trace = trace
        self.dtype = self._buffer_dtype(trace)
        self.sizes = [math.prod(shape) for shape in trace.shapes]
        self.offsets, size = [], 0
        for n in self.sizes:
            if n > MAX_ELEMENTS:
                raise NotEligible(f"a tensor of {n} elements (more than {MAX_ELEMENTS})")
            self.offsets.append(size)
            size += n
        expected = {}  # guard index -> offset of the value it expects
        for index, guard in enumerate(trace.guards):
            if guard.kind == "value":
                expected[index] = size
                size += guard.expected.size
        template = np.zeros(size, self.dtype)
        for slot, value in trace.constants.items():
            self._put(template, slot, value)
        for index, offset in expected.items():
            template[offset:offset + trace.guards[index].expected.size] = \
                trace.guards[index].expected.reshape(-1)
        self.template = template
        rows, checks = [], trace.guards_after()
        for index in checks.get(0, ()):
            rows.append(self._guard_row(index, expected))
        for n, eq in enumerate(trace.equations, 1):
            rows.append(self._row(eq))
            for index in checks.get(n, ()):
                rows.append(self._guard_row(index, expected))
        self.rows = np.array(rows, np.int64).reshape(len(rows), k.COLUMNS)
        self.call, self.glue_source = self._glue()
        # Compile (or load) the kernel for this buffer dtype now, inside compile time.
        _kernel()(self.rows[:0], template[:1].copy())

    @staticmethod
    def _buffer_dtype(trace):
        floats = {d for d in trace.dtypes if d.kind == "f"}
        if len(floats) != 1 or any(d.kind not in "fb" for d in trace.dtypes):
            raise NotEligible("tensors of several dtypes, or of integers: "
                              + ", ".join(sorted({str(d) for d in trace.dtypes})))
        return floats.pop()

    def _put(self, buffer, slot, value):
        start = self.offsets[slot]
        buffer[start:start + self.sizes[slot]] = np.asarray(value).reshape(-1)

    def _step(self, slot, n):
        size = self.sizes[slot]
        if size == n:
            return 1
        if size == 1:
            return 0
        raise NotEligible("an operand broadcast along more than a single element")

    def _float(self, *slots):
        for s in slots:
            if self.trace.dtypes[s] != self.dtype:
                raise NotEligible(f"a {self.trace.dtypes[s]} operand where {self.dtype} "
                                  "is expected")

    def _row(self, eq):
        k, trace = self._k, self.trace
        out = eq.outputs[0]
        n = self.sizes[out]
        ins = list(eq.inputs)
        outs = [(self.offsets[out], 1)]
        if eq.type == "Sum":
            if n != 1:
                raise NotEligible("a sum over some axes only")
            self._float(ins[0], out)
            return self._encode(k.SUM, self.sizes[ins[0]], outs, [(self.offsets[ins[0]], 1)])
        if eq.type in _COPIES or eq.type == "Cast":
            source = ins[0]
            if trace.dtypes[out] == np.bool_ and trace.dtypes[source] != np.bool_:
                code = k.NONZERO
            else:
                code = k.COPY
            return self._encode(code, n, outs, [(self.offsets[source], self._step(source, n))])
        if eq.type == "Select":
            c, x, y = ins
            self._float(x, y, out)
            return self._encode(k.SELECT, n, outs, [(self.offsets[s], self._step(s, n))
                                                    for s in (c, x, y)])
        step = _steps().get((eq.type, eq.attrs.get("needs")) if "needs" in eq.attrs
                            else eq.type)
        if step is None:
            raise NotEligible(f"operation {eq.type}")
        code, kind, name = step
        self._float(*ins)
        if kind != "binary" or formulas.BINARY[name].result != "bool":
            self._float(*eq.outputs)
        if kind == "binary_grad":
            n = self.sizes[ins[-1]]  # the output gradient's size
            outs = [(self.offsets[o], self._step(o, n)) for o in eq.outputs]
        return self._encode(code, n, outs, [(self.offsets[s], self._step(s, n)) for s in ins])

    def _guard_row(self, index, expected):
        k, guard = self._k, self.trace.guards[index]
        slot = guard.slot
        if self.trace.dtypes[slot].kind not in "fb":
            raise NotEligible("a guard on an integer")
        if guard.kind == "outcome":
            return self._encode(k.GUARD_OUTCOME, 1, [(index, 0)],
                                [(self.offsets[slot], 0), (int(guard.expected), 0)])
        return self._encode(k.GUARD_VALUE, self.sizes[slot], [(index, 0)],
                            [(self.offsets[slot], 1), (expected[index], 1)])

    def _encode(self, code, n, outs, ins):
        row = [code, n]
        for offset, step in (outs + [(0, 0)] * 2)[:2]:
            row += [offset, step]
        if len(ins) > 4:
            raise NotEligible("a step of more than four operands")
        for offset, step in (ins + [(0, 0)] * 4)[:4]:
            row += [offset, step]
        return row

    def _glue(self):
        """The call as straight-line Python made for this trace (a loop over inputs and
        outputs costs about as much as the kernel's steps on scalars): copy the inputs into
        a fresh buffer, run the rows, return the output views or the failed guard. Returns the
        function and its source."""
        lines = ["def call(inputs):", "    V = template.copy()"]
        for position, s in enumerate(self.trace.inputs):
            start, size = self.offsets[s], self.sizes[s]
            lines.append(f"    V[{start}] = inputs[{position}]" if self.trace.shapes[s] == ()
                         else f"    V[{start}:{start + size}] = inputs[{position}].reshape(-1)")
        lines += ["    failed = kernel(rows, V)", "    if failed >= 0:",
                  "        return int(failed)"]
        reads = []
        for kind, s in self.trace.outputs:
            if kind == "slot":
                start, stop = self.offsets[s], self.offsets[s] + self.sizes[s]
                read = f"V[{start}:{stop}]"
                if self.trace.dtypes[s] == np.bool_:
                    read += ".astype(np.bool_)"
                reads.append(f"{read}.reshape({tuple(self.trace.shapes[s])!r})")
        lines.append(f"    return ({''.join(r + ', ' for r in reads)})")
        namespace = {"np": np, "template": self.template, "rows": self.rows,
                     "kernel": _kernel()}
        source = "\n".join(lines)
        exec(source, namespace)  # the text holds only numbers made here
        return namespace["call"], source

    def describe(self):
        """The glue, then the rows, one per line, named by the kernel's own opcode table."""
        names = [f"{kind} {name} {needs}".strip() for kind, name, needs in self._k.opcodes()]
        lines = ["# interpreter call:\n# " + self.glue_source.replace("\n", "\n# "),
                 f"# interpreter rows over a {self.dtype} buffer of {self.template.size} "
                 "elements (opcode, n, outputs, inputs as offset/step pairs)"]
        for row in self.rows.tolist():
            lines.append(f"# {names[row[0]]}: {row[1:]}")
        return "\n".join(lines) + "\n"
