"""Start-up cost of autotape: ``import autotape`` time, and whether a second process
compiles kernels again or loads them from Numba's on-disk cache.

Both run in fresh subprocesses from the repository root. The cache check gives both
processes one new, empty ``NUMBA_CACHE_DIR`` and ``NUMBA_DEBUG_CACHE=1``, computes a
gradient of ``sin`` on a small array in each, and counts Numba's "[cache] data saved"
(a kernel compiled and written) and "[cache] data loaded" lines.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from bench.report import format_seconds

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
FIRST_GRADIENT_MARK = "FIRST_GRADIENT_S"
GRADIENT_SCRIPT = f"""
import time
import numpy as np
import autotape as at
x = at.constant(np.linspace(0.0, 1.0, 16))
start = time.perf_counter()
with at.GradientTape() as tape:
    tape.watch(x)
    y = at.reduce_sum(at.sin(x))
tape.gradient(y, x)
print("{FIRST_GRADIENT_MARK}", time.perf_counter() - start)
"""


@dataclass(frozen=True)
class ProcessCache:
    first_gradient_s: float
    kernels_saved: int
    kernels_loaded: int


@dataclass(frozen=True)
class StartupResult:
    interpreter_median_s: float  # `python -c pass`, the floor under the import time
    import_runs: int
    import_median_s: Optional[float] = None
    import_error: Optional[str] = None
    processes: tuple[ProcessCache, ...] = ()
    cache_error: Optional[str] = None

    @property
    def cache_verdict(self) -> str:
        if self.cache_error:
            return f"error: {self.cache_error}"
        second = self.processes[-1]
        if second.kernels_saved:
            return (f"RECOMPILED: the second process compiled and saved "
                    f"{second.kernels_saved} kernels again")
        if not second.kernels_loaded:
            return "no kernel came from Numba's disk cache in the second process (none cached?)"
        return f"ok: the second process loaded {second.kernels_loaded} kernels and compiled none"


def _run_python(code: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _median_wall_time(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        finished = _run_python(code)
        times.append(time.perf_counter() - start)
        if finished.returncode != 0:
            raise RuntimeError(_last_line(finished.stderr))
    return statistics.median(times)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


def _gradient_process(cache_dir: str) -> ProcessCache:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, NUMBA_DEBUG_CACHE="1")
    finished = _run_python(GRADIENT_SCRIPT, env)
    if finished.returncode != 0:
        raise RuntimeError(_last_line(finished.stderr))
    lines = finished.stdout.splitlines()
    first_gradient = next(float(line.split()[1]) for line in lines
                          if line.startswith(FIRST_GRADIENT_MARK))
    return ProcessCache(
        first_gradient_s=first_gradient,
        kernels_saved=sum("[cache] data saved" in line for line in lines),
        kernels_loaded=sum("[cache] data loaded" in line for line in lines),
    )


def _failure(error: Exception) -> str:
    return str(error) or type(error).__name__


def run_startup_check(quick: bool) -> StartupResult:
    runs = 3 if quick else 5
    result = StartupResult(interpreter_median_s=_median_wall_time("pass", runs), import_runs=runs)
    try:
        result = replace(result, import_median_s=_median_wall_time("import autotape", runs))
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return replace(result, import_error=_failure(error))
    try:
        with tempfile.TemporaryDirectory(prefix="autotape-bench-cache-") as cache_dir:
            processes = tuple(_gradient_process(cache_dir) for _ in range(2))
    except (RuntimeError, subprocess.TimeoutExpired, StopIteration) as error:
        return replace(result, cache_error=_failure(error))
    return replace(result, processes=processes)


def format_startup(result: StartupResult) -> str:
    lines = ["startup"]
    floor = f"bare interpreter {format_seconds(result.interpreter_median_s)}"
    if result.import_error:
        lines.append(f'  python -c "import autotape": error: {result.import_error} ({floor})')
        return "\n".join(lines)
    lines.append(f'  python -c "import autotape": median {format_seconds(result.import_median_s)}'
                 f" over {result.import_runs} runs ({floor})")
    for number, process in enumerate(result.processes, 1):
        lines.append(f"  process {number} (fresh NUMBA_CACHE_DIR shared by both): first gradient "
                     f"{format_seconds(process.first_gradient_s)}; kernels saved "
                     f"{process.kernels_saved}, loaded {process.kernels_loaded}")
    lines.append(f"  kernel cache: {result.cache_verdict}")
    return "\n".join(lines)
