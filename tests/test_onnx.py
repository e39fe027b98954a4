"""nn.onnx.export: valid ONNX files that onnxruntime runs to the engine's numbers."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import nn  # noqa: E402
from autograd import Value  # noqa: E402
from nn import MLP, Layer, Module, Neuron  # noqa: E402
from nn import onnx as nn_onnx  # noqa: E402
from nn.layers import activations  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# nn's built-in activations: "linear" and the unary Value methods (user primitives,
# which other tests may register, are not methods)
BUILTIN = [n for n in activations() if n == "linear" or callable(getattr(Value, n, None))]
# The combined tolerance |got - want| <= TOL + TOL * |want|: the weighted sums are
# added in a different order by Gemm, so near-zero outputs agree absolutely, not relatively.
TOL = 1e-12

MODULES = {
    "MLP": lambda act: MLP(3, [5, 4, 2], activation=act, output_activation=act, seed=1),
    "MLP-1-output": lambda act: MLP(3, [4, 1], activation=act, output_activation=act, seed=2),
    "Layer": lambda act: Layer(3, 4, activation=act, seed=3),
    "Neuron": lambda act: Neuron(3, activation=act, seed=4),
}


def _session(path: Path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _engine(module: Module, X) -> np.ndarray:
    """The module's outputs on each row of X, as an array."""
    outs = []
    for x in X:
        out = module(x.tolist())
        outs.append(out.data if isinstance(out, Value) else [v.data for v in out])
    return np.array(outs)


def _keep_in_domain(module: Module) -> None:
    """Weights >= 0 and biases 1, so that on inputs >= 0 every pre-activation is >= 1
    (log and sqrt are then defined, and give >= 0 to the next layer)."""
    for name, p in module.named_parameters():
        p.data = 1.0 if name.endswith("b") else abs(p.data)


def _run_exported(module: Module, path: Path, X):
    nn.onnx.export(module, path)
    return _session(path).run(["output"], {"input": X})[0]


# ---------------------------------------------------------------------------
# Every activation, every module type
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MODULES)
@pytest.mark.parametrize("activation", BUILTIN)
def test_export_runs_to_the_engines_outputs(activation, kind, tmp_path):
    module = MODULES[kind](activation)
    # exp of exp of exp ... overflows quickly: smaller inputs for it
    X = np.random.default_rng(7).normal(scale=0.5 if activation == "exp" else 2.0, size=(64, 3))
    if activation in ("log", "sqrt"):
        _keep_in_domain(module)
        X = np.abs(X)
    got = _run_exported(module, tmp_path / "m.onnx", X)
    np.testing.assert_allclose(got, _engine(module, X), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("activation", ["log", "sqrt"])
def test_where_the_engine_raises_the_graph_gives_nan(activation, tmp_path):
    neuron = Neuron(1, activation=activation, seed=0)
    neuron.w[0].data, neuron.b.data = 1.0, 0.0
    with pytest.raises(ValueError, match=activation):
        neuron([-2.0])
    got = _run_exported(neuron, tmp_path / "m.onnx", np.array([[-2.0], [4.0]]))
    assert math.isnan(got[0]) and got[1] == getattr(Value(4.0), activation)().data


def test_the_exportable_activations_are_nns_built_in_ones():
    assert sorted(BUILTIN) == sorted(nn_onnx.EXPORTABLE_ACTIVATIONS)


_POINTS = [-800.0, -40.0, -9.5, -1.0, -1e-20, 0.0, 1e-20, 0.3, 1.0, 2.5, 40.0, 700.0]
_DOMAINS = {  # where each op is defined and finite in the engine
    "log": lambda x: x > 0,
    "sqrt": lambda x: x >= 0,
    "exp": lambda x: x < 700,
}


def _activation_graph(name: str, slope: float | None = None):
    """A graph `output = activation(input)` on a 1-d float64 input."""
    g = nn_onnx._Graph(onnx)
    neuron = Neuron(1, activation="linear", seed=0)
    neuron.activation = name
    if slope is not None:
        neuron.negative_slope = slope
    out = nn_onnx._activation_builder(neuron, "test")(g, "input")
    g.nodes.append(onnx.helper.make_node("Identity", [out], ["output"]))
    vi = onnx.helper.make_tensor_value_info
    graph = onnx.helper.make_graph(
        g.nodes, "act", [vi("input", g.DOUBLE, ["n"])], [vi("output", g.DOUBLE, ["n"])],
        initializer=g.initializers,
    )
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", nn_onnx.OPSET)]
    )
    model.ir_version = nn_onnx.IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", nn_onnx.EXPORTABLE_ACTIVATIONS)
