"""The steps of a traced program: each computes a group of nodes for every sample at once.

A node's values across a batch are one row of a 2-D array: V (rows, B) holds the nodes
that depend on the inputs; U (rows, 1) those that are the same for every sample
(parameters, constants, and what is computed from them alone), which broadcast against V.
A step reads its nodes' operands (a slice of rows when they are contiguous, else one
gather), runs the primitive's own forward or vjp rule on the whole arrays, and writes its
nodes' rows, which are contiguous. Gradients live in GV and GU, shaped like V and U.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import ADD_N, AFFINE, BINARY, DOT, DOT_CONST, NARY, UNARY, UNARY_CONST, Op

#: The fused sums of products: computed as matrix products or gathered sums, not by their rows.
LINEAR_OPS = (ADD_N, DOT, AFFINE, DOT_CONST)


def _contiguous(rows: Any) -> bool:
    return len(rows) > 0 and bool((rows == np.arange(rows[0], rows[0] + len(rows))).all())


class Read:
    """How a step reads the rows of some nodes, as an array of shape `shape` + (width,).

    `recs` are the nodes, flat in row-major order over `shape`. The width is 1 when they
    are all uniform, else the batch size (uniform rows broadcast into a mixed read).
    Calling it is calling `get(V, U)`, a function chosen once for the layout at hand.
    """

    __slots__ = ("recs", "shape", "uniform", "get", "index_arrays")

    def __init__(self, recs: list[Any], shape: tuple[int, ...]) -> None:
        self.recs = recs
        self.shape = shape
        us = np.array([r.u for r in recs], dtype=bool)
        rows = np.array([r.row for r in recs], dtype=np.intp)
        self.uniform = bool(us.all())
        self.index_arrays: list[Any] = []
        if self.uniform or not us.any():
            self.get = _rows_getter(self.uniform, rows, shape)
            if not _contiguous(rows):
                self.index_arrays = [rows]
        else:  # rows from both arrays (rare): two gathers and a select
            umask = us.reshape(shape + (1,))
            urows = np.where(us, rows, 0).reshape(shape)
            vrows = np.where(us, 0, rows).reshape(shape)
            self.index_arrays = [umask, urows, vrows]
            self.get = lambda V, U: np.where(umask, U[urows], V[vrows])

    def __call__(self, V: Any, U: Any) -> Any:
        return self.get(V, U)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.index_arrays)


def _rows_getter(uniform: bool, rows: Any, shape: tuple[int, ...]) -> Any:
    """get(V, U): the rows from U (uniform) or V, as a view when they are contiguous."""
    pick = (lambda V, U: U) if uniform else (lambda V, U: V)
    if not _contiguous(rows):
        index = rows.reshape(shape)
        return lambda V, U: pick(V, U)[index]
    a, b = int(rows[0]), int(rows[0]) + len(rows)
    if len(shape) > 1:
        return lambda V, U: pick(V, U)[a:b].reshape(shape + (-1,))
    return (lambda V, U: U[a:b]) if uniform else (lambda V, U: V[a:b])


class Add:
    """How a step adds gradients into the rows of some nodes (repeated rows summed first).

    A part for uniform rows is summed over the batch: their one value served every sample.
    Calling it reshapes the part and calls `into`, a function chosen once for the layout.
    """

    __slots__ = ("shape", "size", "into", "index_arrays")

    def __init__(self, recs: list[Any], shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.size = len(recs)
        us = np.array([r.u for r in recs], dtype=bool)
        rows = np.array([r.row for r in recs], dtype=np.intp)
        self.index_arrays: list[Any] = []
        if us.any() and not us.all():  # both arrays: one Add for each side
            sides = [(np.flatnonzero(side), Add([recs[i] for i in np.flatnonzero(side)], (int(side.sum()),)))
                     for side in (us, ~us)]
            self.index_arrays = [a for index, add in sides for a in (index, *add.index_arrays)]

            def into(GV: Any, GU: Any, part: Any, width: int) -> None:
                for index, add in sides:
                    add.into(GV, GU, part[index], width)

            self.into = into
        else:
            self.into = self._into(bool(us.all()), rows)

    def _into(self, uniform: bool, rows: Any) -> Any:
        """into(GV, GU, part, width) for rows all in U (uniform) or all in V."""
        pick = (lambda GV, GU: GU) if uniform else (lambda GV, GU: GV)
        if _contiguous(rows):
            a, b = int(rows[0]), int(rows[0]) + len(rows)

            def add(buf: Any, part: Any) -> None:
                buf[a:b] += part
        elif len(np.unique(rows)) == len(rows):
            self.index_arrays = [rows]

            def add(buf: Any, part: Any) -> None:
                buf[rows] += part
        else:  # the same row more than once: sort, sum each run, add once per row
            order = np.argsort(rows, kind="stable")
            once, starts = np.unique(rows[order], return_index=True)
            self.index_arrays = [order, once, starts]

            def add(buf: Any, part: Any) -> None:
                buf[once] += np.add.reduceat(part[order], starts, axis=0)

        def into(GV: Any, GU: Any, part: Any, width: int) -> None:
            if uniform and width != 1:
                part = part.sum(axis=1, keepdims=True)
            add(pick(GV, GU), part)

        return into

    def __call__(self, GV: Any, GU: Any, part: Any, width: int) -> None:
        try:  # the part as (rows, width): a view when the rule returned the full shape
            part = part.reshape(self.size, width)
        except (AttributeError, ValueError):  # a number, or a row meant to broadcast
            part = np.broadcast_to(part, self.shape + (width,)).reshape(self.size, width)
        self.into(GV, GU, part, width)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.index_arrays)


def _add_for(recs: list[Any], shape: tuple[int, ...]) -> Add | None:
    """An Add into these nodes' rows, or None when none of them needs a gradient."""
    return Add(recs, shape) if any(r.grad for r in recs) else None


