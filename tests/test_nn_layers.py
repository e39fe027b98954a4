"""Neuron, Layer, MLP: outputs, return types, sizes, fused graphs, initialisation, errors."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import PRIMITIVES, Kind, Value, gradcheck, primitives, topological_order
from nn import MLP, Layer, Neuron
from nn.layers import activations

# The activations as closed forms, to check each neuron against.
CLOSED_FORMS = {
    "linear": lambda z: z,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "softplus": lambda z: math.log(1 + math.exp(z)),
    "silu": lambda z: z / (1 + math.exp(-z)),
    "softsign": lambda z: z / (1 + abs(z)),
    "step": lambda z: 1.0 if z > 0 else 0.0,
    "sin": math.sin,
    "cos": math.cos,
    "exp": math.exp,
    "abs": abs,
}


def test_activation_names_are_the_unary_value_methods_plus_linear():
    names = set(activations())
    assert names >= set(CLOSED_FORMS)
    expected = {op.name for op in PRIMITIVES if op.single_parent and hasattr(Value, op.name)}
    assert names == expected | {"linear"} | {
        op.name for op in primitives() if op not in PRIMITIVES and op.kind == Kind.UNARY
    }
    assert {"sin", "cos", "exp", "abs", "log", "sqrt"} <= names


@pytest.mark.parametrize("activation", sorted(CLOSED_FORMS))
def test_neuron_computes_activation_of_weighted_sum(activation):
    n = Neuron(3, activation, seed=7)
    n.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = sum(w.data * xi for w, xi in zip(n.w, x)) + 0.25
    out = n(x)
    assert type(out) is Value
    assert out.data == pytest.approx(CLOSED_FORMS[activation](z), rel=1e-12)
    # the same with Value inputs
    assert n([Value(v) for v in x]).data == pytest.approx(out.data, rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_neuron_weighted_sum_and_bias_are_one_fused_node(activation):
    nin = 5
    n = Neuron(nin, activation, seed=0)
    x = [Value(float(i)) for i in range(nin)]
    out = n(x)
    nodes = topological_order(out)
    # leaves: nin weights, nin inputs, the bias; then w · x + b, and the activation
    assert len(nodes) == 2 * nin + 1 + 1 + (activation != "linear")
    z = out if activation == "linear" else out.parents[0]
    assert set(z.parents) == {*n.w, *x, n.b}
    # plain-number inputs are folded into the node as constants
    folded = n([1.0] * nin)
    assert len(topological_order(folded)) == nin + 1 + 1 + (activation != "linear")


def test_neuron_gradients_match_finite_differences():
    n = Neuron(3, "tanh", seed=3)
    ws = [w.data for w in n.w] + [n.b.data]
    x = [0.3, -0.8, 1.1]

    def f(w0, w1, w2, b):
        n.w, n.b = [w0, w1, w2], b
        return n(x)

    assert gradcheck(f, ws)


def test_mlp_gradients_wrt_inputs_match_finite_differences():
    m = MLP(3, [5, 4, 1], activation="tanh", seed=2)
    assert gradcheck(lambda a, b, c: m([a, b, c]), [0.2, -0.4, 0.9])


def test_layer_always_returns_a_list():
    out = Layer(3, 1, seed=0)([1.0, 2.0, 3.0])
    assert type(out) is list and len(out) == 1 and type(out[0]) is Value
    outs = Layer(3, 4, seed=0)([1.0, 2.0, 3.0])
    assert len(outs) == 4 and all(type(o) is Value for o in outs)


def test_mlp_returns_a_value_only_when_the_last_layer_has_one_output():
    assert type(MLP(2, [4, 1], seed=0)([1.0, 2.0])) is Value
    assert type(MLP(2, [16, 1, 1], seed=0)([1.0, 2.0])) is Value  # micrograd's bug
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert type(out) is list and len(out) == 3
    out = MLP(2, [1, 3], seed=0)([1.0, 2.0])  # a one-wide hidden layer stays a list inside
    assert type(out) is list and len(out) == 3


def test_mlp_accepts_numbers_values_and_numpy_arrays():
    m = MLP(2, [4, 1], seed=0)
    a = m([0.5, -1.0]).data
    assert m([Value(0.5), Value(-1.0)]).data == a
    assert m(np.array([0.5, -1.0])).data == a
    assert m((0.5, -1)).data == a


def test_parameter_counts():
    assert len(Neuron(3).parameters()) == 4
    assert len(Layer(3, 4).parameters()) == 16
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337


@given(nin=st.integers(1, 6), nouts=st.lists(st.integers(1, 6), min_size=1, max_size=4))
def test_mlp_parameter_count_matches_formula(nin, nouts):
    sizes = [nin, *nouts]
    expected = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    assert len(MLP(nin, nouts, seed=0).parameters()) == expected


@pytest.mark.parametrize(
    "module, x",
    [
        (Neuron(2), [1.0]),
        (Neuron(2), [1.0, 2.0, 3.0]),
        (Layer(3, 2), [1.0, 2.0]),
        (MLP(2, [3, 1]), [1.0, 2.0, 3.0]),
        (MLP(2, [3, 1]), []),
    ],
)
def test_wrong_number_of_inputs_raises_instead_of_truncating(module, x):
    with pytest.raises(ValueError, match=f"expected {module.nin} inputs, got {len(x)}"):
        module(x)


def test_non_sequence_input_raises_type_error():
    with pytest.raises(TypeError, match="sequence of 1"):
        Neuron(1)(Value(2.0))
    with pytest.raises(TypeError, match="sequence of 2"):
        MLP(2, [1])(x for x in [1.0, 2.0])


@pytest.mark.parametrize("make", [
    lambda a: Neuron(2, a), lambda a: Layer(2, 2, a), lambda a: MLP(2, [2], a),
    lambda a: MLP(2, [2], "tanh", output_activation=a),
])
def test_unknown_activation_lists_the_valid_names(make):
    with pytest.raises(ValueError, match=r"\(\w*activation\): unknown activation 'swish'") as info:
        make("swish")
    for name in activations():
        assert name in str(info.value)


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(0), r"Neuron\(nin\): expected a positive int, got 0"),
    (lambda: Layer(2, 0), r"Layer\(nout\): expected a positive int, got 0"),
    (lambda: MLP(0, [1]), r"MLP\(nin\)"),
    (lambda: MLP(2, [3, -1]), r"MLP\(nouts\): expected a positive int, got -1"),
    (lambda: MLP(2, []), r"MLP\(nouts\): expected at least one layer size"),
])
def test_bad_sizes_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(True), r"Neuron\(nin\): expected a positive int, got bool True"),
    (lambda: Layer(2.0, 2), r"Layer\(nin\): expected a positive int, got float 2.0"),
    (lambda: Layer(2, "3"), r"Layer\(nout\): .* got str '3'"),
    (lambda: MLP(2, 3), r"MLP\(nouts\): expected a list of layer sizes, got int 3"),
    (lambda: MLP(2, "34"), r"MLP\(nouts\): expected a list of layer sizes, got str"),
    (lambda: MLP(2, [3, 1.0]), r"MLP\(nouts\): expected a positive int, got float 1.0"),
    (lambda: MLP(None, [1]), r"MLP\(nin\): .* got NoneType"),
])
def test_sizes_of_the_wrong_type_raise_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_seed_makes_weights_reproducible():
    assert MLP(2, [8, 1], seed=5).state_dict() == MLP(2, [8, 1], seed=5).state_dict()
    assert MLP(2, [8, 1], seed=5).state_dict() != MLP(2, [8, 1], seed=6).state_dict()
    layer = Layer(2, 8, seed=0)  # neurons share one generator: all different
    assert len({n.w[0].data for n in layer.neurons}) == 8


def test_biases_start_at_zero():
    assert all(n.b.data == 0.0 for layer in MLP(2, [8, 8, 1]).layers for n in layer.neurons)


@pytest.mark.parametrize("activation, gain", [
    ("tanh", 1.0), ("sigmoid", 1.0), ("linear", 1.0), ("relu", 2.0), ("leaky_relu", 2.0),
])
def test_initialisation_is_scaled_to_the_activation(activation, gain):
    nin = 50
    layer = Layer(nin, 200, activation, seed=0)
    ws = [w.data for n in layer.neurons for w in n.w]
    bound = math.sqrt(3 * gain / nin)  # uniform(-a, a) with variance gain / nin
    assert max(abs(w) for w in ws) <= bound
    assert statistics.pvariance(ws) == pytest.approx(gain / nin, rel=0.05)


def test_a_unary_user_primitive_is_an_activation():
    from autograd import gmath, primitive

    cube = primitive("cube_activation", lambda x: x * x * x, lambda g, out, x: (g * 3.0 * x * x,))
    n = Neuron(2, "cube_activation", seed=1)
    x = [0.5, -0.25]
    z = n.w[0].data * 0.5 + n.w[1].data * -0.25
    out = n(x)
    assert out.op == "cube_activation" and out.data == pytest.approx(z**3, rel=1e-12)
    assert "cube_activation" in activations() and cube(Value(2.0)).data == 8.0
    assert gmath.exp(0.0) == 1.0


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(2, activation=None), r"Neuron\(activation\): expected a name \(str\)"),
    (lambda: Layer(2, 2, activation=Value.tanh), r"Layer\(activation\): expected a name"),
    (lambda: MLP(2, [1], output_activation=1), r"MLP\(output_activation\): .* got int 1"),
])
def test_activation_of_the_wrong_type_is_a_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make()


@pytest.mark.parametrize("x", [["a", 1.0], [None, 1.0], [[1.0], 2.0]])
def test_inputs_that_are_not_numbers_raise_type_error(x):
    with pytest.raises(TypeError, match="expected an int or float"):
        Layer(2, 2, seed=0)(x)
