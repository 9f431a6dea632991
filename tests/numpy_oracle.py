"""NumPy as the oracle for functions called on Tensors: values against NumPy's own result,
gradients against central finite differences of NumPy's function (``gradcheck``)."""

import numpy as np

import autotape as at
from gradcheck import assert_close, numeric_grad, random_weights

F64, F32 = np.float64, np.float32


def sample(shape, seed=0, lo=0.3, hi=1.7):
    """Magnitudes in [lo, hi) with random signs: away from the kinks of |x| at 0, and
    generic (distinct sums, maxima and singular values)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def compare(fn, arrays, dtype=F64, grads=True, seed=1):
    """``fn`` on arrays (NumPy's own result) and on Tensors (autotape's, through NumPy's
    protocols or directly): same shape, dtype, value; gradients of sum(w * fn) equal to
    central differences of NumPy's fn in float64 at the same (rounded) inputs."""
    inputs = [np.asarray(a, dtype=dtype) for a in arrays]
    arrays = [a.astype(F64) for a in inputs]
    expected = np.asarray(fn(*arrays))
    xs = [at.constant(a) for a in inputs]
    with at.GradientTape() as tape:
        tape.watch(xs)
        y = fn(*xs)
    assert isinstance(y, at.Tensor), f"got {type(y).__name__}, not a Tensor"
    assert y.shape == expected.shape, f"shape {y.shape} != NumPy's {expected.shape}"
    f32 = dtype == F32
    if y.dtype.kind == "f":
        assert y.dtype == dtype, f"dtype {y.dtype} != {np.dtype(dtype)}"
    assert_close(y.numpy(), expected, rtol=2e-5 if f32 else 1e-10, atol=1e-6 if f32 else 1e-12,
                 what="value")
    if not grads:
        return y
    w = random_weights(expected.shape, seed)
    if f32:
        w = w.astype(F32).astype(F64)
    gs = tape.gradient(y, xs, output_gradients=at.constant(w.astype(dtype)))
    for i, (g, n) in enumerate(zip(gs, numeric_grad(fn, *arrays, weights=w))):
        assert g is not None, f"no gradient for argument {i}"
        assert g.shape == arrays[i].shape and g.dtype == dtype
        assert_close(g.numpy(), n, rtol=1e-3 if f32 else 1e-5, atol=1e-4 if f32 else 1e-7,
                     what=f"gradient {i}")
    return y
