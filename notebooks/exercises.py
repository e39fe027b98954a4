"""Self-checking exercises for the notebooks: each check prints OK, or what is wrong and a hint.

An exercise is two cells. The first (tagged `answer`) assigns the learner's answer, the
second (tagged `check`) calls `check`, `check_function` or `check_op`. In the learner's copy
(`make exercises`) every answer is blanked to `...`, which the checks report as not
answered yet.

`check` compares a number. An answer that is the right one rounded (0.083 for 0.08267:
less than one unit of its last digit away, within 2%; or 0.11 for 0.10536, rounded to
the nearest with two or three digits) is CLOSE: right, but rounded too much to tell. A
near miss with more digits (0.08217 for 0.08267) is a slip, not a rounding: WRONG. So is
a right answer that is also a known slip rounded (0.0150 for 0.0149961, when a slip gives
0.0150389): CLOSE, asking for 5 digits. A check names the slips it expects:
`slips={"used a₁,₁ instead of a₁,₂": delta2 * a11}` maps a description to the number
that slip gives, and an answer that is that number (or that number rounded), nearer it
than the right one, is WRONG with "that is what you get if you used a₁,₁ instead of
a₁,₂". A wrong sign is always pointed out; a base-10 logarithm only when the check asks
with `log10=True` (a loss built on ln, where the slip is likely: elsewhere a number
ln 10 times too small is mostly a coincidence).

`check_function` compares a function with a reference at a few points, `check_neuron` a
hand-written neuron (its output, then its gradients), and `check_op` a new operation on
nodes (its value, then the gradient `backward()` leaves on its input).
Their `slips` map a description to the function that slip computes (for `check_op`, its
wrong derivative). A function that gives one number at every point, or an operation whose
result does not depend on its input, is reported as a constant; a failed trace says
"tracing failed" with the engine's message; an exception is shown with the input it came
from.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from autograd import TraceError, Value

OK, CLOSE, WRONG, NOT_ANSWERED = "OK", "CLOSE", "WRONG", "NOT ANSWERED"

# A hand answer within this relative distance of the right one is taken as rounded, not wrong.
ROUNDING = 0.02
LN10 = math.log(10.0)  # log10(x) = ln(x) / ln(10): a base-10 answer is ln(10) times too small
CONSTANT = "your function returned a constant"  # how a function that ignores its input is told


def _number(x: float) -> str:
    return f"{x:.6g}"


def _problem(answer: Any) -> str | None:
    """Why `answer` is not a plain number we can compare, or None when it is one."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        if _is_number(getattr(answer, "data", None)):  # a Value, or the notebook's own Scalar
            kind = type(answer).__name__
            return (f"that is a {kind}, not a number; give its number instead: add `.data` "
                    f"(or `.grad` for its gradient)")
        if isinstance(answer, (list, tuple)) and len(answer) == 1:
            return (f"that is a {type(answer).__name__} holding one item, not a number: a "
                    f"trailing comma, or brackets? Give the number itself")
        if isinstance(answer, (list, tuple)):
            return (f"that is a {type(answer).__name__} of {len(answer)} items, not a number: "
                    f"did you mean len(...)?")
        text = repr(answer)
        return f"expected a number, got {type(answer).__name__} {text[:80]}{'…' * (len(text) > 80)}"
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


def _slips(where: str, slips: Mapping[str, Any] | None, kind: str) -> dict[str, Any]:
    """`slips` as a dict {description: wrong value}; TypeError for anything else."""
    if slips is None:
        return {}
    test = _is_number if kind == "number" else callable
    if not isinstance(slips, Mapping) or not all(
            isinstance(k, str) and test(v) for k, v in slips.items()):
        raise TypeError(f"{where}: slips must be a dict {{description: {kind}}}, got {slips!r}")
    return dict(slips)


