"""The demo, `python -m nn.demo`: trains, reports accuracy, writes its pictures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
from nn import MLP, demo

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _accuracy(stdout: str) -> float:
    match = re.search(r"^accuracy: (\d+\.\d)%$", stdout, re.MULTILINE)
    assert match, stdout
    return float(match.group(1))


@pytest.mark.slow
def test_demo_default_run_reaches_95_percent_and_writes_the_picture(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path / "out")]) == 0
    stdout = capsys.readouterr().out
    assert _accuracy(stdout) >= 95.0
    assert "337 parameters, 100 samples" in stdout
    png = tmp_path / "out" / "decision_boundary.png"
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_demo_runs_as_a_module_with_its_flags(tmp_path):
    out = tmp_path / "pictures"
    result = subprocess.run(
        [sys.executable, "-m", "nn.demo", "--steps", "2", "--seed", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    assert 0.0 <= _accuracy(result.stdout) <= 100.0
    assert "training" in result.stderr  # the tqdm bar
    assert (out / "decision_boundary.png").read_bytes()[:8] == PNG_MAGIC


def test_demo_rejects_negative_steps(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--steps", "-1"])
    assert "--steps" in capsys.readouterr().err


def test_train_reports_the_accuracy_of_the_final_weights():
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0]
    model = MLP(2, [4, 1], activation="relu", seed=0)
    loss, acc = demo.train(model, X, y, steps=0, progress=False)
    scores = [model(x).data for x in X]
    assert acc == sum((s > 0) == (t > 0) for s, t in zip(scores, y)) / 2


class _FakeGraph:
    def pipe(self, format):
        assert format == "svg"
        return b"<svg/>"


def test_draw_graphs_uses_draw_dot_and_collapses_the_mlp_to_layers(tmp_path, monkeypatch):
    calls = []

    def draw_dot(root, rankdir="LR", *, collapse_depth=None):
        calls.append((root, collapse_depth))
        return _FakeGraph()

    monkeypatch.setattr(autograd, "draw_dot", draw_dot, raising=False)
    model = MLP(2, [3, 1], activation="relu", seed=0)
    written = demo.draw_graphs(model, [0.5, -0.5], str(tmp_path))
    assert [Path(p).name for p in written] == ["neuron_graph.svg", "mlp_graph.svg"]
    assert [depth for _, depth in calls] == [None, 1]  # depth 0 is the MLP, 1 its layers
    neuron_out, mlp_out = calls[0][0], calls[1][0]
    assert neuron_out._scope is model.layers[0].neurons[0]
    assert mlp_out._scope is model.layers[1].neurons[0]
    assert mlp_out.grad == 1.0  # drawn after backward, so gradients show
    assert (tmp_path / "mlp_graph.svg").read_bytes() == b"<svg/>"


def test_draw_graphs_skips_with_a_note_without_draw_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.delattr(autograd, "draw_dot", raising=False)
    assert demo.draw_graphs(MLP(2, [1], seed=0), [0.0, 0.0], str(tmp_path)) == []
    assert "skipping" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_draw_graphs_with_the_real_draw_dot(tmp_path):
    if getattr(autograd, "draw_dot", None) is None:
        pytest.skip("autograd.draw_dot is not available")
    model = MLP(2, [3, 1], activation="relu", seed=0)
    written = demo.draw_graphs(model, [0.5, -0.5], str(tmp_path))
    assert [Path(p).name for p in written] == ["neuron_graph.svg", "mlp_graph.svg"]
    mlp_svg = (tmp_path / "mlp_graph.svg").read_text()
    assert "<svg" in mlp_svg and "layers.0" in mlp_svg and "layers.1" in mlp_svg
    assert "neurons.0" not in mlp_svg  # collapsed: the neurons are hidden in the layer boxes


def test_readme_neural_networks_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Neural networks", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    result = subprocess.run(
        [sys.executable, "-"], input=code + "\nprint(loss.data)\n", cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 0.05  # the four points are learned
    assert (tmp_path / "model.json").exists()
