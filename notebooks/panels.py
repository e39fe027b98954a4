"""Pictures of a neuron with two inputs, for notebook 04: its output over the plane, and its
activation at one input with the slope a gradient is multiplied by there.

The neuron is an `nn.Neuron(2, activation="tanh")`; the helpers draw whatever weights it
holds (`set_weights` changes them), compute every output with the neuron itself, and read
tanh's slope from `backward()`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.contour import QuadContourSet

from autograd import no_grad
from nn import Neuron

EXTENT = 3.0  # the plane is drawn from -EXTENT to EXTENT in both inputs
GRID = [-EXTENT + 2 * EXTENT * i / 40 for i in range(41)]
LEVELS = [k / 10 - 1 for k in range(21)]  # output levels -1.0, -0.9, ..., 1.0
STAR = (1.0, -2.0)  # the input whose weighted sum is marked in the activation panel


def set_weights(neuron: Neuron, w0: float, w1: float, b: float) -> None:
    """Give the two-input `neuron` the weights (w0, w1) and the bias b."""
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = w0, w1, b


def draw_plane(ax: Axes, neuron: Neuron, star: Sequence[float] = STAR) -> QuadContourSet:
    """The neuron's output over the plane (blue -1 to red +1), its decision line w·x + b = 0,
    the weight vector as an arrow from the line, and `star`; returns the colour fill."""
    (w0, w1), b = (w.data for w in neuron.w), neuron.b.data
    with no_grad():  # only values are needed: record no graph
        outputs = [[neuron([u, v]).data for u in GRID] for v in GRID]
    fill = ax.contourf(GRID, GRID, outputs, levels=LEVELS, cmap="coolwarm", vmin=-1, vmax=1)
    # The line w0*u + w1*v + b = 0, solved for whichever input it is steeper in.
    if abs(w1) > abs(w0):
        ax.plot(GRID, [-(w0 * u + b) / w1 for u in GRID], "k")
    elif w0 != 0:
        ax.plot([-(w1 * v + b) / w0 for v in GRID], GRID, "k")
    norm = math.hypot(w0, w1) or 1.0
    foot = (-b * w0 / norm**2, -b * w1 / norm**2)  # the line's point nearest the origin
    ax.annotate("", xytext=foot, xy=(foot[0] + w0 / norm, foot[1] + w1 / norm),
                arrowprops={"arrowstyle": "->", "lw": 2})
    ax.plot(*star, "k*", ms=12)
    ax.set(xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), aspect="equal",
           xlabel="x₀", ylabel="x₁")
    ax.set_title(f"w = ({w0:g}, {w1:g}), b = {b:g}", fontsize=10)
    return fill


def draw_activation(ax: Axes, neuron: Neuron, star: Sequence[float] = STAR) -> None:
    """tanh(z) with a star at z = w·star + b, and the tangent there (dashed)."""
    z = sum(w.data * x for w, x in zip(neuron.w, star)) + neuron.b.data
    out = neuron(list(star))
    neuron.zero_grad()
    out.backward()
    slope = neuron.b.grad  # d out/d b = tanh'(z), since d z/d b = 1
    neuron.zero_grad()
    zs = [-5 + k / 10 for k in range(101)]
    ax.plot(zs, [math.tanh(v) for v in zs], lw=2)
    ax.plot([z - 1, z + 1], [out.data - slope, out.data + slope], "k--")
    ax.plot(z, out.data, "k*", ms=12)
    ax.set(xlim=(-5, 5), ylim=(-1.3, 1.3), xticks=[-4, -2, 0, 2, 4], xlabel="z = w·x + b")
    ax.set_title(f"z = {z:.2f}, tanh(z) = {out.data:.2f}\nslope {slope:.2f}", fontsize=10)
    ax.grid(alpha=0.3)


def neuron_frames(neuron: Neuron, settings: Sequence[tuple[float, float, float]],
                  star: Sequence[float] = STAR) -> None:
    """One column per (w0, w1, b) in `settings`: the plane on top, the activation below,
    and one colour bar for the outputs."""
    fig, axes = plt.subplots(2, len(settings), figsize=(2.0 * len(settings) + 0.9, 5.0),
                             gridspec_kw={"height_ratios": [3, 2]}, layout="constrained",
                             squeeze=False)
    fills = []
    for k, (w0, w1, b) in enumerate(settings):
        set_weights(neuron, w0, w1, b)
        fills.append(draw_plane(axes[0, k], neuron, star))
        draw_activation(axes[1, k], neuron, star)
    fig.colorbar(fills[-1], ax=axes[0, :], label="output tanh(z)", ticks=[-1, -0.5, 0, 0.5, 1],
                 pad=0.01, aspect=15)
    plt.show()


def neuron_view(neuron: Neuron, w0: float, w1: float, b: float,
                star: Sequence[float] = STAR) -> None:
    """One setting side by side, for a slider: the plane with its colour bar, the activation."""
    fig, (ax_plane, ax_act) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    set_weights(neuron, w0, w1, b)
    fig.colorbar(draw_plane(ax_plane, neuron, star), ax=ax_plane, label="output tanh(z)",
                 ticks=[-1, -0.5, 0, 0.5, 1])
    draw_activation(ax_act, neuron, star)
    plt.show()
