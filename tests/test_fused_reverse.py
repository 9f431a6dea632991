"""The compiled reverse pass for small elementwise tapes agrees with the general one.

An outer tape that records forces the general (Python-level) reverse pass, since the
gradient computation must then be recorded; without one, small elementwise tapes run in
one compiled kernel. Both must give the same gradients."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autotape as at

UNARY = [at.sin, at.cos, at.tanh, at.exp, at.sigmoid, at.softplus, at.square, at.atan,
         at.negative, at.elu]
BINARY = [at.add, at.subtract, at.multiply, at.maximum, at.minimum,
          lambda a, b: a / (1.5 + at.square(b))]


def _gradients(program, x, w, scalar, dtype, general):
    xs = at.constant(x, dtype)
    ws = at.constant(w, dtype)
    ss = at.constant(scalar, dtype)
    outer = at.GradientTape()
    if general:
        outer.__enter__()
        outer.watch(xs)
    try:
        with at.GradientTape() as tape:
            tape.watch([xs, ws, ss])
            y = xs
            for kind, k in program:
                if kind == "u":
                    y = UNARY[k](y)
                elif kind == "w":
                    y = BINARY[k](y, ws)
                else:
                    y = BINARY[k](ss, y) * 0.5
        grads = tape.gradient(y, [xs, ws, ss], unconnected_gradients="zero")
        return [g.numpy() for g in grads]
    finally:
        if general:
            outer.__exit__(None, None, None)


step = st.one_of(st.tuples(st.just("u"), st.integers(0, len(UNARY) - 1)),
                 st.tuples(st.sampled_from(["w", "s"]), st.integers(0, len(BINARY) - 1)))


@given(program=st.lists(step, min_size=1, max_size=24),
       shape=st.sampled_from([(), (3,), (2, 3)]),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_compiled_and_general_reverse_passes_agree(program, shape, dtype):
    rng = np.random.default_rng(len(program))
    x = rng.uniform(-1.0, 1.0, shape)
    w = rng.uniform(-1.0, 1.0, shape)
    fused = _gradients(program, x, w, 0.7, dtype, general=False)
    general = _gradients(program, x, w, 0.7, dtype, general=True)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(fused, general):
        assert a.shape == b.shape and a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_compiled_reverse_pass_matches_closed_form():
    x = at.constant(0.3)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(50):
            y = at.sin(y) * 1.01
    expected, value = 1.0, 0.3
    for _ in range(50):
        expected *= np.cos(value) * 1.01
        value = np.sin(value) * 1.01
    assert y.numpy() == pytest.approx(value, rel=1e-14)
    assert tape.gradient(y, x).numpy() == pytest.approx(expected, rel=1e-12)


def test_single_element_operand_gets_the_summed_gradient():
    x = at.constant([1.0, 2.0, 3.0])
    c = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch([x, c])
        y = at.sin(x * c)
    gx, gc = tape.gradient(y, [x, c])
    np.testing.assert_allclose(gx.numpy(), 2.0 * np.cos(2.0 * x.numpy()), rtol=1e-14)
    assert gc.shape == () and gc.numpy() == pytest.approx(np.sum(x.numpy() * np.cos(2 * x.numpy())))


def test_in_place_accumulation_never_touches_a_shared_gradient():
    # Large enough for the general reverse pass; x feeds several paths whose gradients
    # add up, and the add rule hands one gradient object to both of its inputs.
    xv = np.linspace(-1.0, 1.0, 1000)
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        a = x + x
        y = at.reduce_sum(a * x + at.sin(x) + a)
    g = tape.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), 4 * xv + np.cos(xv) + 2, rtol=1e-14, atol=1e-14)


def test_output_gradients_are_not_modified_in_place():
    xv = np.linspace(-1.0, 1.0, 1000)
    x = at.constant(xv)
    seed = np.full(1000, 2.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x + x
    g = tape.gradient(y, x, output_gradients=seed)
    np.testing.assert_array_equal(seed, 2.0)
    np.testing.assert_allclose(g.numpy(), 2.0 * (2 * xv + 1), rtol=1e-14)
