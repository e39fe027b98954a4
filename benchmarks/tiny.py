"""tiny-graph: the latency of one gradient of a ten-node graph (the BurTorch paper's example).

    a = -41, b = 2, c = a + b, d = a * b + b ** 3, e = c - d, f = e ** 2, g = f / 2

Written with operators only, so the same code runs on any engine's `Value`. On a graph
this small, per-call costs (creating leaves, setting up the backward pass) are most of
the work; BurTorch's C++ does it in about 0.1 µs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GRADIENTS = 1_000  # gradients per timed run: one run is far too short to time alone


def tiny_gradient(value: type) -> tuple[float, float]:
    """(dg/da, dg/db) from a freshly built graph."""
    a = value(-41.0)
    b = value(2.0)
    c = a + b
    d = a * b + b**3
    e = c - d
    f = e**2
    g = f / 2.0
    g.backward()
    return a.grad, b.grad


def tiny_reference() -> tuple[float, float]:
    """The same gradients in closed form: g = e² / 2 with e = c - d."""
    a, b = -41.0, 2.0
    e = (a + b) - (a * b + b**3)
    return e * (1.0 - b), e * (1.0 - a - 3.0 * b * b)


def tiny_run(value: type) -> Callable[[], Any]:
    """The timed work: GRADIENTS gradients, each of a new graph."""

    def run() -> None:
        for _ in range(GRADIENTS):
            tiny_gradient(value)

    return run
