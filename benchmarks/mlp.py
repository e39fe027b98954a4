"""mlp-step: one SGD step of an MLP(2, [16, 16, 1]) with ReLU hidden layers on two moons.

loss = mean(relu(1 - y * score)) + 1e-4 * Σ p²  (hinge loss and L2 regularisation).
`BareMLP` is the micrograd-style model written on bare `Value` operators (a neuron is
b + w_1 x_1 + … + w_n x_n, one binary op at a time), for any engine's `Value`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

SIZES = [16, 16, 1]
ALPHA = 1e-4  # L2 regularisation strength
LR = 0.05


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """n points of two interleaved half circles, labels -1 and +1 (a seeded `random.Random`)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * rng.random()
        if upper:  # the upper moon: (cos t, sin t)
            x, y = math.cos(t), math.sin(t)
        else:  # the lower moon, shifted right and down: (1 - cos t, 0.5 - sin t)
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        points.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        labels.append(-1.0 if upper else 1.0)
    return points, labels


# ---------------------------------------------------------------------------
# The micrograd-style model, on bare operators of any engine's Value.
# ---------------------------------------------------------------------------


class BareNeuron:
    """relu(b + Σ w_i x_i) (or without relu), with one binary node per product and sum."""

    def __init__(self, value: type, nin: int, rng: random.Random, relu: bool) -> None:
        self.w = [value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = value(0.0)
        self.relu = relu

    def __call__(self, xs: Sequence[Any]) -> Any:
        act = self.b
        for w, x in zip(self.w, xs):
            act = act + w * x
        return act.relu() if self.relu else act

    def parameters(self) -> list[Any]:
        return [*self.w, self.b]


class BareMLP:
    """Layers of BareNeurons, ReLU on all but the last; parameters in micrograd's order."""

    def __init__(self, value: type, nin: int, nouts: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [
            [BareNeuron(value, sizes[i], rng, relu=i < len(nouts) - 1) for _ in range(sizes[i + 1])]
            for i in range(len(nouts))
        ]

    def __call__(self, xs: Sequence[Any]) -> Any:
        for layer in self.layers:
            xs = [neuron(xs) for neuron in layer]
        return xs[0] if len(xs) == 1 else xs

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def copy_weights(src: Sequence[Any], dst: Sequence[Any]) -> None:
    """dst[i].data = src[i].data (the same model in another engine)."""
    if len(src) != len(dst):
        raise AssertionError(f"copy_weights: {len(src)} parameters against {len(dst)}")
    for s, d in zip(src, dst):
        d.data = float(s.data)


# ---------------------------------------------------------------------------
# One step, written with operators only (micrograd's model and BareMLP).
# ---------------------------------------------------------------------------


def bare_loss(model: Any, points: list[list[float]], labels: list[float]) -> Any:
    """mean(relu(1 - y * score)) + ALPHA * Σ p², with Python's `sum` and operators."""
    scores = [model(p) for p in points]
    data_loss = sum((1 - y * s).relu() for y, s in zip(labels, scores)) * (1.0 / len(labels))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def bare_step(model: Any, points: list[list[float]], labels: list[float]) -> None:
    """zero the gradients, loss, backward, p -= LR * p.grad."""
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    bare_loss(model, points, labels).backward()
    for p in params:
        p.data -= LR * p.grad


def bare_gradients(model: Any, points: list[list[float]], labels: list[float]) -> list[float]:
    """[loss, d loss / d p for every parameter] without updating anything."""
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    loss = bare_loss(model, points, labels)
    loss.backward()
    result = [float(loss.data)] + [float(p.grad) for p in params]
    for p in params:
        p.grad = 0.0
    return result


# ---------------------------------------------------------------------------
# graphgrad's own nn: nn.MLP, nn.losses.hinge, nn.optim.SGD.
# ---------------------------------------------------------------------------


def nn_available() -> str:
    """Why graphgrad's nn cannot run this workload, or "" when it can."""
    try:
        import nn
        from nn import losses, optim

        nn.MLP, losses.hinge, optim.SGD  # noqa: B018 (the names this workload uses)
    except (ImportError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


class NNStep:
    """graphgrad's nn model, its loss and its optimiser, loaded with given weights."""

    def __init__(self, weights: Sequence[Any]) -> None:
        from autograd import dot
        from nn import MLP, losses, optim

        self.model = MLP(2, SIZES, activation="relu", output_activation="linear", seed=0)
        self.params = self.model.parameters()
        names = [name for name, _ in self.model.named_parameters()]
        if len(names) != len(weights):
            raise AssertionError(f"nn.MLP: {len(names)} parameters against {len(weights)}")
        # load through state_dict, in the parameter order (weights then bias per neuron)
        self.model.load_state_dict({k: float(w.data) for k, w in zip(names, weights)})
        self.hinge = losses.hinge
        self.dot = dot
        self.opt = optim.SGD(self.params, lr=LR)

    def loss(self, points: list[list[float]], labels: list[float]) -> Any:
        scores = [self.model(p) for p in points]
        # Σ p² as one fused dot node of the parameters with themselves
        return self.hinge(scores, labels) + ALPHA * self.dot(self.params, self.params)

    def step(self, points: list[list[float]], labels: list[float]) -> None:
        self.opt.zero_grad()
        self.loss(points, labels).backward()
        self.opt.step()

    def gradients(self, points: list[list[float]], labels: list[float]) -> list[float]:
        self.opt.zero_grad()
        loss = self.loss(points, labels)
        loss.backward()
        result = [float(loss.data)] + [float(p.grad) for p in self.params]
        self.opt.zero_grad()
        return result


def step_run(step: Callable[..., None], *args: Any) -> Callable[[], Callable[[], None]]:
    """A `prepare` for the harness: nothing to set up, the timed run is one step."""

    def run() -> None:
        step(*args)

    return lambda: run
