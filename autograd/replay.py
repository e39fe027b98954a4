"""A traced graph as a plan of batched steps, and running it on a batch with numpy.

Planning (once, at trace time): every node the outputs need gets a record; nodes that
apply the same primitive at the same depth (longest path from a leaf) form a group, as
in TensorFlow Fold's and DyNet's depth-based batching; each group becomes a step whose
nodes' rows are contiguous (see `autograd.steps` for the layout). Running: the steps in
order for the forward pass, the steps whose nodes lead to a parameter in reverse for the
backward pass; one numpy operation per step, whatever the number of nodes or samples.
Errors are found by checking the results are finite, then re-running the failing sample
through the scalar rules, so the message is the scalar engine's plus the sample index.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import replay_errors
from .engine import TraceError, parents_of
from .ops import UNARY_CONST
from .steps import LINEAR_OPS, Step, linear_key, linear_sides, make_step
from .value import Value

_data_of = operator.attrgetter("data")
INPUT, PARAM, CONST, OP = "input", "parameter", "constant", "op"


class Example:
    """One example argument of the traced function: its name, shape and leaf Values."""

    __slots__ = ("name", "shape", "leaves", "nested")

    def __init__(self, name: str, shape: tuple[int, ...], leaves: list[Value], nested: Any) -> None:
        self.name = name
        self.shape = shape
        self.leaves = leaves  # flat, row-major
        self.nested = nested  # what the function receives: a Value or nested lists of them

    @property
    def size(self) -> int:
        return len(self.leaves)


def _number_array(what: str, arg: Any) -> Any:
    """`arg` as a float array; TypeError for non-numbers, ValueError for ragged lists."""
    try:
        a = np.asarray(arg)
    except ValueError as exc:  # numpy refuses ragged nested lists
        raise ValueError(f"{what}: expected a number or an evenly nested list ({exc})") from None
    if a.dtype.kind not in "iuf":
        kind = "bool" if a.dtype.kind == "b" else f"{type(arg).__name__} of {a.dtype}"
        raise TypeError(f"{what}: expected numbers (int or float), got {kind}")
    return a.astype(float, copy=False)


def example_input(name: str, arg: Any) -> Example:
    """Leaf Values for one example argument (a number, or nested lists of numbers)."""
    a = _number_array(f"trace: argument {name}", arg)
    if not np.isfinite(a).all():
        raise ValueError(f"trace: argument {name} holds a value that is not finite")
    leaves = [Value(x, label=name + _index_label(a.shape, i)) for i, x in enumerate(a.ravel().tolist())]
    nested: Any = leaves[0] if a.ndim == 0 else np.array(leaves, dtype=object).reshape(a.shape).tolist()
    return Example(name, a.shape, leaves, nested)


def _index_label(shape: tuple[int, ...], i: int) -> str:
    return "" if not shape else "[" + ",".join(map(str, np.unravel_index(i, shape))) + "]"


def _batch_shape(shape: tuple[int, ...]) -> str:
    """`(B,)`, `(B, 3)`: a batch of samples of `shape`."""
    return "(B,)" if not shape else "(B, " + ", ".join(map(str, shape)) + ")"


class Rec:
    """A node of the traced graph as the plan sees it."""

    __slots__ = ("value", "index", "kind", "op", "parents", "const", "level", "u", "grad", "row")
    level: int  # the longest path from a leaf
    u: bool  # uniform: the same for every sample (a parameter, a constant, or made of them)
    grad: bool  # leads to a parameter: backward needs its gradient

    def __init__(self, value: Value, index: int, kind: str, parents: list[Rec]) -> None:
        self.value = value
        self.index = index  # creation order (the scalar engine's order)
        self.kind = kind
        self.op = value._op if kind == OP else None
        self.parents = parents
        self.const = value._y if self.op is not None and self.op.folds_constant else None
        if parents:
            self.level = 1 + max(p.level for p in parents)
            self.u = all(p.u for p in parents)
            self.grad = any(p.grad for p in parents)
        else:
            self.level, self.u, self.grad = 0, kind != INPUT, kind == PARAM
        self.row = -1  # in V, or in U when u

    def group_key(self) -> tuple[Any, ...]:
        """Nodes with equal keys run as one step."""
        op = self.op
        assert op is not None
        if op in LINEAR_OPS:
            return (self.level, op.name, *linear_key(self))
        if op.kind == UNARY_CONST:
            return (self.level, op.name, self.u, self.const)
        return (self.level, op.name, len(self.parents), tuple(p.u for p in self.parents))


def _needed(recorded: list[Value], outputs: list[Value]) -> tuple[set[int], list[Value]]:
    """The ids of the recorded nodes the outputs depend on, and the parameters (in order met).

    A leaf not recorded is a parameter; a non-leaf not recorded was computed outside the
    traced function and cannot be replayed (TraceError).
    """
    made = {id(v) for v in recorded}
    needed: set[int] = set()
    params: list[Value] = []
    seen: set[int] = set()
    stack = list(reversed(outputs))
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if id(v) in made:
            needed.add(id(v))
            stack.extend(reversed(parents_of(v)))
        elif v._op is None:
            params.append(v)
        else:
            label = f" (label {v.label!r})" if v.label else ""
            raise TraceError(
                f"the traced function uses a Value computed outside it: {v.op} of "
                f"{len(v.parents)} Value(s){label}. Its number would stay frozen while the "
                f"parameters it came from change; compute it inside the function, or pass it in"
            )
    return needed, params


def batch_arrays(inputs: list[Example], args: Sequence[Any]) -> tuple[list[Any], int]:
    """The batch arguments as float arrays (B, size); ValueError naming a bad shape."""
    if len(args) != len(inputs):
        raise TypeError(
            f"the program takes {len(inputs)} batch argument(s) "
            f"({', '.join(e.name for e in inputs)}), got {len(args)}"
        )
    arrays, sizes = [], set()
    for example, arg in zip(inputs, args):
        a = _number_array(f"argument {example.name}", arg)
        if a.ndim == 0 or a.shape[1:] != example.shape:
            raise ValueError(
                f"argument {example.name}: expected a batch of shape "
                f"{_batch_shape(example.shape)} (B samples of the traced shape "
                f"{example.shape}), got shape {a.shape}"
            )
        a = a.reshape(a.shape[0], example.size)
        if not np.isfinite(a).all():
            bad = ~np.isfinite(a).all(axis=1)
            raise ValueError(f"argument {example.name}: sample {int(np.argmax(bad))} is not finite")
        arrays.append(a)
        sizes.add(a.shape[0])
    if len(sizes) > 1:
        shown = ", ".join(f"{e.name}: {a.shape[0]}" for e, a in zip(inputs, arrays))
        raise ValueError(f"the batch arguments have different batch sizes ({shown})")
    batch = sizes.pop() if sizes else 1
    if batch == 0:
        raise ValueError("empty batch: every argument has 0 samples")
    return arrays, batch


def _parameter_order(
    params: list[Value], recs: dict[int, Rec], ordered: list[tuple[Any, list[Rec]]]
) -> list[Value]:
    """The parameters in the order the steps read them: a matrix-product step's weights row
    by row, then its biases, so that both are slices of U; the others as they were met."""
    order: list[Value] = []
    placed: set[Rec] = set()

    def place(rec: Rec | None) -> None:
        if rec is not None and rec.kind == PARAM and rec not in placed:
            placed.add(rec)
            order.append(rec.value)

    for key, group in ordered:
        if group[0].op in LINEAR_OPS and key[2] == "matmul":
            sides = [linear_sides(r) for r in group]
            for ws, _, _ in sides:
                for w in ws:
                    place(w)
            for _, _, bias in sides:
                place(bias)
    for v in params:
        place(recs[id(v)])
    return order


class Plan:
    """The steps that replay a traced graph on a batch, and where every node's rows are."""

    def __init__(self, inputs: list[Example], created: list[Value], outputs: list[Value]) -> None:
        self.inputs = inputs
        leaves = [leaf for example in inputs for leaf in example.leaves]
        needed, params = _needed(leaves + created, outputs)
        recs: dict[int, Rec] = {}
        for i, v in enumerate(params):
            recs[id(v)] = Rec(v, -1 - i, PARAM, [])
        for i, v in enumerate(leaves):
            recs[id(v)] = Rec(v, i, INPUT, [])
        ops: list[Rec] = []
        consts: list[Rec] = []
        for i, v in enumerate(created, start=len(leaves)):
            if id(v) not in needed:
                continue
            parents = [recs[id(p)] for p in parents_of(v)]
            rec = recs[id(v)] = Rec(v, i, OP if v._op is not None else CONST, parents)
            (ops if parents else consts).append(rec)
        self.records = recs
        self._buffers = threading.local()  # V and GV, reused by the calls of one thread
        self.ops = ops  # in creation order
        self.n_nodes = len(ops)
        groups: dict[tuple[Any, ...], list[Rec]] = {}
        for rec in ops:
            groups.setdefault(rec.group_key(), []).append(rec)
        ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0].index))
        self.params = _parameter_order(params, recs, ordered)
        self._layout(consts, ordered)
        self.steps: list[Step] = [make_step(group, key[2:]) for key, group in ordered]
        self.backward_steps = [s for s in reversed(self.steps) if s.grad]
        self.outputs_recs = [recs[id(v)] for v in outputs]

    def _layout(self, consts: list[Rec], ordered: list[tuple[Any, list[Rec]]]) -> None:
        """Rows: V = inputs, then each varying group; U = parameters, constants, uniform groups."""
        for row, v in enumerate(self.params):
            self.records[id(v)].row = row
        for row, rec in enumerate(consts, start=len(self.params)):
            rec.row = row
        self.n_p, self.n_c = len(self.params), len(consts)
        self.consts = np.array([rec.value.data for rec in consts], dtype=float)
        n_u = self.n_p + self.n_c
        n_v = 0
        for example in self.inputs:
            for leaf in example.leaves:
                self.records[id(leaf)].row = n_v
                n_v += 1
        self.n_in = n_v
        for _, group in ordered:
            for rec in group:
                if rec.u:
                    rec.row, n_u = n_u, n_u + 1
                else:
                    rec.row, n_v = n_v, n_v + 1
        self.n_u, self.n_v = n_u, n_v

    @property
    def nbytes(self) -> int:
        return self.consts.nbytes + sum(step.nbytes for step in self.steps)

    def _buffer(self, name: str, batch: int) -> Any:
        """This thread's (rows of V, batch) array called `name`, kept from call to call:
        a fresh large array costs a page fault per 4 kB page on first touch."""
        buffers = self._buffers.__dict__
        buf = buffers.get(name)
        if buf is None or buf.shape[1] != batch:
            buf = buffers[name] = np.empty((self.n_v, batch))
        return buf

    # -- running -------------------------------------------------------------------

    def forward(self, args: Sequence[Any], theta: Any = None) -> Run:
        """Every step's forward pass on the batch, with the parameters' numbers `theta` (in
        `params` order) or, by default, the Values' own; FloatingPointError or the engine's
        error (with the sample index) when a result is not finite."""
        arrays, batch = batch_arrays(self.inputs, args)
        V = self._buffer("V", batch)
        row = 0
        for a in arrays:
            V[row : row + a.shape[1]] = a.T
            row += a.shape[1]
        U = np.empty((self.n_u, 1))
        if theta is None:
            U[: self.n_p, 0] = np.fromiter(map(_data_of, self.params), float, self.n_p)
        else:
            U[: self.n_p, 0] = theta
        U[self.n_p : self.n_p + self.n_c, 0] = self.consts
        replay_errors.check_parameters(self, U)
        with np.errstate(all="ignore"):
            for step in self.steps:
                step.forward(V, U)
        fixed = self.n_p + self.n_c
        if not (np.isfinite(V[self.n_in :]).all() and np.isfinite(U[fixed:]).all()):
            replay_errors.forward_error(self, V, U)
        return Run(V, U, batch)

    def outputs(self, run: Run, single: bool) -> Any:
        """The output rows as (B,) for one output, else (B, k)."""
        cols = [run.U[r.row, 0].repeat(run.batch) if r.u else run.V[r.row] for r in self.outputs_recs]
        return cols[0].copy() if single else np.stack(cols, axis=1)

    def backward(self, run: Run, mean: bool) -> None:
        """The backward pass from the single output; adds each parameter's reduced gradient."""
        for p, g in zip(self.params, self.gradient(run, mean).data):  # a memoryview: floats
            p.grad += g

    def gradient(self, run: Run, mean: bool) -> Any:
        """The backward pass from the single output: the parameters' gradients summed over
        the batch (or their mean), as a new array in `params` order."""
        GU = self.gradients(run)
        if GU is None:
            replay_errors.backward_error(self, run)
        grads = GU[: self.n_p, 0]
        return grads / run.batch if mean else grads.copy()

    def gradients(self, run: Run) -> Any:
        """GU after the backward steps (its parameter rows hold the summed gradients),
        or None if a gradient is not finite."""
        V, U = run.V, run.U
        GV, GU = self._buffer("GV", run.batch), np.zeros_like(U)
        GV[self.n_in :] = 0.0  # the inputs' rows are scratch: nothing reads their gradients
        out = self.outputs_recs[0]
        if out.u:
            GU[out.row] += run.batch  # one seed of 1 per sample, summed
        else:
            GV[out.row] = 1.0
        with np.errstate(all="ignore"):
            for step in self.backward_steps:
                step.backward(V, U, GV, GU)
        finite = np.isfinite(GV[self.n_in :]).all() and np.isfinite(GU).all()
        return GU if finite else None

    # -- the listing ---------------------------------------------------------------

    def listing(self, name: str) -> str:
        """The program as text, one line per step (see `autograd.listing`)."""
        from .listing import listing

        return listing(self, name)


class Run:
    """One batch's forward values: V (varying rows, B), U (uniform rows, 1)."""

    __slots__ = ("V", "U", "batch")

    def __init__(self, V: Any, U: Any, batch: int) -> None:
        self.V, self.U, self.batch = V, U, batch

    def samples(self, start: int, stop: int) -> Run:
        """The same run restricted to samples start .. stop - 1 (a view)."""
        return Run(self.V[:, start:stop], self.U, stop - start)