def check(name: str, answer: Any, expected: float, hint: str = "", rel_tol: float = 1e-3,
          slips: Mapping[str, float] | None = None, log10: bool = False) -> None:
    """Print OK if `answer` equals `expected` (to `rel_tol`); WRONG naming a slip it matches;
    CLOSE if it is the answer rounded too much to tell; else WRONG with the hint."""
    known = _slips("check", slips, "number")
    if answer is Ellipsis:
        _not_answered(name)
        return
    problem = _problem(answer)
    if problem is not None:
        _wrong(name, problem, hint)
        return
    answer = float(answer)  # a numpy number too: its repr is not its digits
    digits = _digits(answer)
    # a short typed number must be the answer rounded or cut (4.606 is not 4.60517); a long
    # computed one may carry rounding from the way, within rel_tol
    if _close(answer, expected, rel_tol) and (digits >= 6 or _rounded(answer, expected)
                                              or rel_tol >= ROUNDING
                                              or _close(answer, expected, 1e-9)):
        also = [k for k, v in known.items() if answer != expected
                and _rounded(answer, v, cut=False) and not _close(v, expected, rel_tol)]
        if also:  # 0.0150 is the answer 0.0149961 rounded, and the slip 0.0150389 rounded too
            print(f"{CLOSE}  {name}: {_number(answer)} is the answer rounded, but also what you get "
                  f"if you {also[0]}, rounded: give 5 significant digits (or type the expression).")
        else:
            print(f"{OK}  {name} = {_number(answer)}")
        return
    rounding = max(rel_tol, ROUNDING)
    slip = _known_slip(answer, expected, known, rel_tol, rounding)
    if slip:
        _wrong(name, slip, hint)
    elif expected != 0 and (_close(answer, expected, rounding) and _rounded(answer, expected)
                            or _short_rounding(answer, expected)):
        needed = max(4, round(-math.log10(rel_tol)) + 1)  # 4 for a tolerance of 0.1%
        print(f"{CLOSE}  {name}: {_number(answer)} is the answer rounded too much to tell: give "
              f"{needed} significant digits (or type the expression).{_zeros(answer, needed)}")
    elif expected != 0 and _close(answer, expected, rounding):
        _wrong(name, f"{_number(answer)} is not right. It is within {ROUNDING:.0%} of the "
               f"answer but not the answer rounded: look for a small slip, such as a "
               f"similar number used in place of the right one, or a number rounded on the way "
               f"(keep 4 digits of every number you work with, or type the expression).", hint)
    else:
        _wrong(name, f"{_number(answer)} is not right.{_slip(answer, expected, rounding, log10)}",
               hint)


def _digits(x: float) -> int:
    """How many significant digits the shortest form of `x` has (0.0150 has 2: 0.015)."""
    return len(Decimal(repr(x)).normalize().as_tuple().digits)


def _rounded(answer: float, expected: float, cut: bool = True) -> bool:
    """Whether `answer` could be `expected` written with the digits `answer` has: rounded to
    the nearest (within half a unit of its last digit: 0.083 for 0.08267), or, if `cut`,
    cut off after them (0.4278 written as 0.427)."""
    exponent = Decimal(repr(answer)).normalize().as_tuple().exponent
    unit = 10.0 ** exponent if isinstance(exponent, int) else 0.0
    gap = abs(answer - expected)
    nearest = gap <= 0.5 * unit * (1 + 1e-9)
    truncated = cut and (answer >= 0) == (expected >= 0) and abs(answer) <= abs(expected) \
        and gap < unit
    return nearest or truncated


def _zeros(answer: float, needed: int) -> str:
    """A note that Python drops trailing zeros, for an answer with fewer digits than needed."""
    if _digits(answer) >= needed:
        return ""
    return " (If you typed trailing zeros: Python drops them, so they do not count.)"


def _short_rounding(answer: float, expected: float) -> bool:
    """Whether `answer` is `expected` rounded to the nearest with two or three significant
    digits (0.11 for 0.10536): more than 2% off, but a rounding, not a slip."""
    digits = _digits(answer)
    return digits in (2, 3) and _rounded(answer, expected, cut=False)


