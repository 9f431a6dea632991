"""at.tape_function: tracing, guards, retracing, eager fallback, gradients and introspection."""

import threading
import warnings

import numpy as np
import pytest

import autotape as at


def chain(x):
    for _ in range(5):
        x = at.sin(x) * 1.01
    return x


def branchy(x):
    if x > 0:
        return x * x
    return -at.exp(x)


def test_compiled_calls_equal_eager_bitwise():
    f = at.tape_function(chain)
    for v in [0.5, -0.25, 1.5, 3.0]:
        x = at.constant(v)
        np.testing.assert_array_equal(f(x).numpy(), chain(x).numpy())
    info = f.cache_info()
    assert (info.traces, info.compiled_calls, info.eager_calls) == (1, 3, 0)
    assert isinstance(info.compile_seconds, float) and info.compile_seconds >= 0


def test_dynamic_inputs_of_every_kind_reuse_one_trace():
    f = at.tape_function(lambda x: at.reduce_sum(x * 2.0))
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])).numpy(), 6.0)
    np.testing.assert_array_equal(f(at.constant([3.0, 4.0])).numpy(), 14.0)
    np.testing.assert_array_equal(f(at.Variable([5.0, 6.0])).numpy(), 22.0)
    assert f.cache_info().traces == 1
    g = at.tape_function(lambda x: x * 3.0)
    assert g(2.0).numpy() == 6.0 and g(5.0).numpy() == 15.0
    assert g.cache_info().traces == 1


def test_repeated_calls_on_floats_and_arrays_keep_dtypes_and_aliasing():
    f = at.tape_function(lambda x, y: x * 2.0 + y)
    for _ in range(2):  # the second round takes the cached path
        assert f(1.5, 2.0).numpy() == 5.0 and f(1.5, 2.0).dtype == np.float64
        out = f(np.float32(1.5), np.float32(2.0))
        assert out.dtype == np.float32 and out.numpy() == 5.0
        a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
        np.testing.assert_array_equal(f(a, b).numpy(), [5.0, 8.0])
        np.testing.assert_array_equal(f(a, a).numpy(), [3.0, 6.0])
    assert f.cache_info().traces == 4  # float64, float32, two arrays, one array twice


def test_static_arguments_are_part_of_the_key():
    def power(x, n, mode=None):
        y = x
        for _ in range(n - 1):
            y = y * x
        return -y if mode == "neg" else y

    f = at.tape_function(power)
    x = at.constant(2.0)
    assert f(x, 3).numpy() == 8.0
    assert f(x, 4).numpy() == 16.0
    assert f(x, 4, mode="neg").numpy() == -16.0
    assert f(at.constant(3.0), 3).numpy() == 27.0
    assert f.cache_info().traces == 3


def test_shapes_and_dtypes_are_part_of_the_key():
    f = at.tape_function(lambda x: at.reduce_sum(at.sin(x)))
    for x in [np.ones(3), np.ones(4), np.ones(3, np.float32), np.ones((2, 2))]:
        out = f(x)
        assert out.dtype == x.dtype
        np.testing.assert_allclose(out.numpy(), np.sin(x).sum(), rtol=1e-6)
    assert f.cache_info().traces == 4


def test_a_guard_failure_traces_the_new_path_and_keeps_both():
    f = at.tape_function(branchy)
    for v in [1.0, 2.0, -1.0, -2.0, 3.0, -4.0]:
        x = at.constant(v)
        np.testing.assert_array_equal(f(x).numpy(), branchy(x).numpy())
    info = f.cache_info()
    assert info.traces == 2
    assert info.compiled_calls == 4
    assert info.guard_failures == 3  # -2.0, -4.0 fail trace 1's guard; 3.0 passes it
    explanation = f.explain()
    assert "bool() was True" in explanation and "bool() was False" in explanation
    assert "test_tape_function.py" in explanation


