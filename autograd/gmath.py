"""Generic math: one function that works on floats, Values and numpy arrays.

Derivative rules in the primitive table are written with these, so one rule serves
three passes: on floats (a plain `backward()`), on Values (a graph of the gradient
itself, for gradients of gradients) and on numpy arrays (a traced program replayed on
a whole batch). Write your own primitives' rules with them too:

    from autograd import gmath
    erf = primitive("erf", gmath.erf, lambda g, out, x: (g * 2 / math.sqrt(math.pi) * gmath.exp(-x * x),))

Floats go to `math`, Values to their methods (recorded in the graph), and anything
else (an array) to the numpy function of the same name. numpy is never imported here:
an array can only exist if the caller's code imported numpy already.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Iterable
from typing import Any

__all__ = [
    "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "erf", "sigmoid", "softplus",
    "abs", "sign", "where", "maximum", "is_array",
]

_builtin_abs = abs


def _np() -> Any:
    """The numpy module, already imported by whoever made the array we were given."""
    return sys.modules["numpy"]


def is_array(x: Any) -> bool:
    """True for a numpy array (or numpy scalar): not a float, int or Value."""
    return type(x).__module__ == "numpy"


# Each function tests `type(x) is float` first: the engine's common case, at full speed.


def exp(x: Any) -> Any:
    """e ** x."""
    if type(x) is float or type(x) is int:
        return math.exp(x)
    return _np().exp(x) if is_array(x) else x.exp()


def log(x: Any) -> Any:
    """Natural logarithm."""
    if type(x) is float or type(x) is int:
        return math.log(x)
    return _np().log(x) if is_array(x) else x.log()


def log1p(x: Any) -> Any:
    """log(1 + x), accurate for small x (on a Value: (1 + x).log())."""
    if type(x) is float or type(x) is int:
        return math.log1p(x)
    return _np().log1p(x) if is_array(x) else (x + 1.0).log()


def sqrt(x: Any) -> Any:
    """Square root."""
    if type(x) is float or type(x) is int:
        return math.sqrt(x)
    return _np().sqrt(x) if is_array(x) else x.sqrt()


def sin(x: Any) -> Any:
    """Sine (radians)."""
    if type(x) is float or type(x) is int:
        return math.sin(x)
    return _np().sin(x) if is_array(x) else x.sin()


def cos(x: Any) -> Any:
    """Cosine (radians)."""
    if type(x) is float or type(x) is int:
        return math.cos(x)
    return _np().cos(x) if is_array(x) else x.cos()


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    if type(x) is float or type(x) is int:
        return math.tanh(x)
    return _np().tanh(x) if is_array(x) else x.tanh()


def erf(x: Any) -> Any:
    """The error function, on floats and arrays (Values have no erf method: make it a primitive)."""
    if type(x) is float or type(x) is int:
        return math.erf(x)
    if is_array(x):
        return _np().vectorize(math.erf, otypes=[float])(x)
    raise TypeError(f"gmath.erf: expected a float or a numpy array, got {type(x).__name__}")


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), arranged so that exp never sees a large positive argument."""
    if type(x) is float or type(x) is int:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        z = math.exp(x)
        return z / (1.0 + z)
    if not is_array(x):
        return x.sigmoid()
    np = _np()
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def softplus(x: Any) -> Any:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): finite for any x."""
    if type(x) is float or type(x) is int:
        return max(x, 0.0) + math.log1p(math.exp(-_builtin_abs(x)))
    if not is_array(x):
        return x.softplus()
    np = _np()
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def abs(x: Any) -> Any:  # noqa: A001 - the generic version of the builtin, by design
    """|x| (a Value records it in the graph)."""
    return _builtin_abs(x)


def sign(x: Any) -> Any:
    """-1, 0 or 1: a constant, also for a Value (it compares data), so no graph is built."""
    if is_array(x):
        return _np().sign(x)
    return float((x > 0) - (x < 0))


def maximum(xs: Iterable[Any]) -> Any:
    """The largest of several floats, or their elementwise maximum for arrays."""
    xs = list(xs)
    if not any(map(is_array, xs)):
        return max(xs)
    return functools.reduce(_np().maximum, xs)


def where(condition: Any, a: Any, b: Any) -> Any:
    """`a` where `condition` holds, else `b` (elementwise for arrays).

    On floats and Values the condition is a plain bool (comparisons of Values compare
    their data), so the result is `a` or `b` itself.
    """
    if is_array(condition):
        return _np().where(condition, a, b)
    return a if condition else b
