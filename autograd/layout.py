"""What a drawing shows, as plain data: value records, op nodes, module boxes, clusters, edges.

`layout(graph, options)` decides everything that is drawn and its text; the renderer in
`viz` only writes it as DOT. Node ids follow the traversal order (`v3` is the fourth
node, `v3op` the operation that made it, `m2` a collapsed module call), so the same graph
always gives the same drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from .engine import constant_of, parents_of
from .options import DrawOptions
from .scopes import ScopePlan, collapse_sizes, module_title, plan_scopes

BOX_OUTPUTS_SHOWN = 32  # a collapsed box lists at most this many outputs
_DOWNSTREAM = {"LR": "e", "TB": "s", "RL": "w", "BT": "n"}  # the side edges leave a box by


def format_number(x: Any, precision: int = 4) -> str:
    """A float with `precision` decimals; scientific for very large or small; '?' for None."""
    if x is None:
        return "?"
    if not isinstance(x, float | int):
        x = getattr(x, "data", x)  # a Value (a gradient in a create_graph pass)
    x = float(x)
    if x == 0.0:
        x = 0.0  # -0.0 (from a negative number times 0) is shown as 0
    if not math.isfinite(x):
        return str(x)  # nan, inf, -inf
    if x != 0.0 and (abs(x) >= 1e5 or abs(x) < 10.0**-precision):
        return f"{x:.{precision}e}"
    return f"{x:.{precision}f}"


def constant_text(c: float) -> str:
    """A folded constant as written on an op node: `2`, `6.88`, `-0.01`."""
    return f"{c:g}"


def op_label(node: Any) -> str:
    """What an op node shows: its symbol with any folded constants (`* 2`, `· (0.5, 1)`)."""
    op = node._op
    c = constant_of(node)
    if c is None:
        return str(op.symbol)
    if isinstance(c, tuple):  # an n-ary op with a constant per input
        cs = [constant_text(x) for x in c[:4]]
        more = f", … {len(c)}" if len(c) > 4 else ""
        return f"{op.symbol} ({', '.join(cs)}{more})"
    if op.formula.startswith("c "):  # `c / x` and `c ** x` read with the constant first
        return f"{constant_text(c)} {op.symbol}"
    return f"{op.symbol} {constant_text(c)}"


class Graph:
    """The nodes a root depends on, in drawing order, with the users of each node."""

    __slots__ = ("root", "order", "index", "consumers")

    def __init__(self, root: Any, caller: str = "draw_dot") -> None:
        if not hasattr(root, "_op"):
            raise TypeError(f"{caller}: expected a Value, got {type(root).__name__}")
        self.root = root
        self.order = order = drawing_order(root)
        self.index = index = {node: i for i, node in enumerate(order)}
        # consumers[j]: the indices of the nodes using node j, each once, in order
        self.consumers: list[list[int]] = [[] for _ in order]
        for i, node in enumerate(order):
            for p in parents_of(node):
                users = self.consumers[index[p]]
                if not users or users[-1] != i:
                    users.append(i)


def drawing_order(root: Any) -> list[Any]:
    """Every node `root` depends on, parents first, visiting parents in argument order.

    Iterative depth-first search. Drawings number nodes in this order, so ids are
    deterministic and a node's inputs are declared left to right.
    """
    order: list[Any] = []
    visited = {root}
    stack = [(root, iter(parents_of(root)))]  # a node and the parents still to visit
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parents_of(parent))))
                break
        else:  # every parent placed: the node follows them
            stack.pop()
            order.append(node)
    return order


# ---------------------------------------------------------------------------
# The layout: plain records of what is drawn (named tuples: cheap to make by the thousand)
# ---------------------------------------------------------------------------


class Record(NamedTuple):
    """A Value: `name | data | grad`; `kind` is "leaf", "inner" or "root"."""

    id: str
    name: str
    data: str
    grad: str
    kind: str
    cluster: int | None  # the number of the cluster it sits in


class OpNode(NamedTuple):
    """The operation that made a Value: its symbol and any folded constants."""

    id: str
    text: str
    op: str  # the op's name, e.g. "mul_const"
    cluster: int | None


class Box(NamedTuple):
    """A collapsed module call: its title and its outputs (values used outside it)."""

    id: str
    title: str
    outputs: tuple[Record, ...]  # the first BOX_OUTPUTS_SHOWN of them
    more: int  # outputs not listed
    root: bool  # the drawing's root is one of its outputs
    cluster: int | None


class Cluster(NamedTuple):
    """A module call drawn as a labelled frame around its nodes."""

    number: int
    title: str
    parent: int | None
    depth: int


class Edge(NamedTuple):
    """An arrow. `key` names it for styling: `v3:in0` (first input of v3's op), `v3:out`."""

    key: str
    tail: str
    head: str
    label: str = ""
    ordered: bool = False  # an op's input, to be drawn in argument order


@dataclass(frozen=True)
class Layout:
    """Everything a drawing shows, in drawing order; `size` counts its nodes."""

    rankdir: str
    nodes: tuple[Record | OpNode | Box, ...]
    clusters: tuple[Cluster, ...]
    edges: tuple[Edge, ...]
    size: int


def layout(graph: Graph, options: DrawOptions, caller: str = "draw_dot") -> Layout:
    """Decide what to draw for `graph`; ValueError when it is over `options.max_nodes`."""
    order = graph.order
    plan = plan_scopes(
        order, graph.index, graph.consumers, options.clusters, options.collapse_depth
    )
    # two nodes (record and op) per drawn value made by an op, one per leaf, one per box
    size = sum(2 if order[i]._op is not None else 1 for i, b in enumerate(plan.box) if b is None)
    size += len(plan.boxes)
    if options.max_nodes is not None and size > options.max_nodes:
        sizes = collapse_sizes(order, plan.paths)
        raise ValueError(too_big(caller, size, options.max_nodes, sizes))
    outputs = _box_outputs(graph, plan)
    ports = {i: k for outs in outputs.values() for k, i in enumerate(outs)}  # i: k-th output
    values = _value_nodes(graph, plan, options.precision)
    return Layout(
        rankdir=options.rankdir,
        nodes=(*values, *_boxes(graph, plan, outputs, options.precision)),
        clusters=_clusters(plan, options.clusters),
        edges=_edges(graph, plan, ports, options.rankdir),
        size=size,
    )


def too_big(caller: str, size: int, max_nodes: int, sizes: list[int]) -> str:
    """Why a drawing is refused, and what would draw it: collapsing, or a higher max_nodes."""
    msg = (
        f"{caller}: the graph has {size} nodes to draw, more than max_nodes={max_nodes}; "
        "a flat drawing that large is unreadable and slow."
    )
    if caller != "draw_dot":
        msg += " Every node is drawn in each frame: step through a smaller graph"
    elif sizes:
        hints = ", ".join(f"collapse_depth={d} draws {n}" for d, n in enumerate(sizes))
        msg += f" Collapse nn modules into boxes ({hints} nodes)"
    else:
        msg += " Draw a smaller graph, or values computed by nn modules with collapse_depth=0 or 1"
    return msg + f", or pass a higher max_nodes (max_nodes={size} draws it all)."


def _record(graph: Graph, i: int, precision: int, cluster: int | None) -> Record:
    node = graph.order[i]
    kind = "root" if i == len(graph.order) - 1 else "leaf" if node._op is None else "inner"
    data, grad = format_number(node.data, precision), format_number(node.grad, precision)
    return Record(f"v{i}", node.label, data, grad, kind, cluster)


def _value_nodes(graph: Graph, plan: ScopePlan, precision: int) -> list[Record | OpNode]:
    """A record per drawn Value, each followed by the op node that made it."""
    nodes: list[Record | OpNode] = []
    for i, node in enumerate(graph.order):
        if plan.box[i] is not None:
            continue  # hidden in a collapsed module call
        home = plan.home[i]
        cluster = None if home is None else home.number
        nodes.append(_record(graph, i, precision, cluster))
        if node._op is not None:
            nodes.append(OpNode(f"v{i}op", op_label(node), node._op.name, cluster))
    return nodes


def _box_outputs(graph: Graph, plan: ScopePlan) -> dict[int, list[int]]:
    """Box number -> its outputs: hidden nodes used outside it (or the root), in drawing order."""
    outputs: dict[int, list[int]] = {b.number: [] for b in plan.boxes}
    last = len(graph.order) - 1
    for i, box in enumerate(plan.box):
        if box is None:
            continue
        if i == last or any(plan.box[c] is not box for c in graph.consumers[i]):
            outputs[box.number].append(i)
    return outputs


def _boxes(
    graph: Graph, plan: ScopePlan, outputs: dict[int, list[int]], precision: int
) -> list[Box]:
    """One box per collapsed module call, listing its first outputs."""
    boxes = []
    for b in plan.boxes:
        outs = outputs[b.number]
        shown = tuple(_record(graph, i, precision, None) for i in outs[:BOX_OUTPUTS_SHOWN])
        cluster = b.parent.number if b.parent is not None else None
        root = bool(outs) and outs[-1] == len(graph.order) - 1
        more = len(outs) - len(shown)
        boxes.append(Box(f"m{b.number}", module_title(b.module), shown, more, root, cluster))
    return boxes


def _clusters(plan: ScopePlan, drawn: bool) -> tuple[Cluster, ...]:
    """Every module call not collapsed, when clusters are drawn."""
    if not drawn:
        return ()
    boxed = {b.number for b in plan.boxes}
    clusters = []
    for s in plan.scopes.values():
        if s.number not in boxed:
            parent = None if s.parent is None else s.parent.number
            clusters.append(Cluster(s.number, module_title(s.module), parent, s.depth))
    return tuple(clusters)


def _edges(graph: Graph, plan: ScopePlan, ports: dict[int, int], rankdir: str) -> tuple[Edge, ...]:
    """One edge per parent of each drawn op, in argument order; one per value entering a box."""
    index = graph.index
    edges: list[Edge] = []
    crossing: dict[tuple[str, str], set[int]] = {}  # edges into boxes, drawn once each

    def tail(j: int) -> str:
        box = plan.box[j]
        if box is None:
            return f"v{j}"
        k = ports.get(j, -1)
        if 0 <= k < BOX_OUTPUTS_SHOWN:  # leave the output's field on the downstream side
            return f"m{box.number}:o{k}:{_DOWNSTREAM[rankdir]}"
        return f"m{box.number}"

    for i, node in enumerate(graph.order):
        box = plan.box[i]
        if node._op is None:
            continue
        if box is None:
            head = f"v{i}op"
            for k, p in enumerate(parents_of(node)):  # parent order: `a + a` shows two edges
                edges.append(Edge(f"v{i}:in{k}", tail(index[p]), head, ordered=True))
            edges.append(Edge(f"v{i}:out", head, f"v{i}"))
            continue
        for p in parents_of(node):
            j = index[p]
            if plan.box[j] is not box:  # a value entering the box from outside
                other = plan.box[j]
                source = tail(j) if other is None else f"m{other.number}"
                crossing.setdefault((source, f"m{box.number}"), set()).add(j)
    for (t, h), sources in crossing.items():
        label = f"{len(sources)} values" if len(sources) > 1 else ""
        edges.append(Edge(f"{t}->{h}", t, h, label))
    return tuple(edges)
