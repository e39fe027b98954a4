"""A traced program as text, in the spirit of a jaxpr: one line per step.

    program sample_loss(x: (2,), y: ()) -> s9;  337 parameters p, 9 steps for 52 nodes
      s1[16] = affine(p[0:32] @ x + p[32:48])     # 16 nodes: one 16×2 matrix product
      s2[16] = relu(s1)                           # 16 nodes
      ...

Names: the arguments by their names, `p` the parameters, `c` the constants, `sN` the
rows step N writes; `name[a:b]` is a slice of those rows.
"""

from __future__ import annotations

import bisect
from typing import Any

from .ops import ADD_N, UNARY_CONST
from .steps import Elementwise, Linear, Step


class _Blocks:
    """Named blocks of rows in V and in U, to name what a step reads."""

    def __init__(self, plan: Any) -> None:
        self.blocks: dict[bool, list[tuple[int, int, str]]] = {False: [], True: []}
        row = 0
        for example in plan.inputs:
            self.blocks[False].append((row, row + example.size, example.name))
            row += example.size
        self.blocks[True] += [(0, plan.n_p, "p"), (plan.n_p, plan.n_p + plan.n_c, "c")]
        for i, step in enumerate(plan.steps, 1):
            self.blocks[step.uniform].append((step.start, step.stop, f"s{i}"))
        for side in self.blocks.values():
            side.sort()
        self.starts = {u: [b[0] for b in side] for u, side in self.blocks.items()}

    def locate(self, rec: Any) -> tuple[str, int, int]:
        """(block name, offset in it, block size) of a node's row."""
        side = self.blocks[rec.u]
        start, stop, name = side[bisect.bisect_right(self.starts[rec.u], rec.row) - 1]
        return name, rec.row - start, stop - start

    def name(self, recs: list[Any]) -> str:
        """`x`, `s3[0:16]`, `s4 ×10`, `[x[1], s2[0:3]]`, `337 rows of p`: the rows of these
        nodes, as runs of consecutive rows (or of one row repeated)."""
        runs: list[list[Any]] = []  # [name, first offset, last offset, block size, repeats]
        for rec in recs:
            name, offset, size = self.locate(rec)
            last = runs[-1] if runs else None
            if last and last[0] == name and last[1] == last[2] == offset:
                last[4] += 1
            elif last and last[0] == name and last[2] + 1 == offset and last[4] == 1:
                last[2] = offset
            else:
                runs.append([name, offset, offset, size, 1])
        if len(runs) > 3:  # a scattered gather: say how many rows, and from where
            names = list(dict.fromkeys(run[0] for run in runs))
            return f"{len(recs)} rows of {', '.join(names)}"
        pieces = [_piece(*run) for run in runs]
        return pieces[0] if len(pieces) == 1 else "[" + ", ".join(pieces) + "]"


def _piece(name: str, first: int, last: int, size: int, repeats: int) -> str:
    if repeats > 1:
        return f"{name if size == 1 else f'{name}[{first}]'} ×{repeats}"
    if first == 0 and last == size - 1:
        return name
    return f"{name}[{first}]" if first == last else f"{name}[{first}:{last + 1}]"


def _operation(step: Step, blocks: _Blocks) -> tuple[str, str]:
    """What the step computes, and a note on how."""
    op, n = step.op, len(step.recs)
    nodes = f"{n} node{'s' if n > 1 else ''}"
    if isinstance(step, Linear):
        x = blocks.name(step.inputs.recs)
        b = "" if step.bias is None else f" + {blocks.name(step.bias.recs)}"
        w = "c" if step.const_w is not None else (
            "" if step.weights is None else blocks.name(step.weights.recs))
        if step.matmul:
            k = step.inputs.shape[0]
            return f"{op.name}({w} @ {x}{b})", f"{nodes}: one {n}×{k} matrix product"
        each = ": a sum of" if n == 1 else ", each a sum of"
        if op is ADD_N:
            return f"add_n({x})", f"{nodes}{each} {step.inputs.shape[1]}"
        return f"{op.name}({w} · {x}{b})", f"{nodes}{each} {step.inputs.shape[1]} products"
    assert isinstance(step, Elementwise)
    args = [blocks.name(read.recs) for read in step.operands]
    if op.kind == UNARY_CONST:
        args.append(repr(step.const))
    return f"{op.name}({', '.join(args)})", nodes


def listing(plan: Any, name: str) -> str:
    """The program: a header, one line per step, and what it returns."""
    blocks = _Blocks(plan)
    signature = ", ".join(f"{e.name}: {e.shape}" for e in plan.inputs)
    outs = [blocks.name([rec]) for rec in plan.outputs_recs]
    returns = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
    header = (
        f"program {name}({signature}) -> {returns};  {plan.n_p} parameters p, "
        + (f"{plan.n_c} constants c, " if plan.n_c else "")
        + f"{len(plan.steps)} steps for {plan.n_nodes} nodes"
    )
    rows = []
    for i, step in enumerate(plan.steps, 1):
        n = len(step.recs)
        target = f"s{i}" + (f"[{n}]" if n > 1 else "")
        text, note = _operation(step, blocks)
        if step.uniform:
            note += ", once per batch (no input)"
        if not step.grad and plan.n_p:
            note += ", no gradient"
        rows.append((target, text, note))
    w_target = max((len(r[0]) for r in rows), default=0)
    w_text = min(max((len(r[1]) for r in rows), default=0), 48)
    lines = [header] + [f"  {t:>{w_target}} = {x:<{w_text}}  # {note}" for t, x, note in rows]
    return "\n".join(lines)
