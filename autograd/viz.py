"""Drawing a graph with Graphviz: `draw_dot`, with nn modules as clusters or collapsed boxes.

`graphviz` is imported inside the functions that build a drawing, so `import autograd`
stays light. Everything here is iterative: a graph of any depth can be laid out.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .engine import constant_of, parents_of
from .ops import NARY_CONST, UNARY_CONST

if TYPE_CHECKING:
    import graphviz

#: draw_dot refuses to hand `dot` more nodes than this unless told otherwise.
DEFAULT_MAX_NODES = 300

# The colour convention (documented in draw_dot's docstring).
LEAF_COLOUR = "#dbeafe"  # light blue: leaves (inputs and parameters)
INNER_COLOUR = "#ffffff"  # white: intermediate values
ROOT_COLOUR = "#fde68a"  # amber: the root, the value drawn from
OP_COLOUR = "#e5e7eb"  # light grey ellipse: an operation
BOX_COLOUR = "#ede9fe"  # lavender: a collapsed module call
CLUSTER_COLOUR = "#7c3aed"  # violet outline: a module call drawn as a cluster
CURRENT_COLOUR = "#fecaca"  # light red fill: the node the backward stepper is processing
CURRENT_EDGE = "#dc2626"  # red: the gradients it passes on
PENDING_COLOUR = "#9ca3af"  # grey dashed outline: a gradient not known yet

_BOX_OUTPUTS_SHOWN = 32  # a collapsed box lists at most this many outputs
_RANKDIRS = ("LR", "TB", "RL", "BT")
_DOWNSTREAM = {"LR": "e", "TB": "s", "RL": "w", "BT": "n"}  # compass point edges leave by

INSTALL_HELP = """Graphviz's `dot` program was not found on PATH; draw_dot needs it to render.
Install Graphviz, then try again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  Windows:        winget install graphviz   (or https://graphviz.org/download/)
(`make setup` does this for you; the pip package `graphviz` alone is not enough.)"""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed; the message says how to install it."""


def check_graphviz() -> None:
    """Raise GraphvizNotFoundError, with install instructions, when `dot` is not on PATH."""
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(INSTALL_HELP)


def format_number(x: Any, precision: int = 4) -> str:
    """A float with `precision` decimals; scientific for very large or small; '?' for None."""
    if x is None:
        return "?"
    if not isinstance(x, float | int):
        x = getattr(x, "data", x)  # a Value (a gradient in a create_graph pass)
    x = float(x)
    if not math.isfinite(x):
        return str(x)  # nan, inf, -inf
    if x != 0.0 and (abs(x) >= 1e5 or abs(x) < 10.0**-precision):
        return f"{x:.{precision}e}"
    return f"{x:.{precision}f}"


def _escape(text: str) -> str:
    """Text safe inside a record label (whose fields are split on | { } < >)."""
    out = []
    for ch in text:
        if ch in '\\{}|<>"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _constant(c: float) -> str:
    return f"{c:g}"


def op_label(node: Any) -> str:
    """What an operation node shows: its symbol, with any folded constants."""
    op = node._op
    if op.kind == UNARY_CONST:
        c = _constant(constant_of(node))
        # `c / x` and `c ** x` read with the constant first
        return f"{c} {op.symbol}" if op.formula.startswith("c ") else f"{op.symbol} {c}"
    if op.kind == NARY_CONST:
        consts = constant_of(node)
        cs = [_constant(c) for c in consts[:4]]
        more = f", … {len(consts)}" if len(consts) > 4 else ""
        return f"{op.symbol} ({', '.join(cs)}{more})"
    return str(op.symbol)


def module_title(module: Any) -> str:
    """A module's name in a drawing: `layers.0 (Layer)`, or just `MLP` at the root."""
    name = str(getattr(module, "scope_name", "") or type(module).__name__)
    cls = type(module).__name__
    return name if name == cls else f"{name} ({cls})"


# ---------------------------------------------------------------------------
# Finding module calls. nn marks the outputs of each module call with the module
# (`_scope`); a module knows its parent (`scope_parent`). The nodes of a call are
# those reachable backward from its outputs without entering another call's
# outputs; parameters join the innermost call that uses them.
# ---------------------------------------------------------------------------


class _Scope:
    """One module call in a drawing (all calls of a module within one call of its parent)."""

    __slots__ = ("key", "module", "depth", "parent", "number")

    def __init__(self, key: tuple[int, ...], module: Any, parent: _Scope | None, number: int):
        self.key = key
        self.module = module
        self.depth = len(key) - 2  # key = (top-level piece, id(module 0), ..., id(module d))
        self.parent = parent
        self.number = number  # order of first appearance: names the cluster deterministically


def _module_path(module: Any) -> tuple[Any, ...]:
    """The chain of modules from the outermost one down to `module`."""
    path = [module]
    parent = getattr(module, "scope_parent", None)
    while parent is not None and len(path) < 100:  # the bound guards a malformed chain
        path.append(parent)
        parent = getattr(parent, "scope_parent", None)
    path.reverse()
    return tuple(path)


def _common_prefix(paths: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        i = 0
        while i < n and p[i] is first[i]:
            i += 1
        n = i
    return first[:n]


def _common_key_prefix(paths: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        i = 0
        while i < n and p[i] == first[i]:
            i += 1
        n = i
    return first[:n]


class _UnionFind:
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


def _scope_paths(
    order: list[Any], index: dict[Any, int], consumers: list[list[int]]
) -> tuple[list[tuple], dict[tuple, Any]]:
    """For each node, the keys of the module calls containing it (outermost first); each key's module."""
    n = len(order)
    modules_by_key: dict[tuple, Any] = {}
    # 1. Which modules contain each node: its own mark, else the modules around all its users.
    chains: list[tuple[Any, ...]] = [()] * n
    for i in range(n - 1, -1, -1):  # users come after their inputs in `order`
        node = order[i]
        if node._scope is not None:
            chains[i] = _module_path(node._scope)
        elif node._op is not None and consumers[i]:
            chains[i] = _common_prefix([chains[c] for c in consumers[i]])
    if not any(chains):
        return [()] * n, modules_by_key
    # Parameters are leaves, shared by every call of their module: placed last (step 4).
    modules = {id(m): m for chain in chains for m in chain}
    params: set[int] = set()
    for m in modules.values():
        get = getattr(m, "parameters", None)
        if callable(get):
            params.update(id(p) for p in get())
    # 2. Calls of top-level modules: connected pieces of their nodes (one per sample in a batch).
    pieces = _UnionFind(n)
    for i, node in enumerate(order):
        if chains[i]:
            for p in parents_of(node):
                j = index[p]
                if chains[j] and chains[j][0] is chains[i][0]:
                    pieces.union(i, j)
    for j in range(n):  # a shared input joins its users (the neurons of one layer call)
        if id(order[j]) in params:
            continue
        first: dict[int, int] = {}
        for c in consumers[j]:
            if chains[c]:
                top = id(chains[c][0])
                if top in first:
                    pieces.union(first[top], c)
                else:
                    first[top] = c
    # 3. The key of the call at depth d: (piece, id(module 0), ..., id(module d)).
    paths: list[tuple] = [()] * n
    for i in range(n):
        chain = chains[i]
        if chain:
            ids = tuple(id(m) for m in chain)
            piece = pieces.find(i)
            paths[i] = tuple((piece, *ids[: d + 1]) for d in range(len(ids)))
            for key, m in zip(paths[i], chain):
                modules_by_key[key] = m
    # 4. A parameter sits in the innermost call around all of its users.
    for j in range(n):
        if id(order[j]) in params and order[j]._scope is None and consumers[j]:
            paths[j] = _common_key_prefix([paths[c] for c in consumers[j]])
    return paths, modules_by_key


# ---------------------------------------------------------------------------
# The plan of a drawing: which nodes, clusters and boxes; then Digraphs from it.
# ---------------------------------------------------------------------------


class _Plan:
    """A graph laid out for drawing; `digraph()` turns it into a graphviz.Digraph."""

    def __init__(
        self,
        root: Any,
        rankdir: str,
        clusters: bool,
        collapse_depth: int | None,
        max_nodes: int | None,
        precision: int,
        caller: str = "draw_dot",
    ) -> None:
        if rankdir not in _RANKDIRS:
            raise ValueError(f"{caller}: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
        if collapse_depth is not None and (type(collapse_depth) is not int or collapse_depth < 0):
            raise ValueError(f"{caller}: collapse_depth must be an int >= 0 or None, got {collapse_depth!r}")
        if not hasattr(root, "_op"):
            raise TypeError(f"{caller}: expected a Value, got {type(root).__name__}")
        self.rankdir = rankdir
        self.precision = precision
        order = drawing_order(root)
        self.order = order
        self.index = index = {node: i for i, node in enumerate(order)}
        n = len(order)
        self.consumers = consumers = [[] for _ in range(n)]  # type: list[list[int]]
        for i, node in enumerate(order):
            for p in parents_of(node):
                users = consumers[index[p]]
                if not users or users[-1] != i:
                    users.append(i)
        self.clusters = clusters
        if clusters or collapse_depth is not None:
            paths, self.modules = _scope_paths(order, index, consumers)
        else:
            paths, self.modules = [()] * n, {}
        # Scopes (clusters) in order of first appearance; nodes below collapse_depth go in boxes.
        self.scopes: dict[tuple, _Scope] = {}
        self.home: list[_Scope | None] = [None] * n  # the cluster a drawn node sits in
        self.box: list[_Scope | None] = [None] * n  # the collapsed call hiding a node
        for i in range(n):  # number calls in computing order, not by the parameters met first
            if order[i]._op is not None and paths[i]:
                self._scope(paths[i][-1 if collapse_depth is None else min(collapse_depth, len(paths[i]) - 1)])
        for i in range(n):
            path = paths[i]
            if collapse_depth is not None and len(path) > collapse_depth:
                self.box[i] = self._scope(path[collapse_depth])
                path = path[:collapse_depth]
            if path and clusters:
                self.home[i] = self._scope(path[-1])
        self.boxes = [s for s in self.scopes.values() if s.depth == collapse_depth]
        # Outputs of each box: hidden nodes used outside it (or the root).
        self.box_outputs: dict[int, list[int]] = {b.number: [] for b in self.boxes}
        self.port: dict[int, int] = {}  # node index -> its output number on its box
        for i in range(n):
            b = self.box[i]
            if b is not None and (i == n - 1 or any(self.box[c] is not b for c in consumers[i])):
                outs = self.box_outputs[b.number]
                self.port[i] = len(outs)
                outs.append(i)
        drawn = sum(2 if order[i]._op is not None else 1 for i in range(n) if self.box[i] is None)
        self.size = drawn + len(self.boxes)
        if max_nodes is not None and self.size > max_nodes:
            raise ValueError(self._too_big(caller, max_nodes, paths))

    def _scope(self, key: tuple) -> _Scope:
        """The scope for `key`, made (with the scopes around it) on first use."""
        missing = []
        k = key
        while len(k) >= 2 and k not in self.scopes:  # walk out to the first known scope
            missing.append(k)
            k = k[:-1]
        for k in reversed(missing):  # then make them outermost first
            parent = self.scopes.get(k[:-1]) if len(k) > 2 else None
            if not self.clusters:
                parent = None  # no clusters to sit in: boxes are drawn at the top level
            self.scopes[k] = _Scope(k, self.modules.get(k), parent, len(self.scopes))
        return self.scopes[key]

    def _too_big(self, caller: str, max_nodes: int, paths: list[tuple]) -> str:
        msg = (
            f"{caller}: the graph has {self.size} nodes to draw, more than max_nodes={max_nodes}; "
            f"a flat drawing that large is unreadable and slow."
        )
        depth = max((len(p) for p in paths), default=0)
        hints = []
        for d in range(depth):  # what collapsing at each depth would leave
            boxes = {p[d] for p in paths if len(p) > d}
            kept = sum(2 if self.order[i]._op is not None else 1 for i, p in enumerate(paths) if len(p) <= d)
            hints.append(f"collapse_depth={d} draws {kept + len(boxes)}")
        if caller != "draw_dot":
            msg += " Every node is drawn in each frame: step through a smaller graph"
        elif hints:
            msg += " Collapse nn modules into boxes (" + ", ".join(hints) + " nodes)"
        else:
            msg += " Draw a smaller graph, or values computed by nn modules with collapse_depth=0 or 1"
        return msg + f", or pass a higher max_nodes (max_nodes={self.size} draws it all)."

    # -- labels --------------------------------------------------------------

    def value_label(self, i: int, grad: str) -> str:
        node = self.order[i]
        fields = [f"data {format_number(node.data, self.precision)}", f"grad {grad}"]
        if node.label:
            fields.insert(0, _escape(node.label))
        return "{ " + " | ".join(fields) + " }"

    def box_label(self, box: _Scope, grad_text: list[str]) -> str:
        outs = self.box_outputs[box.number]
        rows = []
        for k, i in enumerate(outs[:_BOX_OUTPUTS_SHOWN]):
            node = self.order[i]
            name = f"{_escape(node.label)} " if node.label else ""
            rows.append(f"{{ {name}{format_number(node.data, self.precision)} | <o{k}> grad {grad_text[k]} }}")
        if len(outs) > _BOX_OUTPUTS_SHOWN:
            rows.append(f"… {len(outs) - _BOX_OUTPUTS_SHOWN} more outputs")
        title = _escape(module_title(box.module))
        return "{ " + title + " | { " + " | ".join(rows) + " } }" if rows else "{ " + title + " }"

    # -- the Digraph ---------------------------------------------------------

    def digraph(
        self,
        grads: Mapping[int, Any] | None = None,
        pending: Mapping[int, str] | None = None,
        current: int | None = None,
        passed: Sequence[Any] | None = None,
        caption: str | None = None,
    ) -> graphviz.Digraph:
        """The drawing; the stepper passes grads by node index and marks the current node.

        `pending` maps a node index to "pending" (no gradient yet) or "partial" (still
        accumulating); `passed` lists the gradients `current` sends its parents, in order.
        """
        import graphviz

        order, n = self.order, len(self.order)
        pending = pending or {}

        def grad_of(i: int) -> str:
            state = pending.get(i)
            if state == "pending":
                return "?"
            g = grads[i] if grads is not None else order[i].grad
            text = format_number(g, self.precision)
            return text + " …" if state == "partial" else text

        graph_attr = {"rankdir": self.rankdir}
        if caption:
            graph_attr.update(label=caption, labelloc="t", labeljust="l", fontname="Helvetica")
        dot = graphviz.Digraph(
            "graphgrad",
            graph_attr=graph_attr,
            node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"color": "#4b5563", "fontname": "Helvetica", "fontsize": "10"},
        )
        # Bodies of the clusters, filled first and nested afterwards (children before parents).
        bodies: dict[int, graphviz.Digraph] = {}
        boxed = {b.number for b in self.boxes}
        for s in self.scopes.values():
            if self.clusters and s.number not in boxed:
                bodies[s.number] = graphviz.Digraph(
                    f"cluster_m{s.number}",
                    graph_attr={
                        "label": module_title(s.module),
                        "color": CLUSTER_COLOUR,
                        "fontcolor": CLUSTER_COLOUR,
                        "fontname": "Helvetica",
                        "style": "rounded",
                        "class": "module",
                    },
                )

        def where(i: int) -> graphviz.Digraph:
            home = self.home[i]
            return dot if home is None else bodies[home.number]

        for i, node in enumerate(order):
            if self.box[i] is not None:
                continue
            g = where(i)
            kind = "leaf" if node._op is None else "inner"
            colour = LEAF_COLOUR if kind == "leaf" else INNER_COLOUR
            if i == n - 1:
                kind, colour = "root", ROOT_COLOUR
            attrs = {"shape": "record", "style": "filled", "fillcolor": colour, "class": f"value {kind}"}
            if i in pending:
                attrs.update(style="filled,dashed", color=PENDING_COLOUR, fontcolor="#374151")
                attrs["class"] += f" {pending[i]}"
            if i == current:
                attrs.update(fillcolor=CURRENT_COLOUR, color=CURRENT_EDGE, penwidth="2.5")
                attrs["class"] += " current"
            g.node(f"v{i}", self.value_label(i, grad_of(i)), **attrs)
            if node._op is not None:
                op_attrs = {"shape": "ellipse", "style": "filled", "fillcolor": OP_COLOUR,
                            "margin": "0.05,0.02", "class": f"op {node._op.name}"}
                if i == current:
                    op_attrs.update(fillcolor=CURRENT_COLOUR, color=CURRENT_EDGE, penwidth="2")
                    op_attrs["class"] += " current-op"
                g.node(f"v{i}op", _escape_plain(op_label(node)), **op_attrs)
        for box in self.boxes:
            outs = self.box_outputs[box.number]
            texts = [grad_of(i) for i in outs[:_BOX_OUTPUTS_SHOWN]]
            g = bodies.get(box.parent.number, dot) if box.parent is not None else dot
            fill = ROOT_COLOUR if outs and outs[-1] == n - 1 else BOX_COLOUR
            g.node(f"m{box.number}", self.box_label(box, texts), shape="record", style="filled,rounded",
                   fillcolor=fill, color=CLUSTER_COLOUR, **{"class": "module-box"})
        # Nest the clusters: deepest first, so a child is complete when its parent takes it.
        for s in sorted(self.scopes.values(), key=lambda s: (-s.depth, s.number)):
            if s.number in bodies:
                outer = dot if s.parent is None else bodies[s.parent.number]
                outer.subgraph(bodies[s.number])
        self._edges(dot, current, passed or ())
        return dot

    def _tail(self, j: int) -> str:
        """Where an edge leaving node j starts: its record, or its port on a collapsed box."""
        box = self.box[j]
        if box is None:
            return f"v{j}"
        k = self.port.get(j, -1)
        if 0 <= k < _BOX_OUTPUTS_SHOWN:  # leave the output's field on the downstream side
            return f"m{box.number}:o{k}:{_DOWNSTREAM[self.rankdir]}"
        return f"m{box.number}"

    def _edges(self, dot: graphviz.Digraph, current: int | None, passed: Sequence[Any]) -> None:
        order, index = self.order, self.index
        crossing: dict[tuple[str, str], set[int]] = {}  # edges into boxes, drawn once each
        for i, node in enumerate(order):
            box = self.box[i]
            if node._op is None:
                continue
            if box is None:
                head = f"v{i}op"
                for k, p in enumerate(parents_of(node)):  # parent order: `a + a` shows two edges
                    j = index[p]
                    if i == current:
                        label = format_number(passed[k] if k < len(passed) else None, self.precision)
                        dot.edge(self._tail(j), head, color=CURRENT_EDGE, penwidth="2",
                                 fontcolor=CURRENT_EDGE, label=f"+{label}", **{"class": "passed"})
                    else:
                        dot.edge(self._tail(j), head)
                if i == current:
                    dot.edge(head, f"v{i}", color=CURRENT_EDGE, penwidth="2")
                else:
                    dot.edge(head, f"v{i}")
            else:
                head = f"m{box.number}"
                for p in parents_of(node):
                    j = index[p]
                    other = self.box[j]
                    if other is box:
                        continue  # inside the box
                    # box to box: one edge, labelled with how many values cross it
                    tail = self._tail(j) if other is None else f"m{other.number}"
                    edge = (tail, head)
                    if edge not in crossing:
                        crossing[edge] = set()
                    crossing[edge].add(j)
        for (tail, head), sources in crossing.items():
            if len(sources) > 1:
                dot.edge(tail, head, label=f"{len(sources)} values")
            else:
                dot.edge(tail, head)


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


def _escape_plain(text: str) -> str:
    """Text safe as a plain (non-record) label: only backslashes need care."""
    return text.replace("\\", "\\\\")


def draw_dot(
    root: Any,
    rankdir: str = "LR",
    *,
    clusters: bool = True,
    collapse_depth: int | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    precision: int = 4,
    check_dot: bool = True,
) -> graphviz.Digraph:
    """A `graphviz.Digraph` of the graph that produced `root`.

    Each Value is a record `label | data | grad`; each operation is a small grey
    ellipse with its symbol and any folded constant (`* 2`, `+ 6.88`), with one edge
    per parent in argument order (so `a + a` shows two edges). Colours: leaves
    (inputs and parameters) light blue, intermediate values white, the root amber;
    nn module calls are violet-outlined clusters, collapsed ones lavender boxes.
    Node ids follow the traversal order, so a graph always gives the same DOT
    source and SVG. Shows inline in Jupyter; `.pipe(format="svg")` and `.render()`
    work as in the graphviz package.

    Args:
        root: the Value to draw the graph of.
        rankdir: "LR" (left to right), "TB", "RL" or "BT".
        clusters: draw the nodes of each nn module call inside a labelled cluster.
        collapse_depth: draw each module call at this depth (0 = outermost modules)
            as one box with its name and output values, hiding what is inside.
        max_nodes: raise ValueError rather than draw more nodes than this (None: no limit).
        precision: decimals shown for data and grads.
        check_dot: raise GraphvizNotFoundError at once when Graphviz is not installed;
            pass False to build the DOT source without Graphviz.
    """
    if check_dot:
        check_graphviz()
    plan = _Plan(root, rankdir, clusters, collapse_depth, max_nodes, precision)
    return plan.digraph()
