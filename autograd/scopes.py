"""Module scopes: which nn module call each node of a graph belongs to (for clusters and boxes).

nn marks the outputs of each module call with the module (`node._scope`); a module
knows the module containing it (`scope_parent`). The nodes of a call are those reached
backward from its outputs without entering another call's outputs; a parameter joins
the innermost call around all of its users. Everything here is iterative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import parents_of

#: One module call: (piece, id(module 0), ..., id(module d)) for a call at depth d, where
#: `piece` numbers the connected part of the graph made by one call of the outermost module.
Key = tuple[int, ...]


def common_prefix(seqs: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The longest tuple every one of `seqs` starts with (items compared with ==)."""
    first = seqs[0]
    n = len(first)
    for seq in seqs[1:]:
        n = min(n, len(seq))
        i = 0
        while i < n and seq[i] == first[i]:
            i += 1
        n = i
    return first[:n]


def module_title(module: Any) -> str:
    """A module's name in a drawing: `layers.0 (Layer)`, or just `MLP` at the root."""
    name = str(getattr(module, "scope_name", "") or type(module).__name__)
    cls = type(module).__name__
    return name if name == cls else f"{name} ({cls})"


def _module_chain(module: Any, modules: dict[int, Any]) -> tuple[int, ...]:
    """The ids of the modules from the outermost one down to `module` (recorded in `modules`)."""
    chain = [module]
    parent = getattr(module, "scope_parent", None)
    while parent is not None and len(chain) < 100:  # the bound guards a malformed chain
        chain.append(parent)
        parent = getattr(parent, "scope_parent", None)
    for m in chain:
        modules[id(m)] = m
    return tuple(id(m) for m in reversed(chain))


class _UnionFind:
    """Disjoint sets of node indices, merged by `union`; the smallest index names a set."""

    __slots__ = ("up",)

    def __init__(self, n: int) -> None:
        self.up = list(range(n))

    def find(self, i: int) -> int:
        up = self.up
        root = i
        while up[root] != root:
            root = up[root]
        while up[i] != root:  # path compression
            up[i], i = root, up[i]
        return root

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.up[max(a, b)] = min(a, b)  # the smaller index wins: deterministic


def _chains(order: list[Any], consumers: list[list[int]], modules: dict[int, Any]) -> list[tuple]:
    """For each node the ids of the modules around it: its mark's, else those around all users."""
    chains: list[tuple[int, ...]] = [()] * len(order)
    for i in range(len(order) - 1, -1, -1):  # users come after their inputs in `order`
        node = order[i]
        if node._scope is not None:
            chains[i] = _module_chain(node._scope, modules)
        elif node._op is not None and consumers[i]:
            chains[i] = common_prefix([chains[c] for c in consumers[i]])
    return chains


def _parameter_ids(modules: dict[int, Any]) -> set[int]:
    """The ids of every parameter of the modules (leaves shared by all calls of a module)."""
    params: set[int] = set()
    for m in modules.values():
        get = getattr(m, "parameters", None)
        if callable(get):
            params.update(id(p) for p in get())
    return params


def _pieces(
    order: list[Any], index: dict[Any, int], consumers: list[list[int]],
    chains: list[tuple], params: set[int],
) -> _UnionFind:
    """Connected parts of each outermost module's nodes: one per call (per sample in a batch)."""
    pieces = _UnionFind(len(order))
    for i, node in enumerate(order):
        if chains[i]:
            for p in parents_of(node):
                j = index[p]
                if chains[j] and chains[j][0] == chains[i][0]:
                    pieces.union(i, j)
    for j in range(len(order)):  # a shared input joins its users (the neurons of one layer call)
        if id(order[j]) in params:
            continue
        first: dict[int, int] = {}
        for c in consumers[j]:
            if chains[c]:
                top = chains[c][0]
                if top in first:
                    pieces.union(first[top], c)
                else:
                    first[top] = c
    return pieces


