"""Property-testing gradients: `check_grads`, and `expressions`, a Hypothesis strategy that
draws random differentiable functions built from the primitive table.

    from hypothesis import given
    from autograd.testing import check_grads, expressions

    @given(expressions(n_inputs=3, max_ops=12))
    def test_rules(expr):  # a failure reads like: tanh(x0 * x1) + log(x2) at (0.3, -1.2, 2.5)
        check_grads(expr.f, expr.args, order=2)

Hypothesis is needed here only (`pip install 'graphgrad[testing]'`); `import autograd`
does not import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

try:
    from hypothesis import reject
    from hypothesis import strategies as st
except ImportError:
    raise ImportError(
        "autograd.testing needs hypothesis: pip install 'graphgrad[testing]'"
    ) from None

from . import ops as table
from .check import GradcheckError, check_grads
from .engine import _data_of
from .extend import user_arity
from .ops import Kind, Op
from .value import Value, _binary, _node, _unary, _with_const

__all__ = ["check_grads", "expressions", "Expression", "GradcheckError"]

# How far a drawn point keeps from trouble. Central differences step by about 1e-6
# times a node's gradient, so these margins are never crossed.
_SINGULAR = 0.1  # from where a derivative blows up: log 0, sqrt 0, 1/0, 0 ** y
_KINK = 0.05  # from where a derivative jumps: relu, abs, step, leaky_relu, softsign at 0
_BOUND = 100.0  # largest |value| of any node: exp and powers stay far from overflow

_COORDINATE = st.integers(-300, 300).map(lambda k: k / 100)  # 2 decimals: readable points
_CONSTANTS = (2.0, -1.0, 0.5, 3.0, -2.5, 1.5, -0.5)  # folded constants: readable, nonzero


def _off_kink(xs: Sequence[float], cs: Sequence[float]) -> bool:
    return abs(xs[0]) >= _KINK


def _positive(i: int) -> Callable[[Sequence[float], Sequence[float]], bool]:
    return lambda xs, cs: xs[i] >= _SINGULAR


def _nonzero(i: int) -> Callable[[Sequence[float], Sequence[float]], bool]:
    return lambda xs, cs: abs(xs[i]) >= _SINGULAR


def _pow_const_smooth(xs: Sequence[float], cs: Sequence[float]) -> bool:
    # x ** c: smooth everywhere for a natural c, away from 0 for a negative integer,
    # and only for x > 0 otherwise
    x, c = xs[0], cs[0]
    if c.is_integer():
        return c >= 0.0 or abs(x) >= _SINGULAR
    return x >= _SINGULAR


# Where each built-in row is smooth, as a test of its inputs (xs) and constants (cs).
# The others are smooth wherever their forward succeeds; a user's rows are also probed
# for kinks (see _no_kink).
_SMOOTH: dict[str, Callable[[Sequence[float], Sequence[float]], bool]] = {
    "div": _nonzero(1),
    "pow": _positive(0),
    "rdiv_const": _nonzero(0),
    "pow_const": _pow_const_smooth,
    "log": _positive(0),
    "sqrt": _positive(0),
    "abs": _off_kink,
    "relu": _off_kink,
    "leaky_relu": _off_kink,
    "softsign": _off_kink,
    "step": _off_kink,
}

# The folded constants each x-op-c row draws from (the first is where shrinking goes).
_CONSTANTS_OF: dict[str, tuple[float, ...]] = {
    "pow_const": (2.0, 3.0, -1.0, 0.5, -2.0, 1.5),
    "rpow_const": (2.0, 0.5, 3.0, 1.5),
    "leaky_relu": (0.1, 0.01, 0.3),
}


# ---------------------------------------------------------------------------
# Expression trees. A node carries its value at the drawn point and its text,
# both made when the node is drawn, so nothing walks the tree recursively.
# ---------------------------------------------------------------------------

_ATOM, _POWER, _PRODUCT, _SUM = 4, 3, 2, 1  # precedence, for parentheses in formulas
_INFIX = {  # name: (operator, precedence)
    "add": (" + ", _SUM), "sub": (" - ", _SUM), "mul": (" * ", _PRODUCT),
    "div": (" / ", _PRODUCT), "pow": (" ** ", _POWER), "add_const": (" + ", _SUM),
    "mul_const": (" * ", _PRODUCT), "div_const": (" / ", _PRODUCT), "pow_const": (" ** ", _POWER),
}
_PREFIX = {"rdiv_const": (" / ", _PRODUCT), "rpow_const": (" ** ", _POWER)}  # c op x


class _Node:
    """A node of an expression tree: an input x_i (op None) or an op applied to children."""

    __slots__ = ("op", "children", "consts", "index", "value", "text", "precedence", "size")
    size: int  # how many ops: the node's own and its children's
    text: str
    precedence: int

    def __init__(self, op: Op | None, children: tuple[_Node, ...], consts: tuple[float, ...],
                 index: int, value: float) -> None:
        self.op, self.children, self.consts, self.index = op, children, consts, index
        self.value = value
        self.size = (op is not None) + sum(c.size for c in children)
        self.text, self.precedence = _text(self) if op is not None else (f"x{index}", _ATOM)

    def __repr__(self) -> str:
        return f"{self.text} = {self.value!r}"


def _wrap(child: _Node, parens: bool) -> str:
    return f"({child.text})" if parens else child.text


def _text(node: _Node) -> tuple[str, int]:
    """The node as a formula (infix for arithmetic, calls otherwise) and its precedence."""
    op, kids, cs = node.op, node.children, node.consts
    assert op is not None
    name = op.name
    if name in _INFIX:
        sep, p = _INFIX[name]
        if name == "add_const" and cs[0] < 0.0:
            sep, cs = " - ", (-cs[0],)  # x + -1.5 reads x - 1.5
        # a child binding less tightly gets parentheses; so does one binding equally on the
        # side the operator does not group from: (x0 ** x1) ** x2, x0 / (x1 * x2)
        right_assoc = p == _POWER
        left_p = kids[0].precedence
        left = _wrap(kids[0], left_p < p or (right_assoc and left_p == p))
        if len(kids) == 1:
            return f"{left}{sep}{cs[0]!r}", p
        right_p = kids[1].precedence
        right = _wrap(kids[1], right_p < p or (not right_assoc and right_p == p))
        return f"{left}{sep}{right}", p
    if name in _PREFIX:
        sep, p = _PREFIX[name]
        return f"{cs[0]!r}{sep}{_wrap(kids[0], kids[0].precedence <= p)}", p
    texts = [k.text for k in kids]
    if op is table.DOT:
        half = len(kids) // 2
        args = f"[{', '.join(texts[:half])}], [{', '.join(texts[half:])}]"
    elif op is table.AFFINE:
        half = len(kids) // 2
        args = f"[{', '.join(texts[:half])}], [{', '.join(texts[half:-1])}], {texts[-1]}"
    elif op.kind == Kind.NARY_CONST:
        args = f"[{', '.join(texts)}], [{', '.join(map(repr, cs))}]"
    else:
        args = ", ".join(texts + [repr(c) for c in cs])
    return f"{name}({args})", _ATOM


def _apply(op: Op, xs: Sequence[Value], cs: tuple[float, ...]) -> Value:
    """The node `op` makes from Values xs (and folded constants cs), as the engine makes it."""
    kind = op.kind
    if kind == Kind.UNARY:
        return _unary(op, xs[0])
    if kind == Kind.UNARY_CONST:
        return _with_const(op, xs[0], cs[0])
    if kind == Kind.BINARY:
        return _binary(op, xs[0], xs[1])
    data = list(map(_data_of, xs))
    if kind == Kind.NARY_CONST:
        return _node(op.forward(data, cs), op, tuple(xs), cs)
    half = len(xs) // 2
    if op is table.DOT:
        return _node(op.forward(data[:half], data[half:]), op, tuple(xs))
    if op is table.AFFINE:
        return _node(op.forward(data[:half], data[half:-1], data[-1]), op, tuple(xs))
    return _node(op.forward(data), op, tuple(xs))  # add_n and user n-ary rows


def _forward(op: Op, xs: Sequence[float], cs: tuple[float, ...]) -> float | None:
    """op's output at xs, or None where it fails or is not a finite number."""
    try:
        value = _apply(op, [Value(x) for x in xs], cs).data
    except (ArithmeticError, ValueError, TypeError):
        return None  # outside the domain (a user row's domain is found out this way)
    return value if isinstance(value, float) and math.isfinite(value) else None