def _known_slip(answer: float, expected: float, slips: dict[str, float], rel_tol: float,
                rounding: float) -> str:
    """What to say when `answer` is one of `slips` (nearer it than `expected`, within
    `rounding`), or ""."""
    # a slip is named when the answer is its number, or could be that number rounded
    near = [(abs(answer - v), k, v) for k, v in slips.items()
            if _close(answer, v, rounding) and abs(answer - v) < abs(answer - expected)
            and (_close(answer, v, rel_tol) or _rounded(answer, v))]
    if not near:
        return ""
    near.sort()
    _, description, value = near[0]
    digits = _digits(answer)
    more = f"give {max(4, digits + 1)} significant digits (or type the expression)"
    if len(near) > 1 and _close(answer, value, rel_tol) and not _close(answer, near[1][2], rel_tol):
        near = near[:1]  # the answer is one slip's number exactly, the other's only nearly
    if len(near) > 1 and math.isclose(value, near[1][2], rel_tol=1e-9):  # one number, two ways
        return (f"{_number(answer)} is not right: it is what you get if you {description}, "
                f"and also if you {near[1][1]} (both give this number).")
    if len(near) > 1:  # two slips fit (1.397 rounds one and cuts another): name both
        return (f"{_number(answer)} is not right: it is what you get if you {description}, "
                f"or, nearly, if you {near[1][1]}. To tell which, {more}.")
    if _close(answer, value, rel_tol):
        return f"{_number(answer)} is not right: that is what you get if you {description}."
    return (f"{_number(answer)} is nearest to what you get if you {description}. If you did "
            f"not, {more}.")


def _slip(answer: float, expected: float, rel_tol: float, log10: bool) -> str:
    """A sentence naming the common slip that turns `expected` into `answer`, or "": a sign
    (within `rel_tol`), or a base-10 logarithm (within 0.3%: its answer to three digits or more,
    so that 0.4 for 0.3965 is not taken for one)."""
    if expected == 0:
        return ""
    if _close(-answer, expected, rel_tol):
        return " The size is right but the sign is not."
    if _close(answer, 2 * expected, rel_tol):
        return (" It is exactly twice the answer: a factor 2 too many, or backward() run twice "
                "(gradients add up until they are set back to 0)?")
    if log10 and _close(abs(answer) * LN10, abs(expected), 0.003):
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
    slips: Mapping[str, Callable[[float], float]] | None = None,
) -> None:
    """Print OK if the learner's function `f` agrees with `reference` at every point, else
    WRONG: naming a slip in `slips` ({description: function}) that `f` agrees with, or
    saying where `f` fails."""
    _function_passes(name, f, reference, points, hint, rel_tol, slips)


def _function_passes(name: str, f: Any, reference: Callable[[float], float],
                     points: Iterable[float], hint: str = "", rel_tol: float = 1e-6,
                     slips: Mapping[str, Callable[[float], float]] | None = None,
                     var: str = "x") -> bool:
    """check_function's work; returns whether it said OK."""
    known = _slips("check_function", slips, "function")
    if f is Ellipsis:
        _not_answered(name)
    elif not callable(f):
        _wrong(name, f"expected a function (def or lambda), got {type(f).__name__} {f!r}", hint)
    else:
        return _agrees(name, f, reference, list(points), hint, rel_tol, known, var=var)
    return False


def check_neuron(my_neuron: Any, hint: str = "") -> None:
    """Check a learner's `my_neuron(w, b, x)` = tanh(w·x + b) built from Values, as the
    second weight w1 moves through a few values: its output on two inputs and on three
    (with biases that are not 0, so a bias slip shows), then the gradients backward()
    leaves on w0, w1 and b. Stops at the first check that is not OK; names the likely
    slips (no bias, a bias per input, z overwritten in the loop, no tanh, two inputs
    only, a `return` inside the loop, a parameter cut off with .data)."""
    if not callable(my_neuron):  # still `...`, or not a function: check_function says which
        check_function("my_neuron", my_neuron, math.tanh, [0.0], hint=hint)
        return
    two, three = ([0.5, -0.8], 0.3, [1.0, -2.0]), ([0.2, -0.6, 0.9], 0.4, [0.5, -1.0, 2.0])
    checks = [_neuron_output("my_neuron on x = (1, -2)", my_neuron, *two),
              _neuron_output("my_neuron on an input of three numbers, x = (0.5, -1, 2)",
                             my_neuron, *three),
              *(_neuron_gradient(my_neuron, *two, p) for p in ("w0", "w1", "b"))]
    for name, f, reference, slips in checks:
        if not _function_passes(name, f, reference, NEURON_W1, hint, slips=slips, var="w1"):
            return  # one problem at a time


