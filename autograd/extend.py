"""Adding your own primitive to the table, and every unary function by name.

    import math
    from autograd import gmath, primitive
    erf = primitive("erf", gmath.erf,
                    lambda g, out, x: (g * 2 / math.sqrt(math.pi) * gmath.exp(-x * x),),
                    formula="erf x", derivative="2/√π e^(-x²)")
    y = erf(Value(0.3))          # a node like any other: drawn, stepped, traced, checked

A row declared here sits in the same table as the built-in ones, so the derivative table,
nn's activations (for a unary row), drawings and the command line all see it at once.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from . import ops
from .engine import _data_of
from .ops import Kind, Op
from .value import Value, _as_float, _binary, _fail, _node, _unary

_USER_FUNCTIONS: dict[str, Callable[..., Value]] = {}  # user rows, as functions of Values


def unary_functions() -> dict[str, Callable[[Value], Value]]:
    """Every function of one Value in the table, by name: the unary Value methods
    (`exp`, `tanh`, `relu`, `leaky_relu`, ...), then unary user primitives.

    This is the one list behind nn's activation names and the command line's functions.
    """
    functions: dict[str, Callable[[Value], Value]] = {}
    for op in ops.PRIMITIVES:
        method = getattr(Value, op.name, None)
        if op.single_parent and callable(method):
            functions[op.name] = method
    for name, function in _USER_FUNCTIONS.items():
        if ops.lookup(name).kind == Kind.UNARY:
            functions[name] = function
    return functions


def user_arity(op: Op) -> int | None:
    """How many inputs the user primitive `op` takes (None: any number, or not a user row)."""
    function = _USER_FUNCTIONS.get(op.name)
    return getattr(function, "arity", None) if getattr(function, "op", None) is op else None


def _arity(name: str, forward: Callable[..., Any]) -> int | None:
    """How many inputs `forward` takes (None: any number, `*xs`)."""
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(
            f"primitive {name!r}: cannot read the parameters of forward {forward!r}; "
            f"wrap it in a lambda or def"
        ) from None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return None
    n = sum(1 for p in params if p.kind in positional and p.default is p.empty)
    if n == 0:
        raise TypeError(f"primitive {name!r}: forward must take at least one input")
    return n


def _checked_vjp(name: str, vjp: Callable[..., Any], spread: bool) -> Callable[..., Any]:
    """`vjp`, checked to return one gradient per input (and called as the engine expects)."""

    def checked(g: Any, out: Any, *xs: Any) -> Any:
        inputs = xs[0] if spread else xs  # n-ary rows receive their inputs as one list
        grads = vjp(g, out, *inputs)
        if not isinstance(grads, (tuple, list)) or len(grads) != len(inputs):
            got = f"{len(grads)} values" if isinstance(grads, (tuple, list)) else repr(grads)
            raise TypeError(
                f"primitive {name!r}: vjp must return a tuple of {len(inputs)} gradient(s), "
                f"one per input; it returned {got}"
            )
        return grads

    return checked


def primitive(
    name: str,
    forward: Callable[..., Any],
    vjp: Callable[..., Any],
    *,
    symbol: str | None = None,
    formula: str = "",
    derivative: str = "",
    replace: bool = False,
) -> Callable[..., Value]:
    """Add a row to the primitive table and return the operation as a function of Values.

    Args:
        name: the row's name (`Value.op` of its results); must be new.
        forward: the output from the inputs, `forward(x)` or `forward(x, y, ...)`; write it
            with `autograd.gmath` so it also runs on numpy arrays (traced batches).
        vjp: `vjp(g, out, x, ...)` returns a tuple with one gradient per input, written with
            generic arithmetic and `gmath` so gradients of gradients work.
        symbol: what drawings show (default: the name).
        formula, derivative: the math, for `derivative_table()`.
        replace: redefine a user primitive of the same name (a name already taken is an
            error otherwise; built-in rows are never replaced). Values made before keep
            the old rule.

    Returns:
        A function taking Values (or plain numbers) and returning a new Value.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(f"primitive: name must be an identifier string, got {name!r}")
    for role, rule in (("forward", forward), ("vjp", vjp)):
        if not callable(rule):
            raise TypeError(f"primitive {name!r}: {role} must be callable, got {rule!r}")
    n = _arity(name, forward)
    if n in (1, 2):
        kind, op_forward = (Kind.UNARY if n == 1 else Kind.BINARY), forward
    else:  # n-ary rows take their inputs as one iterable
        kind, op_forward = Kind.NARY, (lambda xs: forward(*xs))
    op = ops.register(Op(name, symbol or name, kind, op_forward,
                         _checked_vjp(name, vjp, kind == Kind.NARY), formula, derivative),
                      replace=replace)
    function = _make_function(op, n)
    _USER_FUNCTIONS[name] = function
    return function


def _make_function(op: Op, n: int | None) -> Callable[..., Value]:
    def apply(*args: Any) -> Value:
        if (n is not None and len(args) != n) or not args:
            expected = f"{n}" if n is not None else "at least 1"
            raise TypeError(f"{op.name}: expected {expected} input(s), got {len(args)}")
        xs = [a if type(a) is Value else Value(_as_float(a, op.name)) for a in args]
        if op.kind == Kind.UNARY:
            out = _unary(op, xs[0])
        elif op.kind == Kind.BINARY:
            out = _binary(op, xs[0], xs[1])
        else:
            try:
                data = op.forward(map(_data_of, xs))
            except (ArithmeticError, ValueError) as exc:
                raise _fail(op, exc, *(x.data for x in xs)) from None
            out = _node(data, op, tuple(xs))
        return _checked_result(op, out)

    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = f"The primitive {op.name!r}: {op.formula or op.name}."
    apply.op = op  # type: ignore[attr-defined]
    apply.arity = n  # type: ignore[attr-defined]
    return apply


def _checked_result(op: Op, out: Value) -> Value:
    """A user forward must give a finite number: never let a NaN or a non-number in."""
    if type(out.data) is not float:
        out.data = _as_float(out.data, f"{op.name}: forward's result")
    if not math.isfinite(out.data):
        operands = ", ".join(repr(p.data) for p in out.parents)
        raise ValueError(f"{op.name}({operands}): forward returned {out.data!r}")
    return out
