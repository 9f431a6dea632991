"""The raw figures of a run, with the machine description, as JSON."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Optional, Sequence

from bench.harness import Settings, VariantResult, WorkloadRun
from bench.machine import describe_machine
from bench.startup import StartupResult


def _result_record(result: VariantResult) -> dict[str, Any]:
    timing = result.timing
    return {
        "variant": result.variant,
        "status": result.status.value,
        "detail": result.detail,
        "note": result.note,
        "cold_s": result.cold_s,
        "median_s": result.median_s,
        "ratio": result.ratio,
        "per_op_s": result.per_op_s,
        "calls_per_sample": timing.calls_per_sample if timing else None,
        "samples_s": list(timing.samples_s) if timing else None,
    }


def _startup_record(startup: StartupResult) -> dict[str, Any]:
    return {**dataclasses.asdict(startup), "cache_verdict": startup.cache_verdict}


def run_record(runs: Sequence[WorkloadRun], settings: Settings,
               startup: Optional[StartupResult] = None) -> dict[str, Any]:
    return {
        "machine": describe_machine(),
        "settings": dataclasses.asdict(settings),
        "workloads": [
            {
                "name": run.workload.name,
                "description": run.workload.description,
                "inputs": run.inputs_note,
                "ops_per_call": run.workload.ops_per_call,
                "baseline": run.baseline,
                "reference": run.reference,
                "other_cpu_cores": run.other_cpu_cores,
                "results": [_result_record(result) for result in run.results],
            }
            for run in runs
        ],
        "startup": _startup_record(startup) if startup is not None else None,
    }


def write_json(path: str, record: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(record, out, indent=2)
        out.write("\n")
