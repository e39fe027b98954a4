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
