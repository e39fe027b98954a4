"""Numeric gradients by central differences: `gradcheck` (every input, first order) and
`check_grads` (reverse and forward mode along random directions, to any order)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from .engine import no_grad
from .functional import jvp, vjp
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


# ---------------------------------------------------------------------------
# check_grads: reverse and forward mode, to any order, along random directions
# ---------------------------------------------------------------------------

_MODES = ("rev", "fwd")


class _Row:
    """One comparison of check_grads: an analytic directional derivative and a numeric one."""

    __slots__ = ("order", "mode", "of", "direction", "analytic", "numeric")

    def __init__(self, order: int, mode: str, of: str, direction: int,
                 analytic: float, numeric: float) -> None:
        self.order, self.mode, self.of, self.direction = order, mode, of, direction
        self.analytic, self.numeric = analytic, numeric

    def agrees(self, atol: float, rtol: float) -> bool:
        # written so that a NaN on either side disagrees
        return abs(self.analytic - self.numeric) <= atol + rtol * abs(self.numeric)


def _outputs_at(f: Callable[..., Any], point: Sequence[float]) -> tuple[list[float], bool]:
    """f's outputs at `point` as floats (a forward pass, recording nothing), and whether f
    returned a sequence."""
    with no_grad():
        out = f(*[Value(x) for x in point])
    many = isinstance(out, (list, tuple))
    items = list(out) if many else [out]
    if not items or not all(type(o) is Value or isinstance(o, (int, float)) for o in items):
        raise TypeError(
            f"check_grads: f must return a Value or a non-empty list of Values, got {out!r}"
        )
    return [o.data if type(o) is Value else float(o) for o in items], many


def _numeric_jvp(f: Callable[..., Any], point: Sequence[float], v: Sequence[float],
                 eps: float) -> list[float]:
    """J v ≈ (f(x + eps v) - f(x - eps v)) / (2 eps), per output."""
    up, _ = _outputs_at(f, [x + eps * d for x, d in zip(point, v)])
    down, _ = _outputs_at(f, [x - eps * d for x, d in zip(point, v)])
    return [(a - b) / (2.0 * eps) for a, b in zip(up, down)]


def _inner(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b))


def _analytic(f: Callable[..., Any], point: Sequence[float], mode: str, many: bool,
              u: list[float], v: list[float]) -> float:
    """⟨u, J v⟩ from the engine: as ⟨uᵀJ, v⟩ (a vjp, "rev") or as ⟨u, J v⟩ (a jvp, "fwd")."""
    if mode == "rev":
        _, pull = vjp(f, *point)
        return _inner(pull(u if many else u[0]), v)
    _, tangent = jvp(f, point, v)
    return _inner(u, tangent if many else [tangent])


def _derivative(f: Callable[..., Any], n: int, many: bool, mode: str) -> Callable[..., Any]:
    """The derivative function that `mode` computes, as a function of Values: for "rev"
    (x, u) ↦ uᵀJ(x), for "fwd" (x, t) ↦ J(x) t. Checking it checks second derivatives."""
    if mode == "rev":
        def vjp_of_f(*z: Any) -> list[Any]:
            _, pull = vjp(f, *z[:n])
            return list(pull(list(z[n:]) if many else z[n]))

        return vjp_of_f

    def jvp_of_f(*z: Any) -> Any:
        _, tangent = jvp(f, z[:n], z[n:])
        return list(tangent) if many else tangent

    return jvp_of_f


def _check_arguments(args: Any, order: int, modes: Sequence[str], eps: float,
                     directions: int) -> list[float]:
    if isinstance(args, (int, float)):
        args = [args]
    if not isinstance(args, (list, tuple)) or not args:
        raise TypeError(f"check_grads: args must be a non-empty tuple of numbers, got {args!r}")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be an int >= 1, got {order!r}")
    if isinstance(modes, str) or not modes or any(m not in _MODES for m in modes):
        raise ValueError(
            f"check_grads: modes must be a non-empty sequence of 'rev' and 'fwd', got {modes!r}"
        )
    if not eps > 0.0:
        raise ValueError(f"check_grads: eps must be > 0, got {eps!r}")
    if not isinstance(directions, int) or directions < 1:
        raise ValueError(f"check_grads: directions must be an int >= 1, got {directions!r}")
    return [_as_float(x, "check_grads") for x in args]


def check_grads(
    f: Callable[..., Any],
    args: Sequence[float] | float,
    order: int = 2,
    modes: Sequence[str] = _MODES,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    directions: int = 2,
    seed: int = 0,
) -> bool:
    """Check f's derivatives at `args`, up to `order`, against central differences.

    f takes one Value per argument and returns a Value (or a list of Values). Along
    seeded random directions v and cotangents u, reverse mode ("rev") compares ⟨uᵀJ, v⟩
    from `vjp` with ⟨u, (f(x + eps v) - f(x - eps v)) / 2eps⟩, forward mode ("fwd") the
    same with ⟨u, J v⟩ from `jvp`. With order=2 the same checks run on the derivative
    functions (x, u) ↦ uᵀJ and (x, t) ↦ J t, which catches a rule whose first derivative
    is right but whose own derivative is not (checked once the first order agrees).
    Returns True, or raises `GradcheckError` with a table of every comparison made
    (|analytic - numeric| > atol + rtol |numeric| fails).
    """
    __tracebackhide__ = True  # pytest shows the table, not this function's source
    point = _check_arguments(args, order, modes, eps, directions)
    rng = random.Random(seed)
    rows: list[_Row] = []
    pending: list[tuple[str, Callable[..., Any], list[float]]] = [("f", f, point)]
    for level in range(1, order + 1):
        derived = []
        for name, g, x in pending:
            outs, many = _outputs_at(g, x)
            for direction in range(1, directions + 1):
                v = [rng.gauss(0.0, 1.0) for _ in x]
                u = [rng.gauss(0.0, 1.0) for _ in outs]
                numeric = _inner(u, _numeric_jvp(g, x, v, eps))
                for mode in modes:
                    analytic = _analytic(g, x, mode, many, u, v)
                    rows.append(_Row(level, mode, name, direction, analytic, numeric))
            if level < order:  # the derivative functions, at x and a random u (or t)
                for mode in modes:
                    extra = [rng.gauss(0.0, 1.0) for _ in (outs if mode == "rev" else x)]
                    derived.append((f"{'vjp' if mode == 'rev' else 'jvp'}({name})",
                                    _derivative(g, len(x), many, mode), x + extra))
        if not all(row.agrees(atol, rtol) for row in rows):
            break  # a wrong derivative: its own derivatives are not worth checking
        pending = derived
    if not all(row.agrees(atol, rtol) for row in rows):
        raise GradcheckError(_table(rows, point, eps, atol, rtol))
    return True


def _table(rows: list[_Row], point: list[float], eps: float, atol: float, rtol: float) -> str:
    """The comparisons as a table a person can read, failing ones marked."""
    bad = sum(not row.agrees(atol, rtol) for row in rows)
    at = ", ".join(f"{x:.6g}" for x in point)
    lines = [
        f"check_grads: {bad} of {len(rows)} checks disagree at ({at}) "
        f"(eps={eps}, atol={atol}, rtol={rtol})",
        f"{'order':>5}  {'mode':<4}  {'of':<12}  {'direction':>9}  {'analytic':>14}  "
        f"{'numeric':>14}  {'difference':>10}",
    ]
    for r in rows:
        status = "ok" if r.agrees(atol, rtol) else "FAIL"
        lines.append(
            f"{r.order:>5}  {r.mode:<4}  {r.of:<12}  {r.direction:>9}  {r.analytic:>14.8g}  "
            f"{r.numeric:>14.8g}  {r.analytic - r.numeric:>10.2g}  {status}"
        )
    return "\n".join(lines)
