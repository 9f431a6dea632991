"""Running a trace of small tensors with the interpreter kernel (kernels.interpreter).

A trace qualifies when every tensor is small (at most ``MAX_ELEMENTS`` elements) and its
float tensors share one dtype, float32 or float64. Those, and its bools (as 0 and 1), live in
one value buffer; each equation the kernel has a step for becomes rows of integers over it,
as does each guard on a buffered value. Steps: the elementwise formulas (an operand
broadcast along axes is gathered to the output's shape first) and their fused gradients (a
broadcast operand's summed through a table of its elements, in eager's order), where,
copies and casts, operations that only move elements (a transpose, a slice, a tile, a
concatenation, a broadcast: a gather through a table of offsets) and a slice's gradient (a
scatter), sums, products and extrema over axes (eager's reduction kernels, in the layout
eager's planner picks), and matrix products small enough for eager's loop kernel. No compile
per trace: the kernel is compiled once and cached on disk. A call is generated Python: copy
the inputs in, run the rows, read the outputs out.

Any other equation (a larger matmul, an integer operation, a user's primitive) is a host
step: the generated call runs its forward, as the Python back end does, between two runs of
the kernel, on the arrays eager would pass it (inputs, constants, views made again, else
views of the buffer); a guard on a value outside the buffer is
checked there too. ``host_steps`` says which equations ran there and why.
"""

import functools
import hashlib
import math

import numpy as np

from ..kernels import formulas
from ..ops import indexing, linalg, reductions, registry
from . import python_backend
from .ir import same_value

MAX_ELEMENTS = 256  # per tensor: beyond this a loop per operation costs more than dispatch
# A buffer up to this many elements starts as a copy of a whole template (one call, half the
# time of an empty buffer and a copy of its prefix); a larger one copies only the prefix.
COPIED_BUFFER_MAX = 4096


class NotEligible(Exception):
    """The trace holds something the interpreter does not run (the message says what)."""


@functools.cache
def _kernel():
    from ..kernels import cache, interpreter, matmul, reduce

    # Named by what it compiles: its source and the modules of the eager kernels it calls
    # (Numba's cache would not notice a change of a called function), so an upgrade never
    # loads stale code.
    source = interpreter.source()
    digest = hashlib.sha256(source.encode())
    for module in (reduce, matmul):
        with open(module.__file__, "rb") as f:
            digest.update(f.read())
    return cache.generated_module(f"interpreter_{digest.hexdigest()[:16]}", source).run


@functools.cache
def _codes():
    """{(kind, formula name, needs): opcode} of the kernel's steps."""
    from ..kernels import interpreter

    return {entry: code for code, entry in enumerate(interpreter.opcodes())}


@functools.cache
def _steps():
    """{op type (and needs, for binary gradients): (opcode, kind, formula name)}."""
    from ..ops.elementwise import formula_op_types

    codes = _codes()
    steps = {}
    for op_type, (kind, name) in formula_op_types().items():
        for needs in (("a", "b", "ab") if kind == "binary_grad" else ("",)):
            code = codes.get((kind, name, needs))
            if code is not None:
                steps[(op_type, needs) if needs else op_type] = (code, kind, name)
    return steps


_COPIES = {"Reshape", "Identity", "StopGradient"}
# Operations that only move elements: their forward, run on the offsets of their inputs'
# elements in the buffer, gives the offset each output element is gathered from.
_GATHERS = {"Transpose", "BroadcastTo", "StridedSlice", "ConcatV2", "Tile"}
# Operations whose eager forward may return a view of its input (strided, not contiguous).
_VIEWS = _COPIES | {"Transpose", "BroadcastTo", "StridedSlice", "Cast"}
_REDUCTIONS = {"Sum": reductions.SUM, "Prod": reductions.PROD, "Max": reductions.MAX,
               "Min": reductions.MIN}
BUFFER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _HostStep(Exception):
    """The equation has no row in the kernel: it runs by its forward (the message says why)."""


