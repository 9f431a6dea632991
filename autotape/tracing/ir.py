"""The value-free record of one traced call: equations over numbered slots.

A slot is one tensor of the trace: an input (an argument's value or a Variable the function
read), a constant (a value that did not depend on the inputs, kept read-only), or an output
of an equation. An equation names its primitive (``registry.forwards`` computes it), its
input and output slots and its attrs; the trace knows every slot's shape and dtype. Guards
say what the traced Python code saw of a value, and after which equation it looked.
"""

from typing import Any, NamedTuple

import numpy as np


class Equation(NamedTuple):
    type: str
    inputs: tuple  # slots
    outputs: tuple  # slots
    attrs: dict


class Guard(NamedTuple):
    """The value of ``slot`` as the traced code saw it: checked once ``after`` equations ran.

    ``kind`` "outcome": ``bool()`` gave ``expected`` (the comparison's outcome, not the
    value compared); "value": the code read the value itself (``float()``, an index, a NumPy
    conversion), which must then be ``expected`` exactly."""

    slot: int
    after: int
    kind: str
    expected: Any
    what: str  # how the value was read: "bool()", "float()", "an index", ...
    where: str  # file:line of the user's code that read it

    def describe(self):
        if self.kind == "outcome":
            return f"{self.what} was {self.expected} at {self.where}"
        return f"{self.what} read the value {_short(self.expected)} at {self.where}"


def same_value(a, b):
    """Equal shape, dtype and elements, NaN equal to NaN (a guard on a value that is NaN holds
    when it is NaN again)."""
    return (a.shape == b.shape and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))


def _short(array):
    text = np.array2string(np.asarray(array), threshold=6, separator=", ")
    return text if len(text) < 60 else text[:57] + "..."


class Trace(NamedTuple):
    """``inputs``: the slots of the dynamic arguments (flattened, in order), then those of the
    ``variables`` read. ``outputs``: per leaf of the result structure, ("slot", k) or
    ("static", python value). ``structure``: the result with its leaves as placeholders."""

    shapes: tuple  # per slot
    dtypes: tuple  # per slot
    inputs: tuple
    variables: tuple  # the Variables read (their current values are inputs on each call)
    constants: dict  # slot -> read-only array
    equations: tuple
    guards: tuple
    outputs: tuple
    structure: Any
    unsupported: tuple  # (what, where) that stops it running compiled; empty if it can

    def guards_after(self):
        """{number of equations run: guards checked then}."""
        checks = {}
        for index, guard in enumerate(self.guards):
            checks.setdefault(guard.after, []).append(index)
        return checks
