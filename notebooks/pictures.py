"""Picture helpers for the notebooks: several graph drawings side by side, in one figure.

`draw_dot` shows one graph at a time. These put a few next to each other, small enough
to compare at a glance on a page about 900 px wide: one graph at several input settings
(`show_frames`), or some frames of a `BackwardStepper`, whole or cut down to the step's
own neighbourhood with the rest greyed (`show_steps`). `packed` and `untangled` tidy one drawing: rows closer
together, fewer crossing edges; `compact_mlp_drawing` draws a small network's loss narrow
enough for the page. `show_network` draws a small network the way textbooks do,
neurons as circles and every weight on its arrow.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
from collections.abc import Callable, Collection, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from autograd import draw_dot

DPI = 150  # Graphviz renders at this resolution, so text stays sharp once shrunk
PAGE_PX = 880  # a figure is never wider than this (GitHub's notebook column)
SCREEN = 4 / 3  # pixels per point: how big a browser draws an SVG at 100%
RADIUS = 0.36  # a neuron's circle in show_network, whose layers are 2.2 units apart
UNIT = 0.9  # inches per unit of show_network's layout


def png(graph: Any) -> Any:
    """The graphviz drawing `graph` as an image array (rows, columns, RGBA), at DPI."""
    return plt.imread(io.BytesIO(_with_dpi(graph).pipe(format="png")))


def packed(graph: Any) -> Any:
    """The graphviz drawing `graph` with its rows and columns closer together (a tall graph)."""
    graph = graph.copy()
    graph.graph_attr.update(ranksep="0.25", nodesep="0.15")
    return graph


def untangled(graph: Any) -> Any:
    """The graphviz drawing `graph` free to place each operation's inputs in any order.

    `draw_dot` keeps an operation's inputs in argument order (left, right), which matters for
    `-` and `/` but can make edges cross. For a graph of sums and products, where the order
    does not matter, this lets Graphviz choose the order with the fewest crossings.
    """
    graph = graph.copy()
    graph.graph_attr.pop("ordering", None)
    return graph


def compact_mlp_drawing(loss: Any, neurons: Sequence[str]) -> Any:
    """`draw_dot(loss)` of a small network, top to bottom and narrow enough for the page.

    The network's leaves are labelled after their neuron: `name.w0`, `name.w1`, ..., `name.b`.
    Rows and columns are packed close, each neuron's leaves stay side by side, and the bias
    of each neuron in `neurons` goes one row below that neuron's weights. (Every leaf of the
    first layer would otherwise share the top row: 9 boxes for 3 neurons of 2 inputs.)
    """
    graph = draw_dot(loss, rankdir="TB", precision=2, clusters=False)
    # ordering=out keeps the edges out of a node in the order they were declared, and a low
    # mclimit stops dot's crossing-reduction early, so leaves stay close to their neuron
    graph.graph_attr.update(nodesep="0.08", ranksep="0.25", ordering="out", mclimit="0.1")
    ids = _record_ids(graph)
    for name in neurons:
        weights = [node for label, node in ids.items()
                   if re.fullmatch(rf"{re.escape(name)}\.w\d+", label)]
        if f"{name}.b" not in ids or not weights:
            raise ValueError(f"compact_mlp_drawing: no leaves labelled {name}.w0 and {name}.b "
                             "in the drawing")
        # an invisible edge from each weight to the bias: dot ranks the bias below them
        for weight in weights:
            graph.edge(weight, ids[f"{name}.b"], style="invis")
    return graph


def _record_ids(graph: Any) -> dict[str, str]:
    """The DOT node id of each named Value in a `draw_dot` drawing, by its label."""
    # a named Value is a record line: `v7 [label="{ n0.b | data 0.00 | grad 0.00 }" ...]`
    found = (re.match(r'\s*(\w+) \[label="\{ (\S+) \|', line) for line in graph.body)
    return {m[2]: m[1] for m in found if m}


def show_graphs(graphs: Sequence[Any], titles: Sequence[str], width_px: int = PAGE_PX) -> None:
    """Draw the graphviz `graphs` side by side, each under its title, in `width_px` pixels."""
    images = [png(g) for g in graphs]
    _show(images, titles, width_px)


def show_frames(draw: Callable[..., Any], settings: Sequence[dict[str, float]]) -> None:
    """`draw(**s, rankdir="TB")` for each dict `s` of settings, side by side, titled by `s`."""
    graphs = [draw(**s, rankdir="TB") for s in settings]
    titles = [", ".join(f"{k} = {v:.3g}" for k, v in s.items()) for s in settings]
    show_graphs(graphs, titles)


def show_steps(stepper: Any, steps: Sequence[int] | None = None, around: bool = False) -> None:
    """Frames of a BackwardStepper side by side, numbered from 1 as its captions are.

    `steps` (default: all) are 1-based step numbers. With `around=True` each frame is cut
    down to the step's operation, its result and its parents (the red part), so a few
    steps of a tall graph fit on one row at full size; the neighbours that share the
    window are drawn in light grey.
    """
    steps = list(range(1, len(stepper) + 1)) if steps is None else list(steps)
    if not steps:
        raise ValueError("show_steps: no steps to show (a stepper from a leaf has none)")
    for k in steps:
        if not 1 <= k <= len(stepper):
            raise IndexError(f"show_steps: steps are numbered 1 to {len(stepper)}, got {k}")
    graphs = [_labels_beside_parents(stepper.frame(k - 1, caption=False)) for k in steps]
    images = [_around_step(g) if around else png(g) for g in graphs]
    _show(images, [stepper.caption(k - 1) for k in steps], PAGE_PX)


def _labels_beside_parents(graph: Any, angle: float = 65.0) -> Any:
    """The frame with each gradient the step passes on written next to the parent it goes to.

    Graphviz writes an edge's label halfway along it, always on the same side, so the labels
    of two edges that meet at one operation can end up side by side with no telling which is
    whose. Each label goes instead near its edge's tail (the parent), turned `angle` degrees
    away from the step's other parents.
    """
    layout = json.loads(graph.pipe(format="json"))
    objects = layout["objects"]
    passed = [e for e in layout.get("edges", []) if "passed" in _classes(e)]
    if not passed:
        return graph

    def point(gvid: int) -> tuple[float, float]:
        x, y = objects[gvid]["pos"].split(",")
        return float(x), float(y)

    tails = [point(e["tail"]) for e in passed]
    cx = sum(x for x, _ in tails) / len(tails)
    cy = sum(y for _, y in tails) / len(tails)
    turn = {}
    for edge, (tx, ty) in zip(passed, tails):
        hx, hy = point(edge["head"])
        # which side of the edge (tail to head) the other parents' centre lies on: the sign
        # of a cross product; a positive labelangle turns counterclockwise from the edge
        side = (hx - tx) * (ty - cy) - (hy - ty) * (tx - cx)
        key = f"{objects[edge['tail']]['name']} -> {objects[edge['head']]['name']}"
        turn[key] = -angle if side < 0 else angle
    moved = graph.copy()
    moved.body = [_tail_label(line, turn) for line in graph.body]
    return moved


def _tail_label(line: str, turn: dict[str, float]) -> str:
    """A DOT edge line of the step with its label made a tail label turned by turn[edge]."""
    edge = line.strip().split(" [")[0]
    if "class=passed" not in line or edge not in turn:
        return line
    return line.replace(" [label=", f" [labelangle={turn[edge]:g} labeldistance=3 taillabel=", 1)


def _around_step(graph: Any, size: tuple[float, float] = (210.0, 250.0)) -> Any:
    """The frame's image cut to a window of `size` points (or more, to hold them) centred
    on the step's nodes and the labels of its red edges. Everything else in the window is
    faded, so that a neighbour cut off at the edge reads as background, not as part of
    the step."""
    layout = json.loads(_with_dpi(graph).pipe(format="json"))
    x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
    objects = layout["objects"]
    # the stepper marks the step's value and operation, and the edges it passes gradients on
    current = {o["_gvid"] for o in objects if {"current", "current-op"} & _classes(o)}
    passed = [e for e in layout.get("edges", []) if "passed" in _classes(e)]
    chosen = current | {e["tail"] for e in passed}
    boxes = [_box(o) for o in objects if o["_gvid"] in chosen]
    boxes += [_label_box(e) for e in passed if "lp" in e or "tail_lp" in e]
    # dot pads the drawing by 4 points a side; a window may reach into the padding
    left, right = _window(min(b[0] for b in boxes), max(b[2] for b in boxes), size[0],
                          x0 - 4, x1 + 4)
    bottom, top = _window(min(b[1] for b in boxes), max(b[3] for b in boxes), size[1],
                          y0 - 4, y1 + 4)
    # a neighbour the window would cut in half is left out (drawn invisible, so nothing
    # moves): a half box at the edge reads as a clipped picture, not as background
    halves = {o["name"] for o in objects if "pos" in o and o["_gvid"] not in chosen
              and _cut_by(_box(o), (left, bottom, right, top))}
    image = png(_faded(graph, {objects[i]["name"] for i in chosen}, halves))
    rows, cols = image.shape[:2]
    scale = cols / (x1 - x0 + 8)  # pixels per point
    pad = 4 * scale

    def column(x: float) -> int:
        return max(0, min(cols, round(pad + (x - x0) * scale)))

    def row(y: float) -> int:  # dot's y grows upwards, an image's rows downwards
        return max(0, min(rows, round(pad + (y1 - y) * scale)))

    return image[row(top):row(bottom), column(left):column(right)]


# light greys for the nodes and edges that are not part of a step (colours do not move
# anything: the faded drawing has the same layout as the frame)
FADED_NODE = 'color="#d4d4d8" fontcolor="#a1a1aa" fillcolor="#fafafa"'
FADED_EDGE = 'color="#e4e4e7" fontcolor="#a1a1aa"'


def _cut_by(box: tuple[float, float, float, float],
            window: tuple[float, float, float, float]) -> bool:
    """Whether `window` holds part of `box` but not all of it (both as x0, y0, x1, y1)."""
    left, bottom, right, top = window
    overlaps = box[0] < right and box[2] > left and box[1] < top and box[3] > bottom
    inside = box[0] >= left and box[2] <= right and box[1] >= bottom and box[3] <= top
    return overlaps and not inside


def _faded(graph: Any, keep: set[str], hidden: Collection[str] = ()) -> Any:
    """The frame with every node not in `keep`, and every edge not between two of them,
    drawn in light grey, and the nodes in `hidden` (with their edges) invisible (a later
    attribute in a DOT list overrides an earlier one)."""
    faded = graph.copy()
    faded.body = []
    for line in graph.body:
        head = line.strip().split(" [")[0]
        ends = [name.strip() for name in head.split("->")]
        if not head or head in ("graph", "node", "edge") or all(end in keep for end in ends):
            faded.body.append(line)
            continue
        extra = FADED_EDGE if len(ends) == 2 else FADED_NODE
        if any(end in hidden for end in ends):
            extra = "style=invis"
        if line.rstrip().endswith("]"):
            faded.body.append(f"{line.rstrip()[:-1]} {extra}]\n")
        else:
            faded.body.append(f"\t{head} [{extra}]\n")
    return faded


def _window(low: float, high: float, size: float, start: float, end: float) -> tuple[float, float]:
    """An interval of at least `size` (plus a margin) around [low, high], kept in [start, end]."""
    size = max(size, high - low + 20)
    low = max(start, min((low + high - size) / 2, end - size))
    return low, min(end, low + size)


def _classes(item: dict[str, Any]) -> set[str]:
    """The classes Graphviz's JSON output gives a node or an edge."""
    return set((item.get("class") or "").split())


