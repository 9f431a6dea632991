"""at.tape_function against eager autotape on a corpus of small programs.

Each program is run as ``at.tape_function(f)`` and as plain ``f`` on several random inputs:
values, ``at.value_and_grad`` of both, and a GradientTape around one call of each must agree.
Where the same operations run they must agree bitwise. The one place they need not is the
eager reverse pass of a plain elementwise chain: with no tape recording it may run as one
fused kernel (``autotape.fused_reverse``), whereas a traced gradient always runs the general
pass. So the bitwise reference for a gradient is eager autotape with an outer tape recording
(which selects the general pass), and plain eager autotape is compared to rtol 1e-12.
Every tape_function is called at least three times with new values, and each check asserts
that compiled calls happened (``cache_info().compiled_calls``).
"""

import numpy as np
import pytest

import autotape as at

DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
RTOL = 1e-12


# --- helpers ------------------------------------------------------------------------------
def flatten(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in flatten(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in flatten(x[k])]
    return [x]


def assert_same(actual, expected, rtol=None):
    """Same structure; Tensors with the same shape and dtype, equal bitwise (``rtol`` None)
    or to ``rtol``; other leaves equal."""
    actual, expected = flatten(actual), flatten(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        if isinstance(e, at.Tensor):
            assert isinstance(a, at.Tensor), f"expected a Tensor, got {a!r}"
            assert a.shape == e.shape and a.dtype == e.dtype, (a, e)
            if rtol is None:
                np.testing.assert_array_equal(a.numpy(), e.numpy())
            else:
                np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=rtol, atol=0)
        elif e is None:
            assert a is None
        else:
            assert type(a) is type(e) and a == e, (a, e)


def as_eager(a):
    """An argument as eager code gets it from a tape_function: arrays and floats as Tensors."""
    if isinstance(a, (np.ndarray, float, np.floating)):
        return at.constant(a)
    return a


def positions(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def tape_gradient(fn, args, argnums, variables=()):
    """A GradientTape around one call of ``fn``: (value, gradients wrt the arguments at
    ``argnums`` and then wrt ``variables``)."""
    args = [as_eager(a) for a in args]
    sources = [args[i] for i in positions(argnums)]
    with at.GradientTape() as tape:
        tape.watch(sources)
        value = fn(*args)
    return value, tape.gradient(value, sources + list(variables))


def general_pass(compute):
    """``compute()`` with an outer tape recording: the eager reverse pass runs rule by rule,
    as a traced one does, not as a fused kernel."""
    with at.GradientTape(persistent=True):
        return compute()


def check_against_eager(fn, arg_sets, argnums=0, variables=(), value_rtol=None,
                        grad_rtol=None, tf=None):
    """Values, value_and_grad and tape gradients of tape_function(fn) against eager fn on
    every argument tuple in ``arg_sets``. ``value_rtol``/``grad_rtol`` None: bitwise."""
    assert len(arg_sets) >= 3
    tf = at.tape_function(fn) if tf is None else tf
    vg_tf, vg_eager = at.value_and_grad(tf, argnums), at.value_and_grad(fn, argnums)
    for args in arg_sets:
        eager_args = [as_eager(a) for a in args]
        assert_same(tf(*args), fn(*eager_args), value_rtol)

        value, grads = vg_tf(*args)
        assert_same(value, fn(*eager_args), value_rtol)
        assert_same((value, grads), general_pass(lambda: vg_eager(*eager_args)), grad_rtol)
        assert_same((value, grads), vg_eager(*eager_args), grad_rtol or RTOL)

        value, grads = tape_gradient(tf, args, argnums, variables)
        assert_same(value, fn(*eager_args), value_rtol)
        assert_same((value, grads),
                    general_pass(lambda: tape_gradient(fn, args, argnums, variables)),
                    grad_rtol)
        assert_same((value, grads), tape_gradient(fn, args, argnums, variables),
                    grad_rtol or RTOL)
    assert tf.cache_info().compiled_calls > 0, tf.explain()
    assert vg_tf.cache_info().compiled_calls > 0, vg_tf.explain()
    return tf


def interpreter_host_steps(f):
    """The operations a tape_function's traces, all on the interpreter, run on the host."""
    compiled = [c for entry in f._entries.values() for c in entry.traces]
    assert compiled and all(c.backend == "interpreter" for c in compiled), f.explain()
    return {op for c in compiled for op, _ in c.host_steps}


def normal(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def with_sign(rng, shape, dtype, sign):
    """Random values whose sum has the given sign."""
    x = normal(rng, shape, dtype)
    total = x.sum()
    return x if np.sign(total) == sign else -x


# --- loops with a static int count ----------------------------------------------------------
def repeated_map(x, n):
    for i in range(n):
        x = at.sin(x) * 1.01 + 0.1 * i
    return at.reduce_sum(x * x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_loop_with_a_static_int_count(rng, dtype):
    counts = [3, 3, 5, 3, 5, 1, 5]
    arg_sets = [(normal(rng, 4, dtype), n) for n in counts]
    tf = check_against_eager(repeated_map, arg_sets)
    info = tf.cache_info()
    assert info.traces == len(set(counts))  # one trace per count, no guards
    assert info.guard_failures == 0


# --- branches on tensor values ------------------------------------------------------------
def branches(x):
    s = at.reduce_sum(x)
    if s > 0:
        y = x * x * s
        if at.reduce_max(x) > 1.0:
            y = y - at.sin(x)
    else:
        y = at.exp(x) - s
    return at.reduce_mean(y * x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_branches_on_tensor_values(rng, dtype):
    signs = [1, 1, -1, -1, 1, -1, 1]
    arg_sets = [(with_sign(rng, 5, dtype, s),) for s in signs]
    tf = check_against_eager(branches, arg_sets)
    assert 2 <= tf.cache_info().traces <= 3
    assert tf.cache_info().guard_failures > 0


def test_branch_outcomes_match_numpy_closed_form(rng):
    tf = at.tape_function(branches)
    for sign in [1, -1, 1, -1]:
        x = with_sign(rng, 5, np.float64, sign)
        s = x.sum()
        if s > 0:
            y = x * x * s - (np.sin(x) if x.max() > 1.0 else 0.0)
        else:
            y = np.exp(x) - s
        np.testing.assert_allclose(tf(x).numpy(), np.mean(y * x), rtol=1e-13)
    assert tf.cache_info().compiled_calls > 0


# --- while on a tensor condition: Newton iterations -----------------------------------------
def newton_sqrt_steps(a, tol):
    x = (a + 1.0) * 0.5
    steps = 0
    while at.abs(x * x - a) > tol * a:
        x = 0.5 * (x + a / x)
        steps += 1
    return x, steps


TOLS = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", DTYPES)
def test_while_newton_sqrt(rng, dtype):
    tol = TOLS[dtype]

    def newton_sqrt(a):
        return newton_sqrt_steps(a, tol)[0]

    # pairs of nearby values share an iteration count; far-apart values need more steps
    centres = [2.0, 40.0, 0.3, 900.0]
    values = [np.array(c * (1 + 0.05 * rng.random()), dtype) for c in centres for _ in range(2)]
    steps = [newton_sqrt_steps(at.constant(a), tol)[1] for a in values]
    assert len(set(steps)) >= 3  # the iteration count varies between inputs

    counted = at.tape_function(lambda a: newton_sqrt_steps(a, tol))
    for a, n in zip(values, steps):
        x, k = counted(a)
        assert k == n
        np.testing.assert_allclose(x.numpy(), np.sqrt(a), rtol=10 * tol)
    assert counted.cache_info().traces == len(set(steps))
    assert counted.cache_info().compiled_calls == len(values) - len(set(steps))

    tf = check_against_eager(newton_sqrt, [(a,) for a in values])
    for a in values:  # the derivative of a converged Newton iterate approaches that of sqrt
        np.testing.assert_allclose(at.grad(tf)(a).numpy(), 0.5 / np.sqrt(a),
                                   rtol=10 * np.sqrt(tol))


# --- early returns ------------------------------------------------------------------------
def early_returns(x):
    s = at.reduce_sum(x)
    if s > 1.0:
        return at.sin(s) * at.reduce_sum(x * x)
    y = at.square(x)
    if at.reduce_max(y) > 2.0:
        return at.reduce_sum(at.tanh(y) * x)
    return at.reduce_mean(at.exp(x))


def test_early_returns(rng):
    arg_sets = [(np.array([1.0, 0.5, 0.2]) + 0.1 * rng.random(3),),  # s > 1
                (np.array([1.0, 0.6, 0.3]) + 0.1 * rng.random(3),),
                (np.array([-2.0, 0.1, 0.2]) + 0.1 * rng.random(3),),  # max(x^2) > 2
                (np.array([-2.0, 0.3, 0.1]) + 0.1 * rng.random(3),),
                (np.array([-0.5, 0.2, 0.1]) + 0.1 * rng.random(3),),  # neither
                (np.array([-0.4, 0.3, 0.2]) + 0.1 * rng.random(3),)]
    tf = check_against_eager(early_returns, arg_sets)
    assert tf.cache_info().traces == 3


# --- captured Variables and a Module ---------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_captured_variables(rng, dtype):
    w = at.Variable(normal(rng, (4, 3), dtype))
    b = at.Variable(normal(rng, 3, dtype))

    def layer(x):
        return at.reduce_sum(at.tanh(x @ w + b) * 2.0)

    tf = at.tape_function(layer)
    arg_sets = [(normal(rng, (2, 4), dtype),) for _ in range(3)]
    check_against_eager(layer, arg_sets, variables=(w, b), tf=tf)
    w.assign(normal(rng, (4, 3), dtype))  # compiled calls read the Variables' current values
    b.assign_add(np.ones(3, dtype))
    check_against_eager(layer, arg_sets, variables=(w, b), tf=tf)
    assert tf.cache_info().traces == 1


class MLP(at.Module):
    def __init__(self, hidden):
        super().__init__()
        self.hidden = at.layers.Dense(hidden, activation="tanh")
        self.out = at.layers.Dense(1)

    def __call__(self, x):
        return self.out(self.hidden(x))

    @at.tape_function
    def loss(self, x, y):
        return at.reduce_mean(at.square(self(x) - y))


def mlp_loss(model):
    return lambda x, y: at.reduce_mean(at.square(model(x) - y))


@pytest.mark.modules
@pytest.mark.parametrize("dtype", DTYPES)
def test_module_with_dense_layers(rng, dtype):
    at.random.set_seed(7)
    model = MLP(5)
    loss = mlp_loss(model)
    tf = at.tape_function(loss)
    data = [(normal(rng, (6, 3), dtype), normal(rng, (6, 1), dtype)) for _ in range(3)]
    tf(*data[0])  # traced: builds the layers' Variables inside the trace
    assert len(model.trainable_variables) == 4
    assert all(v.dtype == dtype for v in model.trainable_variables)
    variables = model.trainable_variables
    check_against_eager(loss, data, variables=variables, tf=tf)
    optimizer = at.optimizers.SGD(0.1)
    for x, y in data:  # train with compiled gradients; eager agrees after every step
        with at.GradientTape() as tape:
            value = tf(x, y)
        optimizer.apply_gradients(zip(tape.gradient(value, variables), variables))
        check_against_eager(loss, data, variables=variables, tf=tf)
    assert tf.cache_info().traces == 1

    # the same loss as a tape_function method of the Module (self is a static argument)
    for x, y in data:
        assert_same(model.loss(x, y), loss(at.constant(x), at.constant(y)))
        value, grads = tape_gradient(model.loss, (x, y), 0, variables)
        assert_same((value, grads),
                    general_pass(lambda: tape_gradient(loss, (x, y), 0, variables)))
    assert MLP.loss.cache_info().compiled_calls > 0


# --- NumPy calls through the protocols -------------------------------------------------------
def numpy_calls(x, m):
    y = np.matmul(np.sin(x), m)  # (3, 2)
    z = np.sum(np.exp(y * 0.1), axis=1)  # (3,)
    c = np.sum(np.cos(x) * np.square(x), axis=0)  # (4,)
    return np.dot(z, z) + np.dot(c, np.tanh(c)) + np.sum(x @ m)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_calls_through_the_protocols(rng, dtype):
    arg_sets = [(normal(rng, (3, 4), dtype), normal(rng, (4, 2), dtype)) for _ in range(4)]
    check_against_eager(numpy_calls, arg_sets, argnums=(0, 1))
    if dtype is np.float64:
        tf = at.tape_function(numpy_calls)
        for x, m in arg_sets:
            z = np.exp(np.sin(x) @ m * 0.1).sum(axis=1)
            c = (np.cos(x) * x * x).sum(axis=0)
            expected = z @ z + c @ np.tanh(c) + (x @ m).sum()
            np.testing.assert_allclose(tf(x, m).numpy(), expected, rtol=1e-12)


# --- broadcasting -----------------------------------------------------------------------------
def broadcasting(a, b, s):
    y = a * b + s * at.sin(b) - a / (1.0 + b * b)  # (3, 1) with (4,) and a scalar
    return at.reduce_sum(y * y) + s * at.reduce_sum(a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcasting(rng, dtype):
    arg_sets = [(normal(rng, (3, 1), dtype), normal(rng, 4, dtype), normal(rng, (), dtype))
                for _ in range(4)]
    check_against_eager(broadcasting, arg_sets, argnums=(0, 1, 2))
    # a Python float scalar argument (dynamic) with vectors
    tf = check_against_eager(broadcasting, [(a, b, float(s)) for a, b, s in arg_sets],
                             argnums=(0, 1, 2))
    for a, b, s in arg_sets:
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        y = a64 * b64 + float(s) * np.sin(b64) - a64 / (1 + b64 * b64)
        if dtype is np.float64:
            expected = np.sum(y * y) + float(s) * a64.sum()
            np.testing.assert_allclose(tf(a, b, float(s)).numpy(), expected, rtol=1e-12)
            ds = 2 * np.sum(y * np.sin(b64)) + a64.sum()
            np.testing.assert_allclose(at.grad(tf, 2)(a, b, float(s)).numpy(), ds, rtol=1e-12)


# --- reductions -------------------------------------------------------------------------------
def reductions(x):
    rows = at.reduce_sum(x, axis=1, keepdims=True)  # (3, 1)
    cols = at.reduce_mean(x, axis=0)  # (4,)
    peak = at.reduce_max(x, axis=-1, keepdims=True)  # (3, 1)
    top = at.reduce_max(x, axis=0)  # (4,)
    return (at.reduce_sum(x * rows) + at.reduce_sum(cols * cols) + at.reduce_mean(peak * x)
            + at.reduce_sum(top * at.reduce_mean(x, axis=1, keepdims=False)[0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions(rng, dtype):
    arg_sets = [(normal(rng, (3, 4), dtype),) for _ in range(4)]
    tf = check_against_eager(reductions, arg_sets)
    for (x,) in arg_sets:
        x = x.astype(np.float64)
        expected = ((x * x.sum(1, keepdims=True)).sum() + (x.mean(0) ** 2).sum()
                    + (x.max(-1, keepdims=True) * x).mean() + (x.max(0) * x.mean(1)[0]).sum())
        np.testing.assert_allclose(tf(x).numpy(), expected, rtol=1e-12)


# --- matmul -----------------------------------------------------------------------------------
def products(a, b):
    c = at.matmul(a, b)  # (3, 2)
    d = a @ b
    e = at.matmul(c, b, transpose_b=True)  # (3, 4)
    return at.reduce_sum(c * d) + at.reduce_sum(at.sin(e) @ at.transpose(a))


def batched_products(a, b):
    # a's batch gathered to (2, 3); then one matrix of b for every matrix of a
    return at.reduce_sum(at.tanh(at.matmul(a, b))) + at.reduce_sum(at.sin(at.matmul(a, b[:1])))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul(rng, dtype):
    """Products (and their gradients) run as interpreter rows, eager's loop kernel, bitwise."""
    arg_sets = [(normal(rng, (3, 4), dtype), normal(rng, (4, 2), dtype)) for _ in range(4)]
    tf = check_against_eager(products, arg_sets, argnums=(0, 1))
    batched = check_against_eager(batched_products, [
        (normal(rng, (2, 1, 3, 4), dtype), normal(rng, (3, 4, 5), dtype)) for _ in range(3)],
        argnums=(0, 1))
    for f in (tf, at.value_and_grad(tf, (0, 1)), batched,
              at.value_and_grad(batched, (0, 1))):
        assert not interpreter_host_steps(f), f.explain()
    for a, b in arg_sets:
        a, b = a.astype(np.float64), b.astype(np.float64)
        c = a @ b
        expected = (c * c).sum() + (np.sin(c @ b.T) @ a.T).sum()
        np.testing.assert_allclose(tf(a, b).numpy(), expected, rtol=1e-12)


# --- indexing ---------------------------------------------------------------------------------
def slicing(x):
    v = x[:, 1]  # (4,)
    tail = x[1:]  # (3, 3)
    rev = x[::-1]  # (4, 3)
    first = x[0]  # (3,)
    return (at.reduce_sum(tail * tail[::-1]) + at.reduce_sum(rev[:, 0] * v)
            + at.reduce_sum(at.sin(first) * v[1:]) + v[0] * x[-1, -1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_indexing(rng, dtype):
    arg_sets = [(normal(rng, (4, 3), dtype),) for _ in range(4)]
    tf = check_against_eager(slicing, arg_sets)
    assert tf.cache_info().traces == 1
    for (x,) in arg_sets:
        x = x.astype(np.float64)
        v = x[:, 1]
        expected = ((x[1:] * x[1:][::-1]).sum() + (x[::-1][:, 0] * v).sum()
                    + (np.sin(x[0]) * v[1:]).sum() + v[0] * x[-1, -1])
        np.testing.assert_allclose(tf(x).numpy(), expected, rtol=1e-12)


def pick(x, i):
    return at.reduce_sum(x[i] * x) + x[i + 1] * 2.0


def test_indexing_with_an_int_tensor_guards_on_its_value(rng):
    indices = [1, 1, 2, 1, 2, 0]
    arg_sets = [(normal(rng, 4, np.float64), np.array(i)) for i in indices]
    tf = check_against_eager(pick, arg_sets)
    assert tf.cache_info().traces == len(set(indices))
    for x, i in arg_sets:
        np.testing.assert_allclose(tf(x, i).numpy(), x[i] * x.sum() + 2 * x[i + 1],
                                   rtol=1e-12)


# --- where --------------------------------------------------------------------------------------
def leaky(x):
    y = at.where(x > 0, x, 0.1 * x)
    return at.reduce_sum(at.where(y > 0.5, at.sin(y), y * y))


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_needs_no_guards(rng, dtype):
    arg_sets = [(normal(rng, 6, dtype),) for _ in range(4)]
    tf = check_against_eager(leaky, arg_sets)
    info = tf.cache_info()
    assert info.traces == 1 and info.guard_failures == 0
    for (x,) in arg_sets:
        x = x.astype(np.float64)
        y = np.where(x > 0, x, 0.1 * x)
        np.testing.assert_allclose(tf(x).numpy(), np.where(y > 0.5, np.sin(y), y * y).sum(),
                                   rtol=1e-5 if dtype is np.float32 else 1e-12,
                                   atol=1e-6 if dtype is np.float32 else 0)


# --- concat, stack, reshape, transpose ------------------------------------------------------
def joined(x, y):
    c = at.concat([x, at.sin(y)], axis=0)  # (4, 3)
    d = at.concat([x, y * 2.0], axis=1)  # (2, 6)
    s = at.stack([x, y], axis=1)  # (2, 2, 3)
    return at.reduce_sum(c * c) + at.reduce_sum(at.cos(d)) + at.reduce_sum(s[:, 0] * s[:, 1])


def reshaped(x):
    r = at.reshape(x, (3, 4))
    t = at.transpose(r)  # (4, 3)
    u = at.transpose(at.reshape(x, (2, 3, 2)), perm=[2, 0, 1])  # (2, 2, 3)
    return at.reduce_sum(t @ r) + at.reduce_sum(u * at.reshape(x[:12], (2, 2, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_concat_and_stack(rng, dtype):
    def program(x, y):
        return joined(x, y[:2]) + at.reduce_sum(at.concat([x, y], axis=0))

    arg_sets = [(normal(rng, (2, 3), dtype), normal(rng, (3, 3), dtype)) for _ in range(4)]
    check_against_eager(program, arg_sets, argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_and_transpose(rng, dtype):
    arg_sets = [(normal(rng, 12, dtype),) for _ in range(4)]
    tf = check_against_eager(reshaped, arg_sets)
    for (x,) in arg_sets:
        x = x.astype(np.float64)
        r = x.reshape(3, 4)
        u = x.reshape(2, 3, 2).transpose(2, 0, 1)
        expected = (r.T @ r).sum() + (u * x.reshape(2, 2, 3)).sum()
        np.testing.assert_allclose(tf(x).numpy(), expected,
                                   rtol=1e-5 if dtype is np.float32 else 1e-12)


# --- softmax and cross entropy with int labels ----------------------------------------------
def classification(logits, labels):
    xent = at.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    p = at.nn.softmax(logits)
    return at.reduce_mean(xent) + 0.5 * at.reduce_sum(p * p)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_with_changing_labels(rng, dtype):
    arg_sets = [(normal(rng, (5, 4), dtype, scale=2.0), rng.integers(0, 4, 5))
                for _ in range(4)]
    assert len({tuple(labels) for _, labels in arg_sets}) > 1
    tf = check_against_eager(classification, arg_sets)
    assert tf.cache_info().traces == 1  # the labels are a dynamic input, not a guard
    for logits, labels in arg_sets:
        z = logits.astype(np.float64)
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        expected = -np.log(p[np.arange(5), labels]).mean() + 0.5 * (p * p).sum()
        np.testing.assert_allclose(tf(logits, labels).numpy(), expected,
                                   rtol=1e-5 if dtype is np.float32 else 1e-12)
        onehot = np.eye(4)[labels]
        grad_xent = (p - onehot) / 5
        grad_sq = p * (p - (p * p).sum(1, keepdims=True))  # d/dz of 0.5 sum p^2
        np.testing.assert_allclose(at.grad(tf)(logits, labels).numpy(), grad_xent + grad_sq,
                                   rtol=1e-4 if dtype is np.float32 else 1e-11,
                                   atol=1e-6 if dtype is np.float32 else 1e-14)


# --- second order: hessian and the other transforms -----------------------------------------
def branchy_energy(x):
    if at.reduce_sum(x) > 0:
        return at.reduce_sum(at.sin(x) * x * x)
    return at.reduce_sum(at.exp(x) * x) + at.reduce_sum(x[1:] * x[:-1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian_of_a_tape_function(rng, dtype):
    tf = at.tape_function(branchy_energy)
    hessian_tf, hessian_eager = at.hessian(tf), at.hessian(branchy_energy)
    for sign in [1, 1, -1, -1, 1]:
        x = with_sign(rng, 4, dtype, sign)
        h = hessian_tf(x)
        assert_same(h, general_pass(lambda: hessian_eager(x)))
        assert_same(h, hessian_eager(x), RTOL)
        assert h.shape == (4, 4) and h.dtype == dtype
        if dtype is np.float64:
            if x.sum() > 0:
                expected = np.diag(-np.sin(x) * x * x + 4 * x * np.cos(x) + 2 * np.sin(x))
            else:
                expected = np.diag(np.exp(x) * (x + 2)) + np.eye(4, k=1) + np.eye(4, k=-1)
            np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert hessian_tf.cache_info().compiled_calls > 0, hessian_tf.explain()


def test_every_transform_of_a_tape_function_matches_eager(rng):
    tf = at.tape_function(branchy_energy)
    arg_sets = [with_sign(rng, 4, np.float64, s) for s in [1, -1, 1, -1]]
    transforms = [(at.grad, lambda x: (x,)), (at.jacobian, lambda x: (x,)),
                  (at.gradients_function, lambda x: (x,)),
                  (at.hvp, lambda x: (x, np.linspace(-1.0, 1.0, 4)))]
    for transform, arguments in transforms:
        of_tf, of_eager = transform(tf), transform(branchy_energy)
        for x in arg_sets:
            assert_same(of_tf(*arguments(x)),
                        general_pass(lambda: of_eager(*map(as_eager, arguments(x)))))
        assert of_tf.cache_info().compiled_calls > 0, (transform, of_tf.explain())

    def vector(x):  # a non-scalar output: the jacobian
        return at.sin(x) * at.reduce_sum(x) if at.reduce_max(x) > 0 else x * x
    jac_tf, jac_eager = at.jacobian(at.tape_function(vector)), at.jacobian(vector)
    for x in arg_sets + [np.abs(x) for x in arg_sets]:
        assert_same(jac_tf(x), general_pass(lambda: jac_eager(x)))
    assert jac_tf.cache_info().compiled_calls > 0


# --- large tensors (elementwise runs become fused loops) ------------------------------------
def large_elementwise(x, y):
    z = at.sin(x) * y + at.exp(at.clip_by_value(x, -3.0, 3.0)) * 0.5
    if at.reduce_sum(x) > 0:
        z = at.tanh(z) * z - y / 3.0
    else:
        z = at.square(z) + at.cos(y) * x
    return at.reduce_sum(z * x) * 1e-3


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_tensors(rng, dtype):
    shape = (64, 80)  # 5120 elements: past the interpreter's size, into the fused loops
    arg_sets = []
    for sign in [1, 1, -1, -1, 1]:
        x, y = normal(rng, shape, dtype), normal(rng, shape, dtype)
        arg_sets.append((x if np.sign(x.sum()) == sign else -x, y))
    tf = check_against_eager(large_elementwise, arg_sets, argnums=(0, 1))
    assert tf.cache_info().traces == 2
    for x, y in arg_sets:
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        z = np.sin(x64) * y64 + np.exp(np.clip(x64, -3, 3)) * 0.5
        z = np.tanh(z) * z - y64 / 3 if x.sum() > 0 else z * z + np.cos(y64) * x64
        np.testing.assert_allclose(tf(x, y).numpy(), (z * x64).sum() * 1e-3,
                                   rtol=1e-4 if dtype is np.float32 else 1e-11)


# --- the interpreter's own steps for data movement and reductions -------------------------
def moves_and_reductions(x, y):
    t = at.transpose(x)  # (4, 3): a gather
    picked = x[np.array([0, 2, 2]), 1:]  # an integer array with a repeat: its gradient adds
    tiled = at.tile(y[:, :1], [1, 4])  # (3, 4)
    both = at.concat([x, tiled * 0.5], axis=0)  # (6, 4)
    prod = at.reduce_prod(both[:, 1:3] + 2.0, axis=0)  # through products of the others
    low = at.reduce_min(x * y[:, :1], axis=1)  # a broadcast operand gathered first
    spread = at.broadcast_to(at.reduce_sum(x, axis=0), (2, 3, 4))  # n-d broadcast
    cube = at.reshape(at.sin(spread), (2, 3, 4))
    return (at.reduce_sum(t * t) + at.reduce_sum(at.sin(picked)) + at.reduce_sum(prod)
            + at.reduce_sum(low) + at.reduce_sum(at.reduce_max(cube, axis=(0, 2)))
            + at.reduce_sum(at.reduce_sum(cube, axis=(0, 2)) * y[:, 1]))


def broadcast_gradients(x, w, c):
    """Each binary formula with a fused gradient, on operands that broadcast along axes:
    x (3, 1, 4), w (2, 1), c (4,)."""
    return at.reduce_sum(at.sin(x * w) / (c + 2.0) - at.pow(at.abs(x) + 1.0, w) * c
                         + at.maximum(x, c) * at.minimum(w, x) + at.mod(x, c * c + 3.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_of_operands_broadcast_along_axes_are_kernel_rows(rng, dtype):
    """The summed gradient of an operand broadcast along some axes runs in the kernel, in
    eager's order: bitwise equal to eager in both float dtypes."""
    arg_sets = [(normal(rng, (3, 1, 4), dtype), normal(rng, (2, 1), dtype),
                 normal(rng, (4,), dtype)) for _ in range(3)]
    tf = check_against_eager(broadcast_gradients, arg_sets, argnums=(0, 1, 2))
    for f in (tf, at.value_and_grad(tf, (0, 1, 2))):
        assert not interpreter_host_steps(f), f.explain()
    for x, w, c in arg_sets:
        x, w, c = (v.astype(np.float64) for v in (x, w, c))
        expected = (np.sin(x * w) / (c + 2.0) - (np.abs(x) + 1.0) ** w * c
                    + np.maximum(x, c) * np.minimum(w, x) + np.mod(x, c * c + 3.0)).sum()
        np.testing.assert_allclose(tf(x, w, c).numpy(), expected,
                                   rtol=1e-4 if dtype is np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_data_movement_and_reductions_run_as_kernel_steps_bitwise(rng, dtype):
    """Transposes, slices (and their scatters), tiles, concatenations, broadcasts, sums,
    products and extrema over axes, and the gradients of broadcast operands are rows of the
    interpreter (no host steps), bitwise equal to eager, values and gradients."""
    arg_sets = [(normal(rng, (3, 4), dtype), normal(rng, (3, 2), dtype)) for _ in range(3)]
    tf = check_against_eager(moves_and_reductions, arg_sets, argnums=(0, 1))
    for f in (tf, at.value_and_grad(tf, (0, 1))):
        assert not interpreter_host_steps(f), f.explain()
    for x, y in arg_sets:
        x, y = x.astype(np.float64), y.astype(np.float64)
        both = np.concatenate([x, np.tile(y[:, :1], (1, 4)) * 0.5])
        cube = np.sin(np.broadcast_to(x.sum(0), (2, 3, 4)))
        expected = ((x.T ** 2).sum() + np.sin(x[[0, 2, 2], 1:]).sum()
                    + np.prod(both[:, 1:3] + 2.0, axis=0).sum() + (x * y[:, :1]).min(1).sum()
                    + cube.max(axis=(0, 2)).sum() + (cube.sum(axis=(0, 2)) * y[:, 1]).sum())
        np.testing.assert_allclose(tf(x, y).numpy(), expected,
                                   rtol=1e-5 if dtype is np.float32 else 1e-12)
