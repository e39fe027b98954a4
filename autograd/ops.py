"""The primitive table: every differentiable operation, its forward rule and its local gradients.

Each row is an `Op`. `forward` computes the output (an n-ary row's forward takes its
inputs as iterables, e.g. the w's and the x's of a dot product). `vjp` ("vector-Jacobian
product") receives the incoming gradient `g`, the output `out` and the inputs, and returns
the gradient for each parent. Rules use only generic arithmetic and `autograd.gmath`, so
the same row runs on floats for a plain backward pass, on Values when building a graph of
the gradient itself (gradients of gradients), and on numpy arrays for a traced batch.
"""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

from .gmath import cos, exp, is_array, log, maximum, sigmoid, sign, sin, softplus, sqrt, tanh, where


class Kind(enum.IntEnum):
    """How the engine calls an op's rules: the inputs that follow `g, out` in `vjp`."""

    UNARY = 1  # one parent:                        vjp(g, out, x)
    UNARY_CONST = 2  # one parent and a folded constant c: vjp(g, out, x, c)
    BINARY = 3  # two parents:                       vjp(g, out, x, y)
    NARY = 4  # any number of parents:             vjp(g, out, xs)
    NARY_CONST = 5  # parents and constants:             vjp(g, out, xs, cs)


# The kinds by their short names, as the engine and the drawing code use them.
UNARY, UNARY_CONST, BINARY, NARY, NARY_CONST = Kind


class Op:
    """A primitive: its name, how it is drawn, its forward rule and its local gradients.

    `forward` takes floats (the engine) or numpy arrays (a traced program on a batch);
    `vjp` also takes Values (gradients of gradients). An n-ary row's forward takes its
    inputs as iterables, e.g. the w's and the x's of a dot product.
    """

    __slots__ = ("name", "symbol", "kind", "forward", "vjp", "formula", "derivative",
                 "single_parent", "many_parents", "folds_constant")

    def __init__(
        self,
        name: str,
        symbol: str,
        kind: Kind,
        forward: Callable[..., Any],
        vjp: Callable[..., Any],
        formula: str,
        derivative: str,
    ) -> None:
        self.name = name  # the row's name, also `Value.op`
        self.symbol = symbol  # what a graph drawing shows
        self.kind = Kind(kind)
        self.forward = forward
        self.vjp = vjp
        self.formula = formula  # the math, for the derivative table in the README
        self.derivative = derivative
        # Where a node of this op keeps its inputs (see autograd.engine), as named facts:
        # one parent in _x (the topological sort walks runs of these in one go) ...
        self.single_parent = self.kind in (Kind.UNARY, Kind.UNARY_CONST)
        # ... or a tuple of parents in _x ...
        self.many_parents = self.kind in (Kind.NARY, Kind.NARY_CONST)
        # ... and plain-number constant(s) in _y
        self.folds_constant = self.kind in (Kind.UNARY_CONST, Kind.NARY_CONST)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # a row pickles by name: unpickling finds the row of this process's table
        return (lookup, (self.name,))


# ---------------------------------------------------------------------------
# Forward rules that need care: domain errors with clear words, no overflow.
# On arrays (a traced batch) they compute elementwise and the replay checks
# the results, naming the sample whose input is out of the domain.
# ---------------------------------------------------------------------------


def _pow(x: Any, y: Any) -> Any:
    if type(x) is not float or type(y) is not float:  # arrays: NaN/inf checked by the replay
        return x**y
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("zero cannot be raised to a negative power")
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base cannot be raised to a fractional power")
    return math.pow(x, y)


def _div(x: Any, y: Any) -> Any:
    if type(y) is float and y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _rdiv(x: Any, c: float) -> Any:
    return _div(c, x)


def _rpow(x: Any, c: float) -> Any:
    return _pow(c, x)


# relu, leaky_relu and step test `type(x) is float` first: most of a network's nodes pass here.


def _relu(x: Any) -> Any:
    if type(x) is float:
        return x if x > 0.0 else 0.0
    return where(x > 0.0, x, 0.0)