NEURON_W1 = [-1.0, -0.5, 0.0, 0.5]  # the values the second weight moves through


def _neuron_run(my_neuron: Callable[..., Any], weights: list[float], bias: float,
                x: list[float], w1: float) -> tuple[Value, list[Value], Value]:
    """The learner's neuron on fresh Values (weights with w1 replaced, the bias), after
    backward(): its output, weights and bias."""
    w, b = [Value(v) for v in weights], Value(bias)
    w[1] = Value(w1)
    out = my_neuron(w, b, x)
    if out is None:
        raise _Explained("my_neuron returned nothing: end it with `return` and the Value")
    if callable(out):
        raise _Explained(f"my_neuron returned {_described(out)}, a method not called: add the "
                         f"brackets, z.tanh()")
    if not isinstance(out, Value):
        raise _Explained(f"my_neuron returned {_described(out)}, not a Value: return the Value "
                         f"itself (no .data at the end; z.tanh(), not math.tanh)")
    out.backward()
    return out, w, b


def _neuron_by_hand(weights: list[float], bias: float, x: list[float],
                    z: Callable[[list[float], float], float] = lambda t, b: sum(t) + b,
                    act: Callable[[float], float] = math.tanh) -> Callable[[float], float]:
    """w1 -> act(z(terms, b)) in floats, the terms being wi·xi with w1 replaced: the right
    neuron by default, or what a slip computes."""
    def at(w1: float) -> float:
        w = [w1 if i == 1 else v for i, v in enumerate(weights)]
        return act(z([wi * xi for wi, xi in zip(w, x)], bias))
    return at


def _neuron_output(name: str, my_neuron: Callable[..., Any], weights: list[float], bias: float,
                   x: list[float]) -> tuple[str, Callable[[float], float],
                                            Callable[[float], float], dict[str, Any]]:
    """The check of the neuron's output, with the slips it names."""
    def output(w1: float) -> float:
        return _neuron_run(my_neuron, weights, bias, x, w1)[0].data

    sums: dict[str, Callable[[list[float], float], float]] = {
        "left out the bias b": lambda t, b: sum(t),
        "added b once for every input, not once": lambda t, b: sum(t) + len(t) * b,
        "added b at the start and again with every input, not once":
            lambda t, b: sum(t) + (len(t) + 1) * b,
        "let only the last pair (wi, xi) reach z: an overwritten z (z = b + wi * xi instead "
        "of z = z + wi * xi), or a skipped first pair": lambda t, b: t[-1] + b,
        "used only the first two pairs (wi, xi): the neuron must take any number of inputs":
            lambda t, b: t[0] + t[1] + b}
    slips = {k: _neuron_by_hand(weights, bias, x, z) for k, z in sums.items()}
    for act_name, act in (("relu", lambda u: max(u, 0.0)),
                          ("sigmoid", lambda u: 1 / (1 + math.exp(-u)))):
        slips[f"used {act_name} where the neuron has tanh"] = _neuron_by_hand(
            weights, bias, x, act=act)
    slips["returned z itself, without the tanh"] = _neuron_by_hand(weights, bias, x,
                                                                  act=lambda u: u)
    slips["applied tanh to each wi·xi: it goes on the whole sum w·x + b, once"] = _neuron_by_hand(
        weights, bias, x, z=lambda t, b: b + sum(math.tanh(u) for u in t), act=lambda u: u)
    slips["added b after the tanh: b goes inside, tanh(w·x + b)"] = _neuron_by_hand(
        weights, bias, x, z=lambda t, b: math.tanh(sum(t)) + b, act=lambda u: u)
    slips["applied tanh inside the loop, to every partial sum: apply it once, after the loop"] = (
        _neuron_by_hand(weights, bias, x, z=_tanh_each_step, act=lambda u: u))
    slips["let w1 never reach the sum (the output stays the same when w1 changes): does every "
          "pair (wi, xi) reach z? A `return` inside the loop stops after the first pair"] = (
        lambda w1: output(NEURON_W1[0]))
    return name, output, _neuron_by_hand(weights, bias, x), slips