def test_while_on_a_tensor_condition():
    def halve_until_small(x):
        steps = 0
        while x > 1.0:
            x = x / 2.0
            steps += 1
        return x, steps

    f = at.tape_function(halve_until_small)
    for v in [10.0, 12.0, 3.0, 100.0, 11.0]:
        y, steps = f(at.constant(v))
        y_eager, steps_eager = halve_until_small(at.constant(v))
        assert steps == steps_eager
        np.testing.assert_array_equal(y.numpy(), y_eager.numpy())


def test_past_max_traces_it_runs_eagerly_with_one_warning():
    def rounds(x):
        return x * float(x)  # the exact value is read: every new value is a new path

    f = at.tape_function(rounds, max_traces=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for v in [1.0, 2.0, 3.0, 4.0, 5.0]:
            assert f(at.constant(v)).numpy() == v * v
    messages = [str(w.message) for w in caught if "tape_function" in str(w.message)]
    assert len(messages) == 1
    assert "rounds" in messages[0] and "float()" in messages[0]
    assert "test_tape_function.py" in messages[0]
    info = f.cache_info()
    assert info.traces == 2 and info.eager_calls == 3


def test_gradients_through_a_tape_and_every_transform():
    f = at.tape_function(chain)
    x = at.constant(0.7)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)  # traced
    expected = tape.gradient(y, x).numpy()
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)  # compiled: one recorded operation
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)
    value, gradient = at.value_and_grad(f)(x)
    np.testing.assert_array_equal(gradient.numpy(), expected)
    np.testing.assert_array_equal(at.grad(f)(x).numpy(), expected)
    np.testing.assert_array_equal(at.gradients_function(f)(x)[0].numpy(), expected)
    eager_value, eager_gradient = at.value_and_grad(chain)(x)
    np.testing.assert_array_equal(value.numpy(), eager_value.numpy())
    np.testing.assert_array_equal(gradient.numpy(), eager_gradient.numpy())


def test_a_taped_call_is_differentiated_by_a_compiled_reverse_pass():
    """Under a tape a compiled call is one operation. Its gradient is a tape_function of the
    trace's reverse pass, one for each set of output gradients given, traced once and then
    compiled (its arguments: the inputs and those output gradients)."""
    f = at.tape_function(lambda x, y: (at.sin(x) * y, at.cos(x) + y))
    xv, yv = np.array([0.3, 0.7]), np.array([1.5, -2.0])
    x, y = at.constant(xv), at.constant(yv)
    f(x, y)  # traced
    for _ in range(3):
        with at.GradientTape(persistent=True) as tape:
            tape.watch([x, y])
            u, v = f(x, y)
        gx, gy = tape.gradient(u, [x, y])  # no gradient reaches v
        np.testing.assert_allclose(gx.numpy(), np.cos(xv) * yv, rtol=1e-15)
        np.testing.assert_allclose(gy.numpy(), np.sin(xv), rtol=1e-15)
        gx, gy = tape.gradient([u, v], [x, y])
        np.testing.assert_allclose(gx.numpy(), np.cos(xv) * yv - np.sin(xv), rtol=1e-15)
        np.testing.assert_allclose(gy.numpy(), np.sin(xv) + 1.0, rtol=1e-15)
    (compiled,) = [c for entry in f._entries.values() for c in entry.traces]
    assert set(compiled.vjps) == {(True, False), (True, True)}
    for vjp in compiled.vjps.values():
        info = vjp.cache_info()
        assert (info.traces, info.compiled_calls, info.eager_calls) == (1, 2, 0), vjp.explain()


def rosenbrock(x):
    return at.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hessian_jacobian_and_hvp_of_a_tape_function():
    f = at.tape_function(rosenbrock)
    for seed in range(3):
        x = np.random.default_rng(seed).uniform(-1, 1, 6)
        np.testing.assert_allclose(at.hessian(f)(x).numpy(), at.hessian(rosenbrock)(x).numpy(),
                                   rtol=1e-12, atol=1e-12)
        v = np.arange(6.0)
        np.testing.assert_allclose(at.hvp(f)(x, v).numpy(), at.hvp(rosenbrock)(x, v).numpy(),
                                   rtol=1e-12)
    g = at.tape_function(lambda x: at.sin(x) * x)
    x = np.linspace(-1, 1, 4)
    np.testing.assert_allclose(at.jacobian(g)(x).numpy(), np.diag(np.cos(x) * x + np.sin(x)),
                               atol=1e-15)


