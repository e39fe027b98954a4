"""The small worked network of notebook 02: 2 inputs, 2 sigmoid hidden units, 1 sigmoid output,
with every gradient derived by hand (the chain rule written out) and compared."""

from __future__ import annotations

import math

import pytest

from autograd import Value


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_seed_network_gradients_match_the_chain_rule_by_hand():
    x1, x2 = 0.05, 0.10
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45]  # w1..w4 into the hidden layer, w5 w6 out
    b11, b12, b2 = 0.35, 0.35, 0.60
    target = 0.01

    # --- by hand -----------------------------------------------------------
    z11 = x1 * w[0] + x2 * w[1] + b11
    z12 = x1 * w[2] + x2 * w[3] + b12
    h1, h2 = sigmoid(z11), sigmoid(z12)
    z2 = h1 * w[4] + h2 * w[5] + b2
    y = sigmoid(z2)
    loss = 0.5 * (y - target) ** 2
    dL_dy = y - target
    dL_dz2 = dL_dy * y * (1 - y)  # σ'(z) = σ(z)(1 - σ(z))
    dL_dw5, dL_dw6, dL_db2 = dL_dz2 * h1, dL_dz2 * h2, dL_dz2
    dL_dz11 = dL_dz2 * w[4] * h1 * (1 - h1)
    dL_dz12 = dL_dz2 * w[5] * h2 * (1 - h2)
    by_hand = [
        dL_dz11 * x1, dL_dz11 * x2, dL_dz12 * x1, dL_dz12 * x2, dL_dw5, dL_dw6,
        dL_dz11, dL_dz12, dL_db2,
    ]

    # --- by the engine -----------------------------------------------------
    W = [Value(v, label=f"w{i + 1}") for i, v in enumerate(w)]
    B = [Value(b11, label="b1,1"), Value(b12, label="b1,2"), Value(b2, label="b2")]
    H1 = (x1 * W[0] + x2 * W[1] + B[0]).sigmoid()
    H2 = (x1 * W[2] + x2 * W[3] + B[1]).sigmoid()
    Y = (H1 * W[4] + H2 * W[5] + B[2]).sigmoid()
    L = 0.5 * (Y - target) ** 2
    L.backward()

    assert L.data == pytest.approx(loss, rel=1e-12)
    assert [p.grad for p in W + B] == pytest.approx(by_hand, rel=1e-12)
    # the textbook figure for this example: dL/dw5 ≈ 0.0822
    assert W[4].grad == pytest.approx(0.08216704, abs=1e-7)
