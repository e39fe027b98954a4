"""`Value`: a scalar that records the operations applied to it, and `gradients()`.

Operators and methods are thin: each looks up its row in `ops` and applies it.
A node holds its inputs (see `autograd.engine`) and nothing that points back at it,
so a graph has no reference cycles and is freed the moment it is dropped.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from . import copies, ops
from .engine import (
    MODE,
    OPEN_MODES,
    TRACES,
    TRACING,
    _data_of,
    backprop,
    format_call,
    parents_of,
    restore,
)
from .ops import Op

Number: TypeAlias = int | float
Operand: TypeAlias = "Value | int | float"


_CONVERSION_HELP = (
    "a Value does not turn into a {kind} implicitly, because that would cut it out of the "
    "graph (math.exp(v) would return a number whose gradient is lost): use v.data or "
    "v.item() for the number, and v.exp(), v.log(), v.tanh(), ... for math on Values"
)


def _as_float(x: Any, where: str) -> float:
    """A plain number as float; TypeError naming `where` for anything else."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):  # int, bool, numpy scalars, Fraction, …
        return float(x)
    raise TypeError(
        f"{where}: expected an int or float (or a Value), got {type(x).__name__} {x!r}"
    )


def _leaf_data(data: Any) -> float:
    """A leaf's data as a float: TypeError for a Value or anything but a real number."""
    if isinstance(data, Value):
        raise TypeError("Value(data): data is already a Value; use .detach() for a copy")
    if not isinstance(data, numbers.Real):
        raise TypeError(
            f"Value(data): expected an int or float (numpy scalars accepted), "
            f"got {type(data).__name__} {data!r}"
        )
    return float(data)


def _is_number(x: Any) -> bool:
    return type(x) is float or type(x) is int or isinstance(x, numbers.Real)


def _refuse_in_trace(what: str) -> None:
    """Inside `autograd.trace`, raise TraceError: `what` would fix this sample's number."""
    tracer = TRACING.get() if TRACES[0] else None
    if tracer is not None:
        tracer.refuse(what)


def _fail(op: Op, exc: Exception, *operands: Any) -> Exception:
    """The error of a forward rule again, with the operation and operands named."""
    return type(exc)(f"{format_call(op.name, operands)}: {exc}")


class _Numbers:
    """A Value and plain numbers: explicit conversions, and comparisons of data."""

    __slots__ = ()
    data: float

    # -- numbers out: explicit only -----------------------------------------------
    # float(v) would let math.exp(v) quietly return a float and cut v out of the graph
    # (its gradient would stay 0 with no error), so the implicit conversions refuse.

    def item(self) -> float:
        """The number this Value holds (its `data`), as a plain float."""
        _refuse_in_trace("v.item()")
        return self.data

    def __float__(self) -> float:
        _refuse_in_trace("float(v)")
        raise TypeError(_CONVERSION_HELP.format(kind="float"))

    def __int__(self) -> int:
        _refuse_in_trace("int(v)")
        raise TypeError(_CONVERSION_HELP.format(kind="int"))

    def __index__(self) -> int:
        _refuse_in_trace("using v as an index")
        raise TypeError(_CONVERSION_HELP.format(kind="int"))

    def __bool__(self) -> bool:
        _refuse_in_trace("the truth value of v (an if, while, and, or, not)")
        raise TypeError(_CONVERSION_HELP.format(kind="bool"))

    def __format__(self, spec: str) -> str:
        """`f"{v:.3f}"` formats `data`; `f"{v}"` is the repr."""
        return format(self.data, spec) if spec else repr(self)

    # Comparisons look at data; == stays identity so Values can be dict keys. While a
    # function is being traced they refuse: the branch taken would be this sample's alone.
    # Outside a trace the check is one list lookup; with a Value operand read inline, a
    # comparison is no slower than it was without the check (about 190 ns either way).
    def __lt__(self, other: Operand) -> bool:
        if TRACES[0] and TRACING.get() is not None:
            TRACING.get().refuse("a comparison v < ...")
        return self.data < (other.data if type(other) is Value else _data(other))

    def __le__(self, other: Operand) -> bool:
        if TRACES[0] and TRACING.get() is not None:
            TRACING.get().refuse("a comparison v <= ...")
        return self.data <= (other.data if type(other) is Value else _data(other))

    def __gt__(self, other: Operand) -> bool:
        if TRACES[0] and TRACING.get() is not None:
            TRACING.get().refuse("a comparison v > ...")
        return self.data > (other.data if type(other) is Value else _data(other))

    def __ge__(self, other: Operand) -> bool:
        if TRACES[0] and TRACING.get() is not None:
            TRACING.get().refuse("a comparison v >= ...")
        return self.data >= (other.data if type(other) is Value else _data(other))


