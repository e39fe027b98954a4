"""Saving and loading: JSON round trips, every malformed file refused, atomic writes."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.io
from nn import MLP, Layer, Neuron


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
def test_expected_parameter_names_agree_with_named_parameters(nin, nouts):
    cases = [
        ("MLP", {"nin": nin, "nouts": nouts}, MLP(nin, nouts)),
        ("Layer", {"nin": nin, "nout": nouts[0]}, Layer(nin, nouts[0])),
        ("Neuron", {"nin": nin}, Neuron(nin)),
    ]
    for kind, config, module in cases:
        names = list(nn.io._parameter_names(kind, config))
        assert names == [name for name, _ in module.named_parameters()]


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
    "wrong version": (
        lambda text: text.replace('"version": 1', '"version": 2'), "unsupported format version 2"),
    "version true": (
        lambda text: text.replace('"version": 1', '"version": true'), "version"),
    "unknown module": (
        lambda text: text.replace('"module": "MLP"', '"module": "CNN"'), "unknown module 'CNN'"),
    "unknown activation": (
        lambda text: text.replace('"activation": "relu"', '"activation": "swish"'),
        "config.activation: unknown activation 'swish'"),
    "bad size": (
        lambda text: text.replace('"nin": 2', '"nin": 0'), "config.nin"),
    "missing config key": (
        lambda text: _edit_document(json.loads(text), lambda d: d["config"].pop("nouts")),
        "missing key 'nouts'"),
    "extra top-level key": (
        lambda text: _edit_document(json.loads(text), lambda d: d.update(pickle="x")),
        "unknown key 'pickle'"),
    "one weight missing": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].pop(W)),
        "has 13 weights, the file has 12"),
    "one weight too many": (
        lambda text: _edit_document(json.loads(text), lambda d: d["parameters"].update(x=1.0)),
        "has 13 weights, the file has 14"),
    "weight renamed": (
        lambda text: text.replace(f'"{W}"', '"layers.0.neurons.9.w.0"'), f"missing weight '{W}'"),
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

    def write_half_then_fail(f, text):
        f.write(text[: len(text) // 2])
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


def test_save_refuses_modules_it_cannot_rebuild(tmp_path):
    class Custom(MLP):
        pass

    with pytest.raises(TypeError, match="cannot save a Custom"):
        Custom(2, [1]).save(tmp_path / "m.json")
