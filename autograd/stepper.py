"""Backward, step by step: one drawing per node the backward pass processes, and an HTML player.

Frame k shows the gradients known after k steps of the engine's own order
(`reversed(topological_order(root))`), computed with the engine's `local_gradients`,
so the last frame holds exactly the numbers `root.backward()` produces. The graph is
laid out once; each frame is the same layout under an overlay of styles.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import player
from .engine import constant_of, local_gradients, parents_of, topological_order
from .layout import Graph, constant_text, format_number, layout, op_label
from .options import DEFAULTS, DrawOptions, resolve_options
from .viz import CURRENT_COLOUR, CURRENT_EDGE, PENDING_COLOUR, Overlay, check_graphviz, render

if TYPE_CHECKING:
    import graphviz

# The overlay's styles: dashed while a gradient is unknown or accumulating, red for the step.
PENDING_STYLE = {"style": "filled,dashed", "color": PENDING_COLOUR, "fontcolor": "#374151"}
CURRENT_VALUE = {"fillcolor": CURRENT_COLOUR, "color": CURRENT_EDGE, "penwidth": "2.5",
                 "class": "current"}
CURRENT_OP = {"fillcolor": CURRENT_COLOUR, "color": CURRENT_EDGE, "penwidth": "2",
              "class": "current-op"}
PASSED_EDGE = {"color": CURRENT_EDGE, "penwidth": "2", "fontcolor": CURRENT_EDGE,
               "class": "passed"}
CURRENT_OUT_EDGE = {"color": CURRENT_EDGE, "penwidth": "2"}


#: More steps than this make a player nobody can follow: the stepper refuses them by default.
DEFAULT_MAX_STEPS = 60


class Step(NamedTuple):
    """One step of backward: `node` (whose gradient `grad` is complete) passes `passed` on."""

    node: Any
    grad: float
    passed: tuple[float, ...]


class BackwardStepper:
    """The backward pass from `root`, one frame per node processed, without touching any `.grad`.

    `len(stepper)` is the number of steps; iterating yields one `graphviz.Digraph` per
    step (display them in a notebook); `save_html(path)` writes a page that plays them.
    Options are those of `draw_dot` (keywords or `options=DrawOptions(...)`), except that
    every node is drawn: modules are clusters, never collapsed. A deep graph fits a page
    better top to bottom: `rankdir="TB"`. More than `max_steps` steps (default 60; None for
    no limit) is refused, since nobody can follow a player that long.
    """

    def __init__(
        self,
        root: Any,
        rankdir: str = DEFAULTS.rankdir,
        *,
        clusters: bool = DEFAULTS.clusters,
        max_nodes: int | None = DEFAULTS.max_nodes,
        precision: int = DEFAULTS.precision,
        options: DrawOptions | None = None,
        max_steps: int | None = DEFAULT_MAX_STEPS,
    ) -> None:
        name = "BackwardStepper"
        self.options = opts = resolve_options(
            name, options, rankdir=rankdir, clusters=clusters, max_nodes=max_nodes,
            precision=precision,
        )
        if opts.collapse_depth is not None:
            raise ValueError(f"{name}: every frame draws every node; collapse_depth must be None")
        self.root = root
        self._graph = graph = Graph(root, name)
        self._layout = layout(graph, opts, name)
        # the steps, and every node's gradient and its state after each step
        self.steps, self._grads, self._states = replay(graph)
        if max_steps is not None and len(self.steps) > max_steps:
            raise ValueError(
                f"{name}: the backward pass from this root takes {len(self.steps)} steps, more "
                f"than max_steps={max_steps}: a player of that many frames is hard to follow "
                f"(and large). Step through a smaller graph (one neuron on one sample), or pass "
                f"max_steps=None"
            )

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        start = expression(self.root) if self.root._op is not None else "a leaf"
        return f"BackwardStepper({len(self.steps)} steps from {start})"

    def __iter__(self) -> Iterator[graphviz.Digraph]:
        return (self.frame(k) for k in range(len(self.steps)))

    @property
    def grads(self) -> dict[Any, float]:
        """Every node's gradient after the last step (what `root.backward()` computes)."""
        order = self._graph.order
        last = self._grads[-1] if self._grads else [0.0] * len(order)
        result = dict(zip(order, last))
        result[self.root] = 1.0
        return result

    def caption(self, k: int) -> str:
        """What step k (0-based) does, in one line, naming each operand as the drawing shows it."""
        step = self.steps[k]
        p = self.options.precision
        sent = ", ".join(f"{format_number(g, p)} to {name}"
                         for name, g in zip(operand_names(step.node), step.passed))
        return (f"Step {k + 1} of {len(self.steps)}: {expression(step.node)} has grad "
                f"{format_number(step.grad, p)} and passes {sent}")

    def frame(self, k: int, caption: bool = True) -> graphviz.Digraph:
        """The graph after step k (0-based): the processed node in red, unknown grads dashed."""
        if not 0 <= k < len(self.steps):
            raise IndexError(f"BackwardStepper: step {k} out of range (0 to {len(self.steps) - 1})")
        return render(self._layout, self.overlay(k, caption))

    def overlay(self, k: int, caption: bool = True) -> Overlay:
        """Step k's styles over the drawing: gradients known so far, the step's node and edges."""
        p = self.options.precision
        grads, states, step = self._grads[k], self._states[k], self.steps[k]
        texts: dict[str, str] = {}
        nodes: dict[str, dict[str, str]] = {}
        for i, state in enumerate(states):
            vid = f"v{i}"
            if state == "pending":
                texts[vid] = "?"
            else:
                texts[vid] = format_number(grads[i], p) + (" …" if state == "partial" else "")
            if state != "final":
                nodes[vid] = {**PENDING_STYLE, "class": state}
        i = self._graph.index[step.node]
        nodes[f"v{i}"], nodes[f"v{i}op"] = CURRENT_VALUE, CURRENT_OP
        edges = {f"v{i}:in{j}": {**PASSED_EDGE, "label": signed(g, p)}
                 for j, g in enumerate(step.passed)}
        edges[f"v{i}:out"] = CURRENT_OUT_EDGE
        return Overlay(texts, nodes, edges, self.caption(k) if caption else None)

    def to_html(self, title: str = "Backward, step by step") -> str:
        """A self-contained page: every frame as inline SVG, Previous/Next/Play and a slider."""
        import graphviz

        check_graphviz()
        if self.steps:
            # the page shows the captions itself, above the frames
            graphs = [self.frame(k, caption=False) for k in range(len(self.steps))]
            captions = [self.caption(k) for k in range(len(self.steps))]
        else:  # a leaf: backward only seeds its gradient
            seed = format_number(1.0, self.options.precision)
            graphs = [render(self._layout, Overlay(grads={"v0": seed}))]
            captions = ["The root is a leaf: backward only sets its grad to 1."]
        # One run of dot for all frames: it renders each graph of its input in turn.
        source = "\n".join(g.source for g in graphs).encode("utf-8")
        out = graphviz.pipe("dot", "svg", source).decode("utf-8")
        svgs = [player.inline_svg(doc, k) for k, doc in enumerate(player.split_svg(out))]
        if len(svgs) != len(graphs):
            raise RuntimeError(f"dot returned {len(svgs)} drawings for {len(graphs)} frames")
        return player.page(title, svgs, captions)

    def _repr_html_(self) -> str:
        """In Jupyter: the player itself, in an iframe so its script and ids stay apart."""
        page = html.escape(self.to_html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width: 100%; height: 32em; border: 0"></iframe>'

    def save_html(self, path: str | PathLike[str], title: str = "Backward, step by step") -> Path:
        """Write `to_html()` to `path` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.to_html(title), encoding="utf-8")
        return target


def backward_steps(
    root: Any, rankdir: str = DEFAULTS.rankdir, **options: Any
) -> Iterator[graphviz.Digraph]:
    """One `graphviz.Digraph` per backward step from `root` (see `BackwardStepper`)."""
    return iter(BackwardStepper(root, rankdir, **options))


def replay(graph: Graph) -> tuple[list[Step], list[list[float]], list[list[str]]]:
    """Run backward in the engine's order; after each step, every node's gradient and state.

    A state is "pending" (no gradient yet), "partial" (some users still to be processed)
    or "final". Gradients accumulate exactly as in the engine, so the last ones are
    `root.backward()`'s.
    """
    root, index, n = graph.root, graph.index, len(graph.order)
    grads = [0.0] * n
    grads[index[root]] = 1.0  # the seed, as in Value.backward
    waiting = [len(users) for users in graph.consumers]  # final once every user is processed
    state = ["pending"] * n
    state[index[root]] = "final"
    steps: list[Step] = []
    after: list[list[float]] = []
    states: list[list[str]] = []
    for node in reversed(topological_order(root)):  # the engine's order
        if node._op is None:
            continue  # a leaf passes nothing on: not a step, as in the engine
        i = index[node]
        passed = tuple(local_gradients(node, grads[i], False))
        for parent, gp in zip(parents_of(node), passed):
            grads[index[parent]] += gp
        for j in {index[p] for p in parents_of(node)}:
            waiting[j] -= 1
            state[j] = "final" if waiting[j] == 0 else "partial"
        steps.append(Step(node, grads[i], passed))
        after.append(list(grads))
        states.append(list(state))
    return steps, after, states


# ---------------------------------------------------------------------------
# Captions: operations written with the drawn symbols, operands by their labels
# ---------------------------------------------------------------------------


def signed(g: Any, precision: int) -> str:
    """A gradient as added along an edge: `+0.5010`, `-1.5029`."""
    text = format_number(g, precision)
    return text if text.startswith("-") else "+" + text


def _operand(node: Any) -> str:
    """An operand in an expression: its label, else its value (4 significant digits)."""
    return str(node.label or f"{node.data:.4g}")


def _infix(text: str) -> str:
    """An operand beside an operator: a negative number, or a label with spaces, in
    parentheses (`(-1.4) ** 2`, `(a - t) ** 2`)."""
    depth, spaced = 0, False  # a space outside any parentheses: `a - t`, not `(a - t)²`
    for char in text:
        depth += (char == "(") - (char == ")")
        spaced = spaced or (char == " " and depth == 0)
    return f"({text})" if text.startswith("-") or spaced else text


def _listed(items: list[str]) -> str:
    """`a`, or `(a, b, c)`; a long list shows its first five items and its last."""
    if len(items) > 6:
        items = [*items[:5], "…", items[-1]]
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def expression(node: Any) -> str:
    """What made `node`, written as the drawing shows it: `y = tanh(0.88)`, `x * w`, `2 / x`."""
    symbol, c = str(node._op.symbol), constant_of(node)
    args = [_operand(p) for p in parents_of(node)]
    n = len(args) // 2
    word = symbol[:1].isalpha()  # tanh, σ, ReLU, Σ: written as a function call
    if isinstance(c, tuple):  # a dot product with the constants folded in
        text = f"{_listed(args)} {op_label(node)}"
    elif c is not None:
        const = constant_text(c)
        if word:
            text = f"{symbol}({args[0]}, {const})"
        elif node._op.formula.startswith("c "):  # c / x, c ** x
            text = f"{_infix(const)} {symbol} {_infix(args[0])}"
        else:
            text = f"{_infix(args[0])} {symbol} {_infix(const)}"
    elif symbol == "·" and len(args) == 2 * n:  # the weights, then the inputs
        text = f"{_listed(args[:n])} · {_listed(args[n:])}"
    elif symbol == "·+" and len(args) == 2 * n + 1:  # weights, inputs, then the bias
        text = f"{_listed(args[:n])} · {_listed(args[n:-1])} + {_infix(args[-1])}"
    elif len(args) == 2 and not word:
        text = f"{_infix(args[0])} {symbol} {_infix(args[1])}"
    else:
        text = f"{symbol}{_listed(args) if len(args) > 1 else f'({args[0]})'}"
    return f"{node.label} = {text}" if node.label else text


def operand_names(node: Any) -> list[str]:
    """How a caption names each parent: its label, else `input k` (`its input` for one)."""
    parents = parents_of(node)
    if len(parents) == 1:
        return [parents[0].label or "its input"]
    labels = [p.label for p in parents]
    return [
        label if label and labels.count(label) == 1
        else f"{label} (input {k + 1})" if label else f"input {k + 1}"
        for k, label in enumerate(labels)
    ]
