"""The one timing function used by every variant, with time.perf_counter.

Results are synchronised (``block_until_ready``) inside the timed region so that libraries
with asynchronous dispatch (JAX) are timed to completion.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

MAX_SAMPLES = 1000  # per call of take_samples
MIN_SAMPLE_SECONDS = 1e-3  # fast calls are batched so one sample lasts at least this long


def synchronize(result: Any) -> Any:
    """Wait for asynchronous results (JAX arrays), also inside tuples and lists."""
    if isinstance(result, (tuple, list)):
        for item in result:
            synchronize(item)
    elif hasattr(result, "block_until_ready"):
        result.block_until_ready()
    return result


def time_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by one call (results synchronised), and its result."""
    start = time.perf_counter()
    result = synchronize(fn())
    return time.perf_counter() - start, result


def calls_per_sample(estimate_s: float) -> int:
    """How many calls make one sample, given the time of one warm call."""
    return max(1, int(MIN_SAMPLE_SECONDS / max(estimate_s, 1e-9)))


def take_samples(fn: Callable[[], Any], budget_s: float, calls: int,
                 min_samples: int = 1) -> list[float]:
    """Per-call times of samples of ``calls`` calls each, taken until ``budget_s`` is spent
    (at least ``min_samples``, at most MAX_SAMPLES)."""
    samples = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < min_samples or (
            len(samples) < MAX_SAMPLES and time.perf_counter() < deadline):
        start = time.perf_counter()
        for _ in range(calls):
            synchronize(fn())
        samples.append((time.perf_counter() - start) / calls)
    return samples


@dataclass(frozen=True)
class Timing:
    samples_s: tuple[float, ...]  # per-call time of each sample
    calls_per_sample: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    @property
    def calls(self) -> int:
        return len(self.samples_s) * self.calls_per_sample
