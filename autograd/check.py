"""Numeric gradients by central differences, and `gradcheck` against the engine's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .engine import no_grad
from .value import Value, _as_float, gradients


class GradcheckError(AssertionError):
    """The engine's gradient and the finite-difference one disagree for some inputs."""


def _evaluate(f: Callable[..., Any], xs: Sequence[float]) -> float:
    with no_grad():
        out = f(*[Value(x) for x in xs])
    return out.data if isinstance(out, Value) else _as_float(out, "gradcheck: f's result")


def numeric_gradient(f: Callable[..., Any], inputs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """d f / d x_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), for each input."""
    xs = [_as_float(x, "numeric_gradient") for x in inputs]
    result = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        result.append((_evaluate(f, up) - _evaluate(f, down)) / (2.0 * eps))
    return result


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the engine's gradients of `f` at `inputs` with central finite differences.

    `f` takes one Value per input and returns one Value. Returns True, or raises
    `GradcheckError` with a table of every input whose derivatives disagree
    (|analytic - numeric| > atol + rtol * |numeric|).
    """
    if isinstance(inputs, (int, float)):
        inputs = [inputs]
    xs = [_as_float(x, "gradcheck") for x in inputs]
    variables = [Value(x) for x in xs]
    out = f(*variables)
    if type(out) is not Value:
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    analytic = gradients(out, variables)
    numeric = numeric_gradient(f, xs, eps)
    bad = [
        (i, a, n)
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not (abs(a - n) <= atol + rtol * abs(n))  # also catches NaN
    ]
    if bad:
        lines = [
            f"gradcheck: {len(bad)} of {len(xs)} inputs disagree "
            f"(atol={atol}, rtol={rtol}, eps={eps})",
            f"{'input':>5}  {'x':>12}  {'analytic':>14}  {'numeric':>14}  {'difference':>12}",
        ]
        for i, a, n in bad:
            lines.append(f"{i:>5}  {xs[i]:>12.6g}  {a:>14.8g}  {n:>14.8g}  {a - n:>12.3g}")
        raise GradcheckError("\n".join(lines))
    return True