class Step:
    """A group of nodes computed together: their op, and where their rows are."""

    __slots__ = ("op", "recs", "uniform", "start", "stop", "grad")

    def __init__(self, op: Op, recs: list[Any]) -> None:
        self.op = op
        self.recs = recs
        self.uniform = recs[0].u
        self.start = recs[0].row
        self.stop = self.start + len(recs)
        self.grad = any(r.grad for r in recs)  # does backward have to run this step?

    def forward(self, V: Any, U: Any) -> None:
        """Compute the nodes' rows from their operands' rows."""
        raise NotImplementedError

    def backward(self, V: Any, U: Any, GV: Any, GU: Any) -> None:
        """Add the nodes' gradients (rows of GV or GU) into their operands' gradients."""
        raise NotImplementedError

    def reads(self) -> list[tuple[str, Read]]:
        """The step's operands, each with its role (for listings and memory counts)."""
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        return sum(read.nbytes for _, read in self.reads()) + sum(
            add.nbytes for add in self.adds() if add is not None
        )

    def adds(self) -> list[Add | None]:
        raise NotImplementedError


class Elementwise(Step):
    """A group of one primitive's nodes, run through the row's own forward and vjp rules."""

    __slots__ = ("const", "operands", "grads")

    def __init__(self, op: Op, recs: list[Any]) -> None:
        super().__init__(op, recs)
        n = len(recs)
        self.const = recs[0].const  # one constant per group (part of the grouping key)
        if op.kind == NARY:  # k inputs per node: one (n, k) read, split into k arrays
            k = len(recs[0].parents)
            flat = [p for r in recs for p in r.parents]
            self.operands = [Read(flat, (n, k))]
            self.grads = [_add_for(flat, (n, k))]
        else:
            columns = [[r.parents[j] for r in recs] for j in range(len(recs[0].parents))]
            self.operands = [Read(c, (n,)) for c in columns]
            self.grads = [_add_for(c, (n,)) for c in columns]

    def _inputs(self, V: Any, U: Any) -> list[Any]:
        """The arguments of the rules after (g, out): the operands, and the constant."""
        kind = self.op.kind
        if kind == UNARY:
            return [self.operands[0].get(V, U)]
        if kind == UNARY_CONST:
            return [self.operands[0].get(V, U), self.const]
        if kind == BINARY:
            return [self.operands[0].get(V, U), self.operands[1].get(V, U)]
        # n-ary: the rule takes k arrays of shape (n, width)
        return [list(self.operands[0].get(V, U).transpose(1, 0, 2))]

    def forward(self, V: Any, U: Any) -> None:
        out = self.op.forward(*self._inputs(V, U))
        (U if self.uniform else V)[self.start : self.stop] = out

    def backward(self, V: Any, U: Any, GV: Any, GU: Any) -> None:
        buf, gbuf = (U, GU) if self.uniform else (V, GV)
        out, g = buf[self.start : self.stop], gbuf[self.start : self.stop]
        parts = self.op.vjp(g, out, *self._inputs(V, U))
        width = out.shape[1]
        if self.op.kind == NARY:  # k arrays of (n, width) back to one (n, k, width)
            parts = [np.stack([np.broadcast_to(p, out.shape) for p in parts], axis=1)]
        for add, part in zip(self.grads, parts):
            if add is not None:
                add(GV, GU, part, width)

    def reads(self) -> list[tuple[str, Read]]:
        return [("x", read) for read in self.operands]

    def adds(self) -> list[Add | None]:
        return list(self.grads)


