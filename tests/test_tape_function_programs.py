"""at.tape_function against eager autotape on random programs with branches (hypothesis).

A program is a list of steps, each a unary op, a binary op with a constant, a unary op
computed twice and added (``u(x) + u(x)``: equal equations, which the compiled trace runs
once), or a branch ``if reduce(x) > c: <steps> else: <steps>`` (branches nest). One interpreter runs it, as a
tape_function and eagerly, on several random inputs: the values must agree bitwise and the
gradients (value_and_grad, and a GradientTape around a call) to rtol 1e-12 (and bitwise
against the eager general reverse pass, which is what a traced gradient runs). The eager
runs also log which way every branch went: the tape_function must keep exactly one trace
per distinct path, and run every other call compiled.
"""

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

import autotape as at

UNARY = {
    "sin": at.sin,
    "tanh": at.tanh,
    "exp": lambda x: at.exp(at.clip_by_value(x, -3.0, 3.0)),
    "square": lambda x: at.square(at.clip_by_value(x, -2.0, 2.0)),
    "cos": at.cos,
    "softplus": at.nn.softplus,
}
BINARY = {
    "add": lambda x, c: x + c,
    "rsub": lambda x, c: c - x,
    "mul": lambda x, c: x * c,
    "div": lambda x, c: x / c,
    "maximum": lambda x, c: at.maximum(x, c),
}
CONDITIONS = {
    "sum": at.reduce_sum,
    "mean": at.reduce_mean,
    "max": at.reduce_max,
    "first": lambda x: at.reshape(x, (-1,))[0],
}

constants = st.builds(lambda sign, magnitude: sign * magnitude, st.sampled_from([-1.0, 1.0]),
                      st.floats(0.25, 2.0, width=32))  # |c| >= 0.25: a safe divisor
unary_steps = st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)))
binary_steps = st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), constants)
twice_steps = st.tuples(st.just("twice"), st.sampled_from(sorted(UNARY)))
simple_steps = st.one_of(unary_steps, binary_steps, twice_steps)


def branch_steps(inner):
    return st.tuples(st.just("branch"), st.sampled_from(sorted(CONDITIONS)),
                     st.floats(-1.0, 1.0, allow_nan=False, width=32),
                     st.lists(inner, min_size=1, max_size=3),
                     st.lists(inner, min_size=0, max_size=3))


steps = st.recursive(simple_steps, branch_steps, max_leaves=8)
programs = st.lists(steps, min_size=1, max_size=6)


def run_program(program, x, log=None):
    """Interpret ``program`` on ``x``; ``log`` (eager runs only) gets each branch's outcome."""
    for step in program:
        kind = step[0]
        if kind == "unary":
            x = UNARY[step[1]](x)
        elif kind == "binary":
            x = BINARY[step[1]](x, step[2])
        elif kind == "twice":
            x = UNARY[step[1]](x) + UNARY[step[1]](x)
        else:
            _, condition, threshold, then, otherwise = step
            taken = bool(CONDITIONS[condition](x) > threshold)
            if log is not None:
                log.append(taken)
            x = run_program(then if taken else otherwise, x, log)
    return x


def make(program, log=None):
    def vector(x):
        return run_program(program, x, log)

    def scalar(x):
        return at.reduce_sum(run_program(program, x, log) * 0.75)

    return vector, scalar


def assert_equal(actual, expected, rtol=None):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if rtol is None:
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    else:
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=rtol, atol=0)


def general_pass(compute):
    """``compute()`` with a tape recording around it: the eager reverse pass then runs rule
    by rule, as a traced gradient does, rather than as one fused kernel."""
    with at.GradientTape(persistent=True):
        return compute()


def plain_tape_gradient(f, x):
    x = at.constant(x)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return y, tape.gradient(y, x)


shapes = st.sampled_from([(), (3,), (2, 3)])
dtypes = st.sampled_from([np.float64, np.float32])


@settings(max_examples=40, deadline=None)
@given(program=programs, shape=shapes, dtype=dtypes, seed=st.integers(0, 2**32 - 1),
       calls=st.integers(3, 5))
