"""The engine: recording modes, iterative topological order and the backward pass.

Nothing here recurses, so graphs of any depth work at the default recursion limit.
The engine sees nodes only through their slots, so it does not import `Value`. A node
made by `op` keeps its inputs in two slots, by `op.kind`:

    UNARY        _x = the parent
    UNARY_CONST  _x = the parent,   _y = the folded constant c
    BINARY       _x, _y = the two parents
    NARY         _x = a tuple of parents
    NARY_CONST   _x = a tuple of parents, _y = a tuple of constants

(no tuple for one or two parents: one object fewer per node for memory and for the
cyclic garbage collector to traverse). `parents_of(node)` gives them as a tuple.
"""

from __future__ import annotations

import contextlib
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from .ops import (
    ADD,
    ADD_CONST,
    ADD_N,
    AFFINE,
    BINARY,
    DOT_CONST,
    MUL,
    MUL_CONST,
    NARY,
    SUB,
    UNARY,
    UNARY_CONST,
)

# ---------------------------------------------------------------------------
# Recording modes. The common case (record everything, no scope, no anomaly
# checks) is `None`, so creating a node costs one ContextVar lookup.
# ---------------------------------------------------------------------------


class Mode:
    """How new nodes are recorded: with parents or not, in which module scope, checked or not."""

    __slots__ = ("record", "scope", "on_node", "on_grad")

    def __init__(
        self,
        record: bool = True,
        scope: Any = None,
        on_node: Callable[[Any], None] | None = None,
        on_grad: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self.record = record  # False inside no_grad(): results are leaves
        self.scope = scope  # tag stored on each new node (the module computing it)
        self.on_node = on_node  # called with each new node (anomaly detection)
        self.on_grad = on_grad  # called as on_grad(node, local_gradients) in backward

    def adopt(self, node: Any) -> None:
        """Apply this mode to a node just created."""
        if not self.record:
            node._op = node._x = node._y = None
        node._scope = self.scope
        if self.on_node is not None:
            self.on_node(node)

    def replace(self, **changes: Any) -> Mode | None:
        """A copy with some fields changed; None when that copy is the default mode."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        mode = Mode(**fields)
        hooks = (mode.scope, mode.on_node, mode.on_grad)
        default = mode.record and all(h is None for h in hooks)
        return None if default else mode


_DEFAULT = Mode()
_data_of = operator.attrgetter("data")  # map(_data_of, nodes): their data, at C speed
MODE: ContextVar[Mode | None] = ContextVar("graphgrad_mode", default=None)
# The recording `autograd.trace` is making, if any. A Value's comparisons and conversions
# ask it to refuse them (it raises TraceError): Python control flow on traced data would
# be fixed to the branch one sample took. TRACES[0] counts the recordings under way in the
# process, so that outside them a comparison pays one list lookup, not a ContextVar's.
TRACING: ContextVar[Any] = ContextVar("graphgrad_tracing", default=None)
TRACES = [0]
_TRACES_LOCK = threading.Lock()


class TraceError(TypeError):
    """A function that cannot be traced: it branches on traced data, reads a traced number,
    or uses a Value computed outside it."""


@contextlib.contextmanager
def tracing(recording: Any) -> Iterator[None]:
    """Make `recording` the one this context's Values report to (see TRACING)."""
    with _TRACES_LOCK:
        TRACES[0] += 1
    token = TRACING.set(recording)
    try:
        yield
    finally:
        TRACING.reset(token)
        with _TRACES_LOCK:
            TRACES[0] -= 1


# How many using_mode blocks are open, in any thread or task. While it is [0], no
# context has a mode, so creating a node skips MODE.get() (a tenth of a node's cost).
OPEN_MODES = [0]
_open_lock = threading.Lock()


@contextlib.contextmanager
def using_mode(**changes: Any) -> Iterator[None]:
    """Run a block with some recording fields changed (nests, and is safe across threads)."""
    with _open_lock:
        OPEN_MODES[0] += 1
    token = MODE.set((MODE.get() or _DEFAULT).replace(**changes))
    try:
        yield
    finally:
        MODE.reset(token)
        with _open_lock:
            OPEN_MODES[0] -= 1


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: operations inside it record no parents (their results are leaves)."""
    return using_mode(record=False)


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    mode = MODE.get()
    return mode is None or mode.record


# ---------------------------------------------------------------------------
# A node's inputs, and topological order
# ---------------------------------------------------------------------------


def parents_of(node: Any) -> tuple[Any, ...]:
    """The Values `node` was computed from, in argument order (() for a leaf)."""
    op = node._op
    if op is None:
        return ()
    if op.many_parents:
        return node._x
    return (node._x,) if op.single_parent else (node._x, node._y)


def constant_of(node: Any) -> Any:
    """The plain number (or tuple of numbers) folded into `node`, else None."""
    op = node._op
    return node._y if op is not None and op.folds_constant else None


# Stack markers: the node (or list of nodes) just below is ready to be placed.
_PLACE_NEXT = object()
_PLACE_RUN = object()


def _has_one_parent(node: Any) -> bool:
    op = node._op
    return op is not None and op.single_parent


def topological_order(root: Any) -> list[Any]:
    """Every node `root` depends on, each after all of its parents (iterative depth-first).

    Entering a node pushes it, a marker, then its parents not entered yet; by the time
    the marker comes off the stack every parent is placed, so the node can follow.
    A run of one-parent nodes (`x * c + c …`, an activation) is walked down in one go
    and placed as a block. The stack holds only nodes and runs, so a deep graph
    allocates no per-node containers (which would wake the cyclic garbage collector).
    """
    order: list[Any] = []
    entered: set[Any] = set()
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is _PLACE_NEXT:
            order.append(pop())
            continue
        if node is _PLACE_RUN:
            order.extend(reversed(pop()))  # the run was pushed from the top down
            continue
        if node in entered:
            continue  # pushed by two children before it was entered
        entered.add(node)
        op = node._op
        if op is None:  # a leaf goes straight in
            order.append(node)
            continue
        if op.single_parent:  # one parent: follow the run of one-parent nodes
            parent = node._x
            if parent in entered or not _has_one_parent(parent):
                push(node)
                push(_PLACE_NEXT)
            else:
                run = [node]
                while parent not in entered and _has_one_parent(parent):
                    entered.add(parent)
                    run.append(parent)
                    parent = parent._x
                push(run)
                push(_PLACE_RUN)
            if parent not in entered:
                push(parent)  # the run's foot: placed before the run
            continue
        push(node)
        push(_PLACE_NEXT)
        if op.many_parents:
            for parent in node._x:
                if parent not in entered:
                    push(parent)
        else:  # binary
            if node._x not in entered:
                push(node._x)
            if node._y not in entered:
                push(node._y)
    return order


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------


def local_gradients(node: Any, g: Any, create_graph: bool) -> Any:
    """The gradients `node` passes to each of `parents_of(node)`, given its own gradient `g`.

    With `create_graph`, the rule runs on the Values themselves and builds a graph.
    """
    op = node._op
    kind = op.kind
    x = node._x
    if create_graph:  # the rule sees Values: the output node and the parents
        if kind == UNARY or kind == NARY:
            return op.vjp(g, node, x)
        return op.vjp(g, node, x, node._y)  # binary: y is a parent; else the constant(s)
    out = node.data
    if kind == UNARY:
        return op.vjp(g, out, x.data)
    if kind == UNARY_CONST:
        return op.vjp(g, out, x.data, node._y)
    if kind == BINARY:
        return op.vjp(g, out, x.data, node._y.data)
    if kind == NARY:
        return op.vjp(g, out, list(map(_data_of, x)))
    return op.vjp(g, out, list(map(_data_of, x)), node._y)


def propagate(order: list[Any], seed: Any, create_graph: bool = False) -> None:
    """Run the chain rule over `order` (as from `topological_order`) from its last node.

    Accumulates d root / d node into each node's `.grad`, which must be 0.0 for every
    node of `order` on entry (callers set aside earlier gradients: `Value.backward`,
    `gradients`). In a `create_graph` pass the gradients are Values.
    """
    order[-1].grad = seed
    mode = MODE.get()
    on_grad = None if mode is None else mode.on_grad
    if create_graph or on_grad is not None:
        for node in reversed(order):
            if node._op is None or create_graph and type(node.grad) is float:
                continue  # a leaf, or (create_graph) a node no path reaches
            try:
                local = local_gradients(node, node.grad, create_graph)
            except (ArithmeticError, ValueError) as exc:
                raise _backward_error(node, exc) from exc
            if on_grad is not None:
                on_grad(node, local)  # its errors (anomalies) pass through as they are
            for parent, gp in zip(parents_of(node), local):
                total = parent.grad
                # in a create_graph pass, 0.0 means "nothing yet": avoid a 0.0 + g node
                parent.grad = gp if create_graph and type(total) is float else total + gp
        return
    # The float pass, local_gradients inlined: this loop is most of backward().
    node = None
    try:
        for node in reversed(order):
            op = node._op
            if op is None:
                continue  # a leaf: its gradient is complete, nothing to pass on
            kind = op.kind
            x = node._x
            # The rules of the ops that carry most edges (sums, products, a neuron's
            # w·x + b) are inlined: a call and a tuple saved per node halve this loop's
            # time. test_primitive_rule_runs_on_values checks they agree with the table.
            if op is ADD_CONST:
                x.grad += node.grad
            elif op is MUL_CONST:
                x.grad += node.grad * node._y
            elif op is MUL:
                y = node._y
                x.grad += node.grad * y.data
                y.grad += node.grad * x.data
            elif op is ADD:
                node._y.grad += node.grad
                x.grad += node.grad
            elif op is SUB:
                node._y.grad -= node.grad
                x.grad += node.grad
            elif kind == BINARY:
                y = node._y
                gx, gy = op.vjp(node.grad, node.data, x.data, y.data)
                x.grad += gx
                y.grad += gy
            elif kind == UNARY_CONST:
                x.grad += op.vjp(node.grad, node.data, x.data, node._y)[0]
            elif kind == UNARY:
                x.grad += op.vjp(node.grad, node.data, x.data)[0]
            elif op is AFFINE:
                g = node.grad
                n = len(x) // 2
                for w, v in zip(x[:n], x[n:-1]):
                    w.grad += g * v.data
                    v.grad += g * w.data
                x[-1].grad += g
            elif op is DOT_CONST:
                g = node.grad
                for w, c in zip(x, node._y):
                    w.grad += g * c
            elif op is ADD_N:
                g = node.grad
                for parent in x:
                    parent.grad += g
            else:  # other n-ary rules: a dot product
                for parent, gp in zip(x, local_gradients(node, node.grad, False)):
                    parent.grad += gp
    except (ArithmeticError, ValueError) as exc:
        raise _backward_error(node, exc) from exc


def _backward_error(node: Any, exc: Exception) -> Exception:
    """The same kind of error, saying which node's rule failed."""
    return type(exc)(f"backward of {describe(node)}: {exc}")


def backprop(root: Any, seed: Any, create_graph: bool = False) -> tuple[list[Any], list[Any]]:
    """One backward pass from `root`, using each node's `.grad` as scratch.

    Returns the topological order and the gradients the nodes held before, as
    `(node, grad)` pairs for the nonzero ones. On return every node's `.grad` holds
    this pass's gradient alone: `Value.backward` adds the earlier ones back,
    `gradients` puts them back. If the pass fails, every `.grad` is left as it was.
    """
    order = topological_order(root)
    carried = [(node, node.grad) for node in order if node.grad != 0.0]
    for node, _ in carried:
        node.grad = 0.0
    try:
        propagate(order, seed, create_graph)
    except BaseException:
        restore(order, carried)
        raise
    return order, carried


def restore(order: list[Any], carried: list[Any]) -> None:
    """Put back the gradients a `backprop` pass set aside."""
    for node in order:
        node.grad = 0.0
    for node, grad in carried:
        node.grad = grad


def format_call(name: str, operands: Sequence[Any], number: Callable[[Any], str] = repr) -> str:
    """`name(operands)`, at most four of them shown: `log(-1.5)`, `dot(0.5, 1.0, … 32 operands)`."""
    shown = [number(x) for x in operands[:4]]
    if len(operands) > 4:
        shown.append(f"… {len(operands)} operands")
    return f"{name}({', '.join(shown)})"


def describe(node: Any, number: Callable[[float], str] = repr) -> str:
    """What made `node`, for messages: `log(-1.5)`, `pow_const(0.0, -1.0)`.

    `number` formats each operand (every digit by default).
    """
    if node is None or node._op is None:
        return repr(node)
    operands = [p.data for p in parents_of(node)]
    if node._op.kind == UNARY_CONST:
        operands.append(node._y)
    return format_call(node._op.name, operands, number)


# ---------------------------------------------------------------------------
# Module scopes, for drawing large graphs as clusters.
# ---------------------------------------------------------------------------


def mark_outputs(outputs: Any, owner: Any) -> None:
    """Record `owner` (an nn module) on each output Value that no inner module has claimed.

    Called once per module call, never per node: the nodes between a module's inputs
    and its marked outputs belong to it, which is how drawings find modules (the
    owner exposes `scope_name` and `scope_parent`). The tags cost about 3% of a
    training step (benchmarks/scope_cost.py), drawn or not.
    """
    if type(outputs) is list or type(outputs) is tuple:
        for out in outputs:
            if getattr(out, "_scope", False) is None:  # a Value not claimed yet
                out._scope = owner
    elif getattr(outputs, "_scope", False) is None:
        outputs._scope = owner
