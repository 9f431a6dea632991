"""Workloads: a name, an inputs builder and one builder per variant; and their registry.

A variant builder takes the variant's library module and the workload's inputs as keyword
arguments, does all set-up (conversion to the library's arrays, jit wrapping), and returns a
zero-argument callable that computes ``(value, gradient)``: that callable is what is timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

SEED = 20240517  # every workload draws its random inputs from this seed


def seeded_rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


@dataclass(frozen=True)
class Inputs:
    values: dict[str, Any]  # passed to each variant builder as keyword arguments
    note: str  # what the inputs are, for the progress line and the report


@dataclass(frozen=True)
class Variant:
    name: str
    build: Callable[..., Callable[[], Any]]
    note: Optional[str] = None  # how this variant differs from the others, for the report


@dataclass
class Workload:
    name: str
    description: str
    build_inputs: Callable[[bool], Inputs]  # argument: quick
    ops_per_call: Optional[int] = None  # when set, the report shows time per operation
    variants: dict[str, Variant] = field(default_factory=dict)

    def variant(self, name: str, note: Optional[str] = None):
        """Decorator registering a variant builder under ``name``."""

        def register(build):
            if name in self.variants:
                raise ValueError(f"workload {self.name!r} already has a variant {name!r}")
            self.variants[name] = Variant(name, build, note)
            return build

        return register


WORKLOADS: dict[str, Workload] = {}


def define_workload(name: str, description: str, build_inputs: Callable[[bool], Inputs],
                    ops_per_call: Optional[int] = None) -> Workload:
    """Create a workload and add it to the registry."""
    if name in WORKLOADS:
        raise ValueError(f"workload {name!r} is already defined")
    workload = Workload(name, description, build_inputs, ops_per_call)
    WORKLOADS[name] = workload
    return workload