def test_random_programs_match_eager(program, shape, dtype, seed, calls):
    rng = np.random.default_rng(seed)
    inputs = [(1.5 * rng.standard_normal(shape)).astype(dtype) for _ in range(calls)]
    inputs.append(inputs[0].copy())  # a path seen before, whatever the program
    paths = []
    vector, scalar = make(program)
    eager_vector, eager_scalar = make(program, paths)
    tf_vector, tf_scalar = at.tape_function(vector), at.tape_function(scalar)
    vg_tf, vg_eager = at.value_and_grad(tf_scalar), at.value_and_grad(eager_scalar)
    seen = []
    for x in inputs:
        del paths[:]
        expected = eager_vector(at.constant(x))
        seen.append(tuple(paths))
        assert_equal(tf_vector(x), expected)
        assert_equal(tf_scalar(x), eager_scalar(at.constant(x)))

        value, gradient = vg_tf(x)
        general_value, general_gradient = general_pass(lambda: vg_eager(at.constant(x)))
        plain_value, plain_gradient = vg_eager(at.constant(x))
        assert_equal(value, plain_value)
        assert_equal(value, general_value)
        assert_equal(gradient, general_gradient)
        assert_equal(gradient, plain_gradient, rtol=1e-12)

        for tf, eager in [(tf_vector, eager_vector), (tf_scalar, eager_scalar)]:
            y, g = plain_tape_gradient(tf, x)
            general_y, general_g = general_pass(lambda: plain_tape_gradient(eager, x))
            plain_y, plain_g = plain_tape_gradient(eager, x)
            assert_equal(y, plain_y)
            assert_equal(g, general_g)
            assert_equal(g, plain_g, rtol=1e-12)

    # one trace per distinct path; every other call (the tape calls too) ran compiled
    distinct = len(set(seen))
    event(f"distinct paths: {distinct}")
    for tf in [tf_vector, tf_scalar]:  # two calls per input: plain, under a tape
        info = tf.cache_info()
        assert info.traces == distinct, tf.explain()
        assert info.eager_calls == 0
        assert info.compiled_calls == 2 * len(inputs) - distinct, tf.explain()
        assert info.compiled_calls > 0
    info = vg_tf.cache_info()
    assert info.traces == distinct and info.compiled_calls == len(inputs) - distinct


@settings(max_examples=15, deadline=None)
@given(program=programs, seed=st.integers(0, 2**32 - 1))
def test_random_programs_second_order(program, seed):
    """Hessians of the traced program (float64, a vector input) against eager."""
    rng = np.random.default_rng(seed)
    _, scalar = make(program)
    tf = at.tape_function(scalar)
    hessian_tf, hessian_eager = at.hessian(tf), at.hessian(scalar)
    inputs = [1.5 * rng.standard_normal(3) for _ in range(3)]
    inputs.append(inputs[1].copy())
    for x in inputs:
        h = hessian_tf(x)
        assert_equal(h, general_pass(lambda: hessian_eager(x)))
        assert_equal(h, hessian_eager(x), rtol=1e-12)
    assert hessian_tf.cache_info().compiled_calls > 0


@settings(max_examples=3, deadline=None)  # each new program's fused loops compile once
@given(program=st.lists(st.one_of(simple_steps, branch_steps(simple_steps)), min_size=1,
                        max_size=3),
       seed=st.integers(0, 2**32 - 1))
def test_random_programs_on_large_tensors(program, seed):
    """Tensors of 4800 elements: the traced elementwise runs become fused loops."""
    rng = np.random.default_rng(seed)
    vector, scalar = make(program)
    tf_vector, tf_scalar = at.tape_function(vector), at.tape_function(scalar)
    vg_tf, vg_eager = at.value_and_grad(tf_scalar), at.value_and_grad(scalar)
    inputs = [1.5 * rng.standard_normal((60, 80)) for _ in range(3)]
    inputs.append(inputs[0].copy())
    for x in inputs:
        assert_equal(tf_vector(x), vector(at.constant(x)))
        value, gradient = vg_tf(x)
        general_value, general_gradient = general_pass(lambda: vg_eager(at.constant(x)))
        assert_equal(value, general_value)
        assert_equal(gradient, general_gradient)
        assert_equal(gradient, vg_eager(at.constant(x))[1], rtol=1e-12)
        y, g = plain_tape_gradient(tf_vector, x)
        assert_equal(g, general_pass(lambda: plain_tape_gradient(vector, x))[1])
    assert tf_vector.cache_info().compiled_calls > 0
    assert vg_tf.cache_info().compiled_calls > 0
