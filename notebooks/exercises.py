"""Self-checking exercises for the notebooks: each check prints OK, or what is wrong and a hint.

An exercise is two cells. The first (tagged `answer`) assigns the learner's answer, the
second (tagged `check`) calls `check`, `check_function` or `check_op`. In the learner's copy
(`make exercises`) every answer is blanked to `...`, which the checks report as not
answered yet. A number that is right but rounded too much (within 2%) is CLOSE, not WRONG.
A wrong number is checked for common slips (a sign, a base-10 logarithm), and a function
that fails is reported with its exception and the input it failed at.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from autograd import TraceError

OK, CLOSE, WRONG, NOT_ANSWERED = "OK", "CLOSE", "WRONG", "NOT ANSWERED"

# A hand answer within this relative distance of the right one is taken as rounded, not wrong.
ROUNDING = 0.02
LN10 = math.log(10.0)  # log10(x) = ln(x) / ln(10): a base-10 answer is ln(10) times too small


def _number(x: float) -> str:
    return f"{x:.6g}"


def _problem(answer: Any) -> str | None:
    """Why `answer` is not a plain number we can compare, or None when it is one."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        if _is_number(getattr(answer, "data", None)):  # a Value, or the notebook's own Scalar
            kind = type(answer).__name__
            return (f"that is a {kind}, not a number; give its number instead: add `.data` "
                    f"(or `.grad` for its gradient)")
        return f"expected a number, got {type(answer).__name__} {answer!r}"
    if math.isnan(answer):
        return "that is nan (not a number)"
    return None


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _close(answer: float, expected: float, rel_tol: float) -> bool:
    # relative, so hand answers to three or four significant digits pass; absolute near 0
    return math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=1e-6)


def _wrong(name: str, detail: str, hint: str) -> None:
    print(f"{WRONG}  {name}: {detail}")
    if hint:
        print(f"  Hint: {hint}")


def _not_answered(name: str) -> None:
    print(f"{NOT_ANSWERED}  {name}: replace the ... in the cell above, then run both cells.")


def check(name: str, answer: Any, expected: float, hint: str = "", rel_tol: float = 1e-3) -> None:
    """Print OK if `answer` equals `expected` (to `rel_tol`); CLOSE if it is within 2% (right,
    but rounded too much to tell); else WRONG with the hint."""
    if answer is Ellipsis:
        _not_answered(name)
        return
    problem = _problem(answer)
    if problem is not None:
        _wrong(name, problem, hint)
        return
    if _close(answer, expected, rel_tol):
        print(f"{OK}  {name} = {_number(answer)}")
        return
    rounding = max(rel_tol, ROUNDING)
    if expected != 0 and _close(answer, expected, rounding):
        print(f"{CLOSE}  {name}: {_number(answer)} is within {ROUNDING:.0%} of the answer, but "
              f"rounded too much to tell: give 4 significant digits (or type the expression).")
        return
    _wrong(name, f"{_number(answer)} is not right.{_slip(answer, expected, rounding)}", hint)


def _slip(answer: float, expected: float, rel_tol: float) -> str:
    """A sentence naming the common slip that turns `expected` into `answer`, or ""."""
    if expected == 0:
        return ""
    if _close(-answer, expected, rel_tol):
        return " The size is right but the sign is not."
    if _close(abs(answer) * LN10, abs(expected), rel_tol):
        sign = "" if (answer < 0) == (expected < 0) else " (and check the sign)"
        return (" That is what a base-10 logarithm gives: use the natural logarithm, ln "
                f"(math.log in Python){sign}.")
    return ""


def check_function(
    name: str,
    f: Any,
    reference: Callable[[float], float],
    points: Iterable[float],
    hint: str = "",
    rel_tol: float = 1e-6,
) -> None:
    """Print OK if the learner's function `f` agrees with `reference` at every point, else WRONG."""
    if f is Ellipsis:
        _not_answered(name)
    elif not callable(f):
        _wrong(name, f"expected a function (def or lambda), got {type(f).__name__} {f!r}", hint)
    else:
        _agrees(name, f, reference, list(points), hint, rel_tol)


def check_op(
    name: str,
    op: Any,
    make: Callable[[float], Any],
    forward: Callable[[float], float],
    derivative: Callable[[float], float],
    points: Iterable[float],
    hint: str = "",
) -> None:
    """Check a new operation `op` on nodes (Values, or a notebook's own kind): the value
    `op(make(x)).data` against `forward(x)`, then the gradient that `backward()` leaves
    on `make(x)` against `derivative(x)`, at every point."""
    if op is Ellipsis or not callable(op):
        check_function(name, op, forward, points, hint)  # says what is missing
        return

    def value(x: float) -> Any:
        node = make(x)
        result = op(node)
        if not _is_number(getattr(result, "data", None)):  # a float, say: backward cannot reach x
            kind = type(node).__name__
            raise _NotANode(f"it returned {_described(result)}, not a {kind}: return a new {kind} "
                            f"made from its input, so that backward() can reach the input")
        return result.data

    def slope(x: float) -> Any:
        node = make(x)
        op(node).backward()
        return node.grad

    points = list(points)
    if _agrees(f"{name}, its value", value, forward, points, hint, 1e-6):
        _agrees(f"{name}, its gradient", slope, derivative, points, hint, 1e-6)


class _NotANode(Exception):
    """check_op's operation returned something that is not a node (its message says what)."""


def _described(thing: Any) -> str:
    """'a float, 2.71828' for a number; the type and repr for anything else."""
    if _is_number(thing):
        return f"a {type(thing).__name__}, {_number(thing)}"
    return f"{type(thing).__name__} {thing!r}"


def _agrees(name: str, f: Callable[[float], Any], reference: Callable[[float], float],
            points: list[float], hint: str, rel_tol: float) -> bool:
    """Compare f with reference at each point; print OK or the first disagreement."""
    for x in points:
        try:
            got = f(x)
        except _NotANode as exc:
            _wrong(name, f"at x = {_number(x)} {exc}.", hint)
            return False
        except TraceError as exc:  # recording the function failed, whatever the input
            _wrong(name, f"tracing failed: {exc}", hint)
            return False
        except Exception as exc:  # the learner's code may fail in any way: report it
            _wrong(name, f"at x = {_number(x)} it raised {type(exc).__name__}: {exc}", hint)
            return False
        problem = _problem(got)
        if problem is not None:
            _wrong(name, f"at x = {_number(x)} it returned something else: {problem}", hint)
            return False
        if not _close(got, reference(x), rel_tol):
            _wrong(name, f"at x = {_number(x)} it gives {_number(got)}, which is not right.", hint)
            return False
    shown = ", ".join(_number(x) for x in points)
    print(f"{OK}  {name} agrees at x = {shown}")
    return True
