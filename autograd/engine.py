"""The engine: recording modes, iterative topological order and the backward pass.

Nothing here recurses, so graphs of any depth work at the default recursion limit.
The engine sees nodes only through their slots (`data`, `grad`, `_op`, `_parents`,
`_arg`), so it does not import `Value`.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from .ops import BINARY, NARY, NARY_CONST, UNARY, UNARY_CONST

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
            node._op, node._parents, node._arg = None, (), None
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


@contextlib.contextmanager
def using_mode(**changes: Any) -> Iterator[None]:
    """Run a block with some recording fields changed (nests, and is safe across threads)."""
    token = MODE.set((MODE.get() or _DEFAULT).replace(**changes))
    try:
        yield
    finally:
        MODE.reset(token)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: operations inside it record no parents (their results are leaves)."""
    return using_mode(record=False)


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    mode = MODE.get()
    return mode is None or mode.record


# ---------------------------------------------------------------------------
# Topological order
# ---------------------------------------------------------------------------


def topological_order(root: Any) -> list[Any]:
    """Every node `root` depends on, each after all of its parents (iterative depth-first).

    A node is pushed once to enter it (its unvisited parents are pushed above it) and
    popped a second time, after all of them, to place it. The stack holds only nodes,
    so a deep graph allocates no per-node containers (which would wake the cyclic GC).
    """
    order: list[Any] = []
    entered: set[Any] = set()
    placed: set[Any] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node not in entered:
            entered.add(node)
            stack.append(node)  # popped again once its parents are placed
            for parent in node._parents:
                if parent not in entered:
                    stack.append(parent)
        elif node not in placed:
            placed.add(node)
            order.append(node)
    return order


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------


def local_gradients(node: Any, g: Any, create_graph: bool) -> Any:
    """The gradients `node` passes to each of its parents, given its own gradient `g`.

    With `create_graph`, the rule runs on the Values themselves and builds a graph.
    """
    op = node._op
    kind = op.kind
    parents = node._parents
    if create_graph:
        out: Any = node
        xs: Any = parents
    else:
        out = node.data
        xs = list(map(_data_of, parents)) if kind >= NARY else parents
    if kind == UNARY:
        return op.vjp(g, out, xs[0] if create_graph else xs[0].data)
    if kind == UNARY_CONST:
        return op.vjp(g, out, xs[0] if create_graph else xs[0].data, node._arg)
    if kind == BINARY:
        if create_graph:
            return op.vjp(g, out, xs[0], xs[1])
        return op.vjp(g, out, xs[0].data, xs[1].data)
    if kind == NARY:
        return op.vjp(g, out, xs)
    assert kind == NARY_CONST
    return op.vjp(g, out, xs, node._arg)


def propagate(order: list[Any], seed: Any, create_graph: bool = False) -> None:
    """Run the chain rule over `order` (as from `topological_order`) from its last node.

    Accumulates d root / d node into each node's `.grad`, which must be 0.0 for every
    node of `order` on entry (callers set aside earlier gradients: `Value.backward`,
    `gradients`). In a `create_graph` pass the gradients are Values.
    """
    order[-1].grad = seed
    mode = MODE.get()
    on_grad = None if mode is None else mode.on_grad
    node = None
    try:
        if create_graph or on_grad is not None:
            for node in reversed(order):
                if node._op is None or type(node.grad) is float and create_graph:
                    continue  # a leaf, or (create_graph) a node no path reaches
                local = local_gradients(node, node.grad, create_graph)
                if on_grad is not None:
                    on_grad(node, local)
                for parent, gp in zip(node._parents, local):
                    total = parent.grad
                    # in a create_graph pass, 0.0 means "nothing yet": avoid a 0.0 + g node
                    parent.grad = gp if create_graph and type(total) is float else total + gp
            return
        # The float pass, with the common kinds inlined: this loop is most of backward().
        for node in reversed(order):
            op = node._op
            if op is None:
                continue  # a leaf: its gradient is complete, nothing to pass on
            kind = op.kind
            if kind == BINARY:
                x, y = node._parents
                gx, gy = op.vjp(node.grad, node.data, x.data, y.data)
                x.grad += gx
                y.grad += gy
            elif kind == UNARY_CONST:
                (x,) = node._parents
                x.grad += op.vjp(node.grad, node.data, x.data, node._arg)[0]
            elif kind == UNARY:
                (x,) = node._parents
                x.grad += op.vjp(node.grad, node.data, x.data)[0]
            else:  # n-ary: a sum, a dot product, a neuron's w·x + b
                parents = node._parents
                datas = list(map(_data_of, parents))
                if kind == NARY:
                    local = op.vjp(node.grad, node.data, datas)
                else:
                    local = op.vjp(node.grad, node.data, datas, node._arg)
                for parent, gp in zip(parents, local):
                    parent.grad += gp
    except (ArithmeticError, ValueError) as exc:
        raise type(exc)(f"backward of {describe(node)}: {exc}") from exc


def backprop(root: Any, seed: Any, create_graph: bool = False) -> tuple[list[Any], list[Any]]:
    """One backward pass from `root`, using each node's `.grad` as scratch.

    Returns the topological order and the gradients the nodes held before, as
    `(node, grad)` pairs for the nonzero ones. On return every node's `.grad` holds
    this pass's gradient alone: `Value.backward` adds the earlier ones back,
    `gradients` puts them back. If the pass fails, every `.grad` is left as it was.
    """
    order = topological_order(root)
    carried = [(node, node.grad) for node in order if node.grad]
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


def describe(node: Any) -> str:
    """`op(operands)` for error messages, e.g. `log(-1.5)` or `pow_const(0.0, -1.0)`."""
    if node is None or node._op is None:
        return repr(node)
    args = [repr(p.data) for p in node._parents[:4]]
    if len(node._parents) > 4:
        args.append(f"… {len(node._parents)} operands")
    if node._arg is not None and node._op.kind == UNARY_CONST:
        args.append(repr(node._arg))
    return f"{node._op.name}({', '.join(args)})"


# ---------------------------------------------------------------------------
# Module scopes, for drawing large graphs as clusters.
# ---------------------------------------------------------------------------


def mark_outputs(outputs: Any, owner: Any) -> None:
    """Record `owner` (an nn module) on each output Value that no inner module has claimed.

    Called once per module call, never per node: the nodes between a module's inputs
    and its marked outputs belong to it, which is how drawings find modules (the
    owner exposes `scope_name` and `scope_parent`). Costs nothing when not drawing.
    """
    if type(outputs) is list or type(outputs) is tuple:
        for out in outputs:
            if getattr(out, "_scope", False) is None:
                out._scope = owner
    elif getattr(outputs, "_scope", False) is None:
        outputs._scope = owner
