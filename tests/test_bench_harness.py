"""Self-checks of the benchmark harness (bench/) with fake variants: no peer is imported."""

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from bench.checking import mismatch  # noqa: E402
from bench.export import run_record  # noqa: E402
from bench.harness import Settings, run_workload  # noqa: E402
from bench.libraries import Library, Status  # noqa: E402
from bench.machine import OtherCpuUse  # noqa: E402
from bench.registry import Inputs, Workload  # noqa: E402
from bench.report import format_report  # noqa: E402
from bench.timing import calls_per_sample, take_samples  # noqa: E402

# The test process's id; a worker process inherits it through the environment.
TEST_PID = int(os.environ.setdefault("BENCH_SELFCHECK_TEST_PID", str(os.getpid())))
PRESENT = Library("math", peer=False)
FAKE_LIBRARIES = {
    "fast": PRESENT,
    "slow": PRESENT,
    "wrong": PRESENT,
    "raises": PRESENT,
    "fails_later": PRESENT,
    "missing_peer": Library("no_such_module_for_bench_selfcheck", peer=True),
    "missing_required": Library("no_such_module_for_bench_selfcheck", peer=False),
    "unimplemented": Library("math", peer=False, required_attribute="no_such_feature"),
}
SETTINGS = Settings(budget_s=0.03, warmup_calls=1, rounds=3, isolate=False, baseline="fast")


def _square(x):
    return x * x, 2.0 * x


def fake_workload() -> Workload:
    workload = Workload("fake", "x * x and its gradient",
                        lambda quick: Inputs({"x": np.linspace(0.0, 1.0, 5)}, note="x: 5 float64"),
                        ops_per_call=1)

    @workload.variant("fast")
    def fast(math, x):
        return lambda: _square(x)

    @workload.variant("slow")
    def slow(math, x):
        def run():
            time.sleep(0.002)
            return _square(x)
        return run

    @workload.variant("wrong")
    def wrong(math, x):
        return lambda: (x * x, 2.0 * x + 1.0)

    @workload.variant("raises")
    def raises(math, x):
        def run():
            raise ValueError("boom\nsecond line")
        return run

    @workload.variant("fails_later")
    def fails_later(math, x):
        calls = []

        def run():
            calls.append(1)
            if len(calls) > 1 + SETTINGS.warmup_calls:
                raise RuntimeError("stopped while timed")
            return _square(x)
        return run

    for name in ("missing_peer", "missing_required", "unimplemented"):
        workload.variant(name)(lambda module, x: lambda: _square(x))
    return workload


@pytest.fixture(scope="module")
def fake_run():
    lines = []
    run = run_workload(fake_workload(), SETTINGS, libraries=FAKE_LIBRARIES, progress=lines.append)
    return run, {result.variant: result for result in run.results}, lines


def test_slow_variant_has_ratio_above_one(fake_run):
    _, results, _ = fake_run
    assert results["fast"].status is Status.OK
    assert results["fast"].ratio == pytest.approx(1.0)
    assert results["slow"].status is Status.OK
    assert results["slow"].median_s >= 0.002
    assert results["slow"].ratio > 1.0
    assert results["slow"].cold_s is not None


def test_disagreeing_variant_is_flagged_but_keeps_its_ratio(fake_run):
    run, results, _ = fake_run
    wrong = results["wrong"]
    assert wrong.status is Status.MISMATCH
    assert "gradient" in wrong.detail
    assert wrong.ratio is not None
    table = format_report([run])
    wrong_row = next(line for line in table.splitlines()
                     if line.startswith("fake") and " wrong " in line)
    assert "(!)" in wrong_row and "MISMATCH" in wrong_row


def test_missing_peer_is_not_installed_not_an_error(fake_run):
    _, results, lines = fake_run
    assert results["missing_peer"].status is Status.NOT_INSTALLED
    assert results["missing_peer"].timing is None
    assert any("missing_peer" in line and "not installed" in line for line in lines)


def test_missing_required_library_is_an_error(fake_run):
    _, results, _ = fake_run
    assert results["missing_required"].status is Status.ERROR
    assert "ModuleNotFoundError" in results["missing_required"].detail


def test_raising_variant_reports_one_line(fake_run):
    _, results, _ = fake_run
    assert results["raises"].status is Status.ERROR
    assert results["raises"].detail == "ValueError: boom"


def test_variant_failing_while_timed_is_an_error(fake_run):
    _, results, _ = fake_run
    assert results["fails_later"].status is Status.ERROR
    assert results["fails_later"].detail == "RuntimeError: stopped while timed"
    assert results["fails_later"].ratio is None


def test_missing_feature_is_not_yet_implemented(fake_run):
    _, results, _ = fake_run
    assert results["unimplemented"].status is Status.NOT_IMPLEMENTED
    assert "no_such_feature" in results["unimplemented"].detail


