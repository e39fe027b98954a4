"""Drawing a graph with Graphviz: `draw_dot`, and the renderer that writes a layout as DOT.

`layout.py` decides what is drawn; this module only turns that into a `graphviz.Digraph`,
with an optional `Overlay` of per-node and per-edge styles (the backward stepper's
frames). `graphviz` is imported inside the functions that build a drawing, so
`import autograd` stays light.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .layout import (
    Box,
    Edge,
    Graph,
    Layout,
    OpNode,
    Record,
    drawing_order,
    format_number,
    layout,
    op_label,
)
from .options import DEFAULT_MAX_NODES, DEFAULTS, DrawOptions, resolve_options
from .scopes import module_title

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "DEFAULT_MAX_NODES", "DrawOptions", "GraphvizNotFoundError", "Overlay", "check_graphviz",
    "draw_dot", "drawing_order", "format_number", "module_title", "op_label", "render",
]

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

_FILL = {"leaf": LEAF_COLOUR, "inner": INNER_COLOUR, "root": ROOT_COLOUR}

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


def draw_dot(
    root: Any,
    rankdir: str = DEFAULTS.rankdir,
    *,
    clusters: bool = DEFAULTS.clusters,
    collapse_depth: int | None = DEFAULTS.collapse_depth,
    max_nodes: int | None = DEFAULTS.max_nodes,
    precision: int = DEFAULTS.precision,
    options: DrawOptions | None = None,
    check_dot: bool = True,
) -> graphviz.Digraph:
    """A `graphviz.Digraph` of the graph that produced `root`.

    Each Value is a record `label | data | grad`; each operation is a small grey
    ellipse with its symbol and any folded constant (`* 2`, `+ 6.88`), with one edge
    per parent, placed in argument order (so `a + a` shows two edges). Colours: leaves
    (inputs and parameters) light blue, intermediate values white, the root amber;
    nn module calls are violet-outlined clusters, collapsed ones lavender boxes.
    Node ids follow the traversal order, so a graph always gives the same DOT
    source and SVG. (The neurons of one layer call are grouped through the input nodes
    they share: plain-number inputs are folded into each neuron, so nothing ties them
    together and each neuron is drawn in a layer box of its own; pass the inputs as
    Values to see one layer.) Shows inline in Jupyter; `.pipe(format="svg")` and `.render()`
    work as in the graphviz package.

    The options (see `DrawOptions`) come as keywords or as `options=DrawOptions(...)`:
    rankdir ("LR", or "TB" for a narrow page), clusters, collapse_depth (draw each nn
    module call at that depth as one box), max_nodes (ValueError above it; None: no
    limit) and precision (decimals). `check_dot=False` builds the DOT source without
    Graphviz installed; otherwise a missing `dot` raises GraphvizNotFoundError at once.
    """
    opts = resolve_options(
        "draw_dot", options, rankdir=rankdir, clusters=clusters,
        collapse_depth=collapse_depth, max_nodes=max_nodes, precision=precision,
    )
    if check_dot:
        check_graphviz()
    return render(layout(Graph(root), opts))


# ---------------------------------------------------------------------------
# The renderer: a layout (and an overlay) as a graphviz.Digraph
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """Changes a frame makes to a drawing, by node id and edge key (see `layout.Edge`).

    `grads` replaces the gradient text of records; `nodes` and `edges` add graphviz
    attributes (a "class" value is appended to the element's classes); `caption` is
    written above the drawing.
    """

    grads: Mapping[str, str] = field(default_factory=dict)
    nodes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    edges: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    caption: str | None = None


def render(drawing: Layout, overlay: Overlay | None = None) -> graphviz.Digraph:
    """The Digraph of a layout, with an overlay's styles on top."""
    import graphviz

    overlay = overlay or Overlay()
    # ordering=in: dot places each node's inputs in the order their edges are declared
    graph_attr = {"rankdir": drawing.rankdir, "ordering": "in"}
    if drawing.clusters:  # a second crossing-minimization pass over all clusters loses input order
        graph_attr["remincross"] = "false"
    if overlay.caption:
        graph_attr.update(label=overlay.caption, labelloc="t", labeljust="l", fontname="Helvetica")
    dot = graphviz.Digraph(
        "graphgrad",
        graph_attr=graph_attr,
        # the most common shape and style as defaults: fewer attributes to write per node
        node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "record", "style": "filled"},
        edge_attr={"color": "#4b5563", "fontname": "Helvetica", "fontsize": "10"},
    )
    bodies = {c.number: graphviz.Digraph(f"cluster_m{c.number}", graph_attr={
        "label": c.title, "color": CLUSTER_COLOUR, "fontcolor": CLUSTER_COLOUR,
        "fontname": "Helvetica", "style": "rounded", "class": "module",
    }) for c in drawing.clusters}
    for node in drawing.nodes:
        where = dot if node.cluster is None else bodies[node.cluster]
        label, attrs = _node_attrs(node, overlay)
        where.node(node.id, label, **_merge(attrs, overlay.nodes.get(node.id)))
    # Nest the clusters deepest first, so a child is complete when its parent takes it.
    for c in sorted(drawing.clusters, key=lambda c: (-c.depth, c.number)):
        (dot if c.parent is None else bodies[c.parent]).subgraph(bodies[c.number])
    for edge in _in_dot_order(drawing):
        attrs = {"label": edge.label} if edge.label else {}
        dot.edge(edge.tail, edge.head, **_merge(attrs, overlay.edges.get(edge.key)))
    return dot


