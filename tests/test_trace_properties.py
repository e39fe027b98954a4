"""Random graphs over every primitive of the table (user rows included), traced and replayed
on random batches: each sample's output and the reduced gradients equal the scalar engine's."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_trace import assert_close, scalar_reference, traced_gradients

from autograd import PRIMITIVES, Value, add_n, dot, gmath, logsumexp, primitive, trace

N_INPUTS, N_PARAMS = 3, 3

twice = primitive("property_twice_sin", lambda x: 2.0 * gmath.sin(x),
                  lambda g, out, x: (2.0 * g * gmath.cos(x),))
blend = primitive("property_blend", lambda x, y: x * gmath.sigmoid(y),
                  lambda g, out, x, y: (g * gmath.sigmoid(y), g * x * gmath.sigmoid(y) * (1.0 - gmath.sigmoid(y))))
avg4 = primitive("property_avg4", lambda a, b, c, d: (a + b + c + d) * 0.25,
                 lambda g, out, a, b, c, d: (0.25 * g,) * 4)


def _pos(v):
    """Into (1, 3): where log, sqrt, a base of pow and a denominator are safe."""
    return v.tanh() + 2.0


# Each primitive as a function of bounded operands (tanh of earlier nodes), kept in its domain.
# name: (number of operands, how to apply it, whether it takes a constant)
APPLY = {
    "add": (2, lambda a, b, c: a + b),
    "sub": (2, lambda a, b, c: a - b),
    "mul": (2, lambda a, b, c: a * b),
    "div": (2, lambda a, b, c: a / _pos(b)),
    "pow": (2, lambda a, b, c: _pos(a) ** b),
    "add_const": (1, lambda a, c: a + c),
    "mul_const": (1, lambda a, c: a * c),
    "div_const": (1, lambda a, c: a / (c + 3.5)),
    "rdiv_const": (1, lambda a, c: c / _pos(a)),
    "pow_const": (1, lambda a, c: _pos(a) ** c),
    "rpow_const": (1, lambda a, c: (c + 3.5) ** a),
    "exp": (1, lambda a, c: a.exp()),
    "log": (1, lambda a, c: _pos(a).log()),
    "sqrt": (1, lambda a, c: _pos(a).sqrt()),
    "abs": (1, lambda a, c: abs(a)),
    "sin": (1, lambda a, c: a.sin()),
    "cos": (1, lambda a, c: a.cos()),
    "tanh": (1, lambda a, c: a.tanh()),
    "sigmoid": (1, lambda a, c: a.sigmoid()),
    "relu": (1, lambda a, c: a.relu()),
    "leaky_relu": (1, lambda a, c: a.leaky_relu(abs(c) / 4)),
    "softplus": (1, lambda a, c: a.softplus()),
    "silu": (1, lambda a, c: a.silu()),
    "softsign": (1, lambda a, c: a.softsign()),
    "step": (1, lambda a, c: a.step()),
    "add_n": (3, lambda a, b, d, c: add_n([a, b, d])),
    "dot": (4, lambda a, b, d, e, c: dot([a, b], [d, e])),
    "affine": (3, lambda a, b, d, c: dot([a, b], [d, a], bias=d)),
    "dot_const": (2, lambda a, b, c: dot([a, b], [c, 0.5])),
    "logsumexp": (3, lambda a, b, d, c: logsumexp([a, b, d])),
    "property_twice_sin": (1, lambda a, c: twice(a)),
    "property_blend": (2, lambda a, b, c: blend(a, b)),
    "property_avg4": (4, lambda a, b, d, e, c: avg4(a, b, d, e)),
}


def test_every_primitive_of_the_table_is_exercised():
    assert {op.name for op in PRIMITIVES} | {"property_twice_sin", "property_blend", "property_avg4"} == set(APPLY)


# A layer of the random graph: an op applied `width` times, each to operands picked from the
# nodes made so far (the same op at the same depth: the replay groups them into one step).
layer = st.tuples(
    st.sampled_from(sorted(APPLY)),
    st.integers(1, 3),
    st.lists(st.integers(0, 10**6), min_size=12, max_size=12),
    st.floats(-2.0, 2.0),
)


def build(layers):
    """The random per-sample function of (x, a vector of N_INPUTS) and its parameters."""
    params = [Value(0.3 * i - 0.2, label=f"w{i}") for i in range(N_PARAMS)]

    def f(x):
        pool = [*x, *params, Value(0.7)]
        made = []
        for name, width, picks, c in layers:
            arity, apply = APPLY[name]
            for j in range(width):
                operands = [pool[picks[(j * arity + i) % len(picks)] % len(pool)].tanh()
                            for i in range(arity)]
                made.append(apply(*operands, c))
            pool += made[-width:]
        return add_n([m.tanh() for m in made]) if len(made) > 1 else made[0] * 1.0

    return f, params


@given(st.lists(layer, min_size=1, max_size=6), st.sampled_from([1, 2, 3, 5, 8]), st.integers(0, 2**31))
def test_random_graphs_replay_like_the_engine(layers, batch_size, seed):
    f, params = build(layers)
    X = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(batch_size, N_INPUTS))
    program = trace(f, X[0])
    want_out, want_grads = scalar_reference(f, params, X)
    assert_close(program(X), want_out)
    out, grads = traced_gradients(program, params, X)
    assert_close(out, want_out)
    assert_close(grads, want_grads)
    _, summed = traced_gradients(program, params, X, reduce="sum")
    assert_close(summed, want_grads * batch_size)