def _tanh_each_step(terms: list[float], bias: float) -> float:
    """z = tanh(z + wi·xi) at every step of the loop, starting from z = b."""
    z = bias
    for term in terms:
        z = math.tanh(z + term)
    return z


def _neuron_gradient(my_neuron: Callable[..., Any], weights: list[float], bias: float,
                     x: list[float], p: str) -> tuple[str, Callable[[float], float],
                                                      Callable[[float], float], dict[str, Any]]:
    """The check of d out/d p (p is "w0", "w1" or "b"): tanh's slope times what p multiplies."""
    i = None if p == "b" else int(p[1])

    def gradient(w1: float) -> float:
        _, w, b = _neuron_run(my_neuron, weights, bias, x, w1)
        return b.grad if i is None else w[i].grad

    def slope(w1: float) -> float:
        return (1 - _neuron_by_hand(weights, bias, x)(w1) ** 2) * (1.0 if i is None else x[i])

    slip = (f"cut {p} off from the graph, so that {p}.grad stays 0: somewhere between {p} and "
            f"the output a number was read with .data ({p}.data, or a new Value made from a "
            f".data). Use the Values themselves")
    return f"d out/d {p}", gradient, slope, {slip: lambda w1: 0.0}


def check_op(
    name: str,
    op: Any,
    make: Callable[[float], Any],
    forward: Callable[[float], float],
    derivative: Callable[[float], float],
    points: Iterable[float],
    hint: str = "",
    slips: Mapping[str, Callable[[float], float]] | None = None,
) -> None:
    """Check a new operation `op` on nodes (Values, or a notebook's own kind): the value
    `op(make(x)).data` against `forward(x)`, then the gradient that `backward()` leaves
    on `make(x)` against `derivative(x)`, at every point. `slips` maps a description to
    a wrong derivative that the gradient is compared with."""
    known = _slips("check_op", slips, "function")
    if op is Ellipsis or not callable(op):
        check_function(name, op, forward, points, hint)  # says what is missing
        return

    def value(x: float) -> Any:
        node = make(x)
        result = op(node)
        if result is node:
            kind = type(node).__name__
            raise _Built(f"it returned its input itself (changed in place): return a new {kind} "
                         f"that records the input as its parent")
        if not _is_number(getattr(result, "data", None)):  # a float, say: backward cannot reach x
            kind = type(node).__name__
            raise _Explained(f"it returned {_described(result)}, not a {kind}: return a new {kind} "
                             f"made from its input, so that backward() can reach the input")
        return result.data

    def slope(x: float) -> Any:
        node = make(x)
        result = op(node)
        _check_graph(node, result)
        if _is_number(getattr(result, "grad", 0)) and result.grad != 0:
            kind = type(node).__name__
            raise _Built(f"the {kind} it returned already has a gradient, {_number(result.grad)}: "
                         f"a new node starts with grad 0 (backward() sets the output's)")
        try:
            result.backward()
        except (TypeError, ValueError) as exc:
            if "unpack" in str(exc):  # `for parent, local in node.parents` met something else
                raise _Built(f"{_PAIRS}; backward() said: {exc}") from exc
            raise
        return node.grad

    points = list(points)
    if _agrees(f"{name}, its value", value, forward, points, hint, 1e-6, {}):
        _agrees(f"{name}, its gradient", slope, derivative, points, hint, 1e-6, known,
                constant=_FIXED_LOCAL)


class _Explained(Exception):
    """The learner's function went wrong at one input in a way its message explains."""


class _Built(_Explained):
    """The learner's operation built a graph backward() cannot use, whatever the input."""


# A gradient that is one number at every x, from a result whose graph does reach the input
# (a cut graph is caught before): the local derivative was written as a fixed number.
_FIXED_LOCAL = ("the gradient backward() leaves on the input is {value} at every {var}: your "
                "local derivative is a fixed number, but the slope of this function changes "
                "with {var}.")
