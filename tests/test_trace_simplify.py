"""A trace is simplified before it is compiled (``tracing.simplify``): equal constants and
equations merged, unread equations dropped. Compiled calls must still give eager's bits,
check their guards, raise eager's errors and run a user's primitives every time."""

import numpy as np
import pytest

import autotape as at
from autotape.tracing.simplify import _frozen, simplify


def _trace_of(f):
    (entry,) = f._entries.values()
    (compiled,) = entry.traces
    return compiled.trace, compiled


def _assert_same_bits(got, want):
    for g, w in zip(at.nest.flatten(got), at.nest.flatten(want)):
        g, w = np.asarray(g.numpy()), np.asarray(w.numpy())
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g.view(np.uint8), w.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [5, 600])  # the interpreter, and the Python back end
def test_nested_gradients_merge_repeated_work_and_keep_eager_bits(size, dtype):
    def derivative(g):
        return lambda t: at.gradients_function(g)(t)[0]

    def third(t):
        return derivative(derivative(derivative(lambda u: at.square(at.sin(u)))))(t)

    f = at.tape_function(third)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = at.constant(rng.uniform(-3, 3, size).astype(dtype))
        _assert_same_bits(f(x), third(x))
    trace, compiled = _trace_of(f)
    assert compiled.equations_run < len(trace.equations) - 8  # sin(x) alone is recorded 4 times
    assert f.cache_info().compiled_calls == 2
    assert f"({compiled.equations_run} once equal ones are merged" in f.explain()


def test_merged_equations_take_their_guards_along():
    """A guard on a value whose equation repeats an earlier one checks the earlier one's
    slot, keeps its number, and fails and retraces as before."""
    def f(x):
        a = at.exp(x) * 2.0
        b = at.exp(x) * 2.0  # the same equations: merged into a
        if at.reduce_sum(b) > 10.0:  # guard 0, on b
            return a * 3.0
        return a - b

    g = at.tape_function(f)
    for v in [0.1, 2.0, 0.2, 3.0, 0.3]:  # the branch flips: two traces, guard failures
        x = at.constant(np.full(3, v))
        _assert_same_bits(g(x), f(x))
    info = g.cache_info()
    assert info.traces == 2 and info.guard_failures == 2 and info.compiled_calls == 3
    trace = g._entries[next(iter(g._entries))].traces[0].trace
    simplified = simplify(trace)
    assert len(simplified.equations) < len(trace.equations)
    (guard,) = simplified.guards
    producers = {k for eq in simplified.equations for k in eq.outputs}
    assert guard.slot in producers
    assert "failed 2 times" in g.explain()


def test_a_guard_after_dropped_equations_is_checked_after_those_kept():
    def f(x):
        unread = at.sin(x) * 5.0  # nothing reads it: dropped
        del unread
        if at.reduce_max(x) > 0:
            return at.cos(x)
        return at.tanh(x)

    trace = at.tape_function(f)
    for v in [0.5, -0.5, 0.25, -0.25]:
        x = at.constant(np.full(4, v))
        _assert_same_bits(trace(x), f(x))
    for entry in trace._entries.values():
        for compiled in entry.traces:
            simplified = simplify(compiled.trace)
            assert len(compiled.trace.equations) == 5 and len(simplified.equations) == 3
            assert compiled.trace.guards[0].after == 4
            assert simplified.equations[0].type == "Max"
            # right after the comparison, whose outcome it checks
            assert simplified.guards[0].after == 2
            assert simplified.equations[1].outputs == (simplified.guards[0].slot,)


def test_unread_operations_that_can_raise_still_run():
    """A Cholesky factor nothing reads is kept: a compiled call raises as eager does."""
    def f(a):
        at.linalg.cholesky(a)  # a check the user wrote, its value unused
        return a * 2.0

    g = at.tape_function(f)
    good = np.eye(3) * 2.0
    _assert_same_bits(g(good), f(at.constant(good)))
    g(good)
    assert g.cache_info().compiled_calls == 1
    with pytest.raises(np.linalg.LinAlgError, match="cholesky"):
        g(-good)


def test_unread_casts_still_run_under_numpys_error_state():
    """NumPy's cast of NaN to an integer raises under np.errstate(invalid="raise"): a cast
    nothing reads still runs, so a compiled call raises as eager does."""
    def f(x):
        at.cast(x, np.int32)
        return x + 1.0

    g = at.tape_function(f)
    g(np.ones(3))
    g(np.ones(3))
    assert g.cache_info().compiled_calls == 1
    bad = np.array([1.0, np.nan, 2.0])
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            f(at.constant(bad))
        with pytest.raises(FloatingPointError):
            g(bad)