def test_variants_run_in_library_order_and_baseline_is_reference(fake_run):
    run, results, _ = fake_run
    assert list(results) == list(FAKE_LIBRARIES)
    assert run.reference == "fast"


def test_baseline_runs_first_and_reference_falls_back_when_it_fails():
    settings = Settings(budget_s=0.01, warmup_calls=0, rounds=1, isolate=False,
                        baseline="raises")
    run = run_workload(fake_workload(), settings, variants=["wrong", "fast", "raises"],
                       libraries=FAKE_LIBRARIES, progress=lambda line: None)
    assert [result.variant for result in run.results] == ["raises", "fast", "wrong"]
    assert run.reference == "fast"  # the first variant with a result
    assert run.results[2].status is Status.MISMATCH
    assert all(result.ratio is None for result in run.results)
    assert "checked against fast" in format_report([run])


def test_fast_calls_are_batched_and_sampling_respects_budget():
    calls = calls_per_sample(1e-7)
    assert calls > 1 and calls_per_sample(1.0) == 1
    start = time.perf_counter()
    samples = take_samples(lambda: None, budget_s=0.05, calls=calls, min_samples=3)
    assert time.perf_counter() - start < 1.0
    assert len(samples) >= 3
    assert max(samples) < 1e-3
    slow = take_samples(lambda: time.sleep(0.01), budget_s=0.0, calls=1, min_samples=2)
    assert len(slow) == 2 and min(slow) >= 0.01


def test_every_timed_variant_gets_a_sample_in_every_round(fake_run):
    _, results, _ = fake_run
    for name in ("fast", "slow", "wrong"):
        assert len(results[name].timing.samples_s) >= SETTINGS.rounds


def test_tolerance_depends_on_dtype():
    reference = (np.float64(1.0), np.ones(3))
    assert mismatch(reference, (np.float64(1.0), np.ones(3) * (1 + 1e-6))) is None
    assert "gradient" in mismatch(reference, (np.float64(1.0), np.ones(3) * (1 + 1e-4)))
    reference32 = (np.float32(1.0), np.ones(3, np.float32))
    off_by_1e4 = np.ones(3, np.float32) * np.float32(1 + 1e-4)
    assert mismatch(reference32, (np.float32(1.0), off_by_1e4)) is None
    assert "shape" in mismatch(reference, (np.float64(1.0), np.ones(4)))
    assert "value" in mismatch(reference, (np.float64(np.nan), np.ones(3)))


def test_json_record_is_serialisable_and_describes_machine(fake_run):
    run, _, _ = fake_run
    record = json.loads(json.dumps(run_record([run], SETTINGS)))
    assert record["machine"]["logical_cores"] >= 1
    assert "numpy" in record["machine"]["versions"]
    slow = next(r for r in record["workloads"][0]["results"] if r["variant"] == "slow")
    assert slow["samples_s"] and slow["ratio"] > 1.0


# Module-level builders: a worker process receives them by pickling (a reference by name).
def _build_square(module, x):
    return partial(_square, x)


def _build_square_only_in_worker(module, x):
    return partial(_square_only_in_worker, x)


def _square_only_in_worker(x):
    return (x * x, 2.0 * x) if os.getpid() != TEST_PID else (x, x)


def _build_crash(module, x):
    return partial(os._exit, 3)


def _isolated_inputs(quick):
    return Inputs({"x": np.arange(3.0)}, note="x: 3 float64")


def test_isolated_variants_run_in_worker_processes():
    workload = Workload("isolated", "x * x in worker processes", _isolated_inputs)
    workload.variant("fast")(_build_square)
    # "slow" agrees with the reference only when it runs in another process
    workload.variant("slow")(_build_square_only_in_worker)
    workload.variant("raises")(_build_crash)  # the worker dies on its first call
    workload.variant("wrong")(lambda module, x: partial(_square, x))  # cannot be pickled
    settings = replace(SETTINGS, isolate=True, rounds=2, budget_s=0.02)
    run = run_workload(workload, settings, libraries=FAKE_LIBRARIES, progress=lambda line: None)
    results = {result.variant: result for result in run.results}
    assert results["fast"].status is Status.OK and results["fast"].ratio == pytest.approx(1.0)
    assert results["slow"].status is Status.OK and len(results["slow"].timing.samples_s) >= 2
    assert results["raises"].status is Status.ERROR
    assert "worker process died (exit code 3)" in results["raises"].detail
    assert results["wrong"].status is Status.ERROR
    assert "cannot start a worker process" in results["wrong"].detail


