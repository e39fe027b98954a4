"""Saving and loading: JSON round trips, every malformed file refused, atomic writes."""

from __future__ import annotations

import inspect
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.io
from autograd import Value, primitive
from nn import MLP, Layer, Module, Neuron
from nn.layers import activations
from nn.module import module_class


def _saved(tmp_path, module, name="model.json"):
    path = tmp_path / name
    module.save(path)
    return path


@pytest.mark.parametrize("module", [
    MLP(2, [16, 16, 1], activation="relu", seed=0),
    MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=1),
    Layer(3, 2, activation="leaky_relu", seed=2),
    Neuron(4, activation="softsign", seed=3),
])
def test_save_load_round_trip_gives_identical_outputs(tmp_path, module):
    for p in module.parameters():  # non-trivial biases too
        p.data += 0.123456789012345
    loaded = nn.load(_saved(tmp_path, module))
    assert type(loaded) is type(module)
    assert repr(loaded) == repr(module)
    assert loaded.state_dict() == module.state_dict()  # floats survive JSON exactly
    x = [0.3, -1.7, 2.5, 0.1][: module.nin]
    assert _data(loaded(x)) == _data(module(x))


def _data(out):
    return [v.data for v in out] if isinstance(out, list) else out.data


def test_saved_file_is_readable_json_with_a_format_version(tmp_path):
    path = _saved(tmp_path, MLP(2, [3, 1], activation="relu", seed=0))
    doc = json.loads(path.read_text())
    assert doc["format"] == "graphgrad.nn" and doc["version"] == 1
    assert doc["module"] == "MLP"
    assert doc["config"] == {"nin": 2, "nouts": [3, 1], "activation": "relu",
                             "output_activation": "linear"}
    assert len(doc["parameters"]) == 13
    assert "layers.1.neurons.0.w.2" in doc["parameters"]


