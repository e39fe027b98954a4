"""Export a Neuron, Layer or MLP as a standard ONNX graph in float64: `export(model, path)`.

Each layer becomes one Gemm node (x @ W^T + b, with W stored [nout, nin] as in
torch.nn.Linear) followed by its activation's ops. The `onnx` package is imported
only when `export` runs, so `import nn` never needs it.

Output shape: a Neuron, or an MLP whose last layer has one output, gives one number
per sample (shape [batch]), as calling the module gives one Value; a Layer or a wider
MLP gives [batch, nout]. The exported graph computes and does not check: where the
engine raises (log or sqrt of a negative number) onnxruntime returns NaN.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

from autograd import Value

from .io import write_atomically
from .layers import MLP, Layer, Neuron

OPSET = 17  # ONNX operator set the graph is written against (onnxruntime >= 1.13 runs it)
IR_VERSION = 8  # the file format version that goes with opset 17, so older runtimes load it
INPUT_NAME = "input"
OUTPUT_NAME = "output"
BATCH = "batch"  # the name of the dynamic first dimension

INSTALL_HINT = "pip install 'graphgrad[onnx]'"


class _Graph:
    """Collects nodes and initializers of one ONNX graph, naming every tensor it makes."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.DOUBLE = onnx.TensorProto.DOUBLE
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._consts: dict[float, str] = {}

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        """Append an `op_type` node reading `inputs`; returns the name of its output."""
        out = f"{op_type.lower()}_{len(self.nodes)}"
        node = self.onnx.helper.make_node(op_type, list(inputs), [out], name=out, **attrs)
        self.nodes.append(node)
        return out

    def tensor(self, name: str, array: Any) -> str:
        """Store `array` (numpy) as an initializer called `name`; returns `name`."""
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def const(self, value: float) -> str:
        """A float64 scalar initializer (one per distinct value)."""
        import numpy as np

        if value not in self._consts:
            self._consts[value] = self.tensor(f"const_{len(self._consts)}", np.array(value))
        return self._consts[value]


# ---------------------------------------------------------------------------
# Activations. onnxruntime has no float64 Softplus or Softsign, its float64 Sigmoid
# loses the relative precision of small outputs (sigmoid(-40) comes out 0, not
# 4.2e-18), and LeakyRelu's slope is a float32 attribute (0.01 would become
# 0.0099999998): those are composed from float64 ops, written as the engine computes.
# ---------------------------------------------------------------------------


def _sigmoid(g: _Graph, x: str) -> str:
    # with z = e^-|x| <= 1: 1 / (1 + z) for x >= 0, z / (1 + z) for x < 0; exp never overflows
    z = g.op("Exp", g.op("Neg", g.op("Abs", x)))
    one_plus_z = g.op("Add", g.const(1.0), z)
    negative = g.op("Less", x, g.const(0.0))
    below = g.op("Div", z, one_plus_z)
    above = g.op("Div", g.const(1.0), one_plus_z)
    return g.op("Where", negative, below, above)


def _log1p(g: _Graph, z: str) -> str:
    # log(1 + z) accurate for small z: with u = fl(1 + z), log(u) * z / (u - 1)
    # cancels the rounding of u (Goldberg 1991, Theorem 4); for u == 1, log1p(z) = z.
    u = g.op("Add", g.const(1.0), z)
    u_minus_1 = g.op("Sub", u, g.const(1.0))
    ratio = g.op("Div", g.op("Mul", g.op("Log", u), z), u_minus_1)
    return g.op("Where", g.op("Equal", u, g.const(1.0)), z, ratio)


def _softplus(g: _Graph, x: str) -> str:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exp never overflows
    return g.op("Add", g.op("Relu", x), _log1p(g, g.op("Exp", g.op("Neg", g.op("Abs", x)))))


def _softsign(g: _Graph, x: str) -> str:
    return g.op("Div", x, g.op("Add", g.const(1.0), g.op("Abs", x)))


def _leaky_relu(slope: float) -> Callable[[_Graph, str], str]:
    def build(g: _Graph, x: str) -> str:
        # x if x > 0 else slope * x, with the slope in float64
        positive = g.op("Greater", x, g.const(0.0))
        return g.op("Where", positive, x, g.op("Mul", x, g.const(slope)))

    return build


def _step(g: _Graph, x: str) -> str:
    # 1 if x > 0 else 0
    return g.op("Cast", g.op("Greater", x, g.const(0.0)), to=g.DOUBLE)


def _single(op_type: str) -> Callable[[_Graph, str], str]:
    return lambda g, x: g.op(op_type, x)


#: Activation name -> how to write it in ONNX (leaky_relu is built per slope).
ACTIVATION_OPS: dict[str, Callable[[_Graph, str], str]] = {
    "linear": lambda g, x: x,
    "tanh": _single("Tanh"),
    "sigmoid": _sigmoid,
    "relu": _single("Relu"),
    "softplus": _softplus,
    "silu": lambda g, x: g.op("Mul", x, _sigmoid(g, x)),  # x * sigmoid(x)
    "softsign": _softsign,
    "exp": _single("Exp"),
    "log": _single("Log"),
    "sqrt": _single("Sqrt"),
    "abs": _single("Abs"),
    "sin": _single("Sin"),
    "cos": _single("Cos"),
    "step": _step,
}
EXPORTABLE_ACTIVATIONS = (*ACTIVATION_OPS, "leaky_relu")


