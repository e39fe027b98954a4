"""Train an MLP on two moons and draw what it learned: `python -m nn.demo`.

MLP(2, [16, 16, 1]) with ReLU hidden layers, hinge loss plus L2, SGD with momentum,
on scikit-learn's two moons (100 points, noise 0.1). Writes to `out/` the decision
boundary (PNG), the graph of one neuron on one sample and the whole network's graph on
one sample collapsed to layers (SVG). Needs the `demo` extra: tqdm, matplotlib, scikit-learn.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from autograd import Value, dot, draw_dot, no_grad, trace

from .layers import MLP
from .losses import hinge
from .optim import SGD

L2 = 1e-4  # weight of the L2 penalty sum(p^2), which keeps the margin smooth

# The demo extra's packages: import name -> the name pip installs it by.
DEMO_PACKAGES = {"tqdm": "tqdm", "matplotlib": "matplotlib", "sklearn": "scikit-learn"}
EXTRA_HINT = "pip install 'graphgrad[demo]'"


def missing_packages() -> list[str]:
    """The demo extra's packages that are not installed, by their pip names."""
    return [pip for mod, pip in DEMO_PACKAGES.items() if importlib.util.find_spec(mod) is None]


def make_moons(
    seed: int, n: int = 100, noise: float = 0.1
) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles from scikit-learn, labels as -1.0 / +1.0."""
    from sklearn.datasets import make_moons as sk_make_moons  # slow import: only when used

    X, y = sk_make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.tolist(), [1.0 if label == 1 else -1.0 for label in y]


def _number(s: Value | float) -> float:
    return s.data if isinstance(s, Value) else s


def accuracy(scores: Sequence[Value | float], labels: Sequence[float]) -> float:
    """The fraction of samples whose score has the sign of their label."""
    return sum((_number(s) > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


class Progress:
    """Training progress: a tqdm bar on a terminal, a few plain lines anywhere else.

    A bar redraws itself with carriage returns, which a log file or CI output keeps
    as one more line per redraw; written to a file or pipe, progress is instead
    `lines` plain lines, evenly spaced over the run.
    """

    def __init__(self, total: int, stream: TextIO | None = None, lines: int = 4) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.done = 0
        self.bar: Any = None
        if _isatty(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="training", unit="step", file=self.stream)
        # the steps after which a plain line is printed, e.g. 25, 50, 75, 100 of 100
        self._marks = {math.ceil(total * k / lines) for k in range(1, lines + 1)}

    def update(self, loss: float, acc: float) -> None:
        """One more step done, with its loss and accuracy."""
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.0%}", refresh=False)
            self.bar.update(1)
        elif self.done in self._marks:
            line = f"step {self.done}/{self.total}, loss {loss:.4f}, accuracy {acc:.0%}"
            print(f"training: {line}", file=self.stream, flush=True)

    def close(self) -> None:
        """End the bar (a no-op for plain lines)."""
        if self.bar is not None:
            self.bar.close()


def train(
    model: MLP,
    X: list[list[float]],
    y: list[float],
    steps: int,
    progress: bool = True,
) -> tuple[float, float]:
    """Full-batch training for `steps` steps; returns the final (loss, accuracy)."""
    params = model.parameters()
    opt = SGD(params, lr=0.1, momentum=0.9)
    loss = acc = float("nan")
    report = Progress(steps) if progress else None
    for _ in range(steps):
        scores = [model(x) for x in X]
        # hinge: mean(max(0, 1 - y * score)); L2 as one dot node: sum(p * p)
        total = hinge(scores, y) + L2 * dot(params, params)
        opt.zero_grad()
        total.backward()
        opt.step()
        loss, acc = total.data, accuracy(scores, y)
        if report is not None:
            report.update(loss, acc)
    if report is not None:
        report.close()
    with no_grad():  # the accuracy of the trained weights, after the last step
        acc = accuracy([model(x) for x in X], y)
    return loss, acc


def plot_decision_boundary(model: MLP, X: list[list[float]], y: list[float], path: str) -> None:
    """Colour the plane by the sign of the model's score, with the training points on top."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt
    import numpy as np

    xs, ys = np.array(X)[:, 0], np.array(X)[:, 1]
    gx, gy = np.meshgrid(
        np.linspace(xs.min() - 0.5, xs.max() + 0.5, 60),
        np.linspace(ys.min() - 0.5, ys.max() + 0.5, 60),
    )
    # the 3,600 grid points in one call: the model traced once, replayed on the whole grid
    scores = trace(model, [0.0, 0.0])(np.column_stack([gx.ravel(), gy.ravel()]))
    fig, ax = plt.subplots(figsize=(5, 4.5), dpi=100)
    grid = scores.reshape(gx.shape)
    # shade by the score (clipped: the hinge loss only cares about |score| <= 1 or so),
    # and draw the boundary itself, score = 0, as a line
    ax.contourf(gx, gy, np.clip(grid, -2, 2), levels=16, cmap="coolwarm", alpha=0.45)
    ax.contour(gx, gy, grid, levels=[0.0], colors="k", linewidths=1.2)
    ax.scatter(xs, ys, c=y, cmap="coolwarm", edgecolors="k", s=28)
    ax.set_title("MLP(2, [16, 16, 1]) on two moons: decision boundary")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_graphs(model: MLP, x: list[float], out: str) -> list[str]:
    """Write the graph of one neuron, and of the whole MLP collapsed to layers, on sample `x`.

    Each drawing shows the gradients of one backward pass from zero, so every number
    on it follows from the chain rule alone. Returns the paths written; prints a
    one-line note if the drawings fail (Graphviz's `dot` program missing, for instance).
    """
    inputs = [Value(v, label=f"x{i}") for i, v in enumerate(x)]
    written = []
    try:
        neuron_out = model.layers[0].neurons[0](inputs)
        _backward_from_zero(model, inputs, neuron_out)
        path = os.path.join(out, "neuron_graph.svg")
        _write_svg(draw_dot(neuron_out), path)
        written.append(path)
        score = model(inputs)
        _backward_from_zero(model, inputs, score)
        # the MLP is module depth 0, its layers depth 1: one box per layer
        path = os.path.join(out, "mlp_graph.svg")
        _write_svg(draw_dot(score, collapse_depth=1), path)
        written.append(path)
    except Exception as exc:  # Graphviz's `dot` program missing, for instance: go on
        print(f"note: could not draw the graphs ({type(exc).__name__}: {exc})")
    return written


def _backward_from_zero(model: MLP, inputs: list[Value], root: Value) -> None:
    """`root.backward()` after zeroing the gradients left over from training."""
    model.zero_grad()
    for v in inputs:
        v.grad = 0.0
    root.backward()


def _write_svg(graph: Any, path: str) -> None:
    with open(path, "wb") as f:
        f.write(graph.pipe(format="svg"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m nn.demo", description=__doc__)
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and weights")
    parser.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error("--steps must be >= 0")
    missing = missing_packages()
    if missing:
        print(f"python -m nn.demo needs the demo extra (missing: {', '.join(missing)}): "
              f"{EXTRA_HINT}", file=sys.stderr)
        return 2

    start = time.perf_counter()
    X, y = make_moons(args.seed)
    model = MLP(2, [16, 16, 1], activation="relu", seed=args.seed)
    print(f"{model}\n{len(model.parameters())} parameters, {len(X)} samples")
    loss, acc = train(model, X, y, args.steps)
    print(f"accuracy: {acc * 100:.1f}%")

    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "decision_boundary.png")
    plot_decision_boundary(model, X, y, png)
    written = [png, *draw_graphs(model, X[0], args.out)]
    print(f"wrote {', '.join(written)} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
