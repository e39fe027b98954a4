"""Copying and pickling a graph without recursion: as a flat list of nodes in topological order.

`copy.deepcopy` and `pickle` would otherwise walk a graph one parent at a time and run out
of stack on a deep chain (about a thousand nodes). Here a graph becomes a list in which
every node comes after its parents and names them by their position in the list, so both
directions are simple loops. Ops travel by name (`Op.__reduce__`).
"""

from __future__ import annotations

from typing import Any

from .engine import topological_order
from .ops import Op

# One record per node that is not a leaf: (data, grad, label, op, parent positions, constant).
# A leaf travels as the Value itself, so pickling several Values that share a leaf (a
# model's parameters and a loss computed from them) keeps one leaf, as pickle does for
# any shared object.
Record = tuple[float, Any, str, Op, tuple[int, ...], Any]


def _new_node(cls: type, data: float, grad: Any, label: str, op: Op | None) -> Any:
    node: Any = object.__new__(cls)
    node.data = data
    node.grad = grad
    node.label = label
    node._op = op
    node._x = node._y = node._scope = None
    return node


def _link(node: Any, parents: list[Any], constant: Any) -> None:
    """Store `parents` (and a folded constant) in `node`'s slots, as the engine lays them out."""
    op = node._op
    if op.many_parents:
        node._x = tuple(parents)
    else:
        node._x = parents[0]
        if not op.single_parent:
            node._y = parents[1]  # binary: the second parent
    if op.folds_constant:
        node._y = constant


def _parents_and_constant(node: Any) -> tuple[list[Any], Any]:
    op = node._op
    if op.many_parents:
        parents = list(node._x)
    elif op.single_parent:
        parents = [node._x]
    else:
        parents = [node._x, node._y]
    return parents, (node._y if op.folds_constant else None)


def flatten(root: Any) -> list[Any]:
    """The graph of `root` as a list: leaves as themselves, other nodes as records."""
    order = topological_order(root)
    position = {id(node): i for i, node in enumerate(order)}
    items: list[Any] = []
    for node in order:
        if node._op is None:
            items.append(node)
            continue
        parents, constant = _parents_and_constant(node)
        where = tuple(position[id(p)] for p in parents)
        items.append((node.data, node.grad, node.label, node._op, where, constant))
    return items


def rebuild(cls: type, items: list[Any]) -> Any:
    """The graph `flatten` described, made of new nodes of class `cls`; returns its root."""
    nodes: list[Any] = []
    for item in items:
        if type(item) is not tuple:  # a leaf, already a Value
            nodes.append(item)
            continue
        data, grad, label, op, where, constant = item
        node = _new_node(cls, data, grad, label, op)
        _link(node, [nodes[i] for i in where], constant)
        nodes.append(node)
    return nodes[-1]


def leaf(cls: type, data: float, grad: Any, label: str) -> Any:
    """A new leaf (unpickling a Value that has no parents)."""
    return _new_node(cls, data, grad, label, None)


def deep_copy(root: Any, memo: dict[int, Any]) -> Any:
    """An independent copy of `root`'s graph; nodes already in `memo` are reused, new ones added.

    Reusing `memo` is what `copy.deepcopy` expects: two Values copied in one call (a
    model's weights and a loss built from them) keep sharing what they shared.
    """
    cls = type(root)
    copies: dict[int, Any] = {}
    for node in topological_order(root):
        done = memo.get(id(node))
        if done is None:
            done = _new_node(cls, node.data, node.grad, node.label, node._op)
            if node._op is not None:
                parents, constant = _parents_and_constant(node)
                _link(done, [copies[id(p)] for p in parents], constant)
            memo[id(node)] = done
        copies[id(node)] = done
    return copies[id(root)]
