"""A PNG bar chart of each variant's ratio to autotape eager, one panel per workload.

Bars start at 1 (autotape eager) on a log scale: left of the line is faster, right slower.
"""

from __future__ import annotations

from typing import Sequence

from bench.harness import WorkloadRun
from bench.libraries import Status
from bench.report import format_ratio_value

FASTER, SLOWER, MISMATCHED = "tab:green", "tab:blue", "tab:red"


def write_plot(path: str, runs: Sequence[WorkloadRun]) -> str:
    """Write the chart; return a one-line message saying what was done."""
    try:
        import matplotlib
    except ImportError:
        return (f"--plot: matplotlib is not installed, so no plot was written to {path} "
                "(pip install matplotlib)")
    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker

    panels = [(run, [r for r in run.results if r.ratio is not None]) for run in runs]
    panels = [(run, rows) for run, rows in panels if rows]
    if not panels:
        return f"--plot: no ratios to plot (no autotape eager result), so {path} was not written"
    height = 1.0 + sum(0.9 + 0.35 * len(rows) for _, rows in panels)
    figure, axes = pyplot.subplots(len(panels), 1, squeeze=False, figsize=(8, height))
    for axis, (run, rows) in zip(axes[:, 0], panels):
        mismatched = [r.status is Status.MISMATCH for r in rows]
        bars = axis.barh(
            [r.variant + (" (mismatch)" if bad else "") for r, bad in zip(rows, mismatched)],
            [r.ratio - 1.0 for r in rows], left=1.0,
            color=[MISMATCHED if bad else FASTER if r.ratio < 1 else SLOWER
                   for r, bad in zip(rows, mismatched)],
            hatch=["//" if bad else "" for bad in mismatched])
        axis.bar_label(bars, labels=[format_ratio_value(r.ratio) for r in rows],
                       padding=3, fontsize=8)
        axis.axvline(1.0, color="black", linewidth=0.8)
        axis.set_xscale("log")
        axis.margins(x=0.15)
        ratios = [r.ratio for r in rows] + [1.0]
        if max(ratios) / min(ratios) < 30:  # under about a decade and a half: more ticks
            axis.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axis.xaxis.set_minor_formatter(ticker.NullFormatter())
        axis.invert_yaxis()
        noisy = (f"  NOISY: other processes used {run.other_cpu_cores:.2f} cores"
                 if run.noisy else "")
        axis.set_title(f"{run.workload.name}: {run.inputs_note}{noisy}", fontsize=9,
                       color="tab:red" if run.noisy else "black")
    axes[-1, 0].set_xlabel("median time / autotape eager median (log scale; left of 1 is faster)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return f"plot written to {path}"