def _no_kink(op: Op, xs: Sequence[float], cs: tuple[float, ...]) -> bool:
    """For a row whose kinks nobody declared (a user's): do its one-sided slopes agree?

    The jump between the slopes left and right of x, over a step h, is about h |f''| where
    f is smooth, so it shrinks tenfold with h; across a kink (or a step) it does not.
    """
    for i in range(len(xs)):
        jumps = []
        for h in (1e-2, 1e-3):
            left, mid, right = (_forward(op, [*xs[:i], xs[i] + d, *xs[i + 1:]], cs)
                                for d in (-h, 0.0, h))
            if left is None or mid is None or right is None:
                return False  # the edge of the domain is this close
            jumps.append(abs((right - mid) - (mid - left)) / h)
        if jumps[1] > 1e-6 and jumps[1] > 0.5 * jumps[0]:
            return False
    return True


def _make(op: Op, children: Sequence[_Node], cs: tuple[float, ...]) -> _Node | None:
    """The node op(children), or None where it is not smooth, fails, or is too large."""
    xs = [c.value for c in children]
    smooth = _SMOOTH.get(op.name)
    if smooth is not None and not smooth(xs, cs):
        return None
    value = _forward(op, xs, cs)
    if value is None or abs(value) > _BOUND:
        return None
    if op not in table.PRIMITIVES and not _no_kink(op, xs, cs):
        return None
    return _Node(op, tuple(children), cs, -1, value)