def _leaky_relu(x: Any, c: float) -> Any:
    if type(x) is float:
        return x if x > 0.0 else c * x
    return where(x > 0.0, x, c * x)


def _step(x: Any) -> Any:
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    return where(x > 0.0, 1.0, 0.0)


def _dot(ws: Iterable[Any], xs: Iterable[Any]) -> Any:
    return sum(map(operator.mul, ws, xs), 0.0)


def _dot_vjp(g: Any, out: Any, xs: list[Any]) -> list[Any]:
    n = len(xs) // 2
    # d/dw_i = x_i and d/dx_i = w_i
    return [g * x for x in xs[n:]] + [g * w for w in xs[:n]]


def _affine(ws: Iterable[Any], xs: Iterable[Any], b: Any) -> Any:
    return sum(map(operator.mul, ws, xs), b)


def _affine_vjp(g: Any, out: Any, xs: list[Any]) -> list[Any]:
    n = len(xs) // 2
    return [g * x for x in xs[n:-1]] + [g * w for w in xs[:n]] + [g]


def _logsumexp(xs: Iterable[Any]) -> Any:
    # log Σ e^x_i = m + log Σ e^(x_i - m) with m the largest x_i: every e^(x_i - m) <= 1,
    # so nothing overflows, and the sum is >= 1, so the log is finite
    xs = list(xs)
    m = maximum(xs)
    return m + log(sum((exp(x - m) for x in xs), 0.0))


def _pow_const_vjp(g: Any, out: Any, x: Any, c: float) -> tuple[Any]:
    # d x^c = c x^(c-1); for c == 0 the slope is 0 everywhere, even at x == 0
    return (g * c * x ** (c - 1.0),) if c != 0.0 else (g * 0.0,)


