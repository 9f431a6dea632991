"""dtype rules: what a dtype argument may be, and what Python numbers become."""

import numpy as np

float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
int8, int16, int32, int64 = (np.dtype(n) for n in ("int8", "int16", "int32", "int64"))
uint8, bool_ = np.dtype("uint8"), np.dtype("bool")


def as_dtype(dtype):
    """A NumPy dtype from a dtype, its type (np.float32) or its name ("float32")."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}; give a NumPy dtype, type or name") from None


def is_float(dtype):
    return dtype.kind == "f"


def is_python_number(x):
    return type(x) in (float, int, bool)


def python_number_dtype(x):
    """Python floats are float64, ints int64, bools bool (float64 is the default float)."""
    return bool_ if type(x) is bool else int64 if type(x) is int else float64


def float_result(dtype):
    """dtype of a transcendental function's result: floats keep theirs, others float64."""
    return dtype if dtype.kind == "f" else float64