def test_cpu_taken_by_another_process_is_measured():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with OtherCpuUse() as other:
            time.sleep(0.6)
    finally:
        spinner.kill()
        spinner.wait()
    if other.cores is not None:  # None where /proc/stat does not exist
        assert other.cores > 0.3


def test_cli_and_workloads_import_no_peer():
    code = ("import sys, bench.__main__ as cli; "
            "args = cli.parse_args(['--workload', 'scalar,overhead', "
            "'--workload', 'elementwise']); "
            "assert args.workload == ['scalar', 'overhead', 'elementwise'], args.workload; "
            "from bench.registry import WORKLOADS; from bench.libraries import LIBRARIES; "
            "assert {'scalar', 'elementwise', 'overhead', 'mlp', 'hessian', 'third'} "
            "<= set(WORKLOADS); "
            "assert all('autotape' in w.variants and set(w.variants) <= set(LIBRARIES) "
            "for w in WORKLOADS.values()); "
            "loaded = {'torch', 'jax', 'autograd', 'tensorflow', 'matplotlib'} & set(sys.modules); "
            "assert not loaded, loaded")
    finished = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY_ROOT,
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr


# The mlp, hessian and third workloads: inputs, and the autotape variant against the
# hand-written reference that the numba variant compiles (run here uncompiled: no Numba
# compilation). autotape, not a peer, is imported.
PEER_VARIANTS = {"autotape", "numba", "jax", "torch", "autograd", "tensorflow"}


def _workload(name):
    import bench.workloads  # noqa: F401  (registration)
    from bench.registry import WORKLOADS

    return WORKLOADS[name]


def test_mlp_inputs_are_seeded_float32_with_valid_labels():
    workload = _workload("mlp")
    assert set(workload.variants) == PEER_VARIANTS | {"autotape_jit", "autotape_jit_tape"}
    inputs = workload.build_inputs(False).values
    shapes = {"x": (256, 784), "W1": (784, 256), "b1": (256,), "W2": (256, 10), "b2": (10,)}
    for name, shape in shapes.items():
        assert inputs[name].shape == shape and inputs[name].dtype == np.float32, name
    labels = inputs["labels"]
    assert labels.shape == (256,) and labels.dtype.kind == "i"
    assert labels.min() >= 0 and labels.max() < 10 and len(np.unique(labels)) == 10
    again = workload.build_inputs(True).values
    assert all(np.array_equal(inputs[name], again[name]) for name in inputs)


def test_hessian_and_third_inputs():
    hessian, third = _workload("hessian"), _workload("third")
    assert set(hessian.variants) == set(third.variants) == PEER_VARIANTS | {"autotape_jit"}
    x = hessian.build_inputs(False).values["x"]
    assert x.shape == (100,) and x.dtype == np.float64
    assert np.array_equal(x, hessian.build_inputs(True).values["x"])
    points = third.build_inputs(False).values["x"]
    assert np.array_equal(points, np.linspace(-2 * np.pi, 2 * np.pi, 100))


def _reference(name, inputs):
    from bench.workloads import hessian, mlp, third

    if name == "mlp":
        return mlp.reference_step(**inputs)
    if name == "hessian":
        return hessian.analytic_hessian(inputs["x"])
    return third.closed_form_third_derivative(inputs["x"])


@pytest.mark.parametrize("variant", ["autotape", "autotape_jit", "autotape_jit_tape",
                                     "tensorflow"])
@pytest.mark.parametrize("name", ["mlp", "hessian", "third"])
def test_gradient_tape_variants_agree_with_the_reference(name, variant):
    """The autotape variants, and the tensorflow one with autotape standing in for
    TensorFlow (the same GradientTape API: tensorflow is not installed here)."""
    import autotape

    from bench.checking import as_numpy

    workload = _workload(name)
    if variant not in workload.variants:
        assert variant == "autotape_jit_tape" and name != "mlp"
        return
    inputs = workload.build_inputs(False).values
    result = as_numpy(workload.variants[variant].build(autotape, **inputs)())
    assert mismatch(as_numpy(_reference(name, inputs)), result) is None


@pytest.mark.parametrize("variant", ["autotape", "autotape_jit"])
def test_newton_variants_find_the_roots_and_their_derivatives(variant):
    import autotape

    from bench.checking import as_numpy
    from bench.workloads import newton

    workload = _workload("newton")
    targets = workload.build_inputs(False).values["targets"]
    assert len({newton.iterations(c) for c in targets}) == len(targets)  # the guard changes
    call = workload.variants[variant].build(autotape, targets=targets)
    for _ in range(3):  # traced, then compiled
        roots, derivatives = as_numpy(call())
        np.testing.assert_allclose(roots ** 3 + roots, targets, rtol=1e-12)
        np.testing.assert_allclose(derivatives, 1 / (3 * roots ** 2 + 1), rtol=1e-10)
