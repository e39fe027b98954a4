"""The primitive table: every differentiable operation, its forward rule and its local gradients.

Each row is an `Op`. `forward` works on floats (an n-ary row's forward takes its
inputs as iterables, e.g. the w's and the x's of a dot product). `vjp` ("vector-Jacobian product")
receives the incoming gradient `g`, the output `out` and the inputs, and returns the
gradient for each parent. Rules use only generic arithmetic (and the generic helpers
below), so the same row runs on floats for a plain backward pass and on Values when
building a graph of the gradient itself (gradients of gradients).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

# How the engine calls an op's rules (the inputs after `g, out`):
UNARY = 1  # one parent:              vjp(g, out, x)
UNARY_CONST = 2  # one parent, a folded constant c: vjp(g, out, x, c)
BINARY = 3  # two parents:             vjp(g, out, x, y)
NARY = 4  # any number of parents:   vjp(g, out, xs)
NARY_CONST = 5  # parents and constants:   vjp(g, out, xs, cs)


class Op:
    """A primitive: its name, how it is drawn, its forward rule and its local gradients."""

    __slots__ = ("name", "symbol", "kind", "forward", "vjp", "formula", "derivative")

    def __init__(
        self,
        name: str,
        symbol: str,
        kind: int,
        forward: Callable[..., float],
        vjp: Callable[..., Any],
        formula: str,
        derivative: str,
    ) -> None:
        self.name = name  # the row's name, also `Value.op`
        self.symbol = symbol  # what a graph drawing shows
        self.kind = kind  # UNARY, UNARY_CONST, BINARY, NARY or NARY_CONST
        self.forward = forward
        self.vjp = vjp
        self.formula = formula  # the math, for the derivative table in the README
        self.derivative = derivative

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# ---------------------------------------------------------------------------
# Generic helpers: math on a float, the Value method on a Value.
# Gradient rules call these so that one rule serves both passes.
# ---------------------------------------------------------------------------


def log(x: Any) -> Any:
    return math.log(x) if type(x) is float else x.log()


def sin(x: Any) -> Any:
    return math.sin(x) if type(x) is float else x.sin()


def cos(x: Any) -> Any:
    return math.cos(x) if type(x) is float else x.cos()


def sigmoid(x: Any) -> Any:
    return _sigmoid(x) if type(x) is float else x.sigmoid()


def sign(x: Any) -> int:
    """-1, 0 or 1: a constant, so it is the same for floats and Values (compares data)."""
    return (x > 0) - (x < 0)


# ---------------------------------------------------------------------------
# Forward rules that need care: domain errors with clear words, no overflow.
# ---------------------------------------------------------------------------


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("zero cannot be raised to a negative power")
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base cannot be raised to a fractional power")
    return math.pow(x, y)


def _sigmoid(x: float) -> float:
    # 1 / (1 + e^-x), arranged so that exp never sees a large positive argument
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): finite for any x
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _rdiv(x: float, c: float) -> float:
    return _div(c, x)


def _rpow(x: float, c: float) -> float:
    return _pow(c, x)


def _dot(ws: Iterable[float], xs: Iterable[float]) -> float:
    return sum(map(operator.mul, ws, xs), 0.0)


def _dot_vjp(g: Any, out: Any, xs: list[Any]) -> list[Any]:
    n = len(xs) // 2
    # d/dw_i = x_i and d/dx_i = w_i
    return [g * x for x in xs[n:]] + [g * w for w in xs[:n]]


def _affine(ws: Iterable[float], xs: Iterable[float], b: float) -> float:
    return sum(map(operator.mul, ws, xs), b)


def _affine_vjp(g: Any, out: Any, xs: list[Any]) -> list[Any]:
    n = len(xs) // 2
    return [g * x for x in xs[n:-1]] + [g * w for w in xs[:n]] + [g]


def _pow_const_vjp(g: Any, out: Any, x: Any, c: float) -> tuple[Any]:
    # d x^c = c x^(c-1); for c == 0 the slope is 0 everywhere, even at x == 0
    return (g * c * x ** (c - 1.0),) if c != 0.0 else (g * 0.0,)


def _pow_vjp(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # d/dx x^y = y x^(y-1);  d/dy x^y = x^y log x, defined for x > 0 (0 when out is 0)
    if x > 0:
        dy = g * out * log(x)
    elif x == 0 and y > 0:
        dy = g * 0.0
    else:
        raise ValueError("d/dy of x ** y needs x > 0 (log x)")
    return g * y * x ** (y - 1.0), dy


# ---------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------

# Arithmetic on two Values
ADD = Op("add", "+", BINARY, operator.add,
         lambda g, out, x, y: (g, g),
         "x + y", "1, 1")
MUL = Op("mul", "*", BINARY, operator.mul,
         lambda g, out, x, y: (g * y, g * x),
         "x * y", "y, x")
DIV = Op("div", "/", BINARY, _div,
         lambda g, out, x, y: (g / y, -g * out / y),
         "x / y", "1/y, -out/y")
POW = Op("pow", "**", BINARY, _pow,
         _pow_vjp,
         "x ** y", "y x^(y-1), out log x")

# A Value and a plain number c, folded into the node (no node for c)
ADD_CONST = Op("add_const", "+", UNARY_CONST, operator.add,
               lambda g, out, x, c: (g,),
               "x + c", "1")
MUL_CONST = Op("mul_const", "*", UNARY_CONST, operator.mul,
               lambda g, out, x, c: (g * c,),
               "x * c", "c")
DIV_CONST = Op("div_const", "/", UNARY_CONST, _div,
               lambda g, out, x, c: (g / c,),
               "x / c", "1/c")
RDIV_CONST = Op("rdiv_const", "/", UNARY_CONST, _rdiv,
                lambda g, out, x, c: (-g * out / x,),
                "c / x", "-out/x")
POW_CONST = Op("pow_const", "**", UNARY_CONST, _pow,
               _pow_const_vjp,
               "x ** c", "c x^(c-1)")
RPOW_CONST = Op("rpow_const", "**", UNARY_CONST, _rpow,
                lambda g, out, x, c: (g * out * log(c),),
                "c ** x", "out log c")

# Functions of one Value
EXP = Op("exp", "exp", UNARY, math.exp,
         lambda g, out, x: (g * out,),
         "e^x", "out")
LOG = Op("log", "log", UNARY, math.log,
         lambda g, out, x: (g / x,),
         "ln x", "1/x")
SQRT = Op("sqrt", "sqrt", UNARY, math.sqrt,
          lambda g, out, x: (g * 0.5 / out,),
          "√x", "1/(2 out)")
ABS = Op("abs", "abs", UNARY, abs,
         lambda g, out, x: (g * sign(x),),
         "|x|", "sign(x)")
SIN = Op("sin", "sin", UNARY, math.sin,
         lambda g, out, x: (g * cos(x),),
         "sin x", "cos x")
COS = Op("cos", "cos", UNARY, math.cos,
         lambda g, out, x: (-g * sin(x),),
         "cos x", "-sin x")

# Activation functions
TANH = Op("tanh", "tanh", UNARY, math.tanh,
          lambda g, out, x: (g * (1.0 - out * out),),
          "tanh x", "1 - out²")
SIGMOID = Op("sigmoid", "σ", UNARY, _sigmoid,
             lambda g, out, x: (g * out * (1.0 - out),),
             "1 / (1 + e^-x)", "out (1 - out)")
RELU = Op("relu", "ReLU", UNARY, lambda x: x if x > 0.0 else 0.0,
          lambda g, out, x: (g * (x > 0),),
          "max(x, 0)", "1 if x > 0 else 0")
LEAKY_RELU = Op("leaky_relu", "LeakyReLU", UNARY_CONST,
                lambda x, c: x if x > 0.0 else c * x,
                lambda g, out, x, c: (g * (1.0 if x > 0 else c),),
                "x if x > 0 else c x", "1 if x > 0 else c")
SOFTPLUS = Op("softplus", "softplus", UNARY, _softplus,
              lambda g, out, x: (g * sigmoid(x),),
              "ln(1 + e^x)", "σ(x)")
SILU = Op("silu", "SiLU", UNARY, lambda x: x * _sigmoid(x),
          lambda g, out, x: (g * (sigmoid(x) + out * (1.0 - sigmoid(x))),),
          "x σ(x)", "σ(x) + out (1 - σ(x))")
SOFTSIGN = Op("softsign", "softsign", UNARY, lambda x: x / (1.0 + abs(x)),
              lambda g, out, x: (g / ((1.0 + abs(x)) * (1.0 + abs(x))),),
              "x / (1 + |x|)", "1 / (1 + |x|)²")
STEP = Op("step", "step", UNARY, lambda x: 1.0 if x > 0.0 else 0.0,
          lambda g, out, x: (g * 0.0,),
          "1 if x > 0 else 0", "0")

# Fused n-ary operations: one node instead of n - 1 (or 2n - 1) binary ones
ADD_N = Op("add_n", "Σ", NARY, lambda xs: sum(xs, 0.0),
           lambda g, out, xs: [g] * len(xs),
           "x_1 + … + x_n", "1 each")
DOT = Op("dot", "·", NARY, _dot,
         _dot_vjp,
         "w_1 x_1 + … + w_n x_n", "x_i for w_i, w_i for x_i")
AFFINE = Op("affine", "·+", NARY, _affine,
            _affine_vjp,
            "w_1 x_1 + … + w_n x_n + b", "x_i for w_i, w_i for x_i, 1 for b")
DOT_CONST = Op("dot_const", "·", NARY_CONST, _dot,
               lambda g, out, xs, cs: [g * c for c in cs],
               "x_1 c_1 + … + x_n c_n", "c_i")

#: Every primitive, in the order of the README's derivative table.
PRIMITIVES: tuple[Op, ...] = (
    ADD, MUL, DIV, POW,
    ADD_CONST, MUL_CONST, DIV_CONST, RDIV_CONST, POW_CONST, RPOW_CONST,
    EXP, LOG, SQRT, ABS, SIN, COS,
    TANH, SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SILU, SOFTSIGN, STEP,
    ADD_N, DOT, AFFINE, DOT_CONST,
)


def derivative_table() -> str:
    """The table of primitives as Markdown: name, formula and local derivative(s)."""
    rows = ["| op | out = | d out / d input |", "|---|---|---|"]
    rows += [f"| `{op.name}` | {op.formula} | {op.derivative} |" for op in PRIMITIVES]
    return "\n".join(rows)