def _leaky_slope(neuron: Neuron) -> float:
    """The neuron's leaky_relu slope: its own, else Value.leaky_relu's default."""
    slope = getattr(neuron, "negative_slope", None)
    if slope is None:
        slope = inspect.signature(Value.leaky_relu).parameters["negative_slope"].default
    return float(slope)


def _activation_builder(neuron: Neuron, where: str) -> Callable[[_Graph, str], str]:
    """How to write `neuron`'s activation, or ValueError naming an inexpressible one."""
    act = neuron.activation
    if act == "leaky_relu":
        return _leaky_relu(_leaky_slope(neuron))
    if isinstance(act, str) and act in ACTIVATION_OPS:
        return ACTIVATION_OPS[act]
    name = act if isinstance(act, str) else getattr(act, "__name__", repr(act))
    raise ValueError(
        f"nn.onnx.export: {where} has activation {name!r}, which has no ONNX equivalent; "
        f"exportable activations: {', '.join(EXPORTABLE_ACTIVATIONS)}"
    )


# ---------------------------------------------------------------------------
# From modules to dense layers
# ---------------------------------------------------------------------------


@dataclass
class _Dense:
    """One fully connected layer: act(x @ weight^T + bias)."""

    name: str
    weight: list[list[float]]  # [nout][nin]
    bias: list[float]  # [nout]
    activation: Callable[[_Graph, str], str]


def _dense(name: str, neurons: Sequence[Neuron]) -> _Dense:
    """The neurons of one layer as a weight matrix, bias vector and a shared activation."""
    builders = [_activation_builder(n, f"{name}.neurons.{i}") for i, n in enumerate(neurons)]
    first = neurons[0]
    for i, n in enumerate(neurons):
        if (n.activation, _slope_or_none(n)) != (first.activation, _slope_or_none(first)):
            raise ValueError(
                f"nn.onnx.export: {name} mixes activations ({first.activation!r} and "
                f"{n.activation!r} at neuron {i}); one ONNX layer needs one activation"
            )
    return _Dense(
        name=name,
        weight=[[w.data for w in n.w] for n in neurons],
        bias=[n.b.data for n in neurons],
        activation=builders[0],
    )


def _slope_or_none(neuron: Neuron) -> float | None:
    return _leaky_slope(neuron) if neuron.activation == "leaky_relu" else None


def _layers_of(model: Any) -> tuple[list[_Dense], bool]:
    """The model's dense layers, and whether its output is one number per sample."""
    if isinstance(model, MLP):
        dense = [_dense(f"layers.{i}", layer.neurons) for i, layer in enumerate(model.layers)]
        return dense, model.nouts[-1] == 1
    if isinstance(model, Layer):
        return [_dense("layer", model.neurons)], False
    if isinstance(model, Neuron):
        return [_dense("neuron", [model])], True
    raise TypeError(
        f"nn.onnx.export: expected an nn.MLP, nn.Layer or nn.Neuron, got {type(model).__name__}"
    )


# ---------------------------------------------------------------------------
# Building and writing the model
# ---------------------------------------------------------------------------


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(f"nn.onnx.export needs the onnx package: {INSTALL_HINT}") from exc
    return onnx


def build(model: MLP | Layer | Neuron) -> Any:
    """The model as an `onnx.ModelProto` (checked with onnx.checker); `export` writes it."""
    import numpy as np

    layers, one_per_sample = _layers_of(model)  # raises before onnx is needed
    onnx = _import_onnx()
    g = _Graph(onnx)
    x = INPUT_NAME
    for layer in layers:
        w = g.tensor(f"{layer.name}.weight", np.array(layer.weight, dtype=np.float64))
        b = g.tensor(f"{layer.name}.bias", np.array(layer.bias, dtype=np.float64))
        x = layer.activation(g, g.op("Gemm", x, w, b, transB=1))  # x @ W^T + b
    nout = len(layers[-1].bias)
    if one_per_sample:  # [batch, 1] -> [batch]: one number per sample, like the module
        x = g.op("Squeeze", x, g.tensor("squeeze_axes", np.array([1], dtype=np.int64)))
    # name the last tensor OUTPUT_NAME (Identity also covers "linear", where x is still a Gemm)
    g.nodes.append(onnx.helper.make_node("Identity", [x], [OUTPUT_NAME], name=OUTPUT_NAME))
    nin = len(layers[0].weight[0])
    helper = onnx.helper
    graph = helper.make_graph(
        g.nodes,
        f"graphgrad_{type(model).__name__}",
        [helper.make_tensor_value_info(INPUT_NAME, g.DOUBLE, [BATCH, nin])],
        [helper.make_tensor_value_info(
            OUTPUT_NAME, g.DOUBLE, [BATCH] if one_per_sample else [BATCH, nout]
        )],
        initializer=g.initializers,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="graphgrad",
        doc_string=repr(model),
    )
    proto.ir_version = IR_VERSION
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: MLP | Layer | Neuron, path: str | PathLike[str]) -> None:
    """Write `model` to `path` as an ONNX file (float64, dynamic batch), atomically.

    The graph reads `input` of shape [batch, nin] and writes `output`, of shape [batch]
    for a Neuron or an MLP ending in one output, else [batch, nout].
    """
    target = os.fspath(path)
    write_atomically(target, build(model).SerializeToString())