def test_second_and_third_order_through_nested_tapes():
    f = at.tape_function(lambda x: at.sin(x) * x * x)
    for v in [0.3, 1.1]:
        x = at.constant(v)
        for _ in range(2):  # traced, then compiled
            with at.GradientTape() as t3:
                t3.watch(x)
                with at.GradientTape() as t2:
                    t2.watch(x)
                    with at.GradientTape() as t1:
                        t1.watch(x)
                        y = f(x)
                    d1 = t1.gradient(y, x)
                d2 = t2.gradient(d1, x)
            d3 = t3.gradient(d2, x)
            s, c = np.sin(v), np.cos(v)
            np.testing.assert_allclose(d1.numpy(), c * v * v + 2 * v * s, rtol=1e-12)
            np.testing.assert_allclose(d2.numpy(), -s * v * v + 4 * v * c + 2 * s, rtol=1e-12)
            np.testing.assert_allclose(d3.numpy(), -c * v * v - 6 * v * s + 6 * c, rtol=1e-12)


def test_captured_variables_are_inputs_and_get_gradients():
    w = at.Variable([1.0, 2.0])
    f = at.tape_function(lambda x: at.reduce_sum(w * x))
    x = at.constant([3.0, 4.0])
    assert f(x).numpy() == 11.0
    w.assign([10.0, 20.0])
    assert f(x).numpy() == 110.0  # compiled: reads the current value
    for _ in range(2):
        with at.GradientTape() as tape:
            y = f(x)
        np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [3.0, 4.0])


def test_a_module_trains_inside_a_tape_function():
    at.random.set_seed(0)
    layer = at.layers.Dense(1)
    data = np.linspace(-1, 1, 16).reshape(8, 2)
    target = data @ np.array([[2.0], [-1.0]])
    loss = at.tape_function(lambda x, y: at.reduce_mean((layer(x) - y) ** 2))
    optimizer = at.optimizers.SGD(0.5)
    loss(data, target)  # builds the layer's Variables eagerly (traced)
    losses = []
    for _ in range(30):
        with at.GradientTape() as tape:
            value = loss(data, target)
        grads = tape.gradient(value, layer.trainable_variables)
        optimizer.apply_gradients(zip(grads, layer.trainable_variables))
        losses.append(float(value))
    assert losses[-1] < 0.05 * losses[0]
    assert loss.cache_info().compiled_calls >= 29


def test_side_effects_happen_while_tracing_only():
    seen = []

    def noisy(x):
        seen.append(1)
        return x + 1.0

    f = at.tape_function(noisy)
    for v in [1.0, 2.0, 3.0]:
        f(at.constant(v))
    assert seen == [1]


def test_assigning_a_variable_makes_that_trace_run_eagerly():
    counter = at.Variable(0.0)

    def step(x):
        counter.assign_add(1.0)
        return x * 2.0

    f = at.tape_function(step)
    with pytest.warns(UserWarning, match="assign_add of Variable"):
        f(at.constant(1.0))
    f(at.constant(2.0))
    assert counter.numpy() == 2.0  # the side effect happened on both calls
    assert f.cache_info().eager_calls == 1


def test_custom_gradient_inside_runs_eagerly_and_correctly():
    @at.custom_gradient
    def clipped_identity(x):
        return at.identity(x), lambda dy: at.clip_by_value(dy, -0.5, 0.5)

    f = at.tape_function(lambda x: clipped_identity(x) * 3.0)
    x = at.constant(2.0)
    with pytest.warns(UserWarning, match="custom_gradient"):
        with at.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
    assert tape.gradient(y, x).numpy() == 0.5
    with at.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert tape.gradient(y, x).numpy() == 0.5


