"""The demo, `python -m nn.demo`: trains, reports accuracy, writes its pictures."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value, gradients, topological_order
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
    # stderr is a pipe, not a terminal: plain progress lines, no bar redrawn with \r
    assert "training: step 2/2, loss " in result.stderr
    assert "\r" not in result.stderr
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

    monkeypatch.setattr(demo, "draw_dot", draw_dot)
    model = MLP(2, [3, 1], activation="relu", seed=0)
    written = demo.draw_graphs(model, [0.5, -0.5], str(tmp_path))
    assert [Path(p).name for p in written] == ["neuron_graph.svg", "mlp_graph.svg"]
    assert [depth for _, depth in calls] == [None, 1]  # depth 0 is the MLP, 1 its layers
    neuron_out, mlp_out = calls[0][0], calls[1][0]
    assert neuron_out._scope is model.layers[0].neurons[0]
    assert mlp_out._scope is model.layers[1].neurons[0]
    assert mlp_out.grad == 1.0  # drawn after backward, so gradients show
    assert (tmp_path / "mlp_graph.svg").read_bytes() == b"<svg/>"


def _grads_when_drawn(monkeypatch) -> list[dict]:
    """Patch demo.draw_dot to record {node: grad} of every node of each graph it draws."""
    drawn = []

    def draw_dot(root, rankdir="LR", *, collapse_depth=None):
        drawn.append({node: node.grad for node in topological_order(root)})
        return _FakeGraph()

    monkeypatch.setattr(demo, "draw_dot", draw_dot)
    return drawn


def test_draw_graphs_shows_the_gradients_of_one_backward_from_zero(tmp_path, monkeypatch):
    drawn = _grads_when_drawn(monkeypatch)
    model = MLP(2, [3, 1], activation="relu", seed=0)
    model.layers[0].neurons[0].b.data = 0.25  # so the neuron is active on the sample
    for p in model.parameters():
        p.grad = 0.5  # as training leaves them
    demo.draw_graphs(model, [0.5, -0.5], str(tmp_path))
    neuron_grads, mlp_grads = drawn
    neuron = model.layers[0].neurons[0]
    leaves = [*neuron.w, neuron.b]
    by_label = {node.label: node for node in neuron_grads}
    inputs = [by_label["x0"], by_label["x1"]]
    # the same neuron on fresh inputs: d out / d leaf from one pass, no .grad involved
    fresh = [Value(0.5), Value(-0.5)]
    want = gradients(neuron(fresh), [*leaves, *fresh])
    assert [neuron_grads[v] for v in [*leaves, *inputs]] == list(want)
    assert neuron_grads[neuron.b] == 1.0  # relu active: d out / d b = 1, not 1.5
    score_params = model.parameters()
    want = gradients(model(fresh), score_params)
    assert [mlp_grads[p] for p in score_params if p in mlp_grads] == [
        g for p, g in zip(score_params, want) if p in mlp_grads
    ]


def test_draw_graphs_with_the_real_draw_dot(tmp_path):
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


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_prints_a_few_plain_lines_on_a_non_terminal():
    stream = io.StringIO()
    progress = demo.Progress(100, stream=stream)
    for step in range(100):
        progress.update(loss=1.0 / (step + 1), acc=step / 100)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "training: step 25/100, loss 0.0400, accuracy 24%",
        "training: step 50/100, loss 0.0200, accuracy 49%",
        "training: step 75/100, loss 0.0133, accuracy 74%",
        "training: step 100/100, loss 0.0100, accuracy 99%",
    ]
    assert "\r" not in stream.getvalue()


@pytest.mark.parametrize("total, printed", [(0, []), (1, [1]), (3, [1, 2, 3]), (10, [3, 5, 8, 10])])
def test_progress_lines_are_spread_over_the_run_and_end_at_the_last_step(total, printed):
    stream = io.StringIO()
    progress = demo.Progress(total, stream=stream)
    for _ in range(total):
        progress.update(loss=0.0, acc=1.0)
    steps = [int(re.match(r"training: step (\d+)/", line).group(1))
             for line in stream.getvalue().splitlines()]
    assert steps == printed


def test_progress_draws_a_tqdm_bar_on_a_terminal():
    stream = _Terminal()
    progress = demo.Progress(5, stream=stream)
    for _ in range(5):
        progress.update(loss=0.5, acc=1.0)
    progress.close()
    text = stream.getvalue()
    assert "\r" in text and "training: 100%" in text and "5/5" in text
    assert "training: step" not in text


def test_demo_without_its_extra_names_it_and_exits_2(monkeypatch, capsys, tmp_path):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "sklearn" else real_find_spec(name, *a),
    )
    assert demo.main(["--out", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "python -m nn.demo needs the demo extra (missing: scikit-learn): "
        "pip install 'graphgrad[demo]'\n"
    )
    assert not (tmp_path / "out").exists()