def test_each_activation_op_matches_the_value_method(name):
    # every exportable name, also those nn does not offer as an activation yet
    xs = [x for x in _POINTS if _DOMAINS.get(name, lambda x: True)(x)]
    got = _activation_graph(name).run(None, {"input": np.array(xs)})[0]
    if name == "linear":
        want = xs
    elif name == "abs":  # abs is the builtin abs(v), not a method
        want = [abs(Value(x)).data for x in xs]
    else:
        want = [getattr(Value(x), name)().data for x in xs]
    np.testing.assert_allclose(got, want, rtol=TOL, atol=0.0)


def test_softplus_keeps_tiny_outputs_accurate():
    # log(1 + e^x) for x = -30 is about 9.4e-14: a plain Log(1 + Exp(x)) gives 9.3e-14
    got = _activation_graph("softplus").run(None, {"input": np.array([-30.0, -36.0])})[0]
    np.testing.assert_allclose(got, [math.log1p(math.exp(-30.0)), math.log1p(math.exp(-36.0))],
                               rtol=1e-15)


def test_leaky_relu_uses_the_neurons_slope_in_float64():
    xs = np.array([-3.0, -0.1, 0.0, 2.0])
    got = _activation_graph("leaky_relu", slope=0.01).run(None, {"input": xs})[0]
    assert got.tolist() == [-3.0 * 0.01, -0.1 * 0.01, 0.0, 2.0]  # not a float32 slope
    got = _activation_graph("leaky_relu", slope=0.25).run(None, {"input": xs})[0]
    assert got.tolist() == [-0.75, -0.025, 0.0, 2.0]


def test_step_is_one_only_above_zero():
    got = _activation_graph("step").run(None, {"input": np.array([-1.0, 0.0, 1e-300, 5.0])})[0]
    assert got.tolist() == [0.0, 0.0, 1.0, 1.0]


# ---------------------------------------------------------------------------
# The file: a checked ONNX graph with named, shaped input and output
# ---------------------------------------------------------------------------


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_exported_file_passes_the_checker_and_declares_its_interface(tmp_path):
    model = MLP(3, [4, 2], activation="tanh", seed=0)
    nn.onnx.export(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", nn_onnx.OPSET)]
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, _dims(inp)) == ("input", ["batch", 3])
    assert (out.name, _dims(out)) == ("output", ["batch", 2])
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert [n.op_type for n in proto.graph.node if n.op_type == "Gemm"] == ["Gemm", "Gemm"]
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    assert weights["layers.0.weight"].dtype == np.float64
    assert weights["layers.0.weight"].tolist() == [
        [w.data for w in n.w] for n in model.layers[0].neurons
    ]
    assert weights["layers.1.bias"].tolist() == [n.b.data for n in model.layers[1].neurons]


@pytest.mark.parametrize(
    "module, shape",
    [
        (MLP(2, [3, 1], seed=0), ["batch"]),
        (MLP(2, [3, 2], seed=0), ["batch", 2]),
        (Layer(2, 1, seed=0), ["batch", 1]),
        (Neuron(2, seed=0), ["batch"]),
    ],
    ids=["MLP-1", "MLP-2", "Layer-1", "Neuron"],
)
def test_output_has_one_number_per_sample_where_the_module_returns_one_value(
    module, shape, tmp_path
):
    got = _run_exported(module, tmp_path / "m.onnx", np.zeros((5, 2)))
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert _dims(proto.graph.output[0]) == shape
    assert list(got.shape) == [5 if d == "batch" else d for d in shape]