def _with_dpi(graph: Any) -> Any:
    graph = graph.copy()
    graph.graph_attr["dpi"] = str(DPI)
    return graph


def _box(node: dict[str, Any]) -> tuple[float, float, float, float]:
    """A node's box in points (left, bottom, right, top); width and height come in inches."""
    x, y = (float(v) for v in node["pos"].split(","))
    w, h = float(node["width"]) * 72 / 2, float(node["height"]) * 72 / 2
    return x - w, y - h, x + w, y + h


def _label_box(edge: dict[str, Any]) -> tuple[float, float, float, float]:
    """Room for an edge's label (or tail label) around its position (about 50 x 12 points)."""
    x, y = (float(v) for v in edge.get("lp", edge.get("tail_lp", "")).split(","))
    return x - 25, y - 6, x + 25, y + 6


def _show(images: list[Any], titles: Sequence[str], width_px: int) -> None:
    """The images in one row, each under its title, at one scale: the size a browser gives
    the drawing's SVG, shrunk (never enlarged) to fit in width_px."""
    heights = [im.shape[0] for im in images]
    widths = [im.shape[1] for im in images]
    scale = min(width_px / sum(widths), SCREEN * 72 / DPI)  # screen pixels per image pixel
    fig_dpi = 100
    # about 7.5 pixels per character of a 9-point title at 100 dpi
    titles = [textwrap.fill(t, max(12, int(w * scale / 7.5))) for t, w in zip(titles, widths)]
    lines = max(t.count("\n") + 1 for t in titles)
    width_in = sum(widths) * scale / fig_dpi
    height_in = max(heights) * scale / fig_dpi + 0.2 * lines + 0.1
    fig, axes = plt.subplots(1, len(images), figsize=(width_in, height_in), dpi=fig_dpi,
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    for ax, image, title in zip(axes[0], images, titles):
        ax.imshow(image, interpolation="lanczos")
        ax.set_ylim(max(heights), 0)  # top-aligned, one scale for all
        ax.set_title(title, fontsize=9, loc="left")
        ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1 - (0.2 * lines + 0.05) / height_in,
                        wspace=0.08)
    plt.show()



