"""A description of the machine and software a run was made on."""

from __future__ import annotations

import os
import platform
import time
from typing import Any, Optional

from bench.libraries import VERSIONED_DISTRIBUTIONS, installed_version


def cpu_model(cpuinfo_path: str = "/proc/cpuinfo") -> Optional[str]:
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def describe_machine() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": {name: installed_version(name) for name in VERSIONED_DISTRIBUTIONS},
    }


def _machine_busy_seconds() -> Optional[float]:
    """CPU seconds all processes have used since boot (every core), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds used by this process and its finished (waited-for) children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class OtherCpuUse:
    """Measures, over a ``with`` block, the cores that other processes (or the hypervisor,
    as steal time) took: on a shared machine they slow multi-threaded variants badly.
    ``cores`` is None where /proc/stat cannot be read. Children must be waited for before
    the block ends, or their time counts as other processes'."""

    def __enter__(self) -> "OtherCpuUse":
        self.cores: Optional[float] = None
        self._start = (time.perf_counter(), _machine_busy_seconds(), _own_seconds())
        return self

    def __exit__(self, *exc_info) -> None:
        start_wall, start_busy, start_own = self._start
        busy = _machine_busy_seconds()
        wall = time.perf_counter() - start_wall
        if busy is None or start_busy is None or wall <= 0:
            return
        other = (busy - start_busy) - (_own_seconds() - start_own)
        self.cores = max(0.0, other / wall)