def _pow_vjp(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # d/dx x^y = y x^(y-1);  d/dy x^y = x^y log x, defined for x > 0 (0 when out is 0)
    dx = g * y * x ** (y - 1.0)
    if is_array(x) or is_array(y):  # elementwise; NaN where undefined, which the replay reports
        undefined = where((x == 0.0) & (y > 0.0), 0.0, math.nan)  # 0 for x == 0 < y only
        return dx, g * where(x > 0.0, out * log(where(x > 0.0, x, 1.0)), undefined)
    if x > 0:
        return dx, g * out * log(x)
    if x == 0 and y > 0:
        return dx, g * 0.0
    raise ValueError("d/dy of x ** y needs x > 0 (log x)")


# ---------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------

# Arithmetic on two Values
ADD = Op("add", "+", BINARY, operator.add,
         lambda g, out, x, y: (g, g),
         "x + y", "1, 1")
SUB = Op("sub", "-", BINARY, operator.sub,
         lambda g, out, x, y: (g, -g),
         "x - y", "1, -1")
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
EXP = Op("exp", "exp", UNARY, exp,
         lambda g, out, x: (g * out,),
         "e^x", "out")
LOG = Op("log", "log", UNARY, log,
         lambda g, out, x: (g / x,),
         "ln x", "1/x")
SQRT = Op("sqrt", "sqrt", UNARY, sqrt,
          lambda g, out, x: (g * 0.5 / out,),
          "√x", "1/(2 out)")
ABS = Op("abs", "abs", UNARY, abs,
         lambda g, out, x: (g * sign(x),),
         "|x|", "sign(x)")
SIN = Op("sin", "sin", UNARY, sin,
         lambda g, out, x: (g * cos(x),),
         "sin x", "cos x")
COS = Op("cos", "cos", UNARY, cos,
         lambda g, out, x: (-g * sin(x),),
         "cos x", "-sin x")

# Activation functions
TANH = Op("tanh", "tanh", UNARY, tanh,
          lambda g, out, x: (g * (1.0 - out * out),),
          "tanh x", "1 - out²")
SIGMOID = Op("sigmoid", "σ", UNARY, sigmoid,
             lambda g, out, x: (g * out * (1.0 - out),),
             "1 / (1 + e^-x)", "out (1 - out)")
RELU = Op("relu", "ReLU", UNARY, _relu,
          lambda g, out, x: (g * (x > 0.0),),  # a bool: 1 or 0 (elementwise on arrays)
          "max(x, 0)", "1 if x > 0 else 0")
LEAKY_RELU = Op("leaky_relu", "LeakyReLU", UNARY_CONST, _leaky_relu,
                lambda g, out, x, c: (g * where(x > 0.0, 1.0, c),),
                "x if x > 0 else c x", "1 if x > 0 else c")
SOFTPLUS = Op("softplus", "softplus", UNARY, softplus,
              lambda g, out, x: (g * sigmoid(x),),
              "ln(1 + e^x)", "σ(x)")
SILU = Op("silu", "SiLU", UNARY, lambda x: x * sigmoid(x),
          lambda g, out, x: (g * (sigmoid(x) + out * (1.0 - sigmoid(x))),),
          "x σ(x)", "σ(x) + out (1 - σ(x))")
SOFTSIGN = Op("softsign", "softsign", UNARY, lambda x: x / (1.0 + abs(x)),
              lambda g, out, x: (g / ((1.0 + abs(x)) * (1.0 + abs(x))),),
              "x / (1 + |x|)", "1 / (1 + |x|)²")
STEP = Op("step", "step", UNARY, _step,
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
LOGSUMEXP = Op("logsumexp", "LSE", NARY, _logsumexp,
               lambda g, out, xs: [g * exp(x - out) for x in xs],  # softmax_i = e^(x_i - out)
               "log(e^x_1 + … + e^x_n)", "e^(x_i - out), the softmax")

#: The built-in primitives, in the order of the README's derivative table.
PRIMITIVES: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, POW,
    ADD_CONST, MUL_CONST, DIV_CONST, RDIV_CONST, POW_CONST, RPOW_CONST,
    EXP, LOG, SQRT, ABS, SIN, COS,
    TANH, SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SILU, SOFTSIGN, STEP,
    ADD_N, DOT, AFFINE, DOT_CONST, LOGSUMEXP,
)

# ---------------------------------------------------------------------------
# The registry: every row by name, built-in ones first, then those a user adds
# with `autograd.primitive`. Everything that lists ops (the derivative table,
# nn's activations, the command line's functions) reads it from here.
# ---------------------------------------------------------------------------

_REGISTRY: dict[str, Op] = {op.name: op for op in PRIMITIVES}


def register(op: Op, replace: bool = False) -> Op:
    """Add a row to the table; ValueError if its name is taken (unless `replace` is true and
    the row it replaces is a user's: built-in rows are never replaced)."""
    old = _REGISTRY.get(op.name)
    if old is not None:
        if old in PRIMITIVES:
            raise ValueError(f"primitive {op.name!r} is a built-in row; choose another name")
        if not replace:
            raise ValueError(
                f"primitive {op.name!r} already exists; choose another name, or pass "
                f"replace=True to redefine it (say, when a notebook cell runs again)"
            )
    _REGISTRY[op.name] = op
    return op


def lookup(name: str) -> Op:
    """The row called `name`; LookupError saying what exists when there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(
            f"no primitive named {name!r} (a user primitive must be declared again in this "
            f"process, e.g. by importing the module that declares it)"
        ) from None


def primitives() -> tuple[Op, ...]:
    """Every row of the table: the built-in ones, then user-defined ones in declaration order."""
    return tuple(_REGISTRY.values())


def _cell(text: str) -> str:
    # a bare | would end a Markdown table cell: |x| must be written \|x\|
    return text.replace("|", "\\|")


def derivative_table(rows_of: Iterable[Op] | None = None) -> str:
    """The table of primitives as Markdown: name, formula and local derivative(s).

    Lists every row (user primitives too), or just the ops given.
    """
    rows = ["| op | out = | d out / d input |", "|---|---|---|"]
    rows += [
        f"| `{op.name}` | {_cell(op.formula)} | {_cell(op.derivative)} |"
        for op in (primitives() if rows_of is None else rows_of)
    ]
    return "\n".join(rows)