def test_batch_size_is_dynamic(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    nn.onnx.export(model, tmp_path / "m.onnx")
    session = _session(tmp_path / "m.onnx")
    for batch in (1, 7):
        X = np.full((batch, 2), 0.5)
        assert session.run(None, {"input": X})[0].tolist() == pytest.approx(
            [model([0.5, 0.5]).data] * batch, rel=TOL
        )


# ---------------------------------------------------------------------------
# Errors, atomic writes, the lazy import
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, "MLP", [Neuron(2, seed=0)], Module()])
def test_export_refuses_what_is_not_a_neuron_layer_or_mlp(bad, tmp_path):
    with pytest.raises(TypeError, match="export: expected an nn.MLP, nn.Layer or nn.Neuron, got"):
        nn.onnx.export(bad, tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_unknown_activation_is_named_and_nothing_is_written(tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old model")
    model = MLP(2, [3, 1], activation="relu", seed=0)
    model.layers[0].neurons[2].activation = "my_swish"  # as a user-defined primitive would be
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.2 has activation 'my_swish'"):
        nn.onnx.export(model, target)
    assert target.read_bytes() == b"old model"
    assert os.listdir(tmp_path) == ["m.onnx"]


def test_a_user_primitive_activation_is_named(tmp_path):
    # in a subprocess: a primitive stays in the table for the rest of the process
    code = (
        "import nn, nn.onnx\n"
        "from autograd import primitive\n"
        "primitive('cube', lambda x: x ** 3, lambda g, out, x: (g * 3 * x * x,))\n"
        "model = nn.MLP(2, [3, 1], activation='cube', seed=0)\n"
        "assert model([1.0, 2.0]).data == model([1.0, 2.0]).data  # nn runs it\n"
        "try:\n"
        "    nn.onnx.export(model, 'm.onnx')\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "nn.onnx.export: layers.0.neurons.0 has activation 'cube', which has no ONNX equivalent"
    )
    assert os.listdir(tmp_path) == []


def test_a_callable_activation_is_named_by_its_function_name(tmp_path):
    def cube(v):
        return v * v * v

    neuron = Neuron(2, seed=0)
    neuron.activation = cube
    with pytest.raises(ValueError, match="activation 'cube', which has no ONNX equivalent"):
        nn.onnx.export(neuron, tmp_path / "m.onnx")


def test_a_layer_mixing_activations_is_refused(tmp_path):
    layer = Layer(2, 2, activation="relu", seed=0)
    layer.neurons[1].activation = "tanh"
    with pytest.raises(ValueError, match="layer mixes activations"):
        nn.onnx.export(layer, tmp_path / "m.onnx")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old model")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # fails after the bytes went to the temp file
    with pytest.raises(OSError, match="No space left"):
        nn.onnx.export(Neuron(2, seed=0), target)
    assert target.read_bytes() == b"old model"
    assert os.listdir(tmp_path) == ["m.onnx"]


def test_export_replaces_an_existing_file(tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old model")
    nn.onnx.export(Neuron(2, seed=0), str(target))
    onnx.checker.check_model(onnx.load(str(target)))
    assert os.listdir(tmp_path) == ["m.onnx"]


def test_export_without_onnx_says_which_extra_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match=r"pip install 'graphgrad\[onnx\]'"):
        nn.onnx.export(Neuron(2, seed=0), tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_import_nn_does_not_import_onnx_or_numpy():
    code = (
        "import sys, nn\n"
        "assert callable(nn.onnx.export)\n"
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_readme_onnx_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Exporting to ONNX", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    setup = (
        "from nn import MLP\n"
        "X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]\n"
        "model = MLP(3, [4, 4, 1], seed=0)\n"
    )
    check = (
        "\nassert scores.shape == (4,)\n"
        "for s, x in zip(scores, X):\n"
        "    assert abs(s - model(x).data) <= 1e-12, (s, model(x).data)\n"
    )
    result = subprocess.run(
        [sys.executable, "-"], input=setup + code + check, cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "model.onnx").exists()