def test_tape_functions_call_each_other():
    inner = at.tape_function(lambda x: at.exp(x) * 2.0)
    outer = at.tape_function(lambda x: inner(x) + inner(x * 2.0))
    for v in [0.1, 0.2]:
        expected = 2 * np.exp(v) + 2 * np.exp(2 * v)
        np.testing.assert_allclose(outer(at.constant(v)).numpy(), expected, rtol=1e-15)
        np.testing.assert_allclose(at.grad(outer)(v).numpy(),
                                   2 * np.exp(v) + 4 * np.exp(2 * v), rtol=1e-15)


def test_structured_results_and_static_outputs():
    f = at.tape_function(lambda x: {"y": x * 2.0, "pair": (x, 3), "none": None})
    out = f(at.constant(1.5))
    out = f(at.constant(2.5))
    assert out["y"].numpy() == 5.0
    assert out["pair"][0].numpy() == 2.5 and out["pair"][1] == 3 and out["none"] is None


def test_outputs_never_alias_a_callers_array():
    f = at.tape_function(lambda x: x)
    a = np.array([1.0, 2.0])
    f(a)
    y = f(a)
    a[0] = 100.0
    np.testing.assert_array_equal(y.numpy(), [1.0, 2.0])


def test_source_names_only_generated_identifiers():
    def uses_strings(x):
        t = at.reduce_sum(x, axis=0)
        return at.norm(t, ord="euclidean")

    f = at.tape_function(uses_strings)
    f(np.ones((2, 3)))
    source = f.source()
    assert "def trace_1(inputs):" in source
    assert "euclidean" not in source and "uses_strings" not in source
    compile(source, "<check>", "exec")


def test_bad_arguments_get_clear_errors():
    f = at.tape_function(lambda x: x * 2.0)
    with pytest.raises(TypeError, match="argument 0 of type set"):
        f({1, 2})
    with pytest.raises(TypeError, match="complex"):
        f(1j)
    with pytest.raises(ValueError, match="max_traces"):
        at.tape_function(chain, max_traces=0)
    g = at.tape_function(lambda x, y: x + y)
    with pytest.raises(ValueError, match="broadcasting"):
        g(np.ones(3), np.ones(4))


