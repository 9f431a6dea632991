"""Where a variant runs: prepared in this process, or in a worker process of its own.

Preparing a variant imports its library, builds its timed call, times the first call
("cold", compilation included) and makes the warm-up calls; the prepared variant then
answers requests for timing samples. By default each variant lives in a fresh worker process
(``multiprocessing`` spawn), so that no library's thread pools, allocator state or shared
libraries change the speed of another (measured here: the same autotape call took 16 ms in
a process of its own and 9.5 ms in one that had imported torch), and its cold call is a
real first call. Only one variant runs
at a time: the others wait, blocked on their pipe.

Every benchmark process also sets glibc's malloc to one steady policy (``use_steady_malloc``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
from dataclasses import dataclass
from typing import Any, Optional, Union

from bench.checking import as_numpy
from bench.libraries import Library, Status, VariantUnavailable
from bench.registry import Inputs, Variant
from bench.timing import calls_per_sample, take_samples, time_call

WORKER_EXIT_TIMEOUT_S = 10.0
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # the largest glibc accepts on 64-bit machines
_TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024


def use_steady_malloc() -> None:
    """Make glibc malloc keep freed blocks up to 32 MiB for reuse, instead of returning them
    to the system and page-faulting fresh memory in for the next large array.

    By default glibc moves between the two as a process runs (a dynamic mmap threshold), so
    the same variant took 40 ms in one process and 150-200 ms in another on the 2,000,000
    element workload (measured with torch on this project's 2-core machines). One steady
    policy for every variant makes runs repeatable. Does nothing where malloc is not glibc's.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)


def one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


class VariantFailed(Exception):
    """The variant raised while being timed; the message is the exception's one line."""


@dataclass(frozen=True)
class Preparation:
    status: Status  # OK, or why the variant cannot be timed
    detail: str = ""
    cold_s: Optional[float] = None
    values: Any = None  # the result of the last warm-up call, as NumPy arrays
    calls_per_sample: int = 1  # calls timed together in one sample (fast calls are batched)


class InProcessVariant:
    """A variant prepared and timed in this process."""

    def __init__(self, variant: Variant, library: Library, inputs: Inputs, warmup_calls: int):
        self._fn = None
        try:
            module = library.load()
            self._fn = variant.build(module, **inputs.values)
            cold_s, result = time_call(self._fn)
            estimate_s = cold_s
            for _ in range(warmup_calls):
                estimate_s, result = time_call(self._fn)
            self.preparation = Preparation(Status.OK, cold_s=cold_s, values=as_numpy(result),
                                           calls_per_sample=calls_per_sample(estimate_s))
        except VariantUnavailable as unavailable:
            self.preparation = Preparation(unavailable.status, str(unavailable))
        except Exception as error:  # a failing variant is a row of the report, not a crash
            self.preparation = Preparation(Status.ERROR, one_line(error))

    def sample(self, budget_s: float) -> list[float]:
        try:
            return take_samples(self._fn, budget_s, self.preparation.calls_per_sample)
        except Exception as error:
            raise VariantFailed(one_line(error)) from None

    def close(self) -> None:
        self._fn = None


def _worker_main(connection, variant: Variant, library: Library, inputs: Inputs,
                 warmup_calls: int) -> None:
    use_steady_malloc()
    local = InProcessVariant(variant, library, inputs, warmup_calls)
    connection.send(local.preparation)
    while (budget_s := connection.recv()) is not None:
        try:
            connection.send(("samples", local.sample(budget_s)))
        except VariantFailed as failure:
            connection.send(("failed", str(failure)))


class WorkerVariant:
    """A variant prepared and timed in a fresh worker process."""

    def __init__(self, variant: Variant, library: Library, inputs: Inputs, warmup_calls: int):
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=_worker_main, args=(child_end, variant, library, inputs, warmup_calls),
            name=f"bench-{variant.name}", daemon=True)
        try:
            self._process.start()  # pickles the variant: its builder must be module-level
        except Exception as error:
            self.preparation = Preparation(
                Status.ERROR, f"cannot start a worker process: {one_line(error)}")
            return
        finally:
            child_end.close()
        try:
            self.preparation = self._connection.recv()
        except EOFError:
            self.preparation = Preparation(Status.ERROR, self._died())

    def _died(self) -> str:
        self._process.join(WORKER_EXIT_TIMEOUT_S)
        return f"worker process died (exit code {self._process.exitcode})"

    def sample(self, budget_s: float) -> list[float]:
        try:
            self._connection.send(budget_s)
            kind, payload = self._connection.recv()
        except (EOFError, BrokenPipeError):
            raise VariantFailed(self._died()) from None
        if kind == "failed":
            raise VariantFailed(payload)
        return payload

    def close(self) -> None:
        if self._process.pid is not None:  # started
            try:
                self._connection.send(None)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(WORKER_EXIT_TIMEOUT_S)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
        self._connection.close()


PreparedVariant = Union[InProcessVariant, WorkerVariant]


def start_variant(variant: Variant, library: Library, inputs: Inputs, warmup_calls: int,
                  isolate: bool) -> PreparedVariant:
    """Prepare the variant, in a worker process of its own when ``isolate``."""
    kind = WorkerVariant if isolate else InProcessVariant
    return kind(variant, library, inputs, warmup_calls)
