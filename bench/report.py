"""The text table: workload x variant, cold first call, steady median, ratio to autotape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from bench.libraries import Status

if TYPE_CHECKING:
    from bench.harness import VariantResult, WorkloadRun

MISMATCH_MARK = " (!)"
_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"))


def format_seconds(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    for scale, unit in _UNITS:
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio_value(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


def format_ratio(result: "VariantResult") -> str:
    if result.ratio is None:
        return "-"
    mark = MISMATCH_MARK if result.status is Status.MISMATCH else ""
    return format_ratio_value(result.ratio) + mark


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines


def format_report(runs: Sequence["WorkloadRun"]) -> str:
    header = ("workload", "variant", "cold (1st call)", "median", "ratio", "per op", "status")
    rows = []
    notes = []
    for run in runs:
        for result in run.results:
            rows.append((run.workload.name, result.variant, format_seconds(result.cold_s),
                         format_seconds(result.median_s), format_ratio(result),
                         format_seconds(result.per_op_s), result.status_text))
            if result.note:
                notes.append(f"{run.workload.name}/{result.variant}: {result.note}")
        if run.noisy:
            notes.append(f"{run.workload.name}: NOISY: other processes used "
                         f"{run.other_cpu_cores:.2f} cores while it ran")
        if run.reference is not None and run.reference != run.baseline:
            notes.append(f"{run.workload.name}: results checked against {run.reference} "
                         f"({run.baseline} gave no result); no ratios")
    lines = _table(header, rows)
    lines.append("")
    lines.append(f"ratio = median / {runs[0].baseline if runs else 'autotape'} eager median "
                 f"(below 1 is faster); {MISMATCH_MARK.strip()} = results disagree, "
                 "ratio not comparable")
    lines.extend(f"  {note}" for note in notes)
    return "\n".join(lines)
