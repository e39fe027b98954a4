"""The numbers the README's engine examples show are the ones the engine computes."""

from __future__ import annotations

from pathlib import Path

from autograd import Value, grad, value_and_grad

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _shown(x: float, digits: int = 4) -> str:
    """How the README abbreviates a number: truncated to `digits` decimals, then '...'."""
    whole, _, frac = f"{x:.10f}".partition(".")
    return f"{whole}.{frac[:digits]}..."


def test_readme_example_values_and_gradients():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.backward()
    assert f"# {_shown(y.data)}" in README
    assert f"# {_shown(x.grad)}, {_shown(w.grad)}" in README


def test_readme_functional_examples():
    assert f"# {_shown(grad(lambda v: v.tanh())(0.5))}" in README
    assert grad(grad(grad(lambda v: v**3)))(2.0) == 6.0
    assert value_and_grad(lambda a, c: a * c, argnums=(0, 1))(3.0, 4.0) == (12.0, (4.0, 3.0))


def test_readme_anomaly_example_shows_the_real_output(tmp_path):
    """Run the README's detect_anomaly example as demo.py: the error it prints is the one shown."""
    import re
    import subprocess
    import sys

    code = re.search(r"Saved as `demo.py`:\n\n```python\n(.*?)```", README, re.S).group(1)
    shown = re.search(r"```text\n(autograd\.anomaly\.AnomalyError: .*?)\n```", README).group(1)
    (tmp_path / "demo.py").write_text(code)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "demo.py"], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root)})
    last = proc.stderr.strip().splitlines()[-1]
    assert last == shown.replace("/home/you/demo.py", str(tmp_path / "demo.py"))
    from autograd import AnomalyError

    assert issubclass(AnomalyError, FloatingPointError)


def test_readme_trace_example_shows_the_program_it_prints():
    import numpy as np

    from autograd import trace
    from nn import MLP, losses

    X = np.random.default_rng(0).normal(size=(200, 2))
    Y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)

    def sample_loss(x, y):
        return losses.hinge(model(x), y)

    program = trace(sample_loss, X[0], Y[0])
    assert str(program) in README
