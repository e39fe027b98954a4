"""Timing with the cyclic garbage collector on or off, and the collector's own share.

One sample runs a workload `inner` times and ends with `gc.collect()` inside the timed
region, so a graph that only the collector can free (micrograd: every node is a
reference cycle) is paid for by the run that made it. With the collector off, the
graph is dropped inside the timed region (reference counting frees what it can) and
the cycles left over are collected after the clock stops.

Seconds are the process's CPU time by default (`time.process_time`: on a busy machine
it does not count the time other processes hold the CPU), or wall time (`use_clock`).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock: Callable[[], float] = CLOCKS["cpu"]


def use_clock(name: str) -> None:
    """Measure with "cpu" (process CPU time, the default) or "wall" time."""
    global clock
    clock = CLOCKS[name]


class _CollectorTime:
    """Seconds spent inside the cyclic collector, summed through `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = clock()
        else:
            self.seconds += clock() - self._started
            self.collections += 1


class Sample:
    """One timed sample: seconds per run, and the collector's seconds per run."""

    __slots__ = ("seconds", "gc_seconds", "final_gc_seconds", "collections")

    def __init__(
        self, seconds: float, gc_seconds: float, final_gc_seconds: float, collections: int
    ) -> None:
        self.seconds = seconds
        self.gc_seconds = gc_seconds  # all collections, automatic ones and the final one
        self.final_gc_seconds = final_gc_seconds  # the final gc.collect() alone
        self.collections = collections


def timed(run: Callable[[], Any], gc_on: bool = True, inner: int = 1) -> Sample:
    """Time `inner` calls of `run` (each builds a graph, differentiates it, drops it).

    `run` must not return the graph: whatever it returns is discarded inside the clock.
    """
    gc.collect()  # start from a clean heap, outside the clock
    in_gc = _CollectorTime()
    gc.callbacks.append(in_gc)
    was_enabled = gc.isenabled()
    if gc_on:
        gc.enable()
    else:
        gc.disable()
    try:
        start = clock()
        for _ in range(inner):
            run()
        collect = clock()
        if gc_on:
            gc.collect()  # the graphs' collection is part of the work
        end = clock()
        seconds, final = end - start, end - collect
    finally:
        gc.callbacks.remove(in_gc)
        if was_enabled:
            gc.enable()
        gc.collect()  # GC off: the cycles left over, after the clock stopped
    return Sample(seconds / inner, in_gc.seconds / inner, final / inner, in_gc.collections)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Untimed work (checks, creating leaves) with the collector off, then one collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def median(xs: list[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None if empty."""
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


class Case:
    """One engine's version of a workload, measured as interleaved samples.

    `prepare()` runs outside the clock and returns the zero-argument function to time
    (for instance, after creating the leaves of a graph). With `recursion_limit` set,
    samples run in a thread with a deep stack and that limit (micrograd only).
    """

    def __init__(
        self,
        workload: str,
        engine: str,
        variant: str,
        prepare: Callable[[], Callable[[], Any]],
        inner: int = 1,
        recursion_limit: int = 0,
    ) -> None:
        self.workload = workload
        self.engine = engine
        self.variant = variant
        self.prepare = prepare
        self.inner = inner
        self.recursion_limit = recursion_limit
        self.on: list[Sample] = []
        self.off: list[Sample] = []

    def sample(self, gc_on: bool) -> None:
        """Take one sample (GC on or off) and keep it."""

        def once() -> Sample:
            with paused_gc():
                run = self.prepare()
            return timed(run, gc_on, self.inner)

        s = in_big_stack(once, self.recursion_limit) if self.recursion_limit else once()
        (self.on if gc_on else self.off).append(s)

    def warm_up(self) -> None:
        """One untimed run with the collector off (first runs pay for fresh memory)."""

        def once() -> None:
            with paused_gc():
                self.prepare()()

        if self.recursion_limit:
            in_big_stack(once, self.recursion_limit)
        else:
            once()

    def summary(self) -> dict[str, Any]:
        """Medians (and bests) of the samples taken so far."""
        on = [s.seconds for s in self.on]
        return {
            "workload": self.workload,
            "engine": self.engine,
            "variant": self.variant,
            "seconds": median(on),
            "seconds_best": min(on) if on else None,
            "seconds_gc_off": median([s.seconds for s in self.off]),
            "gc_share": median([s.gc_seconds / s.seconds for s in self.on]),
            "final_gc_seconds": median([s.final_gc_seconds for s in self.on]),
            "collections": median([float(s.collections) for s in self.on]),
            "samples": len(on),
            "samples_gc_off": len(self.off),
        }


def result_row(case: Case | None = None, **fields: Any) -> dict[str, Any]:
    """One row of the results: a case's summary (if any), then the given fields."""
    row: dict[str, Any] = {
        "workload": "", "variant": "", "engine": "", "seconds": None, "seconds_best": None,
        "seconds_gc_off": None, "gc_share": None, "ratio": None, "ratio_gc_off": None,
        "bytes_per_node": None, "target": None, "note": "",
    }
    if case is not None:
        row.update(case.summary())
    row.update(fields)
    return row


def interleave(cases: list[Case], reps: int, reps_off: int) -> None:
    """Sample every case `reps` times with GC on and `reps_off` times off, in rotation.

    Each case runs once untimed first. The starting case rotates from one round to the
    next, so that no engine always runs right after the other.
    """
    for case in cases:
        case.warm_up()
    for r in range(max(reps, reps_off)):
        k = r % len(cases)
        for case in cases[k:] + cases[:k]:
            if r < reps:
                case.sample(gc_on=True)
            if r < reps_off:
                case.sample(gc_on=False)


def in_big_stack(fn: Callable[[], Any], recursion_limit: int) -> Any:
    """Call `fn` in a thread with a 512 MiB stack and a raised recursion limit.

    For micrograd's recursive topological sort only. The limit is process-wide, so it
    is restored before this returns (graphgrad is always timed at the default limit).
    """
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, recursion_limit))
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the calling thread
            error.append(exc)
        finally:
            sys.setrecursionlimit(old)

    old_size = threading.stack_size(512 * 1024 * 1024)
    try:
        thread = threading.Thread(target=target, name="big-stack")
        thread.start()
    finally:
        threading.stack_size(old_size)
    thread.join()
    if error:
        raise error[0]
    return result[0]


def close(a: float, b: float, rel: float = 1e-9, scale: float = 0.0) -> bool:
    """a and b agree to `rel` relative to the larger of them (or to `scale`)."""
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


def assert_agree(what: str, ours: list[float], theirs: list[float], rel: float = 1e-9) -> float:
    """Raise AssertionError unless the two lists agree elementwise; return the worst gap.

    An element is compared relative to itself, or to 1e-6 of the largest element where
    it is tiny (summation order differs between engines, so cancellations differ).
    """
    if len(ours) != len(theirs):
        raise AssertionError(f"{what}: {len(ours)} numbers against {len(theirs)}")
    scale = 1e-6 * max((abs(x) for x in (*ours, *theirs)), default=0.0)
    worst = 0.0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if not close(a, b, rel, scale):
            raise AssertionError(f"{what}: element {i} differs: graphgrad {a!r}, micrograd {b!r}")
        worst = max(worst, abs(a - b) / max(abs(a), abs(b), scale, 1e-300))
    return worst