def subscripted(name: str) -> str:
    """'w1' -> '$w_{1}$', 'b1,2' -> '$b_{1,2}$': matplotlib's math text for a name whose
    digits are a subscript."""
    letters = name.rstrip("0123456789,")
    return f"${letters}_{{{name[len(letters):]}}}$" if letters != name else f"${name}$"


def show_network(layers: Sequence[Sequence[str]], weights: Sequence[str], biases: Sequence[str],
                 loss: str = "") -> None:
    """Draw a fully connected network: a column of circles per layer, an arrow from every
    neuron to every neuron of the next layer, each labelled with its weight.

    `layers` names the neurons, inputs first ("x1", "a1,1", ...). `weights` label the arrows
    into each neuron in turn, from each neuron of the layer before in turn; `biases` name one
    bias per neuron after the inputs, written under its circle. `loss`, if given, is written
    after the output. Names are drawn with their digits as subscripts (w1 as w₁).
    """
    arrows = [(i, j, k) for i in range(1, len(layers)) for k in range(len(layers[i]))
              for j in range(len(layers[i - 1]))]  # (layer, from neuron, to neuron)
    neurons = sum(len(layer) for layer in layers[1:])
    if len(weights) != len(arrows) or len(biases) != neurons:
        raise ValueError(f"show_network: {len(arrows)} weights and {neurons} biases needed, "
                         f"got {len(weights)} and {len(biases)}")
    tall = max(len(layer) for layer in layers)
    fig = plt.figure(dpi=100)
    # the figure is sized to the layout, UNIT inches per unit, so text keeps its size
    after = 0.55 + _inches(fig, loss, 12) / UNIT if loss else 0.0  # room for the loss
    left, right = -RADIUS - 0.1, 2.2 * (len(layers) - 1) + RADIUS + 0.1 + after
    top = 0.65 * (tall - 1) + RADIUS + 0.1  # the highest circle
    bottom = -top - 0.45  # the lowest circle, and the bias under it
    fig.set_size_inches((right - left) * UNIT, (top - bottom) * UNIT)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.axis("off")

    def place(i: int, k: int) -> tuple[float, float]:  # column i, row k, centred on the middle
        return 2.2 * i, 1.3 * ((len(layers[i]) - 1) / 2 - k)

    for (i, j, k), weight in zip(arrows, weights):
        _weighted_arrow(ax, place(i - 1, j), place(i, k), subscripted(weight))
    names = iter(biases)
    for i, layer in enumerate(layers):
        for k, name in enumerate(layer):
            x, y = place(i, k)
            ax.add_patch(plt.Circle((x, y), RADIUS, facecolor="#dbeafe" if i == 0 else "white",
                                    edgecolor="#374151", linewidth=1.5, zorder=3))
            ax.text(x, y, subscripted(name), ha="center", va="center", fontsize=12, zorder=4)
            if i > 0:
                ax.text(x, y - RADIUS - 0.12, "+ " + subscripted(next(names)), ha="center",
                        va="top", fontsize=11, color="#6b21a8")
    if loss:
        out = 2.2 * (len(layers) - 1) + RADIUS
        ax.annotate(loss, xy=(out, 0), xytext=(out + 0.45, 0), fontsize=12, va="center",
                    arrowprops={"arrowstyle": "<-", "color": "#374151", "lw": 1.2})
    plt.show()


def _inches(fig: Any, text: str, fontsize: float) -> float:
    """How wide `text` is, in inches, when `fig` draws it at `fontsize` points."""
    probe = fig.text(0, 0, text, fontsize=fontsize)
    width = probe.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi
    probe.remove()
    return float(width)


def _weighted_arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float],
                    label: str) -> None:
    """An arrow between two circles, its label on a white patch about a third of the way
    from the end, where the arrows into one neuron are still apart."""
    (x0, y0), (x1, y1) = start, end
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    ux, uy = (x1 - x0) / length, (y1 - y0) / length  # unit vector: from circle edge to edge
    style = {"arrowstyle": "-|>", "color": "#4b5563", "lw": 1.2, "shrinkA": 0, "shrinkB": 0}
    ax.annotate("", xy=(x1 - ux * RADIUS, y1 - uy * RADIUS),
                xytext=(x0 + ux * RADIUS, y0 + uy * RADIUS), arrowprops=style, zorder=1)
    t = 0.68
    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), label, ha="center", va="center",
            fontsize=11, zorder=2,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
