"""Results as NumPy arrays, and their comparison with the reference result."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

RTOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-3}
ATOL = {np.dtype(np.float64): 1e-8, np.dtype(np.float32): 1e-6}

Parts = list[tuple[str, np.ndarray]]


def as_numpy(result: Any) -> Any:
    """Convert a result of any library (nested tuples/lists kept) to NumPy arrays."""
    if isinstance(result, (tuple, list)):
        return tuple(as_numpy(item) for item in result)
    if hasattr(result, "detach"):  # torch
        result = result.detach()
    if hasattr(result, "numpy"):  # autotape, torch, tensorflow
        result = result.numpy()
    return np.asarray(result)


def labelled_parts(result: Any) -> Parts:
    """(label, array) pairs: a ``(value, gradient)`` result gives "value" and "gradient"
    (``gradient[i]`` for several gradients)."""
    top_labels = ("value", "gradient")
    if not isinstance(result, tuple):
        return [("value", result)]
    parts: Parts = []
    for index, item in enumerate(result):
        label = top_labels[index] if index < len(top_labels) else f"output {index}"
        if isinstance(item, tuple):
            parts.extend((f"{label}[{i}]", sub) for i, sub in enumerate(item))
        else:
            parts.append((label, item))
    return parts


def tolerance(*dtypes: np.dtype) -> tuple[float, float]:
    """(rtol, atol): the looser of the dtypes' (float32 if any is float32 or narrower)."""
    if any(np.dtype(d).kind == "f" and np.dtype(d).itemsize <= 4 for d in dtypes):
        key = np.dtype(np.float32)
    else:
        key = np.dtype(np.float64)
    return RTOL[key], ATOL[key]


def mismatch(reference: Any, result: Any) -> Optional[str]:
    """None when ``result`` agrees with ``reference``, else a one-line description."""
    expected, actual = labelled_parts(reference), labelled_parts(result)
    if len(expected) != len(actual):
        return f"returns {len(actual)} arrays, reference {len(expected)}"
    for (label, want), (_, got) in zip(expected, actual):
        if want.shape != got.shape:
            return f"{label} has shape {got.shape}, reference {want.shape}"
        rtol, atol = tolerance(want.dtype, got.dtype)
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            with np.errstate(divide="ignore", invalid="ignore"):
                relative = np.max(np.abs(got - want) / np.maximum(np.abs(want), atol))
            return f"{label} differs: max relative error {relative:.2g} (rtol {rtol:g})"
    return None
