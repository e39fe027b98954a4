"""End to end: nn's MLP, losses and optimizers learn real (small) problems."""

from __future__ import annotations

import math
import random

from sklearn.datasets import make_moons

from autograd import dot
from nn import MLP, losses, optim


def test_mlp_learns_two_moons_to_95_percent_within_100_steps():
    X, y = make_moons(n_samples=100, noise=0.1, random_state=0)
    X, labels = X.tolist(), [1 if t == 1 else -1 for t in y]
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    params = model.parameters()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    acc, steps = 0.0, 0
    while steps <= 100:
        scores = [model(x) for x in X]
        acc = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)
        if acc >= 0.95:
            break
        steps += 1
        loss = losses.hinge(scores, labels) + 1e-4 * dot(params, params)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert acc >= 0.95 and steps <= 100, f"accuracy {acc:.0%} after {steps} steps"


def test_mlp_learns_three_classes_with_cross_entropy_and_adam():
    rng = random.Random(0)
    centres = [(0.0, 1.0), (-1.0, -0.5), (1.0, -0.5)]
    data = [
        ([cx + rng.gauss(0, 0.2), cy + rng.gauss(0, 0.2)], k)
        for k, (cx, cy) in enumerate(centres)
        for _ in range(10)
    ]
    model = MLP(2, [8, 3], activation="tanh", seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(40):
        logits = [model(x) for x, _ in data]
        loss = losses.cross_entropy(logits, [k for _, k in data])
        first = loss.data if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < first / 4
    right = sum(
        max(range(3), key=lambda i: out[i].data) == k
        for out, k in ((model(x), k) for x, k in data)
    )
    assert right == len(data)
    assert math.isfinite(loss.data)