class Linear(Step):
    """A group of fused sums of products (add_n, dot, affine, dot_const), as one matrix product.

    When every node reads the same inputs X (k rows, in the same order: a layer's neurons)
    and its weights are uniform, out = W @ X + b with W the nodes' weights as an (n, k)
    matrix. Otherwise the operands are gathered as (n, k, width) and multiplied and summed.
    """

    __slots__ = ("matmul", "inputs", "weights", "const_w", "bias", "g_inputs", "g_weights", "g_bias")

    def __init__(self, op: Op, recs: list[Any], matmul: bool) -> None:
        super().__init__(op, recs)
        n = len(recs)
        sides = [linear_sides(r) for r in recs]  # (weights, inputs, bias) of each node
        k = len(sides[0][1])
        self.matmul = matmul
        self.const_w = None
        self.weights: Read | None = None
        if matmul:
            self.inputs = Read(list(sides[0][1]), (k,))
            self.g_inputs = _add_for(list(sides[0][1]), (k,))
        else:
            flat = [x for s in sides for x in s[1]]
            self.inputs = Read(flat, (n, k))
            self.g_inputs = _add_for(flat, (n, k))
        self.g_weights = None
        if op is DOT_CONST:  # the constants, as an (n, k) matrix
            self.const_w = np.array([r.const for r in recs], dtype=float)
        elif op is not ADD_N:
            flat_w = [w for s in sides for w in s[0]]
            self.weights = Read(flat_w, (n, k))
            self.g_weights = _add_for(flat_w, (n, k))
        self.bias = self.g_bias = None
        if op is AFFINE:
            biases = [s[2] for s in sides]
            self.bias, self.g_bias = Read(biases, (n,)), _add_for(biases, (n,))

    def _weights(self, V: Any, U: Any) -> Any:
        """(n, k) for a matrix product, else broadcastable against (n, k, width)."""
        if self.const_w is not None:
            return self.const_w if self.matmul else self.const_w[:, :, None]
        if self.weights is None:
            return None
        w = self.weights.get(V, U)
        return w[:, :, 0] if self.matmul else w

    def forward(self, V: Any, U: Any) -> None:
        x, w = self.inputs.get(V, U), self._weights(V, U)
        if self.matmul:
            out = w @ x
        else:
            out = x.sum(axis=1) if w is None else (w * x).sum(axis=1)
        if self.bias is not None:
            out = out + self.bias.get(V, U)
        (U if self.uniform else V)[self.start : self.stop] = out

    def backward(self, V: Any, U: Any, GV: Any, GU: Any) -> None:
        g = (GU if self.uniform else GV)[self.start : self.stop]  # (n, width)
        width = g.shape[1]
        x, w = self.inputs.get(V, U), self._weights(V, U)
        if self.matmul:  # out = W @ X: dX = W^T g, dW = g X^T (summed over the batch)
            if self.g_inputs is not None:
                self.g_inputs(GV, GU, w.T @ g, width)
            if self.g_weights is not None:
                self.g_weights(GV, GU, (g @ x.T)[:, :, None], 1)
        else:  # out_i = Σ_j w_ij x_ij: dx_ij = w_ij g_i, dw_ij = x_ij g_i
            g3 = g[:, None, :]
            if self.g_inputs is not None:
                self.g_inputs(GV, GU, g3 if w is None else w * g3, width)
            if self.g_weights is not None:
                self.g_weights(GV, GU, x * g3, width)
        if self.g_bias is not None:
            self.g_bias(GV, GU, g, width)

    def reads(self) -> list[tuple[str, Read]]:
        roles = [("w", self.weights), ("x", self.inputs), ("b", self.bias)]
        return [(role, read) for role, read in roles if read is not None]

    def adds(self) -> list[Add | None]:
        return [self.g_inputs, self.g_weights, self.g_bias]

    @property
    def nbytes(self) -> int:
        return super().nbytes + (0 if self.const_w is None else self.const_w.nbytes)


def linear_sides(rec: Any) -> tuple[list[Any], list[Any], Any]:
    """A linear node's (weights, inputs, bias) records, the inputs being what varies."""
    op, ps = rec.op, rec.parents
    if op is ADD_N or op is DOT_CONST:
        return [], list(ps), None
    k = len(ps) // 2
    ws, xs = list(ps[:k]), list(ps[k : 2 * k])
    bias = ps[-1] if op is AFFINE else None
    if all(w.u for w in xs) and not all(w.u for w in ws):  # x_i's uniform, w_i's vary: swap
        ws, xs = xs, ws
    return ws, xs, bias


def linear_key(rec: Any) -> tuple[Any, ...]:
    """What a linear node must share with others to join them in one matrix product."""
    ws, xs, _ = linear_sides(rec)
    k = len(xs)
    if rec.op is not ADD_N and all(w.u for w in ws) and xs and not any(x.u for x in xs):
        return ("matmul", k, tuple(id(x) for x in xs))
    return ("gather", k, rec.u)


def make_step(recs: list[Any], key: tuple[Any, ...]) -> Step:
    """The step that computes a group of nodes of one op (grouped by `linear_key` if linear)."""
    op = recs[0].op
    if op in LINEAR_OPS:
        return Linear(op, recs, matmul=key[0] == "matmul")
    if op.kind not in (UNARY, UNARY_CONST, BINARY, NARY):
        raise TypeError(f"trace: no batched form for primitive {op.name!r} ({op.kind.name})")
    return Elementwise(op, recs)