def scope_paths(
    order: list[Any], index: dict[Any, int], consumers: list[list[int]]
) -> tuple[list[tuple[Key, ...]], dict[Key, Any]]:
    """For each node the keys of the module calls around it (outermost first); each key's module."""
    n = len(order)
    modules: dict[int, Any] = {}
    chains = _chains(order, consumers, modules)
    if not any(chains):
        return [()] * n, {}
    params = _parameter_ids(modules)
    pieces = _pieces(order, index, consumers, chains, params)
    paths: list[tuple[Key, ...]] = [()] * n
    by_key: dict[Key, Any] = {}
    for i, chain in enumerate(chains):
        if chain:
            piece = pieces.find(i)
            paths[i] = tuple((piece, *chain[: d + 1]) for d in range(len(chain)))
            for key, module_id in zip(paths[i], chain):
                by_key[key] = modules[module_id]
    for j in range(n):  # a parameter sits in the innermost call around all of its users
        if id(order[j]) in params and order[j]._scope is None and consumers[j]:
            paths[j] = common_prefix([paths[c] for c in consumers[j]])
    return paths, by_key


# ---------------------------------------------------------------------------
# Which calls are clusters and which are collapsed boxes
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class Scope:
    """One module call in a drawing: a cluster, or a box when collapsed."""

    key: Key
    module: Any
    parent: Scope | None  # the cluster it sits in (None at the top level)
    number: int  # order of first appearance: names the cluster deterministically

    @property
    def depth(self) -> int:
        return len(self.key) - 2  # the key holds the piece, then one id per module level


@dataclass
class ScopePlan:
    """Where each node goes: its cluster (`home`), or the collapsed call hiding it (`box`)."""

    paths: list[tuple[Key, ...]]
    scopes: dict[Key, Scope] = field(default_factory=dict)
    home: list[Scope | None] = field(default_factory=list)
    box: list[Scope | None] = field(default_factory=list)
    boxes: list[Scope] = field(default_factory=list)


def plan_scopes(
    order: list[Any], index: dict[Any, int], consumers: list[list[int]],
    clusters: bool, collapse_depth: int | None,
) -> ScopePlan:
    """Number the module calls of a graph, then place each node in a cluster or a box."""
    n = len(order)
    if clusters or collapse_depth is not None:
        paths, modules = scope_paths(order, index, consumers)
    else:
        paths, modules = [()] * n, {}
    plan = ScopePlan(paths, home=[None] * n, box=[None] * n)

    def scope(key: Key) -> Scope:
        """The scope for `key`, made (with the scopes around it) on first use."""
        missing = []
        k = key
        while len(k) >= 2 and k not in plan.scopes:  # walk out to the first known scope
            missing.append(k)
            k = k[:-1]
        for k in reversed(missing):  # then make them outermost first
            # without clusters there is nothing to sit in: boxes go to the top level
            parent = plan.scopes.get(k[:-1]) if clusters and len(k) > 2 else None
            plan.scopes[k] = Scope(k, modules.get(k), parent, len(plan.scopes))
        return plan.scopes[key]

    for i in range(n):  # number calls in computing order, not by the parameters met first
        if order[i]._op is not None and paths[i]:
            last = len(paths[i]) - 1
            scope(paths[i][last if collapse_depth is None else min(collapse_depth, last)])
    for i in range(n):
        path = paths[i]
        if collapse_depth is not None and len(path) > collapse_depth:
            plan.box[i] = scope(path[collapse_depth])
            path = path[:collapse_depth]
        if path and clusters:
            plan.home[i] = scope(path[-1])
    plan.boxes = [s for s in plan.scopes.values() if s.depth == collapse_depth]
    return plan


def collapse_sizes(order: list[Any], paths: list[tuple[Key, ...]]) -> list[int]:
    """How many nodes a drawing collapsed at depth 0, 1, … would draw (for a too-big message)."""
    sizes = []
    for d in range(max((len(p) for p in paths), default=0)):
        boxes = {p[d] for p in paths if len(p) > d}
        kept = sum(2 if order[i]._op is not None else 1 for i, p in enumerate(paths) if len(p) <= d)
        sizes.append(kept + len(boxes))
    return sizes
