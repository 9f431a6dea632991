"""Where TensorFlow 2's tape semantics are the contract (verified against TensorFlow 2.21)."""

import gc
import sys
import warnings
import weakref

import numpy as np
import pytest

import autotape as at


# --- what counts as a source --------------------------------------------------------------
def test_a_tensor_computed_before_the_tape_and_never_watched_is_not_a_source():
    a = at.constant(2.0)
    b = a * 3
    with at.GradientTape(persistent=True) as tape:
        tape.watch(a)
        c = b * a
    assert tape.gradient(c, b) is None
    assert float(tape.gradient(c, b, unconnected_gradients="zero")) == 0.0
    assert float(tape.gradient(c, a)) == 6.0  # b is a constant on this tape
    assert tape.jacobian(c, b) is None


def test_intermediates_computed_on_the_tape_are_sources():
    x = at.constant(2.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        h = x * x
        y = h * 3
    assert float(tape.gradient(y, h)) == 3.0


def test_watch_reaches_enclosing_tapes_but_not_nested_ones():
    x0, x1 = at.constant(1.0), at.constant(2.0)
    with at.GradientTape(persistent=True) as tape0, \
            at.GradientTape(persistent=True) as tape1:
        tape0.watch(x0)
        tape1.watch(x1)
        y = x0 * x1
    assert tape1.gradient(y, x0) is None  # tape1 is nested inside tape0
    assert float(tape0.gradient(y, x0)) == 2.0
    assert float(tape0.gradient(y, x1)) == 1.0  # tape1's watch also watched on tape0
    assert float(tape1.gradient(y, x1)) == 1.0


# --- misuse raises what TensorFlow raises ----------------------------------------------------
def test_misuse_raises_tensorflows_errors():
    x = at.constant(1.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        with pytest.raises(ValueError, match="already recording"):
            tape.__enter__()
    with pytest.raises(TypeError, match="target is None"):
        tape.gradient(None, x)
    with pytest.raises(ValueError, match="must be recording"):
        tape.reset()
    with pytest.raises(ValueError, match="not recording"):
        with tape.stop_recording():
            pass
    assert float(tape.gradient(y, x)) == 2.0  # the failed calls did not use the tape up

    never = at.GradientTape()
    with pytest.raises(RuntimeError, match="never entered"):
        with never.stop_recording():
            pass
    with pytest.raises(RuntimeError, match="never entered"):
        never.gradient(x, x)


def test_registering_a_gradient_twice_is_a_key_error():
    at.RegisterGradient("TestSemanticsTwice")(lambda op, g: g)
    with pytest.raises(KeyError, match="already registered"):
        at.RegisterGradient("TestSemanticsTwice")(lambda op, g: g)
    with pytest.raises(KeyError):
        at.no_gradient("TestSemanticsTwice")
    with pytest.raises(KeyError):
        at.RegisterGradient("Sin")(lambda op, g: g)


def test_a_failed_call_does_not_use_up_a_non_persistent_tape():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match=r"output_gradients of shape \(3,\)"):
        tape.gradient(y, x, output_gradients=at.constant([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="2 output_gradients for 1 targets"):
        tape.gradient(y, x, output_gradients=[at.ones([2]), at.ones([2])])
    np.testing.assert_array_equal(
        tape.gradient(y, x, output_gradients=at.constant([1.0, 0.5])).numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="only one"):
        tape.gradient(y, x)


# --- Jacobians at the edges ---------------------------------------------------------------
def test_jacobians_of_empty_targets_are_empty_arrays():
    x = at.constant([1.0, 2.0, 3.0])
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        empty = x[:0] * 2
        unrelated = at.zeros([0, 2])
    for target in (empty, unrelated):
        j = tape.jacobian(target, x)
        assert j.shape == target.shape + x.shape and j.dtype == x.dtype


def test_batch_jacobian_checks_shapes_like_tensorflow():
    x = at.constant(np.ones((2, 3)))
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2
        flat = at.reduce_sum(x, axis=1)
        other = at.constant(np.ones((3, 3))) * 2
    with pytest.raises(ValueError, match="rank 2 or more"):
        tape.batch_jacobian(flat, x)
    with pytest.raises(ValueError, match="first .batch. dimensions"):
        tape.batch_jacobian(other, x)
    j = tape.batch_jacobian(y, x)
    np.testing.assert_array_equal(j.numpy(), np.broadcast_to(2 * np.eye(3), (2, 3, 3)))


def test_batch_jacobian_of_degenerate_and_unconnected_targets():
    x = at.zeros([1, 0])
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2
    assert tape.batch_jacobian(y, x).shape == (1, 0, 0)
    source = at.constant(np.ones((2, 3), np.float32))
    with at.GradientTape(persistent=True) as tape:
        tape.watch(source)
        unconnected = at.constant(np.ones((2, 4)))  # float64, not from the source
    for mode in ("none", "zero"):
        j = tape.batch_jacobian(unconnected, source, unconnected_gradients=mode)
        assert j.shape == (2, 4, 3) and j.dtype == np.float64
        assert not np.any(j.numpy())


# --- the reverse pass runs only rules that reach a source --------------------------------
def test_no_gradient_function_runs_downstream_of_stop_gradient():
    calls = []

    @at.custom_gradient
    def doubled(t):
        def grad(dy):
            calls.append(1)
            return dy * 2
        return t * 2, grad

    x = at.constant(3.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        cut = at.stop_gradient(x * x)
        y = doubled(cut) + x
    assert float(tape.gradient(y, x)) == 1.0
    assert calls == []


# --- functional transforms ------------------------------------------------------------------
def test_each_argument_position_gets_its_own_partial_derivative():
    x = at.constant(3.0)
    gx, gy = at.gradients_function(lambda a, b: a * b)(x, x)
    assert (float(gx), float(gy)) == (3.0, 3.0)
    value, (gx, gy) = at.value_and_gradients_function(lambda a, b: a * a * b)(x, x)
    assert (float(value), float(gx), float(gy)) == (27.0, 18.0, 9.0)
    assert tuple(map(float, at.grad(lambda a, b: a * b, argnums=(0, 1))(x, x))) == (3.0, 3.0)
    # nested, for second derivatives: d/da (2ab + a^2) and d/db (2ab + a^2) at a = b = 3
    outer = at.gradients_function(at.gradients_function(lambda a, b: a * a * b))(x, x)
    assert [float(g) for g in outer] == [12.0, 6.0]


def test_integer_arguments_get_none_with_the_non_float_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grads = at.gradients_function(lambda a, n: a * n)(2.0, 3)
    assert float(grads[0]) == 3.0 and grads[1] is None
    assert any("got int64 (argument 1)" in str(w.message) and w.filename == __file__
               for w in caught)


# --- memory: no reference cycles, ownership without reference counts -------------------
def test_gradients_are_freed_by_reference_counting_alone():
    x = at.constant(np.linspace(0.0, 1.0, 2_000_000))
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        refs = []
        for _ in range(20):
            with at.GradientTape() as tape:
                tape.watch(x)
                y = at.reduce_sum(at.sin(x) * x)
            grads = tape.gradient(y, {"x": [x]})
            refs.append(weakref.ref(grads["x"][0]))
            del grads, tape, y
        assert all(r() is None for r in refs)
    finally:
        if was_enabled:
            gc.enable()


def test_the_reverse_pass_does_not_depend_on_reference_counts(monkeypatch):
    # CPython 3.14 borrows references on the stack, so counts can be lower than they were:
    # nothing the caller holds may be written into even if every count read 1.
    monkeypatch.setattr(sys, "getrefcount", lambda obj: 1)
    seed = at.constant(np.ones(300))
    kept = []

    @at.custom_gradient
    def keeps_its_gradient(t):
        def grad(dy):
            kept.append(dy)
            return dy
        return t * 1.0, grad

    x = at.constant(np.linspace(0.0, 1.0, 300))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = keeps_its_gradient(at.sin(x)) + at.sin(x) + x * 2.0
    g = tape.gradient(y, x, output_gradients=seed)
    np.testing.assert_allclose(g.numpy(), 2 * np.cos(x.numpy()) + 2.0, rtol=1e-12)
    np.testing.assert_array_equal(seed.numpy(), 1.0)
    np.testing.assert_array_equal(kept[0].numpy(), 1.0)


def test_an_optimizer_never_writes_into_a_value_a_tape_or_a_view_still_holds(monkeypatch):
    monkeypatch.setattr(sys, "getrefcount", lambda obj: 1)
    v = at.Variable([1.0, 2.0, 3.0, 4.0])
    with at.GradientTape() as tape:
        reshaped = at.reshape(v, (2, 2))  # a view of the Variable's array
        loss = at.reduce_sum(reshaped * reshaped)
    view = v.numpy()
    sgd = at.optimizers.SGD(0.5)
    sgd.apply_gradients([(tape.gradient(loss, v), v)])
    np.testing.assert_array_equal(reshaped.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(view, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0, 0.0, 0.0])
    sgd.apply_gradients([(at.ones([4]), v)])
    np.testing.assert_array_equal(v.numpy(), -0.5)


def test_what_a_users_rule_returns_is_never_written_into():
    kept = []

    @at.custom_gradient
    def doubled(t):
        def grad(dy):
            result = dy * 2.0
            kept.append(result)
            return result
        return t * 1.0, grad

    x = at.Variable(np.ones(4))
    with at.GradientTape() as tape:
        z = doubled(at.identity(x)) + x * 3.0  # identity passes the user's result on
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), 5.0)
    np.testing.assert_array_equal(kept[0].numpy(), 2.0)


def test_a_gradient_that_is_not_c_contiguous_still_accumulates():
    @at.custom_gradient
    def fortran_gradient(t):
        return t * 1.0, lambda dy: np.asfortranarray(np.full((3, 4), 2.0))

    x = at.Variable(np.ones((3, 4)))
    with at.GradientTape() as tape:
        z = fortran_gradient(at.identity(at.sin(x)))
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), 2 * np.cos(1.0), rtol=1e-15)


def test_reads_of_one_variable_at_two_positions_get_their_own_partials():
    v = at.Variable(3.0)
    grads = at.gradients_function(lambda a, b: a * b * b)(v.value(), v.read_value())
    assert [float(g) for g in grads] == [9.0, 18.0]


def test_threads_differentiating_one_persistent_tape_each_get_the_right_gradient():
    # The records are shared; each reverse pass keeps its own state (needs, batch, donation).
    import threading

    x = at.constant(np.linspace(0.1, 1.0, 5000))
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = at.reduce_sum(at.exp(at.sin(x)) * x + at.tanh(x) * at.cos(x))
    expected = tape.gradient(y, x).numpy()
    failures = []

    def differentiate():
        for _ in range(40):
            if not np.array_equal(tape.gradient(y, x).numpy(), expected):
                failures.append(1)

    threads = [threading.Thread(target=differentiate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
