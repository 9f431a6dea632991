"""Command line: ``python -m bench [--workload NAME] [--variant NAME] [--quick] [--budget S]
[--in-process] [--json PATH] [--plot PATH] [--startup] [--neighbours]``. See the docstring of ``bench``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Optional, Sequence

from bench.export import run_record, write_json
from bench.harness import Settings, run_workload
from bench.libraries import LIBRARIES
from bench.plot import write_plot
from bench.registry import WORKLOADS
from bench.report import format_report
from bench.runner import use_steady_malloc
from bench.neighbours import format_neighbours, run_neighbours_check
from bench.startup import format_startup, run_startup_check
import bench.workloads  # noqa: F401  (registers the workloads)


def _names(values: Optional[list[str]]) -> Optional[list[str]]:
    """Repeated options and comma lists, flattened; None when the option was not given."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time value-and-gradient workloads in autotape and its peers.")
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help="workload(s) to run, repeatable or comma list: "
                             f"{', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--variant", action="append", metavar="NAME",
                        help=f"variant(s) to run: {', '.join(LIBRARIES)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="small time budget and inputs: the whole run takes under a minute")
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="timing budget per variant (default 2.5, or 0.15 with --quick)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every variant in this process instead of a fresh worker "
                             "process each (faster start, but libraries affect each other)")
    parser.add_argument("--json", metavar="PATH", help="write raw figures and the machine here")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG bar chart of ratios here")
    parser.add_argument("--startup", action="store_true",
                        help="time `import autotape` and check that a second process loads "
                             "kernels from the disk cache; runs only this unless --workload "
                             "is also given")
    parser.add_argument("--neighbours", action="store_true",
                        help="time autotape's mlp and elementwise steps in fresh processes "
                             "alone and after importing torch, jax, scipy, scikit-learn "
                             "(those installed); runs only this unless --workload is given")
    args = parser.parse_args(argv)
    args.workload, args.variant = _names(args.workload), _names(args.variant)
    for option, names, known in (("--workload", args.workload, WORKLOADS),
                                 ("--variant", args.variant, LIBRARIES)):
        unknown = [name for name in names or () if name not in known]
        if unknown:
            parser.error(f"{option}: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    settings = Settings.for_run(args.quick, args.budget, isolate=not args.in_process)
    if args.in_process:
        use_steady_malloc()  # as every worker process does
    run_workloads = args.workload is not None or not (args.startup or args.neighbours)
    names = args.workload or list(WORKLOADS)
    started = time.perf_counter()

    runs = []
    if run_workloads:
        for name in names:
            runs.append(run_workload(WORKLOADS[name], settings, variants=args.variant))
        print(f"\n{format_report(runs)}\n")
    startup = None
    if args.startup:
        startup = run_startup_check(args.quick)
        print(f"{format_startup(startup)}\n")
    if args.neighbours:
        print(f"{format_neighbours(run_neighbours_check(args.quick))}\n")
    print(f"(total {time.perf_counter() - started:.1f} s)")

    if args.json:
        write_json(args.json, run_record(runs, settings, startup))
        print(f"raw figures written to {args.json}")
    if args.plot:
        print(write_plot(args.plot, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