@given(nin=st.integers(1, 4), nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_parameter_count_from_config_agrees_with_building(nin, nouts):
    # The count lets load refuse a huge file before building; it must be the built count.
    for module in (MLP(nin, nouts), Layer(nin, nouts[0]), Neuron(nin)):
        config = module.config()
        assert type(module).parameter_count(config) == len(module.parameters())
        rebuilt = type(module).from_config(config)
        assert rebuilt.config() == config and repr(rebuilt) == repr(module)
        assert [n for n, _ in rebuilt.named_parameters()] == [
            n for n, _ in module.named_parameters()]


# ---------------------------------------------------------------------------
# Malformed files: each raises ValueError naming the problem
# ---------------------------------------------------------------------------

W = "layers.0.neurons.1.w.0"


def _edit_document(doc, how):
    how(doc)
    return json.dumps(doc)


MALFORMED = {
    "truncated": (lambda text: text[: len(text) // 2], "not valid JSON"),
    "empty": (lambda text: "", "not valid JSON"),
    "not utf-8": (lambda text: "\xff\xfe", None),  # written as latin-1 bytes below
    "not an object": (lambda text: "[1, 2, 3]", "expected a mapping, got list"),
    "wrong format": (
        lambda text: text.replace('"graphgrad.nn"', '"pytorch"'), "format"),
    "format not a string": (
        lambda text: text.replace('"graphgrad.nn"', '["graphgrad.nn"]'), "format"),
    "wrong version": (
        lambda text: text.replace('"version": 1', '"version": 2'), "unsupported format version 2"),
    "version true": (
        lambda text: text.replace('"version": 1', '"version": true'), "version"),
    "unknown module": (
        lambda text: text.replace('"module": "MLP"', '"module": "CNN"'), "unknown module 'CNN'"),
    "module not a name": (
        lambda text: text.replace('"module": "MLP"', '"module": ["MLP"]'), "module: expected a"),
    "config not an object": (
        lambda text: _edit_document(json.loads(text), lambda d: d.update(config=[2, [3, 1]])),
        "config: expected an object, got list"),
    "parameters not an object": (
        lambda text: _edit_document(json.loads(text), lambda d: d.update(parameters=[0.5])),
        "parameters: expected an object, got list"),
    "unknown activation": (
        lambda text: text.replace('"activation": "relu"', '"activation": "swish"'),
        r"config: MLP\(activation\): unknown activation 'swish'"),
    "activation not a name": (
        lambda text: text.replace('"activation": "relu"', '"activation": 3'),
        r"config: MLP\(activation\): expected a name \(str\), got int"),
    "bad size": (
        lambda text: text.replace('"nin": 2', '"nin": 0'), r"config: MLP\(nin\)"),
    "size not an int": (
        lambda text: text.replace('"nin": 2', '"nin": 2.0'), r"MLP\(nin\): .* got float 2.0"),
    "size a boolean": (
        lambda text: text.replace('"nin": 2', '"nin": true'), "got bool True"),
    "nouts not a list": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].update(nouts=3)),
        r"MLP\(nouts\): expected a list of layer sizes"),
    "nouts empty": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].update(nouts=[])),
        r"MLP\(nouts\): expected at least one layer size"),
    "optional config key missing": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].pop("activation")),
        "config: missing key 'activation'"),
    "config key the constructor does not take": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].update(width=3)),
        "config: unknown key 'width'"),
    "config key that is not saved": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].update(seed=3)),
        "config: unknown key 'seed'"),
    "missing config key": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].pop("nouts")),
        "config: missing key 'nouts'"),
    "extra top-level key": (
        lambda text: _edit_document(json.loads(text), lambda d: d.update(pickle="x")),
        "file: unknown key 'pickle'"),
    "one weight missing": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].pop(W)),
        "has 13 weights, the file has 12"),
    "one weight too many": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update(x=1.0)),
        "has 13 weights, the file has 14"),
    "weight renamed": (
        lambda text: text.replace(f'"{W}"', '"layers.0.neurons.9.w.0"'),
        f"parameters: missing weight '{W}'"),
    "architecture does not match weights": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].update(nouts=[4, 1])),
        "has 17 weights, the file has 13"),
    "string weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: "0.5"})),
        f"{W}: expected a number, got str"),
    "null weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: None})),
        "expected a number, got NoneType"),
    "boolean weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: True})),
        "expected a number, got bool"),
    "NaN weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: float("nan")})),
        f"{W}: expected a finite number"),
    "infinite weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: 1e999})),
        "finite"),
    "huge integer weight": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update({W: 10**400})),
        "finite"),
    "duplicate key": (
        lambda text: text.replace('"format": "graphgrad.nn"', '"format": "graphgrad.nn", "format": "x"'),
        "duplicate key 'format'"),
    "deeply nested": (lambda text: "[" * 100_000 + "]" * 100_000, "not valid JSON"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_file_raises_value_error_naming_the_problem(tmp_path, case):
    path = _saved(tmp_path, MLP(2, [3, 1], activation="relu", seed=0))
    corrupt, message = MALFORMED[case]
    text = corrupt(path.read_text())
    assert text != path.read_text()
    if case == "not utf-8":
        path.write_bytes(b"\xff\xfe{")
        message = "UTF-8"
    else:
        path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        nn.load(path)
    assert str(path) in str(info.value)  # the message names the file too


def test_huge_architecture_is_refused_before_building_anything(tmp_path):
    path = _saved(tmp_path, Neuron(2, seed=0))
    doc = json.loads(path.read_text())
    doc["config"]["nin"] = 10**12  # would take forever to build, or to list its names
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="has 1000000000001 weights, the file has 3"):
        nn.load(path)


def test_load_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.json")


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def test_interrupted_save_leaves_the_previous_file_readable(tmp_path, monkeypatch):
    old = MLP(2, [4, 1], activation="relu", seed=0)
    path = _saved(tmp_path, old)

    def write_half_then_fail(f, data):
        f.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(nn.io, "_write", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [4, 1], activation="relu", seed=1).save(path)
    assert nn.load(path).state_dict() == old.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]  # the temporary file is cleaned up


def test_save_replaces_an_existing_file(tmp_path):
    path = _saved(tmp_path, Neuron(2, seed=0))
    new = Layer(2, 3, seed=1)
    new.save(path)
    assert nn.load(path).state_dict() == new.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_accepts_str_paths(tmp_path):
    path = str(tmp_path / "m.json")
    Neuron(2, seed=0).save(path)
    assert isinstance(nn.load(path), Neuron)


def test_save_refuses_non_finite_weights(tmp_path):
    m = Neuron(2, seed=0)
    m.w[1].data = float("nan")
    with pytest.raises(ValueError, match="w.1: expected a finite number"):
        m.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_config_that_json_cannot_hold(tmp_path):
    class Holder(Module):
        def __init__(self, thing, whole: bool = False) -> None:
            super().__init__()
            self.thing, self.whole = thing, whole

        def config(self):  # whole: `thing` is the whole config
            return self.thing if self.whole else {"thing": self.thing}

    with pytest.raises(TypeError, match=r"Holder.config\(\) must hold JSON values only"):
        Holder(random.Random(0)).save(tmp_path / "m.json")
    with pytest.raises(ValueError, match=r"Holder.config\(\) must hold JSON values only"):
        Holder(float("nan")).save(tmp_path / "m.json")
    with pytest.raises(TypeError, match="dict with str keys"):
        Holder({1: 2}, whole=True).save(tmp_path / "m.json")
    with pytest.raises(TypeError, match="dict with str keys"):
        Holder([("thing", 1)], whole=True).save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------
