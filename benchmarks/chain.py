"""deep-chain: one input through many alternating `* 1.0001` and `+ 0.1` (plain-number constants).

Written with operators only, so the same code runs on any engine's `Value`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FACTOR = 1.0001
SHIFT = 0.1


def deep_chain(x: Any, nodes: int) -> Any:
    """x after `nodes` operations (nodes // 2 rounds of `* FACTOR` then `+ SHIFT`)."""
    for _ in range(nodes // 2):
        x = x * FACTOR
        x = x + SHIFT
    return x


def chain_run(value: type, nodes: int) -> Callable[[], None]:
    """The timed work: build the chain from a fresh leaf, backward, drop it."""

    def run() -> None:
        deep_chain(value(1.0), nodes).backward()

    return run


def chain_result(value: type, nodes: int) -> tuple[float, float]:
    """(output, d output / d x) computed by the engine."""
    x = value(1.0)
    y = deep_chain(x, nodes)
    y.backward()
    return float(y.data), float(x.grad)


def chain_reference(nodes: int) -> tuple[float, float]:
    """The same numbers on plain floats, in the same order: (output, d output / d x)."""
    y, dy = 1.0, 1.0
    for _ in range(nodes // 2):
        y = y * FACTOR + SHIFT
        dy *= FACTOR  # d(x*c + s)/dx = c at every round
    return y, dy


class Link:
    """The least a node can be: a slotted object holding its data and its parent."""

    __slots__ = ("data", "parent")

    def __init__(self, data: float, parent: Link | None) -> None:
        self.data = data
        self.parent = parent


def link_chain_run(nodes: int) -> Callable[[], None]:
    """A chain of bare `Link`s as long as deep-chain's (no engine, no backward): what
    CPython alone costs per node, the floor under any pure-Python engine's scaling."""

    def run() -> None:
        x = Link(1.0, None)
        for _ in range(nodes // 2):
            x = Link(x.data * FACTOR, x)
            x = Link(x.data + SHIFT, x)

    return run