_READ_DATA = ("{constant}, {value} at every {var}: did it read .data? (A number read out of a "
              "Value, or a Value made from one, stays fixed when the input changes.)")

_PAIRS = ("parents must be a tuple of (parent, local derivative) pairs: ((v, d),) for one "
          "parent v (mind the comma after the pair)")


def _check_graph(node: Any, result: Any) -> None:
    """Raise _Explained if `result` does not record `node` as where it came from: parents
    that are not (parent, local derivative) pairs, or no path back to `node` at all."""
    parents = getattr(result, "parents", None)
    if not isinstance(parents, tuple):
        return  # a kind of node we cannot look inside: backward() will tell
    # graphgrad's parents are Values; a notebook's own Scalar keeps (parent, local) pairs
    if any(isinstance(p, tuple) and len(p) == 2 and _is_number(getattr(p[0], "data", None))
           and _is_number(getattr(p[1], "data", None)) for p in parents):
        raise _Built("the local derivative in a pair must be a plain number, not a node: use "
                     "its number, with .data")
    if any(isinstance(p, tuple) or _is_number(p) for p in parents) and not all(
            isinstance(p, tuple) and len(p) == 2 and _is_number(getattr(p[0], "data", None))
            and _is_number(p[1]) for p in parents):
        raise _Built(f"{_PAIRS}; yours are {_shape(parents)}")
    # a node of the learner's own kind (graphgrad's Values record their parents themselves)
    if parents == () and result is not node and not isinstance(node, Value):
        kind = type(node).__name__
        raise _Built(f"the {kind} it returned has no parents: record where it came from, "
                     f"{kind}(value, ((v, local derivative),)), so that backward() can reach v")
    if not _reaches(result, node) and not isinstance(node, Value):
        kind = type(node).__name__
        raise _Built(f"the {kind} it returned has no path back to the input v: record v itself "
                     f"as the parent, not a new {kind} made from its number")
    if not _reaches(result, node):
        kind = type(node).__name__
        raise _Built(
            f"{CONSTANT}: did it read .data? The {kind} it returned has no path back to the "
            f"input (a new {kind} made from a number is a leaf), so backward() cannot reach "
            f"the input")


def _shape(thing: Any) -> str:
    """A tuple's layout by type names: `((Scalar, float),)`."""
    if not isinstance(thing, tuple):
        return type(thing).__name__
    inside = ", ".join(_shape(t) for t in thing)
    return f"({inside},)" if len(thing) == 1 else f"({inside})"


def _reaches(result: Any, node: Any) -> bool:
    """Whether `node` is `result` or one of its ancestors (a walk with a stack, no recursion)."""
    stack, seen = [result], set()
    while stack:
        current = stack.pop()
        if current is node:
            return True
        if id(current) in seen:
            continue
        seen.add(id(current))
        for parent in getattr(current, "parents", ()):
            stack.append(parent[0] if isinstance(parent, tuple) and parent else parent)
    return False


def _described(thing: Any) -> str:
    """'a float, 2.71828' for a number; the type and repr for anything else."""
    if _is_number(thing):
        return f"a {type(thing).__name__}, {_number(thing)}"
    return f"{type(thing).__name__} {thing!r}"


def _agrees(name: str, f: Callable[[float], Any], reference: Callable[[float], float],
            points: list[float], hint: str, rel_tol: float,
            slips: dict[str, Callable[[float], float]], constant: str = _READ_DATA,
            var: str = "x") -> bool:
    """Compare f with reference at each point; print OK, or the first disagreement (named
    after a slip f agrees with, or as a constant when f gives one number everywhere)."""
    got = []
    for x in points:
        try:
            y = f(x)
        except _Built as exc:  # the same at every input: no point to name
            _wrong(name, f"{exc}.", hint)
            return False
        except _Explained as exc:
            _wrong(name, f"at {var} = {_number(x)} {exc}.", hint)
            return False
        except TraceError as exc:  # recording the function failed, whatever the input
            # the file a notebook cell runs from is a temporary one: call it what it is
            where = re.sub(r"\S*ipykernel_\d+/\d+\.py", "<your cell>", str(exc))
            _wrong(name, f"tracing failed: {where}", hint)
            return False
        except Exception as exc:  # the learner's code may fail in any way: report it
            _wrong(name, f"at {var} = {_number(x)} it raised {type(exc).__name__}: {exc}", hint)
            return False
        problem = _problem(y)
        if problem is not None:
            _wrong(name, f"at {var} = {_number(x)} it returned something else: {problem}", hint)
            return False
        got.append(y)
    wrong = [(x, y) for x, y in zip(points, got) if not _close(y, reference(x), rel_tol)]
    if not wrong:
        print(f"{OK}  {name} agrees at {var} = {', '.join(_number(x) for x in points)}")
        return True
    _wrong(name, _disagreement(wrong[0], points, got, reference, rel_tol, slips, constant, var),
           hint)
    return False


