"""The engine: recording modes, iterative topological order and the backward pass.

Nothing here recurses, so graphs of any depth work at the default recursion limit.
The engine sees nodes only through their slots (`data`, `grad`, `_op`, `_parents`,
`_arg`), so it does not import `Value`.
"""

from __future__ import annotations

import contextlib
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
    """Every node `root` depends on, each after all of its parents (iterative depth-first)."""
    order: list[Any] = []
    visited = {root}
    # Each stack entry is a node and an iterator over the parents still to visit.
    stack = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent._parents)))
                break
        else:  # all parents placed: the node can follow them
            stack.pop()
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
        xs = [p.data for p in parents] if kind >= NARY else parents
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

    Uses each node's `.grad` slot as scratch: on return it holds d root / d node for
    this pass alone (None for a node no path reaches in a `create_graph` pass).
    Callers save and restore `.grad` around it (see `Value.backward`, `gradients`).
    """
    zero = None if create_graph else 0.0
    for node in order:
        node.grad = zero
    order[-1].grad = seed
    mode = MODE.get()
    on_grad = None if mode is None else mode.on_grad
    node = None
    try:
        for node in reversed(order):
            if node._op is None:
                continue  # a leaf: its gradient is complete, nothing to pass on
            g = node.grad
            if g is None:
                continue  # create_graph pass: no path from the root reaches here
            local = local_gradients(node, g, create_graph)
            if on_grad is not None:
                on_grad(node, local)
            for parent, gp in zip(node._parents, local):
                total = parent.grad
                parent.grad = gp if total is None else total + gp
    except (ArithmeticError, ValueError) as exc:
        raise type(exc)(f"backward of {describe(node)}: {exc}") from exc


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