def test_concurrent_first_calls_from_threads():
    f = at.tape_function(branchy)
    results, errors = {}, []

    def call(v):
        try:
            results[v] = f(at.constant(v)).numpy()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    values = [float(v) for v in range(-4, 5)]
    threads = [threading.Thread(target=call, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for v in values:
        np.testing.assert_array_equal(results[v], branchy(at.constant(v)).numpy())
    assert 2 <= f.cache_info().traces <= len(values)


def test_the_readme_example():
    @at.tape_function
    def newton_sqrt(a):
        y = a
        while at.abs(y * y - a) > 1e-12:
            y = 0.5 * (y + a / y)
        return y

    for a in [2.0, 3.0, 2.0, 10.0]:
        value, gradient = at.value_and_grad(newton_sqrt)(a)
        np.testing.assert_allclose(value.numpy(), np.sqrt(a), rtol=1e-15)
        np.testing.assert_allclose(gradient.numpy(), 0.5 / np.sqrt(a), rtol=1e-12)
    assert at.value_and_grad(newton_sqrt).cache_info().compiled_calls >= 2
    assert "bool() was False" in at.value_and_grad(newton_sqrt).explain()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_loops_on_large_tensors_equal_eager_bitwise(dtype):
    def objective(x, c):
        y = at.sin(x) ** 2 * at.exp(-x * x) + at.tanh(x) * c
        if at.reduce_sum(y) > 0:  # a guard between two fused runs
            y = y * 2.0 - at.sigmoid(y)
        return at.reduce_sum(at.sqrt(at.abs(y) + 1.0))

    vg = at.value_and_grad(at.tape_function(objective), argnums=(0, 1))
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = at.constant(rng.standard_normal(20000).astype(dtype))
        c = at.constant(dtype(rng.uniform(0.5, 2)))
        value, (gx, gc) = vg(x, c)
        eager_value, (egx, egc) = at.value_and_grad(objective, argnums=(0, 1))(x, c)
        np.testing.assert_array_equal(gx.numpy(), egx.numpy())
        assert value.dtype == gx.dtype == dtype
        np.testing.assert_allclose(value.numpy(), eager_value.numpy(), rtol=1e-6)
        np.testing.assert_allclose(gc.numpy(), egc.numpy(), rtol=1e-6)
    assert vg.cache_info().compiled_calls >= 2
    assert "fused operations" in vg.source()


def test_two_reads_of_one_variable_are_not_confused_with_two_tensors():
    v = at.Variable(2.0)
    f = at.tape_function(lambda x, y: x * 10.0 + y)
    assert f(v.value(), v.value()).numpy() == 22.0  # one input at two positions
    assert f(v.value(), v.value()).numpy() == 22.0
    assert f(at.constant(1.0), at.constant(5.0)).numpy() == 15.0
    assert f(at.constant(3.0), at.constant(4.0)).numpy() == 34.0
    assert f.cache_info().traces == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_loops_read_a_broadcast_bias_bitwise(dtype):
    def layer(x, w, b):
        return at.reduce_sum(at.nn.relu(x @ w + b) * at.tanh(x @ w - b))

    vg = at.value_and_grad(at.tape_function(layer), argnums=(1, 2))
    rng = np.random.default_rng(5)
    x = at.constant(rng.standard_normal((64, 32)).astype(dtype))
    for _ in range(3):
        w = at.constant(rng.standard_normal((32, 80)).astype(dtype))
        b = at.constant(rng.standard_normal(80).astype(dtype))
        value, (gw, gb) = vg(x, w, b)
        _, (ew, eb) = at.value_and_grad(layer, argnums=(1, 2))(x, w, b)
        np.testing.assert_array_equal(gw.numpy(), ew.numpy())
        np.testing.assert_allclose(gb.numpy(), eb.numpy(), rtol=1e-5 if dtype == np.float32
                                   else 1e-12)
    assert "for j in range(80)" in _fused_sources() and vg.cache_info().compiled_calls == 2


def test_fused_loops_read_biases_over_several_trailing_axes_bitwise():
    def f(x, b1, b2):
        return at.reduce_sum(at.sin(x * b1 + b2) * at.exp(b1 - x))

    vg = at.value_and_grad(at.tape_function(f))
    rng = np.random.default_rng(8)
    x = at.constant(rng.standard_normal((8, 16, 64)))
    b1, b2 = at.constant(rng.standard_normal(64)), at.constant(rng.standard_normal((16, 64)))
    for _ in range(2):
        value, grad = vg(x, b1, b2)
        expected_value, expected_grad = at.value_and_grad(f)(x, b1, b2)
        np.testing.assert_array_equal(value.numpy(), expected_value.numpy())
        np.testing.assert_array_equal(grad.numpy(), expected_grad.numpy())
    assert "(r % 16) * 64" in _fused_sources() and vg.cache_info().compiled_calls == 1


def _fused_sources():
    import glob
    import os

    from autotape.kernels import cache

    return "".join(open(f).read() for f in glob.glob(os.path.join(cache.directory(), "fused_*.py")))


def test_single_element_arrays_of_any_rank_as_inputs():
    f = at.tape_function(lambda x: at.sin(x) * 2.0)
    for shape in [(), (1,), (1, 1)]:
        x = np.full(shape, 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # NumPy deprecates an array of rank > 0 as a scalar
            for _ in range(2):
                out = f(x)
        assert out.shape == shape
        np.testing.assert_array_equal(out.numpy(), np.sin(x) * 2.0)


@at.primitive(name="TestTapeFunctionBlasProduct")
def blas_product(a, b):
    """A user's primitive: NumPy's matmul itself, which the interpreter has no step for."""
    return np.matmul(a, b)


@at.RegisterGradient("TestTapeFunctionBlasProduct")
def _blas_product_grad(op, g):
    a, b = op.inputs
    return blas_product(g, at.transpose(b)), blas_product(at.transpose(a), g)


def test_small_traces_run_their_other_operations_between_kernel_runs():
    """A user's primitive, an int index and a guard on it have no kernel step: the
    interpreter back end runs them by their forwards from its generated call, bitwise as
    eager does, and explain() names them."""
    def mixed(w, x, i):
        h = at.tanh(blas_product(w, x))  # (4, 2)
        if h[i, 0] > 0:  # a guard on a buffered value
            h = h * 2.0
        return at.reduce_sum(at.sin(h) * h) + h[i, 1]

    rng = np.random.default_rng(5)
    f = at.value_and_grad(at.tape_function(mixed), (0, 1))
    eager = at.value_and_grad(mixed, (0, 1))
    for _ in range(4):
        w, x = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
        i = np.array(rng.integers(0, 4))
        with at.GradientTape(persistent=True):  # eager's general reverse pass, as traced
            expected = eager(at.constant(w), at.constant(x), at.constant(i))
        for got, want in zip(at.nest.flatten(f(w, x, i)), at.nest.flatten(expected)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert f.cache_info().compiled_calls > 0
    explanation = f.explain()
    assert "interpreter back end" in explanation
    assert "TestTapeFunctionBlasProduct x" in explanation
    assert "run by their forwards between kernel runs" in explanation
    assert "kernel(rows" in f.source() and "# TestTapeFunctionBlasProduct" in f.source()


def test_a_host_step_gets_eager_memory_layout():
    """BLAS rounds by layout: a host step (a primitive calling np.matmul) gets a caller's
    Fortran-ordered array, and a transposed view, as eager passes them."""
    def program(a, b):
        return (at.reduce_sum(at.sin(blas_product(a, b)))
                + at.reduce_sum(at.sin(blas_product(at.transpose(b), at.transpose(a)))))

    rng = np.random.default_rng(7)
    f = at.value_and_grad(at.tape_function(program), (0, 1))
    eager = at.value_and_grad(program, (0, 1))
    for _ in range(3):
        a, b = np.asfortranarray(rng.standard_normal((2, 16))), rng.standard_normal((16, 3))
        expected = eager(at.constant(a), at.constant(b))
        for got, want in zip(at.nest.flatten(f(a, b)), at.nest.flatten(expected)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert f.cache_info().compiled_calls > 0
    assert "interpreter back end" in f.explain()


@pytest.mark.parametrize("whole_template", [False, True])
def test_the_interpreter_buffer_needs_no_zeros(whole_template, monkeypatch):
    """A call fills a fresh buffer: a copy of a whole template where the buffer is small,
    else an uninitialised one with only the constants and guard values copied in: every
    row writes all it reads first. Memory left full of NaN just before each call, so that
    the buffer reuses it, changes nothing."""
    from autotape.tracing import interpreter_backend

    if not whole_template:
        monkeypatch.setattr(interpreter_backend, "COPIED_BUFFER_MAX", 0)

    def program(x, y, i):
        h = at.tanh(x @ y) * 3.0 + y[0, :2]  # a constant, a matmul, a gather
        if at.reduce_sum(h) > 0:  # a guard
            h = h * h
        return at.reduce_sum(h[:, 1:] ** 2) + at.reduce_max(h, axis=0)[1] + x[i, 0]

    rng = np.random.default_rng(3)
    f = at.value_and_grad(at.tape_function(program), (0, 1))
    eager = at.value_and_grad(program, (0, 1))
    for _ in range(6):
        x, y = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
        i = np.array(rng.integers(0, 3))
        expected = eager(at.constant(x), at.constant(y), at.constant(i))
        f(x, y, i)
        compiled = [c for entry in f._entries.values() for c in entry.traces]
        assert all(c.backend == "interpreter" for c in compiled), f.explain()
        for c in compiled:  # leave NaN where the next buffer of that size will be
            del_me = np.full(c.run.__globals__["size"], np.nan)
            del del_me
        for got, want in zip(at.nest.flatten(f(x, y, i)), at.nest.flatten(expected)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert ("V = template.copy()" in f.source()) == whole_template