def _disagreement(first: tuple[float, float], points: list[float], got: list[float],
                  reference: Callable[[float], float], rel_tol: float,
                  slips: dict[str, Callable[[float], float]], constant: str,
                  var: str = "x") -> str:
    """What to say about a function that gives `got` at `points` and is wrong at `first`."""
    for description, slip in slips.items():
        if all(_close(y, slip(x), rel_tol) for x, y in zip(points, got)):
            return f"that is what you get if you {description}."
    expected = [reference(x) for x in points]
    sign = _sign_slip(points, got, expected, rel_tol, var)
    if sign:
        return sign
    if len(points) > 1 and all(_close(y, got[0], 1e-12) for y in got) and not all(
            _close(e, expected[0], rel_tol) for e in expected):
        return constant.format(constant=CONSTANT, value=_number(got[0]), var=var)
    if all(_close(y, e, 1e-3) for y, e in zip(got, expected)):
        return (f"nearly right at every {var} (within 0.1%), but not exactly: a number rounded "
                f"inside, such as 2.718 for e? (math.exp(x) is e^x to full precision.)")
    x, y = first
    return f"at {var} = {_number(x)} it gives {_number(y)}, which is not right."


def _sign_slip(points: list[float], got: list[float], expected: list[float],
               rel_tol: float, var: str = "x") -> str:
    """"The size is right but the sign is not" when every wrong value is the right one
    negated (naming the points when the others are right), else ""."""
    wrong = [(x, y, e) for x, y, e in zip(points, got, expected) if not _close(y, e, rel_tol)]
    if not wrong or not all(e != 0 and _close(-y, e, rel_tol) for _, y, e in wrong):
        return ""
    if len(wrong) == len(points):
        return f"the size is right but the sign is not, at every {var}."
    where = ", ".join(_number(x) for x, _, _ in wrong)
    right = ", ".join(_number(x) for x, y, e in zip(points, got, expected) if _close(y, e, rel_tol))
    return f"right at {var} = {right}; at {var} = {where} the size is right but the sign is not."


# --- checking a derivative rule for x³ to second order (notebook 07) -------------------------

CUBE_POINTS = (0.8, -1.3, 2.0)
_CUBE_PROBES = (0.7, -1.3)  # where the rule is first run on plain numbers
_CUBE_SLIPS: dict[str, Callable[[float], float]] = {  # wrong local derivatives of x³
    "3x": lambda x: 3 * x, "x²": lambda x: x * x, "3·out = 3x³": lambda x: 3 * x ** 3,
    "6x": lambda x: 6 * x, "-3x² (a sign slip)": lambda x: -3 * x * x, "2x": lambda x: 2 * x,
    "x³, the function itself, not its derivative": lambda x: x ** 3,
    "3·out²": lambda x: 3 * x ** 6}