# ---------------------------------------------------------------------------
# The strategy
# ---------------------------------------------------------------------------


class Expression:
    """A random differentiable function drawn by `expressions`, and the point to check it at.

    `f(*xs)` builds the formula's graph from Values x0, x1, ... (numbers are wrapped);
    `args` is the point; `repr` reads like `tanh(x0 * x1) + log(x2) at (0.3, -1.2, 2.5)`.
    """

    def __init__(self, root: _Node, args: tuple[float, ...]) -> None:
        self.args = args
        self.formula = root.text
        self.value = root.value  # f's value at args
        self.n_ops = root.size
        self._program = _post_order(root)

    @property
    def ops(self) -> tuple[str, ...]:
        """The names of the rows used, in order of evaluation (with repeats)."""
        return tuple(node.op.name for node in self._program if node.op is not None)

    def f(self, *xs: Any) -> Value:
        """The formula on Values (one per input): evaluated in order, without recursion."""
        if len(xs) != len(self.args):
            raise TypeError(f"{self.formula}: expected {len(self.args)} inputs, got {len(xs)}")
        inputs = [x if type(x) is Value else Value(x) for x in xs]
        results: dict[int, Value] = {}
        for node in self._program:
            if node.op is None:
                results[id(node)] = inputs[node.index]
            else:
                kids = [results[id(c)] for c in node.children]
                results[id(node)] = _apply(node.op, kids, node.consts)
        return results[id(self._program[-1])]

    def __repr__(self) -> str:
        return f"{self.formula} at ({', '.join(map(repr, self.args))})"


def _post_order(root: _Node) -> list[_Node]:
    """Every node after its children (iterative depth-first)."""
    order: list[_Node] = []
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if ready or not node.children:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children))
    return order


def _rows(selection: Iterable[str | Op] | None) -> list[Op]:
    if selection is None:
        return list(table.primitives())
    if isinstance(selection, (str, Op)):
        selection = [selection]
    rows = []
    for item in selection:
        if isinstance(item, Op):
            rows.append(item)
        elif isinstance(item, str):
            try:
                rows.append(table.lookup(item))
            except LookupError as exc:
                raise ValueError(f"expressions: {exc}") from None
        else:
            raise TypeError(f"expressions: ops must be names or Op rows, got {item!r}")
    if not rows:
        raise ValueError("expressions: ops is empty")
    return rows


def _first(draw: Any, items: Sequence[Any], make: Callable[[Any], _Node | None]) -> _Node | None:
    """make(item) for the first item, from a drawn start and going round, that gives a node.

    One draw whatever the domain says (no strategy is built per example), and shrinking
    the start toward 0 moves toward the first items.
    """
    start = draw(st.integers(0, len(items) - 1))
    for k in range(len(items)):
        node = make(items[(start + k) % len(items)])
        if node is not None:
            return node
    return None


def _one_input(draw: Any, rows: list[Op], children: st.SearchStrategy[_Node]) -> _Node | None:
    """op(child), for a row of one input (and maybe a folded constant)."""
    child = draw(children)

    def make(op: Op) -> _Node | None:
        if op.kind != Kind.UNARY_CONST:
            return _make(op, (child,), ())
        consts = _CONSTANTS_OF.get(op.name, _CONSTANTS)
        return _first(draw, consts, lambda c: _make(op, (child,), (c,)))

    return _first(draw, rows, make)


def _two_inputs(draw: Any, rows: list[Op], children: st.SearchStrategy[_Node]) -> _Node | None:
    pair = (draw(children), draw(children))
    return _first(draw, rows, lambda op: _make(op, pair, ()))


