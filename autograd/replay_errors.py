"""Errors of a replay: the first failing sample, re-run through the scalar rules.

A traced program checks that its results are finite. When one is not, the sample it
belongs to is run again one node at a time with each op's own forward (or vjp) rule on
floats, in the scalar engine's order, so the error raised is the engine's, with the
sample's index: `log(-2.0) at sample 17: math domain error`. An overflow the scalar
rules let through (Python's float * float gives inf) is a FloatingPointError naming the
operation and the sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import format_call
from .ops import AFFINE, BINARY, DOT, DOT_CONST, NARY, NARY_CONST, UNARY, UNARY_CONST

if TYPE_CHECKING:
    from .replay import Plan, Rec, Run


def check_parameters(plan: Plan, U: Any) -> None:
    """ValueError naming a parameter whose number is not finite."""
    values = U[: plan.n_p, 0]
    if not np.isfinite(values).all():
        i = int(np.argmax(~np.isfinite(values)))
        p = plan.params[i]
        name = f" {p.label!r}" if p.label else ""
        raise ValueError(f"parameter{name} ({i} of the program's) holds {float(values[i])!r}")


def forward_error(plan: Plan, V: Any, U: Any) -> None:
    """Raise the error of the first sample whose forward pass is not finite."""
    bad = ~np.isfinite(V[plan.n_in :]).all(axis=0)
    sample = int(np.argmax(bad)) if bad.any() else 0
    scalar_forward(plan, leaf_values(plan, V, U, sample), sample)
    raise FloatingPointError(f"a result is not finite at sample {sample}")  # numpy alone


def backward_error(plan: Plan, run: Run) -> None:
    """Find the first sample whose gradients alone are not finite (halving the batch),
    and re-run it through the scalar rules for the engine's message."""
    lo, hi = 0, run.batch
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if plan.gradients(run.samples(lo, mid)) is None:
            hi = mid
        elif plan.gradients(run.samples(mid, hi)) is None:
            lo = mid
        else:  # each half is finite: their sum is what overflows
            raise FloatingPointError(
                f"a parameter's gradient overflows when summed over samples {lo} to {hi - 1}"
            )
    values = scalar_forward(plan, leaf_values(plan, run.V, run.U, lo), lo)
    scalar_backward(plan, values, lo)
    raise FloatingPointError(f"a gradient is not finite at sample {lo}")  # numpy alone


def leaf_values(plan: Plan, V: Any, U: Any, sample: int) -> dict[Rec, float]:
    """One sample's inputs, parameters and constants as floats, by record."""
    return {
        rec: float(U[rec.row, 0] if rec.u else V[rec.row, sample])
        for rec in plan.records.values()
        if rec.op is None
    }


def scalar_forward(plan: Plan, values: dict[Rec, float], sample: int) -> dict[Rec, float]:
    """Re-run one sample through each op's forward rule on floats, in the engine's order;
    raises the engine's error (or FloatingPointError) with the sample index."""
    for rec in plan.ops:
        operands = [values[p] for p in rec.parents]
        try:
            out = _scalar_forward(rec, operands)
        except (ArithmeticError, ValueError) as exc:
            raise type(exc)(f"{_call(rec, operands)} at sample {sample}: {exc}") from None
        if not math.isfinite(out):
            raise FloatingPointError(f"{_call(rec, operands)} at sample {sample}: {_word(out)}")
        values[rec] = out
    return values


def scalar_backward(plan: Plan, values: dict[Rec, float], sample: int) -> None:
    """Re-run one sample's backward pass through each op's vjp rule on floats (nodes that
    lead to a parameter only); raises the engine's error or FloatingPointError."""
    grads = {plan.outputs_recs[0]: 1.0}
    for rec in reversed(plan.ops):
        g = grads.get(rec)
        if g is None or not rec.grad:
            continue
        operands = [values[p] for p in rec.parents]
        call = _call(rec, operands)
        try:
            parts = _scalar_vjp(rec, g, values[rec], operands)
        except (ArithmeticError, ValueError) as exc:
            raise type(exc)(f"backward of {call} at sample {sample}: {exc}") from None
        for i, (parent, part) in enumerate(zip(rec.parents, parts)):
            total = grads.get(parent, 0.0) + part
            if parent.grad and not math.isfinite(total):
                raise FloatingPointError(
                    f"backward of {call} at sample {sample}: the gradient of input {i} "
                    f"{_word(total)}"
                )
            grads[parent] = total


def _word(x: float) -> str:
    return "is NaN (not a number)" if math.isnan(x) else f"overflows to {x!r}"


def _call(rec: Rec, operands: list[float]) -> str:
    """`op(operands)` as the scalar engine's messages write it."""
    shown = operands + [rec.const] if rec.op.kind == UNARY_CONST else operands  # type: ignore[union-attr]
    return format_call(rec.op.name, shown)  # type: ignore[union-attr]


def _scalar_forward(rec: Rec, xs: list[float]) -> float:
    """One node's forward rule on floats, called as the engine calls it."""
    op, kind = rec.op, rec.op.kind  # type: ignore[union-attr]
    if kind == UNARY:
        return op.forward(xs[0])  # type: ignore[union-attr]
    if kind == UNARY_CONST:
        return op.forward(xs[0], rec.const)  # type: ignore[union-attr]
    if kind == BINARY:
        return op.forward(xs[0], xs[1])  # type: ignore[union-attr]
    if op is DOT:
        return op.forward(xs[: len(xs) // 2], xs[len(xs) // 2 :])
    if op is AFFINE:
        n = len(xs) // 2
        return op.forward(xs[:n], xs[n : 2 * n], xs[-1])
    if op is DOT_CONST:
        return op.forward(xs, rec.const)
    return op.forward(iter(xs))  # type: ignore[union-attr]


def _scalar_vjp(rec: Rec, g: float, out: float, xs: list[float]) -> Sequence[float]:
    """One node's vjp rule on floats, called as the engine's float pass calls it."""
    op, kind = rec.op, rec.op.kind  # type: ignore[union-attr]
    if kind == UNARY:
        return op.vjp(g, out, xs[0])  # type: ignore[union-attr]
    if kind == UNARY_CONST:
        return op.vjp(g, out, xs[0], rec.const)  # type: ignore[union-attr]
    if kind == BINARY:
        return op.vjp(g, out, xs[0], xs[1])  # type: ignore[union-attr]
    if kind == NARY:
        return op.vjp(g, out, xs)  # type: ignore[union-attr]
    assert kind == NARY_CONST
    return op.vjp(g, out, xs, rec.const)  # type: ignore[union-attr]