# Module types io has never heard of
# ---------------------------------------------------------------------------


class Scale(Module):
    """y_i = s_i * x_i: one weight per input; a layer type defined outside nn."""

    def __init__(self, n: int, init: float = 1.0) -> None:
        super().__init__()
        self.n, self.init = n, init
        self.s = [Value(init, label=f"s{i}") for i in range(n)]

    def forward(self, x):
        return [s * xi for s, xi in zip(self.s, x)]

    def config(self):
        return {"n": self.n, "init": self.init}


class ScaledMLP(Module):
    """A Scale in front of an MLP: children whose names come from named_parameters()."""

    def __init__(self, nin: int, nouts: list[int], seed: int | None = None) -> None:
        super().__init__()
        self.scale = Scale(nin, init=0.5)
        self.mlp = MLP(nin, nouts, activation="relu", seed=seed)

    def forward(self, x):
        return self.mlp(self.scale(x))

    def config(self):
        return {"nin": self.mlp.nin, "nouts": self.mlp.nouts}


def test_a_new_module_type_saves_and_loads_without_changing_io(tmp_path):
    m = ScaledMLP(3, [4, 2], seed=0)
    for i, p in enumerate(m.parameters()):
        p.data = 0.01 * i - 0.3
    doc = json.loads(_saved(tmp_path, m).read_text())
    assert doc["module"] == "ScaledMLP" and doc["config"] == {"nin": 3, "nouts": [4, 2]}
    assert list(doc["parameters"])[:4] == ["scale.s.0", "scale.s.1", "scale.s.2",
                                           "mlp.layers.0.neurons.0.w.0"]
    loaded = nn.load(tmp_path / "model.json")
    assert type(loaded) is ScaledMLP and loaded.state_dict() == m.state_dict()
    x = [0.3, -1.2, 2.0]
    assert _data(loaded(x)) == _data(m(x))
    assert "Scale" not in inspect.getsource(nn.io)


def test_a_new_module_type_with_a_wrong_file_is_refused(tmp_path):
    path = _saved(tmp_path, Scale(3, init=2.0))
    assert nn.load(path).state_dict() == {"s.0": 2.0, "s.1": 2.0, "s.2": 2.0}
    doc = json.loads(path.read_text())
    doc["config"]["n"] = 4  # the module built from this has 4 weights, named s.0 ... s.3
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="the architecture has 4 weights, the file has 3"):
        nn.load(path)
    doc["config"]["n"] = "3"  # its constructor fails: the error is a ValueError naming it
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="config: "):
        nn.load(path)


def test_a_subclass_that_keeps_the_constructor_saves_as_itself(tmp_path):
    class WideMLP(MLP):
        pass

    m = WideMLP(2, [3, 1], seed=0)
    loaded = nn.load(_saved(tmp_path, m))
    assert type(loaded) is WideMLP and loaded.state_dict() == m.state_dict()


def test_a_subclass_with_a_new_constructor_and_no_config_cannot_be_saved(tmp_path):
    class Custom(MLP):
        def __init__(self, width: int) -> None:
            super().__init__(2, [width, 1])

    with pytest.raises(TypeError, match="cannot save a Custom: it defines no config"):
        Custom(3).save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_a_module_without_config_cannot_be_saved(tmp_path):
    class Bare(Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = Value(1.0)

    with pytest.raises(TypeError, match="cannot save a Bare: it defines no config"):
        Bare().save(tmp_path / "m.json")


def test_a_class_named_like_a_savable_one_does_not_take_its_name(tmp_path):
    path = _saved(tmp_path, nn.MLP(2, [3, 1], seed=0))

    class MLP(Module):  # a user's own MLP, savable too: same name, another class
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n

        def config(self):
            return {"n": self.n}

    assert type(nn.load(path)) is nn.MLP  # files keep loading nn's MLP
    with pytest.raises(TypeError, match=r"'MLP' is nn.layers.MLP; rename the class"):
        MLP(2).save(tmp_path / "other.json")


def test_a_class_defined_again_replaces_the_old_definition(tmp_path):
    def define():  # as a notebook cell run twice defines its class twice
        class Twice(Module):
            def __init__(self, n: int) -> None:
                super().__init__()
                self.w = [Value(0.0) for _ in range(n)]

            def config(self):
                return {"n": len(self.w)}

        return Twice

    first, second = define(), define()
    assert first is not second
    assert module_class("Twice") is second
    assert type(nn.load(_saved(tmp_path, second(2)))) is second


def test_unknown_module_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown module 'CNN'; known: .*Neuron, Layer, MLP"):
        module_class("CNN")


# ---------------------------------------------------------------------------
# Activations from the primitive table, user primitives included
# ---------------------------------------------------------------------------

USER_ACTIVATION = "nnio_cubic"  # a user primitive declared by the tests below only


def _declare_user_activation() -> None:
    if USER_ACTIVATION not in activations():
        primitive(USER_ACTIVATION, lambda x: x * x * x, lambda g, out, x: (g * 3.0 * x * x,))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sin", "step", "leaky_relu", "linear",
                                        USER_ACTIVATION])