def _arity(draw: Any, op: Op) -> int:
    """How many children an n-ary row takes (dot: w's and x's; affine: and a bias)."""
    if op is table.DOT or op is table.AFFINE:
        return 2 * draw(st.integers(1, 2)) + (op is table.AFFINE)
    n = user_arity(op)
    return n if n is not None else draw(st.integers(2, 3))


def _many_inputs(draw: Any, rows: list[Op], children: st.SearchStrategy[_Node]) -> _Node | None:
    op = rows[draw(st.integers(0, len(rows) - 1))]
    kids = [draw(children) for _ in range(_arity(draw, op))]
    if op.kind != Kind.NARY_CONST:
        return _make(op, kids, ())
    # constants: a window of the readable ones, its start drawn
    windows = [tuple(_CONSTANTS[(i + k) % len(_CONSTANTS)] for k in range(len(kids)))
               for i in range(len(_CONSTANTS))]
    return _first(draw, windows, lambda cs: _make(op, kids, cs))


@st.composite
def _op_nodes(draw: Any, rows: list[Op], children: st.SearchStrategy[_Node],
              budget: st.SearchStrategy[list[int]]) -> _Node:
    """One op node over `children`: half the time a one-input row (the table has most of
    those), else a two-input or an n-ary row. It spends one op of the example's budget."""
    draw(budget)[0] -= 1
    builders: list[tuple[Any, list[Op]]] = [
        (_one_input, [op for op in rows if op.single_parent]),
        (_two_inputs, [op for op in rows if op.kind == Kind.BINARY]),
        (_many_inputs, [op for op in rows if op.many_parents]),
    ]
    builders = [(build, of_kind) for build, of_kind in builders if of_kind]
    if builders[0][0] is _one_input:
        builders.insert(1, builders[0])
    build, of_kind = builders[draw(st.integers(0, len(builders) - 1))]
    node = build(draw, of_kind, children)
    if node is None:
        reject()  # no row is defined at these values (say, only log, at a negative point)
    return node


def _trees(rows: list[Op], n_inputs: int, max_ops: int) -> st.SearchStrategy[Expression]:
    key = f"expressions-{id(rows)}"
    # Shared strategies draw once per example: one point, which every leaf reads, and a
    # budget of ops, which each op node spends (so no tree is drawn only to be thrown away)
    point = st.shared(st.tuples(*[_COORDINATE] * n_inputs), key=key + "-point")
    budget = st.shared(st.builds(lambda: [max_ops]), key=key + "-budget")
    inputs = st.tuples(point, st.integers(0, n_inputs - 1)).map(
        lambda p_i: _Node(None, (), (), p_i[1], p_i[0][p_i[1]]))
    # An op node's children are inputs or op nodes again, drawn by this same strategy: the
    # shrinker can replace a node by an input or by one of its subtrees, so failures shrink
    # to smaller formulas.
    nodes: st.SearchStrategy[_Node] = st.deferred(lambda: _op_nodes(rows, children, budget))
    either = st.one_of(inputs, nodes)

    @st.composite
    def children_of(draw: Any) -> _Node:
        return draw(either if draw(budget)[0] > 0 else inputs)

    children = children_of()

    @st.composite
    def expression(draw: Any) -> Expression:  # (not .map: Hypothesis then prints the repr)
        at = draw(point)  # first, so no subtree holds the point's draws
        return Expression(draw(nodes), at)

    return expression()


def expressions(
    ops: Iterable[str | Op] | None = None, n_inputs: int = 2, max_ops: int = 12
) -> st.SearchStrategy[Expression]:
    """A Hypothesis strategy: random differentiable functions of `n_inputs` Values.

    Each is built from at most `max_ops` rows of the primitive table (or of `ops`: names
    or Op rows, user primitives included), with a point inside every op's domain, away
    from kinks and far from overflow (for a user's row, whose domain and kinks nobody
    declared, the point is one where its forward succeeds and its slopes left and right
    agree). Draws `Expression`s: `expr.f`, `expr.args`, and a repr that is the formula
    and the point. Failures shrink to smaller formulas.
    """
    if not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"expressions: n_inputs must be an int >= 1, got {n_inputs!r}")
    if not isinstance(max_ops, int) or max_ops < 1:
        raise ValueError(f"expressions: max_ops must be an int >= 1, got {max_ops!r}")
    return _trees(_rows(ops), n_inputs, max_ops)