def check_cube_rule(rule: Any, install: Callable[[Any], Any], hint: str = "") -> bool:
    """Check a learner's derivative rule for x³, `rule(g, out, x) -> (gradient for x,)`, the
    way the engine uses it: on plain numbers (an ordinary backward pass), on Values (a
    second derivative), then in the table (`install(rule)` puts it in a row) under
    `check_grads(order=2)` at three points. Names the likely slips (g left out or added,
    a wrong local derivative, x.data read for all or part of it); returns whether it
    passed."""
    name = "cube's rule under check_grads(order=2)"
    if rule is Ellipsis or not callable(rule):
        check_function(name, rule, abs, [0.0], hint=hint)  # says what is missing
        return False
    problem = _cube_on_numbers(rule) or _cube_on_values(rule)
    if problem is None:
        problem = _cube_in_the_table(install(rule))
    if problem:
        _wrong(name, problem, hint)
        return False
    print(f"{OK}  {name} passes at x = {', '.join(_number(x) for x in CUBE_POINTS)}")
    return True


def _cube_on_numbers(rule: Callable[..., Any]) -> str | None:
    """What is wrong with the rule's number, run with g = 1 and 2 on plain numbers, or None
    (also when it fails: check_grads says why)."""
    try:
        ones = [float(rule(1.0, x ** 3, x)[0]) for x in _CUBE_PROBES]
        twos = [float(rule(2.0, x ** 3, x)[0]) for x in _CUBE_PROBES]
    except Exception:
        return None
    probes = list(zip(_CUBE_PROBES, ones, twos))
    if all(math.isclose(one, 3 * x * x) and math.isclose(two, 6 * x * x)
           for x, one, two in probes):
        return None
    if all(math.isclose(one, two) for _, one, two in probes):  # g makes no difference
        if math.isclose(ones[0], ones[1]):
            return ("it returns the same number whatever g and x: the rule is g times the "
                    "local derivative of x³, which changes with x.")
        return ("it leaves out g: the rule must multiply the local derivative by the gradient "
                "g arriving at the output (the chain rule).")
    for slip, slope in _CUBE_SLIPS.items():
        if all(math.isclose(one, slope(x)) for x, one, _ in probes):
            return (f"that is what you get if you wrote the local derivative of x³ as {slip}; "
                    f"it is 3x².")
    if all(math.isclose(one, 1 + 3 * x * x) and math.isclose(two, 2 + 3 * x * x)
           for x, one, two in probes):
        return "it adds g to the local derivative: the chain rule multiplies them, g * 3x²."
    x = _CUBE_PROBES[0]
    return (f"with g = 1 at x = {x} it gives {_number(ones[0])}; it should give g · 3x² = "
            f"{_number(3 * x * x)}.")


def _cube_on_values(rule: Callable[..., Any]) -> str | None:
    """What is wrong when the rule runs on Values, as for a second derivative: a gradient cut
    from the graph (x.data read) in whole or in part; None if it depends on x rightly."""
    for x in CUBE_POINTS:
        g, xv = Value(1.5), Value(x)
        try:
            result = rule(g, xv ** 3, xv)
            (dx,) = result
        except Exception:
            return None  # check_grads says what went wrong
        if isinstance(dx, Value) and _reaches(dx, xv):
            dx.backward()  # its slope in x must be g · 6x
            if not math.isclose(xv.grad, 1.5 * 6 * x, rel_tol=1e-9):
                return ("it reads x.data for part of it: the number is right, but that part is "
                        "cut from the graph, so the second derivative is wrong.")
            continue
        number = dx.data if isinstance(dx, Value) else dx
        if not _is_number(number):
            return None
        if math.isclose(number, 1.5 * 3 * x * x, rel_tol=1e-9):
            return ("it reads x.data: 3x² from a plain number is right to first order, but it is "
                    "cut from the graph, so it is wrong at order 2 (and an ordinary backward "
                    "pass, which gives the rule floats, finds no .data at all).")
        return ("it reads x.data (a plain number, cut from the graph: wrong at order 2), and "
                "the number is not g · 3x² either.")
    return None


def _cube_in_the_table(row: Callable[..., Any]) -> str | None:
    """check_grads(order=2) on the row at each point: its table when it fails, else None."""
    from autograd.testing import check_grads  # (hypothesis is needed by notebook 07 only)

    for x in CUBE_POINTS:
        try:
            check_grads(row, [x], order=2)
        except Exception as exc:  # a GradcheckError with its table, or the rule's own error
            return f"check_grads at x = {_number(x)} found:\n{exc}"
    return None