def _node_attrs(node: Record | OpNode | Box, overlay: Overlay) -> tuple[str, dict[str, str]]:
    """The label and base attributes of one node."""
    if isinstance(node, Record):
        attrs = {"fillcolor": _FILL[node.kind], "class": f"value {node.kind}"}
        return _record_label(node, overlay), attrs  # a filled record: the defaults
    if isinstance(node, OpNode):
        return _escape_plain(node.text), {
            "shape": "ellipse", "fillcolor": OP_COLOUR, "margin": "0.05,0.02",
            "class": f"op {node.op}",
        }
    fill = ROOT_COLOUR if node.root else BOX_COLOUR
    return _box_label(node, overlay), {
        "style": "filled,rounded", "fillcolor": fill, "color": CLUSTER_COLOUR,
        "class": "module-box",
    }


def _merge(attrs: dict[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    """`attrs` updated with `extra`; a "class" in `extra` adds to the classes already there."""
    if not extra:
        return attrs
    merged = {**attrs, **extra}
    if "class" in attrs and "class" in extra:
        merged["class"] = f"{attrs['class']} {extra['class']}"
    return merged


def _record_label(record: Record, overlay: Overlay) -> str:
    fields = [f"data {record.data}", f"grad {overlay.grads.get(record.id, record.grad)}"]
    if record.name:
        fields.insert(0, _escape(record.name))
    return "{ " + " | ".join(fields) + " }"


def _box_label(box: Box, overlay: Overlay) -> str:
    rows = []
    for k, out in enumerate(box.outputs):
        name = f"{_escape(out.name)} " if out.name else ""
        grad = overlay.grads.get(out.id, out.grad)
        rows.append(f"{{ {name}{out.data} | <o{k}> grad {grad} }}")
    if box.more:
        rows.append(f"… {box.more} more outputs")
    title = _escape(box.title)
    return "{ " + title + " | { " + " | ".join(rows) + " } }" if rows else "{ " + title + " }"


def _in_dot_order(drawing: Layout) -> Iterator[Edge]:
    """The edges in the order to declare them, so that each op's inputs show in argument order.

    dot keeps `ordering=in` only among inputs from the op's own cluster, and only when
    their edges are declared one after the other: those go first, then the others.
    Inside a cluster of a left-to-right (or right-to-left) drawing, dot applies the
    order before turning the drawing, which stacks the inputs bottom to top: there they
    are declared last to first. (Measured with Graphviz 2.42; tests/test_viz.py checks
    the positions in the SVG.)
    """
    cluster = {n.id: n.cluster for n in drawing.nodes}
    turned = drawing.rankdir in ("LR", "RL")
    # an op's inputs are consecutive in the layout: one group per op
    for (ordered, head), group in itertools.groupby(drawing.edges, lambda e: (e.ordered, e.head)):
        edges = list(group)
        if not ordered:
            yield from edges
            continue
        home = cluster[head]
        own = [e for e in edges if cluster[e.tail.split(":")[0]] == home]
        yield from reversed(own) if turned and home is not None else own
        yield from (e for e in edges if cluster[e.tail.split(":")[0]] != home)


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


def _escape_plain(text: str) -> str:
    """Text safe as a plain (non-record) label: only backslashes need care."""
    return text.replace("\\", "\\\\")