class _Functions:
    """The functions of one Value, each one row of the primitive table (autograd.ops)."""

    __slots__ = ()

    def abs(self) -> Value:
        """|x| (the same as `abs(x)`)."""
        return _unary(ops.ABS, self)

    def exp(self) -> Value:
        """e ** self."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; ValueError for data <= 0."""
        return _unary(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root; ValueError for data < 0."""
        return _unary(ops.SQRT, self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _unary(ops.COS, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e^-x), stable for any input."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0)."""
        return _unary(ops.RELU, self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x for x > 0, else negative_slope * x."""
        return _with_const(ops.LEAKY_RELU, self, _as_float(negative_slope, "leaky_relu"))

    def softplus(self) -> Value:
        """log(1 + e^x), stable for any input."""
        return _unary(ops.SOFTPLUS, self)

    def silu(self) -> Value:
        """x * sigmoid(x) (also called swish)."""
        return _unary(ops.SILU, self)

    def softsign(self) -> Value:
        """x / (1 + |x|)."""
        return _unary(ops.SOFTSIGN, self)

    def step(self) -> Value:
        """Threshold unit: 1 if x > 0 else 0, with zero gradient everywhere."""
        return _unary(ops.STEP, self)


class Value(_Functions, _Numbers):
    """A scalar node of a computational graph: its data, its gradient and how it was made.

    Its functions (`exp`, `tanh`, `relu`, ...) come from `_Functions`, its conversions and
    comparisons from `_Numbers`; the operators, structure, backward and copies are here.

    Args:
        data: an int or float (numpy scalars are accepted and converted).
        label: an optional name, shown when the graph is drawn.
    """

    # _op, _x, _y: the primitive and its inputs (see autograd.engine); _scope: nn module
    __slots__ = ("data", "grad", "label", "_op", "_x", "_y", "_scope")
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators

    data: float
    grad: Any  # float; a Value only inside a create_graph pass
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:  # the checks cost little on the common path: a float
            data = _leaf_data(data)
        if type(label) is not str and not isinstance(label, str):
            raise TypeError(f"Value(label): expected a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._x: Any = None
        self._y: Any = None
        self._scope: Any = None
        if OPEN_MODES[0]:  # some block changed how nodes are recorded
            mode = MODE.get()
            if mode is not None:
                mode.adopt(self)

    # -- read-only structure ------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the primitive that made this Value ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order."""
        return parents_of(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic -------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _binary(ops.ADD, self, other)
        return _with_const(ops.ADD_CONST, self, other)

    def __radd__(self, other: Number) -> Value:
        return _with_const(ops.ADD_CONST, self, other)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _binary(ops.MUL, self, other)
        return _with_const(ops.MUL_CONST, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _with_const(ops.MUL_CONST, self, other)

    def __truediv__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _binary(ops.DIV, self, other)
        return _with_const(ops.DIV_CONST, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _with_const(ops.RDIV_CONST, self, other)

    def __pow__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _binary(ops.POW, self, other)
        return _with_const(ops.POW_CONST, self, other)

    def __rpow__(self, other: Number) -> Value:
        return _with_const(ops.RPOW_CONST, self, other)

    def __neg__(self) -> Value:  # -x = x * -1
        return _with_const(ops.MUL_CONST, self, -1.0)

    def __sub__(self, other: Operand) -> Value:  # a primitive: one node, not x + (-y)
        if type(other) is Value:
            return _binary(ops.SUB, self, other)
        return _with_const(ops.ADD_CONST, self, -_as_float(other, "-"))

    def __rsub__(self, other: Number) -> Value:  # c - x = (-x) + c
        return (-self) + _as_float(other, "-")

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    __hash__ = object.__hash__

    # -- gradients ----------------------------------------------------------------

    def backward(self) -> None:
        """Add d self / d node to `.grad` of every node of the graph (self.grad += 1)."""
        _, carried = backprop(self, 1.0)
        for node, grad in carried:
            node.grad += grad

    def detach(self) -> Value:
        """A new leaf with the same data (and label), cut from this graph."""
        _refuse_in_trace("v.detach()")
        return Value(self.data, self.label)

    # -- copies: iterative (autograd.copies), so graphs of any depth work -----------

    def __copy__(self) -> Value:
        """A new node with the same data, grad, label and operation, sharing the parents."""
        twin = copies.leaf(Value, self.data, self.grad, self.label)
        twin._op, twin._x, twin._y = self._op, self._x, self._y
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """An independent copy of this Value's whole graph (equal data, grads and labels)."""
        return copies.deep_copy(self, memo)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._op is None:
            return (copies.leaf, (Value, self.data, self.grad, self.label))
        return (copies.rebuild, (Value, copies.flatten(self)))


# ---------------------------------------------------------------------------
# Applying a primitive: forward on floats, then one new node.
# ---------------------------------------------------------------------------


_new = object.__new__


def _node(data: float, op: Op, x: Any, y: Any = None) -> Value:
    """A new node made by `op` from inputs `x`, `y` (see autograd.engine for the layout)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._x = x
    out._y = y
    out._scope = None
    if OPEN_MODES[0]:
        mode = MODE.get()
        if mode is not None:
            mode.adopt(out)
    return out


# _unary, _binary and _with_const end with _node's body inlined: creating nodes is most
# of a forward pass, and the call costs about 15% of it (see benchmarks/).


def _unary(op: Op, x: Any) -> Value:  # x: a Value (Any: the mixins call it too)
    try:
        data = op.forward(x.data)
    except (ArithmeticError, ValueError) as exc:
        raise _fail(op, exc, x.data) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._x = x
    out._y = None
    out._scope = None
    if OPEN_MODES[0]:
        mode = MODE.get()
        if mode is not None:
            mode.adopt(out)
    return out


def _binary(op: Op, x: Value, y: Value) -> Value:
    try:
        data = op.forward(x.data, y.data)
    except (ArithmeticError, ValueError) as exc:
        raise _fail(op, exc, x.data, y.data) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._x = x
    out._y = y
    out._scope = None
    if OPEN_MODES[0]:
        mode = MODE.get()
        if mode is not None:
            mode.adopt(out)
    return out


def _with_const(op: Op, x: Any, c: Any) -> Any:
    """`x op c` with the plain number c folded into the node."""
    if type(c) is not float:
        if not _is_number(c):
            return NotImplemented  # lets Python raise its usual TypeError
        c = float(c)
    try:
        data = op.forward(x.data, c)
    except (ArithmeticError, ValueError) as exc:
        raise _fail(op, exc, x.data, c) from None  # operands in node order, as describe()
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._x = x
    out._y = c
    out._scope = None
    if OPEN_MODES[0]:
        mode = MODE.get()
        if mode is not None:
            mode.adopt(out)
    return out


def _data(x: Operand) -> float:
    return x.data if type(x) is Value else _as_float(x, "comparison")


# ---------------------------------------------------------------------------
# Fused n-ary operations
# ---------------------------------------------------------------------------


def add_n(values: Iterable[Operand]) -> Value:
    """The sum of many Values (and numbers) as one graph node."""
    items: Sequence[Any] = values if type(values) in (list, tuple) else list(values)  # type: ignore[assignment]
    if set(map(type, items)) != {Value}:  # numbers among them: summed into one constant
        const = sum(_as_float(v, "add_n") for v in items if type(v) is not Value)
        nodes = [v for v in items if type(v) is Value]
        out = add_n(nodes) if nodes else Value(0.0)
        return out + const if const else out
    parents = tuple(items)
    return _node(ops.ADD_N.forward(map(_data_of, parents)), ops.ADD_N, parents)


def logsumexp(values: Iterable[Operand]) -> Value:
    """log Σ e^v_i as one graph node, computed without overflow for any inputs.

    The shift by the largest input happens inside the node's forward rule, so a traced
    program shifts each sample by its own largest input.
    """
    parents = tuple(v if type(v) is Value else Value(_as_float(v, "logsumexp")) for v in values)
    if not parents:
        raise ValueError("logsumexp: expected at least one value")
    return _node(ops.LOGSUMEXP.forward(map(_data_of, parents)), ops.LOGSUMEXP, parents)


def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """Σ w_i x_i (+ bias) as one graph node: a neuron's weighted sum.

    When one side is all plain numbers (a network's inputs), they are folded into the
    node as constants, and a Value bias joins as a weight on the constant input 1.
    A number bias is added by a second node.
    """
    if len(ws) != len(xs):
        raise ValueError(f"dot: {len(ws)} weights but {len(xs)} inputs")
    if not ws:
        return bias * 1.0 if type(bias) is Value else Value(0.0 if bias is None else bias)  # type: ignore[operator, arg-type]
    w_types, x_types = set(map(type, ws)), set(map(type, xs))
    with_bias = type(bias) is Value
    parents: tuple[Any, ...]
    if Value in x_types and Value in w_types:  # Values on both sides
        if len(w_types) > 1 or len(x_types) > 1:  # numbers among them become leaves
            ws = [w if type(w) is Value else Value(w) for w in ws]  # type: ignore[arg-type]
            xs = [x if type(x) is Value else Value(x) for x in xs]  # type: ignore[arg-type]
        w_data, x_data = map(_data_of, ws), map(_data_of, xs)
        if with_bias:
            out = _node(ops.AFFINE.forward(w_data, x_data, bias.data), ops.AFFINE, (*ws, *xs, bias))  # type: ignore[union-attr]
        else:
            out = _node(ops.DOT.forward(w_data, x_data), ops.DOT, (*ws, *xs))
    else:  # one side all numbers: constants in the node
        values, consts, const_types = (ws, xs, x_types) if Value in w_types else (xs, ws, w_types)
        if not const_types <= {float, int}:
            consts = [_as_float(c, "dot") for c in consts]
        if with_bias:
            # b = b * 1: the bias is a weight on the constant input 1
            values, consts = (*values, bias), (*consts, 1.0)  # type: ignore[assignment, arg-type]
        parents, cs = tuple(values), tuple(consts)
        out = _node(ops.DOT_CONST.forward(map(_data_of, parents), cs), ops.DOT_CONST, parents, cs)
    return out if bias is None or with_bias else out + bias


# ---------------------------------------------------------------------------
# Gradients without touching .grad
# ---------------------------------------------------------------------------


def gradients(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> tuple[Any, ...]:
    """d output / d input for each input, leaving every `.grad` untouched.

    Returns floats (0.0 for an input the output does not depend on); with
    `create_graph=True`, Values whose own graphs can be differentiated again.
    """
    if type(output) is not Value:
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}")
    for x in inputs:
        if type(x) is not Value:
            raise TypeError(f"gradients: inputs must be Values, got {type(x).__name__}")
    order, carried = backprop(output, Value(1.0) if create_graph else 1.0, create_graph)
    try:
        reached = {id(node) for node in order}
        result: list[Any] = []
        for x in inputs:
            g = x.grad if id(x) in reached else 0.0
            if create_graph and type(g) is not Value:
                g = Value(g)  # a constant gradient is still a Value here
            result.append(g)
    finally:
        restore(order, carried)
    return tuple(result)


__all__ = ["Value", "add_n", "dot", "logsumexp", "gradients"]
