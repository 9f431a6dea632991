"""Whether autotape's speed depends on what was imported before it.

Libraries that load an OpenMP runtime (PyTorch, scikit-learn) start it before autotape can
ask its idle threads to sleep; spinning threads once made autotape's mlp step 4x slower.
This check times autotape's own variants of two workloads (``mlp``: BLAS between parallel
kernels; ``elementwise``: large parallel kernels) in fresh processes, alone and with each
installed neighbour imported first, and reports each time as a ratio to the time alone.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

from bench.report import format_seconds
from bench.startup import REPOSITORY_ROOT

NEIGHBOURS = ("torch", "jax", "scipy", "sklearn")
WORKLOADS = ("mlp", "elementwise")
SLOWER = 1.5  # a ratio above this is not noise on this shared machine
RESULT_MARK = "NEIGHBOURS_RESULT"
SCRIPT = f"""
import json, sys, time
neighbour = sys.argv[1]
if neighbour != "none":
    __import__(neighbour)
import autotape
import bench.workloads
from bench.registry import WORKLOADS
medians = {{}}
for name in sys.argv[2].split(","):
    workload = WORKLOADS[name]
    call = workload.variants["autotape"].build(autotape, **workload.build_inputs(False).values)
    for _ in range(5):
        call()
    times = []
    deadline = time.perf_counter() + 1.5
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    medians[name] = sorted(times)[len(times) // 2]
print({RESULT_MARK!r}, json.dumps(medians))
"""


@dataclass(frozen=True)
class NeighbourRun:
    neighbour: str  # "none": autotape alone
    medians: dict  # workload -> median seconds
    error: Optional[str] = None


def _once(neighbour: str) -> dict:
    """{workload: median seconds} from one fresh process; RuntimeError if it failed."""
    finished = subprocess.run([sys.executable, "-c", SCRIPT, neighbour, ",".join(WORKLOADS)],
                              cwd=REPOSITORY_ROOT, capture_output=True, text=True, timeout=600)
    line = next((line for line in finished.stdout.splitlines()
                 if line.startswith(RESULT_MARK)), None)
    if finished.returncode != 0 or line is None:
        lines = finished.stderr.strip().splitlines() or ["(no output)"]
        raise RuntimeError(lines[-1])
    return json.loads(line.split(" ", 1)[1])


def run_neighbours_check(quick: bool) -> list[NeighbourRun]:
    """Autotape alone first, then after each installed neighbour; rounds alternate between
    them, so that a slow spell of the machine falls on all alike."""
    neighbours = ["none"] + [n for n in NEIGHBOURS if importlib.util.find_spec(n) is not None]
    samples = {n: {name: [] for name in WORKLOADS} for n in neighbours}
    errors: dict[str, str] = {}
    for _ in range(1 if quick else 3):
        for neighbour in neighbours:
            if neighbour in errors:
                continue
            try:
                for name, seconds in _once(neighbour).items():
                    samples[neighbour][name].append(seconds)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                errors[neighbour] = str(error) or type(error).__name__
    return [NeighbourRun(n, {}, errors[n]) if n in errors else NeighbourRun(
        n, {name: statistics.median(values) for name, values in samples[n].items()})
        for n in neighbours]


def verdict(alone: NeighbourRun, run: NeighbourRun) -> str:
    if run.error:
        return f"error: {run.error}"
    ratios = [run.medians[name] / alone.medians[name] for name in WORKLOADS]
    return "SLOWER" if max(ratios) > SLOWER else "ok"


def format_neighbours(runs: list[NeighbourRun]) -> str:
    alone = runs[0]
    lines = [f"neighbours: autotape's {' and '.join(WORKLOADS)} steps with a library imported "
             "first (ratio to autotape alone)"]
    if alone.error:
        return "\n".join(lines + [f"  alone: error: {alone.error}"])
    lines.append("  alone: " + ", ".join(f"{name} {format_seconds(alone.medians[name])}"
                                         for name in WORKLOADS))
    for run in runs[1:]:
        if run.error:
            lines.append(f"  after import {run.neighbour}: error: {run.error}")
            continue
        figures = ", ".join(f"{name} {format_seconds(run.medians[name])} "
                            f"({run.medians[name] / alone.medians[name]:.2f})"
                            for name in WORKLOADS)
        lines.append(f"  after import {run.neighbour}: {figures}: {verdict(alone, run)}")
    if len(runs) == 1:
        lines.append("  (none of " + ", ".join(NEIGHBOURS) + " is installed)")
    return "\n".join(lines)