def test_every_module_type_round_trips_its_config(tmp_path, activation):
    _declare_user_activation()
    modules = [
        Neuron(2, activation, seed=0),
        Layer(2, 3, activation, seed=1),
        MLP(2, [3, 2], activation=activation, seed=2),
        MLP(2, [3, 1], activation="tanh", output_activation=activation, seed=3),
    ]
    for module in modules:
        config = module.config()
        assert json.loads(json.dumps(config)) == config  # JSON-safe
        assert activation in config.values()
        assert type(module).from_config(config).config() == config
        loaded = nn.load(_saved(tmp_path, module))
        assert loaded.config() == config and loaded.state_dict() == module.state_dict()
        assert _data(loaded([0.4, -0.7])) == _data(module([0.4, -0.7]))


def test_a_user_activation_missing_when_loading_is_named(tmp_path):
    _declare_user_activation()
    path = _saved(tmp_path, MLP(2, [3, 1], activation=USER_ACTIVATION, seed=0))
    assert json.loads(path.read_text())["config"]["activation"] == USER_ACTIVATION
    # A fresh process that never declared the primitive.
    code = f"import nn\ntry:\n    nn.load({str(path)!r})\nexcept ValueError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert f"unknown activation {USER_ACTIVATION!r}" in out
    assert out.startswith(f"{path}: config: MLP(activation):")


# ---------------------------------------------------------------------------
# Files written before modules described their own configuration
# ---------------------------------------------------------------------------

OLD_FILES = {
    "MLP": """{"format": "graphgrad.nn", "version": 1, "module": "MLP",
 "config": {"nin": 2, "nouts": [2, 1], "activation": "relu", "output_activation": "linear"},
 "parameters": {"layers.0.neurons.0.w.0": 1.193112292156655,
  "layers.0.neurons.0.w.1": 0.8935802638573969, "layers.0.neurons.0.b": 0.0,
  "layers.0.neurons.1.w.0": -0.27514811513170834, "layers.0.neurons.1.w.1": -0.8351368746928042,
  "layers.0.neurons.1.b": 0.0, "layers.1.neurons.0.w.0": 0.027617314345144806,
  "layers.1.neurons.0.w.1": -0.2328628552040456, "layers.1.neurons.0.b": 0.0}}""",
    "Layer": """{"format": "graphgrad.nn", "version": 1, "module": "Layer",
 "config": {"nin": 1, "nout": 2, "activation": "sigmoid"},
 "parameters": {"neurons.0.w.0": -1.2665994125223445, "neurons.0.b": 0.0,
  "neurons.1.w.0": 1.2035457692776133, "neurons.1.b": 0.0}}""",
    "Neuron": """{"format": "graphgrad.nn", "version": 1, "module": "Neuron",
 "config": {"nin": 2, "activation": "softsign"},
 "parameters": {"w.0": 1.1170512713503111, "w.1": 1.0969488360882425, "b": 0.0}}""",
}


@pytest.mark.parametrize("kind", OLD_FILES)
def test_files_in_the_first_format_still_load(tmp_path, kind):
    path = tmp_path / "old.json"
    path.write_text(OLD_FILES[kind])
    doc = json.loads(OLD_FILES[kind])
    m = nn.load(path)
    assert type(m).__name__ == kind and m.config() == doc["config"]
    assert m.state_dict() == doc["parameters"]
    m.save(tmp_path / "new.json")  # and today's files are the same document
    assert json.loads((tmp_path / "new.json").read_text()) == doc