def test_constants_of_equal_values_in_other_layouts_are_not_merged():
    """A symmetric matrix and its transpose (the same values, an F-ordered view): a BLAS
    product rounds differently for each, so each keeps its own constant and product."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((300, 300))
    s = at.constant(a + a.T)
    st = at.transpose(s)

    def f(x):
        return at.matmul(x, s) - at.matmul(x, st)

    g = at.tape_function(f)
    x = at.constant(rng.standard_normal((1, 300)))
    g(x)
    _assert_same_bits(g(x), f(x))
    trace, _ = _trace_of(g)
    assert len(simplify(trace).constants) == len(trace.constants) == 2


calls = []


@at.primitive(name="TestSimplifyCountingSquare")
def counting_square(a):
    calls.append(1)
    return a * a


def test_a_users_primitive_is_neither_merged_nor_dropped():
    def f(x):
        counting_square(x)  # unread
        return counting_square(x) + counting_square(x)

    g = at.tape_function(f)
    x = np.arange(3.0)
    g(x)  # traced: three calls
    calls.clear()
    np.testing.assert_array_equal(g(x).numpy(), 2 * x * x)
    assert g.cache_info().compiled_calls == 1 and len(calls) == 3


def test_equal_constants_merge_and_signed_zeros_do_not():
    def f(x):
        return (x * at.constant(0.0) + x * at.constant(-0.0), x * at.constant(1.5)
                + x * at.constant(1.5))

    g = at.tape_function(f)
    for v in [-2.0, 3.0]:
        x = at.constant(np.array([v, -v]))
        _assert_same_bits(g(x), f(x))
    trace, _ = _trace_of(g)
    simplified = simplify(trace)
    assert len(trace.constants) == 4 and len(simplified.constants) == 3
    assert len(simplified.equations) == len(trace.equations) - 1  # x * 1.5 once


def test_attrs_are_compared_by_type_and_value():
    assert _frozen(1) != _frozen(True) != _frozen(1.0)
    assert _frozen((slice(1, 3), None)) == _frozen((slice(1, 3), None))
    assert _frozen(np.zeros(2, np.float32)) != _frozen(np.zeros(2, np.float64))
    assert _frozen(np.array([1, 2])) != _frozen(np.array([[1, 2]]))

    def f(x):
        return at.reduce_sum(x, axis=0) + at.reduce_sum(x, axis=1) + at.reduce_sum(x, axis=0)

    g = at.tape_function(f)
    x = at.constant(np.arange(9.0).reshape(3, 3))
    _assert_same_bits(g(x), f(x))
    trace, _ = _trace_of(g)
    assert [eq.type for eq in simplify(trace).equations].count("Sum") == 2


def test_a_taped_call_differentiates_the_recorded_trace():
    """Gradients of a compiled call replay the trace as recorded: eager's bits, although
    the call ran merged equations."""
    def f(x):
        return at.sin(x) * at.sin(x) + at.sin(x)

    g = at.tape_function(f)
    x = at.constant(np.linspace(-1.0, 1.0, 7))
    g(x)
    for fn in (g, f):
        with at.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        if fn is g:
            got = (y, tape.gradient(y, x))
        else:
            want = (y, tape.gradient(y, x))
    _assert_same_bits(got, want)
    assert g.cache_info().compiled_calls >= 1


def test_slots_are_numbered_again_so_a_dead_large_tensor_does_not_choose_the_back_end():
    """A tensor of 600 elements nothing reads is dropped with its slot: the trace runs on
    the interpreter, which takes tensors of at most 256 elements, and returns an input
    (copied) beside a computed value."""
    def f(x):
        at.tile(x, (200,)) * 2.0  # unread
        return x, at.sin(x) * 2.0

    g = at.tape_function(f)
    x = np.array([0.5, -1.0, 2.0])
    g(x)
    got = g(x)
    _assert_same_bits(got, f(at.constant(x)))
    assert got[0].numpy() is not x and np.shares_memory(got[0].numpy(), x) is False
    trace, compiled = _trace_of(g)
    assert compiled.backend == "interpreter", g.explain()
    simplified = simplify(trace)
    assert len(simplified.shapes) == 4 < len(trace.shapes)  # x, 2.0, sin(x), the product
    assert max(np.prod(shape) for shape in simplified.shapes) == 3
