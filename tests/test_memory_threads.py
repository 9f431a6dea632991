"""Tapes release what they hold, do not leak over many uses, and are per thread."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import tracemalloc
import weakref

import numpy as np

import autotape as at

# ---------------------------------------------------------------------------
# intermediates are released
# ---------------------------------------------------------------------------


def test_non_persistent_tape_keeps_no_intermediate_alive_after_gradient():
    xv = np.linspace(0.1, 1.0, 1000)
    x = at.constant(xv)
    with at.GradientTape() as tape:
        tape.watch(x)
        h = at.sin(x)  # an intermediate the backward pass needs
        y = at.reduce_sum(h * h)
    ref = weakref.ref(h)
    del h  # drop our own reference; the tape may still need the value
    g = tape.gradient(y, x)
    gc.collect()
    assert ref() is None, "the finished non-persistent tape still holds an intermediate"
    np.testing.assert_allclose(g.numpy(), np.sin(2 * xv), rtol=1e-12)  # d sin^2 = sin 2x
    assert y.numpy() > 0  # y, x, the tape and g are all still alive here


def test_non_persistent_tape_gradient_inside_context_releases_intermediates():
    x = at.constant(np.linspace(0.1, 1.0, 100))
    with at.GradientTape() as tape:
        tape.watch(x)
        h = at.exp(x)
        y = at.reduce_sum(h * x)
        ref = weakref.ref(h)
        del h
        g = tape.gradient(y, x)
        gc.collect()
        assert ref() is None
    np.testing.assert_allclose(g.numpy(), np.exp(x.numpy()) * (1 + x.numpy()), rtol=1e-12)


def test_persistent_tape_releases_intermediates_when_deleted():
    x = at.constant(np.linspace(0.1, 1.0, 100))
    with at.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = at.sin(x)
        y = at.reduce_sum(h * h)
    ref = weakref.ref(h)
    del h
    g1 = tape.gradient(y, x)
    g2 = tape.gradient(y, x)
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())
    del tape
    gc.collect()
    assert ref() is None


def test_unused_tape_releases_intermediates():
    x = at.constant(np.ones(100))
    with at.GradientTape() as tape:
        tape.watch(x)
        h = at.cos(x)
        _ = h * 2.0
    ref = weakref.ref(h)
    del h, _, tape
    gc.collect()
    assert ref() is None


def test_tensors_outside_any_tape_are_not_kept():
    x = at.constant(np.ones(100))
    h = at.sin(x)
    _ = h * 3.0
    ref = weakref.ref(h)
    del h, _
    gc.collect()
    assert ref() is None


# ---------------------------------------------------------------------------
# no growth over many uses
# ---------------------------------------------------------------------------


def test_ten_thousand_tape_uses_do_not_grow_memory():
    x = at.constant(np.linspace(-1.0, 1.0, 16))
    v = at.Variable(np.linspace(0.5, 1.5, 16))

    def step():
        with at.GradientTape() as tape:
            tape.watch(x)
            y = at.reduce_sum(at.sin(x) * v + x * x)
        gx, gv = tape.gradient(y, [x, v])
        return gx, gv

    for _ in range(200):  # warm-up: kernels compiled, caches filled
        step()
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(1000):
            step()
        gc.collect()
        after_1000 = tracemalloc.get_traced_memory()[0]
        for _ in range(9000):
            gx, gv = step()
        gc.collect()
        after_10000 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    growth = after_10000 - after_1000
    # a leak of one small object per use would be >= 9000 * ~50 bytes
    assert growth < 200_000, f"memory grew by {growth} bytes over 9000 tape uses"
    np.testing.assert_allclose(gx.numpy(), np.cos(x.numpy()) * v.numpy() + 2 * x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gv.numpy(), np.sin(x.numpy()), rtol=1e-12)


# ---------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------

_THREAD_SCRIPT = textwrap.dedent(
    """
    import threading
    import numpy as np
    import autotape as at

    N = 200_000
    ITERS = 6
    rng = np.random.default_rng(0)
    xa = rng.uniform(-1.0, 1.0, N)
    xb = rng.uniform(0.5, 1.5, N)
    barrier = threading.Barrier(2)
    errors = []
    done = []

    def fa(x):
        return at.reduce_sum(at.sin(x) * x)

    def dfa(v):
        return np.cos(v) * v + np.sin(v)

    def fb(x):
        return at.reduce_sum(x * x * x + at.exp(x))

    def dfb(v):
        return 3 * v * v + np.exp(v)

    def worker(name, xv, f, df):
        try:
            x = at.constant(xv)
            expected = df(xv)
            for it in range(ITERS):
                barrier.wait(timeout=120)
                with at.GradientTape() as tape:
                    tape.watch(x)
                    y = f(x)
                g = tape.gradient(y, x)
                np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12, atol=1e-12,
                                           err_msg=f"{name} iteration {it}")
            done.append(name)
        except BaseException as e:
            errors.append(f"{name}: {type(e).__name__}: {e}")
            barrier.abort()

    threads = [threading.Thread(target=worker, args=("A", xa, fa, dfa), daemon=True),
               threading.Thread(target=worker, args=("B", xb, fb, dfb), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    assert not errors, errors
    assert sorted(done) == ["A", "B"], done
    print("THREADS-OK")
    """
)


def test_two_threads_with_large_arrays_get_their_own_gradients():
    # Run in a subprocess: a threading-layer failure in parallel kernels can abort
    # the interpreter, which must show as this test failing, not the suite dying.
    root = os.path.dirname(os.path.dirname(os.path.abspath(at.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run(
        [sys.executable, "-c", _THREAD_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "THREADS-OK" in proc.stdout, out[-4000:]


def test_tapes_are_per_thread():
    """A Variable read in thread B while thread A's tape records is not watched by A's tape."""
    va = at.Variable([1.0, 2.0], name="va")
    vb = at.Variable([3.0, 4.0], name="vb")
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def worker(name, own):
        try:
            for it in range(5):
                with at.GradientTape() as tape:
                    barrier.wait(timeout=60)  # both tapes are open now
                    y = at.reduce_sum(own * own)
                    barrier.wait(timeout=60)  # both have read their variable
                watched = tape.watched_variables()
                g = tape.gradient(y, own)
                results[(name, it)] = ([w.name for w in watched], g.numpy())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(f"{name}: {type(e).__name__}: {e}")
            barrier.abort()

    threads = [
        threading.Thread(target=worker, args=("A", va), daemon=True),
        threading.Thread(target=worker, args=("B", vb), daemon=True),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    for it in range(5):
        names_a, ga = results[("A", it)]
        names_b, gb = results[("B", it)]
        assert names_a == ["va"], names_a
        assert names_b == ["vb"], names_b
        np.testing.assert_array_equal(ga, [2.0, 4.0])
        np.testing.assert_array_equal(gb, [6.0, 8.0])


def test_tape_opened_in_another_thread_does_not_record_here():
    x = at.constant(2.0)
    opened, release = threading.Event(), threading.Event()
    holder = {}

    def other():
        with at.GradientTape(persistent=True) as tape:
            tape.watch(x)
            holder["tape"] = tape
            opened.set()
            release.wait(timeout=60)

    t = threading.Thread(target=other, daemon=True)
    t.start()
    assert opened.wait(timeout=60)
    y = x * x  # computed in this thread while the other thread's tape is open
    release.set()
    t.join(timeout=60)
    assert not t.is_alive()
    assert holder["tape"].gradient(y, x) is None
