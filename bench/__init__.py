"""Benchmark suite of autotape: value-and-gradient workloads timed against peer libraries.

Run from the repository root::

    python -m bench                          # every workload, every variant (< 5 min on 2 cores)
    python -m bench --quick                  # small budget and inputs (< 1 min)
    python -m bench --workload scalar,overhead --variant autotape,torch
    python -m bench --json results.json --plot ratios.png
    python -m bench --startup                # import time and on-disk kernel cache check only
    python -m bench --help                   # every option

Each workload (``bench/workloads/``) computes a value and its gradient once per variant:
``autotape`` (eager GradientTape, the baseline), ``autotape_jit`` (the transform of an
``at.tape_function``, as JAX's ``jit(value_and_grad(f))``), ``autotape_jit_tape`` (a
GradientTape around a ``tape_function`` call),
``numba`` (a hand-written forward + analytic backward, the floor) and the peers ``jax``,
``torch``, ``autograd`` and ``tensorflow`` when installed. Each variant runs in a fresh
worker process of its own (``--in-process``: all in one), where the harness times its first
call ("cold": the first call after import, compilation included), makes warm-up calls and
checks value and gradient against the autotape eager result (``np.allclose``, rtol 1e-5 for
float64, 1e-3 for float32; a disagreeing variant is flagged MISMATCH and its ratio marked
"(!)"). Then the variants are timed in interleaved rounds until each has spent its budget (fast
calls batched so a sample lasts >= 1 ms), and the median per call is reported, also as a
ratio to autotape eager: below 1 is faster than autotape. A peer that is not installed is
reported "not installed"; a variant that raises shows the exception's first line.

Modules, one job each:
    libraries   which library each variant runs on, lazy import, installed versions
    registry    Workload / Variant / Inputs and the registry of workloads
    autodiff    value-and-gradient wrappers shared by workloads (GradientTape, torch, jax, ...)
    workloads/  one module per workload
    timing      the single timing function (one call; adaptive batched samples)
    checking    results to NumPy and comparison with the reference
    runner      where a variant runs: prepared (cold call, warm-up) in a worker process
    harness     runs the variants of a workload: check, interleaved timing rounds, ratios
    report      the text table;  export: JSON (with machine);  plot: PNG chart
    startup     ``import autotape`` time and the second-process kernel-cache check
"""
