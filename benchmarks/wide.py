"""wide-sum: n products `w_i * x_i` of leaves summed into one output, then backward.

As a balanced tree of binary adds (any engine), or as one n-ary node with graphgrad's
`add_n` (and, as an extra, the whole sum of products as one `dot` node).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

SEED = 2


def make_leaves(value: type, n: int) -> tuple[list[Any], list[Any]]:
    """n weights and n inputs, the same numbers for every engine."""
    rng = random.Random(SEED)
    ws = [value(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    xs = [value(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    return ws, xs


def tree_sum(terms: list[Any]) -> Any:
    """Sum by adding neighbours pairwise, level by level (depth log2 n, no recursion)."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def binary_tree(ws: list[Any], xs: list[Any]) -> Any:
    """Σ w_i x_i with binary operators only."""
    return tree_sum([w * x for w, x in zip(ws, xs)])


def graphgrad_add_n(ws: list[Any], xs: list[Any]) -> Any:
    """Σ w_i x_i with the products summed by one `add_n` node."""
    from autograd import add_n

    return add_n([w * x for w, x in zip(ws, xs)])


def graphgrad_dot(ws: list[Any], xs: list[Any]) -> Any:
    """Σ w_i x_i as one `dot` node."""
    from autograd import dot

    return dot(ws, xs)


def wide_prepare(value: type, n: int, build: Callable[[list[Any], list[Any]], Any]):
    """A `prepare` for the harness: fresh leaves (untimed), then the timed run."""

    def prepare() -> Callable[[], None]:
        ws, xs = make_leaves(value, n)

        def run() -> None:
            build(ws, xs).backward()

        return run

    return prepare


def wide_result(value: type, n: int, build: Callable[[list[Any], list[Any]], Any]) -> list[float]:
    """[output, grads of the weights…, grads of the inputs…] computed by the engine."""
    ws, xs = make_leaves(value, n)
    out = build(ws, xs)
    out.backward()
    return [float(out.data)] + [float(w.grad) for w in ws] + [float(x.grad) for x in xs]


def wide_reference(n: int) -> list[float]:
    """The same numbers from plain floats: d/dw_i = x_i and d/dx_i = w_i."""
    rng = random.Random(SEED)
    ws = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    return [tree_sum([w * x for w, x in zip(ws, xs)])] + xs + ws
