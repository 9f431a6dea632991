"""Threads that make a process's first call of each operation at the same moment all get
right answers, and the operations keep working afterwards."""

import os
import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent('''
    import threading
    import numpy as np
    import autotape as at

    def workload():
        """Touches every family: elementwise (each layout), fused backward kernels,
        reductions, matmul, indexing, selection, shape ops, losses, linear algebra, the
        compiled reverse pass, batched Jacobians and the optimizers."""
        x = at.constant(np.linspace(0.1, 0.9, 12).reshape(3, 4))
        row = at.constant(np.linspace(1.0, 2.0, 4))
        out = {}
        with at.GradientTape(persistent=True) as tape:
            tape.watch([x, row])
            y = at.tanh(x) * row + at.exp(-x) / 2.0 - x ** 1.5 + at.maximum(x, 0.5)
            y = y + at.nn.relu(x - 0.4) + at.sqrt(x) * at.log1p(x) + at.abs(at.sin(x))
            s = at.reduce_sum(y) + at.reduce_max(y, axis=0)[1] + at.reduce_prod(x, axis=1)[0]
            s = s + at.reduce_logsumexp(y) + at.reduce_mean(at.matmul(x, at.transpose(x)))
            s = s + at.reduce_sum(at.where(x > 0.5, x, -x)) + at.reduce_sum(x[1:, ::2])
            s = s + at.reduce_sum(at.gather(x, [0, 2, 2])) + at.norm(x)
            s = s + at.reduce_sum(at.concat([x, x], 1)) + at.reduce_sum(at.tile(row, [2]))
            s = s + at.reduce_sum(at.nn.sparse_softmax_cross_entropy_with_logits(
                labels=np.array([0, 3, 1]), logits=x))
            s = s + np.linalg.norm(x, 2) + at.reduce_sum(at.cast(x, np.float32))
            small = at.reduce_sum(row)  # a small elementwise chain: the compiled reverse pass
            chain = row
            for _ in range(10):
                chain = at.sin(chain) * 1.1 + row
            small = small + at.reduce_sum(chain)
        out["value"] = s.numpy()
        out["grad_x"], out["grad_row"] = (g.numpy() for g in tape.gradient(s, [x, row]))
        out["small"] = tape.gradient(small, row).numpy()
        out["jacobian"] = tape.jacobian(y, row).numpy()
        v = at.Variable(np.ones(5))
        at.optimizers.Adam(0.1).apply_gradients([(at.constant(np.arange(5.0)), v)])
        at.optimizers.SGD(0.1, momentum=0.9).apply_gradients([(at.ones([5]), v)])
        out["optimizers"] = v.numpy()
        return out

    THREADS = 8
    barrier = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def run(k):
        barrier.wait()
        try:
            results[k] = workload()
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    reference = workload()  # after the first use, serially
    for result in results:
        for key, value in reference.items():
            np.testing.assert_array_equal(result[key], value, err_msg=key)
    print("ok")
''')


def test_concurrent_first_use_of_every_family():
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning")
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                            env=env, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")