class Interpreted:
    """A trace encoded for the interpreter kernel; ``call(inputs)`` runs it."""

    backend = "interpreter"

    def __init__(self, trace):
        from ..kernels import interpreter as k

        self._k = k
        self.trace = trace
        self.dtype = self._buffer_dtype(trace)
        self.sizes = [math.prod(shape) for shape in trace.shapes]
        for n in self.sizes:
            if n > MAX_ELEMENTS:
                raise NotEligible(f"a tensor of {n} elements (more than {MAX_ELEMENTS})")
        buffered = [dtype == self.dtype or dtype == np.bool_ for dtype in trace.dtypes]
        # The buffer starts with the constants and the values guards expect: a call copies
        # that prefix into a fresh buffer (a small one: a whole template, see
        # COPIED_BUFFER_MAX), as every row writes all of its outputs before any row reads
        # them (and the call writes the inputs and host results in).
        self.offsets, size = [None] * len(self.sizes), 0  # per slot, None: a host value
        for s in trace.constants:
            if buffered[s]:
                self.offsets[s], size = size, size + self.sizes[s]
        expected = {}  # guard index -> offset of the value it expects
        for index, guard in enumerate(trace.guards):
            if guard.kind == "value" and buffered[guard.slot]:
                expected[index], size = size, size + guard.expected.size
        self._prefix = size
        for s, is_buffered in enumerate(buffered):
            if is_buffered and s not in trace.constants:
                self.offsets[s], size = size, size + self.sizes[s]
        self._size = size  # grows by the scratch regions rows ask for
        self.host_steps = []  # (op type, why it is not a row), per equation run by its forward
        self._kernel_reads = set()  # slots some row reads: a host step's output goes to the buffer
        self._views = {}  # slot -> (number, equation) of a row whose eager forward may be a view
        self._program = [[]]  # lists of rows, between them ("equation", n) and ("guard", index)
        self._tables = []  # the integer tables rows read (kernels.interpreter's I), concatenated
        self._table_size = 0
        checks = trace.guards_after()
        for index in checks.get(0, ()):
            self._guard(index, expected)
        for n, eq in enumerate(trace.equations, 1):
            try:
                rows = self._rows(eq)
            except _HostStep as why:
                self.host_steps.append((eq.type, str(why)))
                self._program += [("equation", n), []]
            else:
                self._program[-1] += rows
                self._kernel_reads.update(eq.inputs)
                if eq.type in _VIEWS:
                    self._views[eq.outputs[0]] = (n, eq)
            for index in checks.get(n, ()):
                self._guard(index, expected)
        # Each run of the kernel's rows as one array; the host steps between them as they are.
        self._program = [np.array(item, np.int64) if isinstance(item, list) else item
                         for item in self._program if item != []]
        segments = [item for item in self._program if isinstance(item, np.ndarray)]
        if not segments:
            raise NotEligible("no operation or guard has a step in the kernel")
        self.rows = np.concatenate(segments)  # every row, in order (for describe)
        self.tables = np.concatenate(self._tables + [np.zeros(1, np.int64)])
        whole = self._size <= COPIED_BUFFER_MAX
        template = np.zeros(self._size if whole else self._prefix, self.dtype)
        for slot, value in trace.constants.items():
            if self.offsets[slot] is not None:
                self._put(template, slot, value)
        for index, offset in expected.items():
            template[offset:offset + trace.guards[index].expected.size] = \
                trace.guards[index].expected.reshape(-1)
        self.template = template
        self.call, self.glue_source = self._glue()
        # Compile (or load) the kernel for this buffer dtype now, inside compile time.
        _kernel()(self.rows[:0], np.zeros(1, self.dtype), self.tables)

    @staticmethod
    def _buffer_dtype(trace):
        floats = {d for d in trace.dtypes if d.kind == "f"}
        if len(floats) != 1 or floats.copy().pop() not in BUFFER_DTYPES:
            raise NotEligible("floats of several dtypes, or of none of float32 and float64: "
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
        raise _HostStep("an operand broadcast along more than a single element")

    def _places(self, slot):
        """The buffer offsets of a slot's elements, in its shape."""
        return self.offsets[slot] + np.arange(self.sizes[slot], dtype=np.int64).reshape(
            self.trace.shapes[slot])

    def _operand(self, slot, out, before):
        """(offset, step) of an operand of an elementwise forward writing ``out``. One
        broadcast along more than a single element is gathered to the output's shape first,
        into a scratch region, by a row appended to ``before``."""
        size, n = self.sizes[slot], self.sizes[out]
        if size == n or size == 1:
            return self.offsets[slot], int(size == n)
        return self._gathered(np.broadcast_to(self._places(slot), self.trace.shapes[out]),
                              before), 1

    def _gathered(self, places, before):
        """The offset of a scratch region the elements at ``places`` are gathered into, by a
        row appended to ``before``."""
        scratch, self._size = self._size, self._size + places.size
        before.append(self._row(self._k.GATHER, places.size, o0=scratch, t0=1,
                                i0=self._table(places)))
        return scratch

    def _matmul_rows(self, eq):
        """A product small enough for eager's loop kernel (a larger one is a host step: BLAS,
        as eager runs it); an operand whose batch axes broadcast is gathered to the batch."""
        k, trace = self._k, self.trace
        a, b = eq.inputs
        out = eq.outputs[0]
        plan = linalg.product_plan(trace.shapes[a], trace.shapes[b], trace.dtypes[a],
                                   trace.dtypes[b])
        if plan is None:
            raise _HostStep("a product for BLAS, as eager runs it")
        self._float(a, b, out)
        batch, m, inner, n = plan
        before, operands = [], []
        for s in (a, b):
            shape = trace.shapes[s]
            if math.prod(shape[:-2]) == 1:
                operands.append((self.offsets[s], 0))
                continue
            offset = self.offsets[s] if shape[:-2] == batch else self._gathered(
                np.broadcast_to(self._places(s), batch + shape[-2:]), before)
            operands.append((offset, shape[-2] * shape[-1]))
        (ia, sa), (ib, sb) = operands
        return before + [self._row(k.MATMUL, self.sizes[out], o0=self.offsets[out],
                                   t0=math.prod(batch), o1=m, t1=inner, i0=ia, s0=sa, i1=ib,
                                   s1=sb, i2=n)]

    def _float(self, *slots):
        for s in slots:
            if self.trace.dtypes[s] != self.dtype:
                raise _HostStep(f"a {self.trace.dtypes[s]} operand where {self.dtype} is "
                                "expected")

    def _rows(self, eq):
        """The rows computing equation ``eq`` (_HostStep if it has none)."""
        k, trace = self._k, self.trace
        for s in eq.inputs + eq.outputs:
            if self.offsets[s] is None:
                raise _HostStep(f"a {trace.dtypes[s]} operand")
        out = eq.outputs[0]
        n = self.sizes[out]
        ins = list(eq.inputs)
        outs = [(self.offsets[out], 1)]
        if eq.type in _REDUCTIONS:
            return [self._reduce_row(eq)]
        single = self.sizes[ins[0]] == 1
        if eq.type in _GATHERS and not (eq.type == "BroadcastTo" and single):
            return [self._gather_row(eq)]  # (a broadcast of one element is a copy, below)
        if eq.type == "StridedSliceGrad":
            return [self._scatter_row(eq)]
        before = []  # rows gathering broadcast operands
        if eq.type in _COPIES or eq.type in ("Cast", "BroadcastTo"):
            source = ins[0]
            if trace.dtypes[out] == np.bool_ and trace.dtypes[source] != np.bool_:
                code = k.NONZERO
            else:
                code = k.COPY
            return [self._encode(code, n, outs,
                                 [(self.offsets[source], self._step(source, n))])]
        if eq.type == "Select":
            c, x, y = ins
            self._float(x, y, out)
            reads = [self._operand(s, out, before) for s in (c, x, y)]
            return before + [self._encode(k.SELECT, n, outs, reads)]
        if eq.type == "MatMul":
            return self._matmul_rows(eq)
        step = _steps().get((eq.type, eq.attrs.get("needs")) if "needs" in eq.attrs
                            else eq.type)
        if step is None:
            raise _HostStep("no step in the kernel")
        code, kind, name = step
        self._float(*ins)
        if kind != "binary" or formulas.BINARY[name].result != "bool":
            self._float(*eq.outputs)
        if kind == "binary_grad":
            return [self._gradient_row(eq, code, name)]
        reads = [self._operand(s, out, before) for s in ins]
        return before + [self._encode(code, n, outs, reads)]

    def _gradient_row(self, eq, code, name):
        """A binary formula's fused gradient: over g's n elements, summed into a
        single-element operand's gradient (step 0); an operand broadcast along some axes is
        read, and its gradient summed, through the offsets of its elements in a table, as
        eager's n-d loop does."""
        g = eq.inputs[-1]
        n = self.sizes[g]
        shapes = (eq.attrs["shape_a"], eq.attrs["shape_b"])
        if all(math.prod(shape) in (1, n) for shape in shapes):
            return self._encode(code, n, [(self.offsets[o], self._step(o, n))
                                          for o in eq.outputs],
                                [(self.offsets[s], self._step(s, n)) for s in eq.inputs])
        places = [np.broadcast_to(np.arange(math.prod(shape)).reshape(shape),
                                  self.trace.shapes[g]) for shape in shapes]
        code = _codes()[("binary_grad_nd", name, eq.attrs["needs"])]
        return self._encode(code, n, [(self.offsets[o], 1) for o in eq.outputs],
                            [(self.offsets[s], 1) for s in eq.inputs],
                            table=self._table(np.concatenate([p.reshape(-1) for p in places])))

    def _table(self, values):
        """The offset in the rows' integer tables of ``values``, appended to them."""
        values = np.asarray(values, np.int64).reshape(-1)
        offset = self._table_size
        self._tables.append(values)
        self._table_size += values.size
        return offset

    def _reduce_row(self, eq):
        """A sum, product, maximum or minimum over axes, in the layout eager's planner
        picks, so that the kernel adds in eager's order."""
        k, trace = self._k, self.trace
        source, out = eq.inputs[0], eq.outputs[0]
        self._float(source, out)
        plan = reductions.reduction_plan(trace.shapes[source], eq.attrs["axes"])
        outer = inner = table = nd = 0
        if plan[0] in ("rows", "cols"):
            outer, inner = plan[1], plan[2]
        elif plan[0] == "nd":
            nd = plan[1].size
            table = self._table(np.concatenate([plan[1], plan[2]]))
        return self._row(k.REDUCE, self.sizes[source], o0=self.offsets[out],
                         t0=_REDUCTIONS[eq.type], o1=k.PLANS.index(plan[0]), t1=self.sizes[out],
                         i0=self.offsets[source], s0=outer, i1=inner, i2=table, s2=nd)

    def _gather_row(self, eq):
        k, trace = self._k, self.trace
        out = eq.outputs[0]
        if any(trace.dtypes[s] != trace.dtypes[out] for s in eq.inputs):
            raise _HostStep("operands of several dtypes")
        table = np.asarray(registry.forwards[eq.type][0](*[self._places(s) for s in eq.inputs],
                                                         **eq.attrs))
        if table.dtype != np.int64 or table.shape != trace.shapes[out]:
            raise _HostStep("its forward does not move elements only")
        return self._row(k.GATHER, self.sizes[out], o0=self.offsets[out], t0=1,
                         i0=self._table(table))

    def _scatter_row(self, eq):
        """A slice's gradient: zeros, with the gradient's elements put (basic indexing) or
        added in order (integer arrays, whose positions may repeat) at the slice's places."""
        k = self._k
        g, out = eq.inputs[0], eq.outputs[0]
        self._float(g, out)
        key = eq.attrs["key"]
        places = self._places(out)[key]
        if places.size != self.sizes[g]:
            raise _HostStep("a gradient broadcast into its slice")
        return self._row(k.SCATTER, self.sizes[g], o0=self.offsets[out],
                         t0=int(indexing.is_advanced(key)), t1=self.sizes[out],
                         i0=self.offsets[g], s0=1, i1=self._table(places))

    def _guard(self, index, expected):
        """A row checking guard ``index`` if its value is in the buffer, else a host check."""
        k, guard = self._k, self.trace.guards[index]
        slot = guard.slot
        if self.offsets[slot] is None:
            self._program += [("guard", index), []]
            return
        self._kernel_reads.add(slot)
        if guard.kind == "outcome":
            row = self._encode(k.GUARD_OUTCOME, 1, [(index, 0)],
                               [(self.offsets[slot], 0), (int(guard.expected), 0)])
        else:
            row = self._encode(k.GUARD_VALUE, self.sizes[slot], [(index, 0)],
                               [(self.offsets[slot], 1), (expected[index], 1)])
        self._program[-1].append(row)

    def _encode(self, code, n, outs, ins, **columns):
        """A row from (offset, step) pairs: up to two outputs and four inputs (and other
        columns named)."""
        if len(ins) > 4:
            raise _HostStep("more than four operands")
        for k, (offset, step) in enumerate(outs):
            columns[f"o{k}"], columns[f"t{k}"] = offset, step
        for k, (offset, step) in enumerate(ins):
            columns[f"i{k}"], columns[f"s{k}"] = offset, step
        return self._row(code, n, **columns)

    def _row(self, code, n, **columns):
        """A row of the kernel: its opcode, its element count and the columns named (see
        kernels.interpreter.COLUMNS), 0 where not named."""
        row = [code, n] + [0] * (len(self._k.COLUMNS) - 2)
        for name, value in columns.items():
            row[self._k.COLUMNS.index(name)] = value
        return row

    def _view(self, slot):
        """The expression reading a buffered slot as an array of its shape and dtype (the
        cheapest one: a 0-d view is ``V[k, ...]``, a third of what a reshape costs)."""
        start, shape = self.offsets[slot], tuple(self.trace.shapes[slot])
        if len(shape) == 0:
            read = f"V[{start}, ...]"
        elif len(shape) == 1:
            read = f"V[{start}:{start + self.sizes[slot]}]"
        else:
            read = f"V[{start}:{start + self.sizes[slot]}].reshape({shape!r})"
        return read + ".astype(np.bool_)" if self.trace.dtypes[slot] == np.bool_ else read

    def _glue(self):
        """The call as straight-line Python made for this trace (a loop over inputs and
        outputs costs about as much as the kernel's steps on scalars): copy the inputs into
        a fresh buffer, run the rows and the host steps between them, return the outputs or
        the failed guard. Returns the function and its source."""
        trace = self.trace
        namespace = {"np": np, "template": self.template, "kernel": _kernel(),
                     "size": self._size, "dtype": self.dtype,
                     "tables": self.tables, "same": same_value}
        if self.template.size == self._size:
            lines = ["def call(inputs):", "    V = template.copy()"]
        else:
            lines = ["def call(inputs):", "    V = np.empty(size, dtype)"]
            if self._prefix:
                lines.append(f"    V[:{self._prefix}] = template")
        positions = {}
        for position, s in enumerate(trace.inputs):
            positions.setdefault(s, position)
        named = set()  # slots the call holds as s<k>: host results, views made again
        host_results = set()

        def read(s):
            """A host step's argument: the array eager would pass, in eager's memory layout
            (a BLAS call's rounding depends on it): an input or a constant itself, a view
            made again by its forward, else the slot's part of the buffer."""
            if s in named:
                return f"s{s}"
            if s in positions:
                return f"inputs[{positions[s]}]"
            if s in trace.constants:
                namespace[f"c{s}"] = trace.constants[s]
                return f"c{s}"
            producer = self._views.get(s)
            if producer is None:
                return self._view(s)
            n, eq = producer
            lines.append(python_backend.forward_statement(eq, n, [read(k) for k in eq.inputs],
                                                          namespace))
            named.add(s)
            return f"s{s}"

        for s, position in positions.items():
            start = self.offsets[s]
            if start is None:
                continue
            if trace.shapes[s] == ():
                lines.append(f"    V[{start}] = inputs[{position}]")
            else:
                lines.append(f"    V[{start}:{start + self.sizes[s]}] = "
                             f"inputs[{position}].reshape(-1)")
        for number, item in enumerate(self._program):
            if isinstance(item, np.ndarray):
                namespace[f"rows{number}"] = item
                lines += [f"    failed = kernel(rows{number}, V, tables)",
                          "    if failed >= 0:", "        return int(failed)"]
            elif item[0] == "guard":
                index = item[1]
                guard = trace.guards[index]
                value = read(guard.slot)
                if value != f"s{guard.slot}":
                    lines.append(f"    s{guard.slot} = {value}")
                    named.add(guard.slot)
                if guard.kind == "value":
                    namespace[f"e{index}"] = guard.expected
                lines.append(python_backend.guard_statement(index, guard))
            else:
                n = item[1]
                eq = trace.equations[n - 1]
                arguments = [read(s) for s in eq.inputs]
                lines.append(python_backend.forward_statement(eq, n, arguments, namespace))
                named.update(eq.outputs)
                host_results.update(eq.outputs)
                for s in eq.outputs:
                    if s in self._kernel_reads:
                        start = self.offsets[s]
                        lines.append(f"    V[{start}:{start + self.sizes[s]}] = "
                                     f"np.asarray(s{s}).reshape(-1)")
        # A value the rows computed (or copied in) is read from the buffer, fresh each call.
        reads = [read(s) if s in host_results or self.offsets[s] is None else self._view(s)
                 for kind, s in trace.outputs if kind == "slot"]
        lines.append(f"    return ({''.join(r + ', ' for r in reads)})")
        source = "\n".join(lines)
        exec(source, namespace)  # the text holds only numbers and names made here
        return namespace["call"], source

    def describe(self):
        """The glue, then the rows, one per line, named by the kernel's own opcode table."""
        names = [f"{kind} {name} {needs}".strip() for kind, name, needs in self._k.opcodes()]
        lines = ["# interpreter call:\n# " + self.glue_source.replace("\n", "\n# "),
                 f"# interpreter rows over a {self.dtype} buffer of {self._size} "
                 f"elements and {self._table_size} table entries (opcode, n, outputs, inputs "
                 "as offset/step pairs), in order"]
        for row in self.rows.tolist():
            lines.append(f"# {names[row[0]]}: {row[1:]}")
        return "\n".join(lines) + "\n"
