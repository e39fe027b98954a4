"""Backward, step by step: one drawing per node the backward pass processes, and an HTML player.

Frame k shows the gradients known after k steps of the engine's own order
(`reversed(topological_order(root))`), computed with the engine's `local_gradients`,
so the last frame holds exactly the numbers `root.backward()` produces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .engine import describe, local_gradients, parents_of, topological_order
from .viz import DEFAULT_MAX_NODES, _Plan, check_graphviz, format_number

if TYPE_CHECKING:
    import graphviz


class Step(NamedTuple):
    """One step of backward: `node` has its full gradient `grad` and passes `passed` to its parents."""

    node: Any
    grad: float
    passed: tuple[float, ...]


class BackwardStepper:
    """The backward pass from `root`, one frame per node processed, without touching any `.grad`.

    `len(stepper)` is the number of steps; iterating yields one `graphviz.Digraph` per
    step (display them in a notebook); `save_html(path)` writes a page that plays them.
    Options are those of `draw_dot` (modules are drawn as clusters, never collapsed).
    """

    def __init__(
        self,
        root: Any,
        rankdir: str = "LR",
        *,
        clusters: bool = True,
        max_nodes: int | None = DEFAULT_MAX_NODES,
        precision: int = 4,
    ) -> None:
        self.root = root
        self._plan = plan = _Plan(root, rankdir, clusters, None, max_nodes, precision, "BackwardStepper")
        index = plan.index
        n = len(plan.order)
        grads = [0.0] * n
        grads[index[root]] = 1.0  # the seed, as in Value.backward
        # A gradient is final once every node using it has been processed.
        waiting = [len(users) for users in plan.consumers]
        state = ["pending"] * n
        state[index[root]] = "final"
        self.steps: list[Step] = []
        self._grads: list[list[float]] = []  # the gradients after each step
        self._states: list[list[str]] = []
        for node in reversed(topological_order(root)):  # the engine's order
            if node._op is None:
                continue  # a leaf passes nothing on: not a step, as in the engine
            i = index[node]
            passed = tuple(local_gradients(node, grads[i], False))
            for parent, gp in zip(parents_of(node), passed):
                grads[index[parent]] += gp  # accumulate exactly as the engine does
            for j in {index[p] for p in parents_of(node)}:
                waiting[j] -= 1
                state[j] = "final" if waiting[j] == 0 else "partial"
            self.steps.append(Step(node, grads[i], passed))
            self._grads.append(list(grads))
            self._states.append(list(state))

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"BackwardStepper({len(self.steps)} steps from {_short(self.root) if self.root._op else 'a leaf'})"

    def __iter__(self) -> Iterator[graphviz.Digraph]:
        return (self.frame(k) for k in range(len(self.steps)))

    @property
    def grads(self) -> dict[Any, float]:
        """Every node's gradient after the last step (what `root.backward()` computes)."""
        order = self._plan.order
        last = self._grads[-1] if self._grads else [0.0] * len(order)
        result = dict(zip(order, last))
        result[self.root] = 1.0
        return result

    def caption(self, k: int) -> str:
        """What step k (0-based) does, in one line."""
        step = self.steps[k]
        p = self._plan.precision
        sent = ", ".join(
            f"{format_number(g, p)} to {_name(parent)}" for parent, g in zip(parents_of(step.node), step.passed)
        )
        return (
            f"Step {k + 1} of {len(self.steps)}: {_short(step.node)} has grad "
            f"{format_number(step.grad, p)} and passes {sent}"
        )

    def frame(self, k: int, caption: bool = True) -> graphviz.Digraph:
        """The graph after step k (0-based): the processed node in red, unknown grads dashed."""
        if not 0 <= k < len(self.steps):
            raise IndexError(f"BackwardStepper: step {k} out of range (0 to {len(self.steps) - 1})")
        plan = self._plan
        states = self._states[k]
        pending = {i: s for i, s in enumerate(states) if s != "final"}
        step = self.steps[k]
        return plan.digraph(
            grads=dict(enumerate(self._grads[k])),
            pending=pending,
            current=plan.index[step.node],
            passed=step.passed,
            caption=self.caption(k) if caption else None,
        )

    def to_html(self, title: str = "Backward, step by step") -> str:
        """A self-contained page: every frame as inline SVG, Previous/Next/Play and a slider."""
        import graphviz

        check_graphviz()
        if self.steps:
            graphs = [self.frame(k, caption=False) for k in range(len(self.steps))]  # the page shows it
            captions = [self.caption(k) for k in range(len(self.steps))]
        else:  # a leaf: backward only seeds its gradient
            graphs = [self._plan.digraph(grads={0: 1.0})]
            captions = ["The root is a leaf: backward only sets its grad to 1."]
        # One run of dot for all frames: it renders each graph of its input in turn.
        source = "\n".join(g.source for g in graphs).encode("utf-8")
        out = graphviz.pipe("dot", "svg", source).decode("utf-8")
        svgs = [_inline_svg(doc, k) for k, doc in enumerate(_split_svg(out))]
        if len(svgs) != len(graphs):
            raise RuntimeError(f"dot returned {len(svgs)} drawings for {len(graphs)} frames")
        return _page(title, svgs, captions)

    def _repr_html_(self) -> str:
        """In Jupyter: the player itself, in an iframe so its script and ids stay apart."""
        page = html.escape(self.to_html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width: 100%; height: 32em; border: 0"></iframe>'

    def save_html(self, path: str | PathLike[str], title: str = "Backward, step by step") -> Path:
        """Write `to_html()` to `path` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.to_html(title), encoding="utf-8")
        return target


def backward_steps(root: Any, rankdir: str = "LR", **options: Any) -> Iterator[graphviz.Digraph]:
    """One `graphviz.Digraph` per backward step from `root` (see `BackwardStepper`)."""
    return iter(BackwardStepper(root, rankdir, **options))


def _short(node: Any) -> str:
    """`tanh(0.88)`: the op and its operands, briefly (the engine's `describe` gives every digit)."""
    return describe(node, lambda v: f"{v:.4g}")


def _name(node: Any) -> str:
    """How a caption names a parent: its label, else what made it."""
    if node.label:
        return node.label
    return f"the {node._op.name} value" if node._op is not None else "a leaf"


# ---------------------------------------------------------------------------
# The HTML page
# ---------------------------------------------------------------------------


def _split_svg(out: str) -> list[str]:
    """The SVG documents in the output of one dot run over several graphs."""
    parts = out.split("<?xml")
    return ["<?xml" + part for part in parts if part.strip()]


_ID = re.compile(r'\bid="([^"]*)"')


def _inline_svg(doc: str, k: int) -> str:
    """An SVG document as an element for inlining: no prologue, ids unique to frame k."""
    start = doc.index("<svg")
    svg = doc[start:].strip()
    return _ID.sub(lambda m: f'id="f{k}-{m.group(1)}"', svg)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #111827; }
h1 { font-size: 1.3em; margin: 0 0 .6em; }
.controls { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
.controls button { font-size: 1em; padding: .3em .9em; }
.controls input[type=range] { flex: 1; min-width: 12em; }
#caption { font-family: ui-monospace, monospace; min-height: 1.4em; }
.frame svg { max-width: 100%; height: auto; }
.legend { color: #4b5563; font-size: .9em; }
"""

_SCRIPT = """
(function () {
  const frames = Array.from(document.querySelectorAll(".frame"));
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");
  const caption = document.getElementById("caption");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const play = document.getElementById("play");
  let current = 0;
  let timer = null;
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    frames.forEach(function (f, j) { f.hidden = j !== current; });
    slider.value = String(current + 1);
    counter.textContent = (current + 1) + " / " + frames.length;
    caption.textContent = frames[current].dataset.caption;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6 Play";
  }
  function start() {
    if (current === frames.length - 1) { show(0); }
    play.textContent = "\\u23F8 Pause";
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1); }
    }, 1000);
  }
  prev.addEventListener("click", function () { stop(); show(current - 1); });
  next.addEventListener("click", function () { stop(); show(current + 1); });
  play.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value) - 1); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowLeft") { stop(); show(current - 1); }
    else if (e.key === "ArrowRight") { stop(); show(current + 1); }
  });
  show(0);
})();
"""


def _page(title: str, svgs: list[str], captions: list[str]) -> str:
    frames = "\n".join(
        f'<div class="frame" data-step="{k + 1}" data-caption="{html.escape(c, quote=True)}"'
        f'{" hidden" if k else ""}>\n{svg}\n</div>'
        for k, (svg, c) in enumerate(zip(svgs, captions))
    )
    n = len(svgs)
    # The policy forbids every request: the page works offline, from a file.
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<div class="controls">
<button id="prev" type="button">&#9664; Previous</button>
<button id="play" type="button">&#9654; Play</button>
<button id="next" type="button">Next &#9654;</button>
<input id="slider" type="range" min="1" max="{n}" value="1" aria-label="step">
<span id="counter">1 / {n}</span>
</div>
<p id="caption">{html.escape(captions[0])}</p>
<p class="legend">Red: the node being processed and the gradients it passes to its parents.
Dashed: gradients not known yet (<code>?</code>) or still accumulating (<code>…</code>).
Arrow keys step too.</p>
<div id="frames">
{frames}
</div>
<script>{_SCRIPT}</script>
</body>
</html>
"""
