"""Runs every variant of a workload and collects the rows of the report.

Each variant is prepared in turn (see ``bench.runner``: import, cold call, warm-up), the
baseline first, and its result is checked against the reference. Then the prepared variants
are timed in interleaved rounds, each round giving every variant an equal share of its
budget, so that a slow spell of a shared machine falls on all variants alike instead of on
whichever ran then; the median over all samples is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping, Optional

from bench.checking import mismatch
from bench.libraries import BASELINE, LIBRARIES, Library, Status
from bench.machine import OtherCpuUse
from bench.registry import Inputs, Workload
from bench.report import format_seconds
from bench.runner import PreparedVariant, VariantFailed, start_variant
from bench.timing import Timing

Progress = Callable[[str], None]
NOISY_OTHER_CORES = 0.1  # other processes' CPU use above which a workload's figures are noisy


def print_now(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class Settings:
    budget_s: float  # timing budget per variant, shared out over the rounds
    warmup_calls: int  # calls after the cold one, before checking and timing
    rounds: int  # interleaved timing rounds; each gives every variant at least one sample
    quick: bool = False
    isolate: bool = True  # each variant in a worker process of its own
    baseline: str = BASELINE  # the reference for checks and ratios

    @classmethod
    def for_run(cls, quick: bool, budget_s: Optional[float] = None,
                isolate: bool = True) -> "Settings":
        default_budget, warmup_calls, rounds = (0.15, 1, 3) if quick else (2.5, 3, 5)
        return cls(budget_s if budget_s is not None else default_budget, warmup_calls, rounds,
                   quick, isolate)


@dataclass(frozen=True)
class VariantResult:
    workload: str
    variant: str
    status: Status
    detail: str = ""  # error text, mismatch description, or why the variant did not run
    note: Optional[str] = None
    cold_s: Optional[float] = None
    timing: Optional[Timing] = None
    ratio: Optional[float] = None  # median / baseline median
    ops_per_call: Optional[int] = None

    @property
    def median_s(self) -> Optional[float]:
        return self.timing.median_s if self.timing else None

    @property
    def status_text(self) -> str:
        return f"{self.status.value}: {self.detail}" if self.detail else self.status.value

    @property
    def per_op_s(self) -> Optional[float]:
        if self.timing is None or not self.ops_per_call:
            return None
        return self.timing.median_s / self.ops_per_call


@dataclass(frozen=True)
class WorkloadRun:
    workload: Workload
    inputs_note: str
    results: list[VariantResult]
    reference: Optional[str]  # the variant whose result the others were checked against
    baseline: str
    other_cpu_cores: Optional[float] = None  # cores other processes took meanwhile

    @property
    def noisy(self) -> bool:
        return self.other_cpu_cores is not None and self.other_cpu_cores >= NOISY_OTHER_CORES


def _time_in_rounds(rows: dict[str, VariantResult], prepared: dict[str, PreparedVariant],
                    settings: Settings) -> None:
    """Time the prepared variants in interleaved rounds, completing their rows in place."""
    samples: dict[str, list[float]] = {name: [] for name in prepared}
    for _ in range(settings.rounds):
        for name, variant in prepared.items():
            if rows[name].status is Status.ERROR:
                continue
            try:
                samples[name] += variant.sample(settings.budget_s / settings.rounds)
            except VariantFailed as failure:
                rows[name] = replace(rows[name], status=Status.ERROR, detail=str(failure))
    for name, variant in prepared.items():
        if rows[name].status is not Status.ERROR:
            timing = Timing(tuple(samples[name]), variant.preparation.calls_per_sample)
            rows[name] = replace(rows[name], timing=timing)


def _with_ratios(results: list[VariantResult], baseline: str) -> list[VariantResult]:
    base = next((r for r in results if r.variant == baseline and r.status is Status.OK), None)
    if base is None:
        return results
    return [replace(r, ratio=r.median_s / base.median_s) if r.timing else r for r in results]


def prepared_line(result: VariantResult) -> str:
    """Progress after the cold call, warm-up and check."""
    cold = f"cold {format_seconds(result.cold_s):>9}   " if result.cold_s is not None else ""
    return f"  {result.variant:<13} {cold}{result.status_text}"


def timed_line(result: VariantResult) -> str:
    """Progress after timing: the median, or why timing failed."""
    if result.timing is None:
        return f"  {result.variant:<13} {result.status_text}"
    return (f"  {result.variant:<13} median {format_seconds(result.median_s):>9}   "
            f"({result.timing.calls} calls)")


def _run_variants(workload: Workload, names: list[str], inputs: Inputs, settings: Settings,
                  libraries: Mapping[str, Library], progress: Progress
                  ) -> tuple[dict[str, VariantResult], Optional[str]]:
    """Prepare and check each variant in turn, then time them; return the rows by variant
    and the name of the reference variant."""
    rows: dict[str, VariantResult] = {}
    prepared: dict[str, PreparedVariant] = {}
    reference_name, reference = None, None
    try:
        for name in names:
            variant = workload.variants[name]
            started = start_variant(variant, libraries[name], inputs, settings.warmup_calls,
                                    settings.isolate)
            preparation = started.preparation
            row = VariantResult(workload.name, name, preparation.status, preparation.detail,
                                variant.note, preparation.cold_s,
                                ops_per_call=workload.ops_per_call)
            if preparation.status is Status.OK:
                if reference_name is None:
                    reference_name, reference = name, preparation.values
                elif (problem := mismatch(reference, preparation.values)) is not None:
                    row = replace(row, status=Status.MISMATCH, detail=problem)
                prepared[name] = started
            else:
                started.close()
            rows[name] = row
            progress(prepared_line(row))

        if prepared:
            progress(f"  timing {len(prepared)} variants in {settings.rounds} interleaved "
                     f"rounds ({format_seconds(settings.budget_s)} per variant)")
            _time_in_rounds(rows, prepared, settings)
            for name in prepared:
                progress(timed_line(rows[name]))
    finally:
        for started in prepared.values():
            started.close()
    return rows, reference_name


def run_workload(workload: Workload, settings: Settings,
                 variants: Optional[Iterable[str]] = None,
                 libraries: Mapping[str, Library] = LIBRARIES,
                 progress: Progress = print_now) -> WorkloadRun:
    """Run the workload's variants (all, or those named): the baseline first, whose result the
    others are checked against (the first variant with a result when the baseline has none),
    then the rest in the order of ``libraries``."""
    wanted = set(workload.variants if variants is None else variants)
    unknown = set(workload.variants) - set(libraries)
    if unknown:
        raise ValueError(f"workload {workload.name!r}: variants without a library: {unknown}")
    inputs = workload.build_inputs(settings.quick)
    progress(f"[{workload.name}] {workload.description}; {inputs.note}")
    names = [name for name in libraries if name in workload.variants and name in wanted]
    names.sort(key=lambda name: name != settings.baseline)  # the baseline first: the reference

    with OtherCpuUse() as other_cpu:
        rows, reference_name = _run_variants(workload, names, inputs, settings, libraries,
                                             progress)
    run = WorkloadRun(workload, inputs.note,
                      _with_ratios([rows[name] for name in names], settings.baseline),
                      reference_name, settings.baseline, other_cpu.cores)
    if run.noisy:
        progress(f"  warning: other processes used {run.other_cpu_cores:.2f} cores meanwhile: "
                 "these figures are noisy")
    return run
