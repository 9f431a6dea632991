"""A description of the machine and software a run was made on."""

from __future__ import annotations

import os
import platform
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
