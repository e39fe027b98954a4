"""The reference workloads, each checked for agreement between engines, then timed.

Every workload function returns rows (one per engine and variant) for `report`.
A row's `ratio` is micrograd's median seconds over this row's, GC on; `ratio_gc_off`
the same with the collector off.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable
from typing import Any

from . import chain, mlp, tiny, traced, wide
from .harness import Case, assert_agree, in_big_stack, interleave, paused_gc, result_row

DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()


class Config:
    """Sizes and repetition counts of one run."""

    def __init__(self, quick: bool, reps: int | None = None) -> None:
        self.quick = quick
        self.points = 10 if quick else 100
        self.chain = 2_000 if quick else 100_000
        self.wide = 1_000 if quick else 100_000
        self.memory = 10_000 if quick else 1_000_000
        self.tiny = 2_000 if quick else 100_000  # gradients of the ten-node graph
        self.scaling = (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
        self.reps = reps or (1 if quick else 5)  # samples with the collector on
        self.reps_off = 1 if quick else max(1, (self.reps + 1) // 2)  # and off
        self.mlp_inner = 1  # training steps per sample


class Engines:
    """graphgrad (always) and micrograd 0.1.0 (when installed and wanted)."""

    def __init__(self, use_micrograd: bool = True) -> None:
        from autograd import Value

        self.Value = Value
        self.mg_value: Any = None
        self.mg_mlp: Any = None
        self.mg_missing = "not wanted (--without-micrograd)"
        if use_micrograd:
            try:
                from micrograd.engine import Value as MicrogradValue
                from micrograd.nn import MLP as MicrogradMLP
            except ImportError as exc:
                self.mg_missing = f"not installed ({exc}); `make bench` installs it"
            else:
                self.mg_value, self.mg_mlp, self.mg_missing = MicrogradValue, MicrogradMLP, ""

    @property
    def micrograd(self) -> bool:
        return self.mg_value is not None


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _ratios(rows: list[dict[str, Any]], base: dict[str, Any] | None) -> None:
    """Fill in micrograd / graphgrad for every graphgrad row."""
    if base is None or base["seconds"] is None:
        return
    for row in rows:
        if row["engine"] == "graphgrad" and row["seconds"]:
            row["ratio"] = base["seconds"] / row["seconds"]
            if row["seconds_gc_off"] and base["seconds_gc_off"]:
                row["ratio_gc_off"] = base["seconds_gc_off"] / row["seconds_gc_off"]


def _time(cases: list[Case], cfg: Config, name: str) -> list[dict[str, Any]]:
    _log(f"{name}: timing {len(cases)} cases, {cfg.reps} samples GC on, {cfg.reps_off} GC off …")
    interleave(cases, cfg.reps, cfg.reps_off)
    return [result_row(c) for c in cases]


# ---------------------------------------------------------------------------
# mlp-step
# ---------------------------------------------------------------------------


def mlp_step(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """One training step: micrograd's nn, BareMLP on graphgrad, graphgrad's nn."""
    _log("mlp-step: checking the engines agree …")
    points, labels = mlp.two_moons(cfg.points)
    bare = mlp.BareMLP(eng.Value, 2, mlp.SIZES, seed=0)
    cases: list[Case] = []
    extra: list[dict[str, Any]] = []
    if eng.micrograd:
        random.seed(0)  # micrograd's nn draws its weights from the global generator
        theirs_model = eng.mg_mlp(2, mlp.SIZES)
        mlp.copy_weights(theirs_model.parameters(), bare.parameters())
        with paused_gc():
            theirs = mlp.bare_gradients(theirs_model, points, labels)
            ours = mlp.bare_gradients(bare, points, labels)
        assert_agree("mlp-step, bare Value operators vs micrograd (loss, gradients)", ours, theirs)
        reference = theirs
        cases.append(Case("mlp-step", "micrograd", "micrograd.nn.MLP",
                          mlp.step_run(mlp.bare_step, theirs_model, points, labels),
                          cfg.mlp_inner))
    else:
        reference = mlp.bare_gradients(bare, points, labels)
    cases.append(Case("mlp-step", "graphgrad", "bare Value operators",
                      mlp.step_run(mlp.bare_step, bare, points, labels), cfg.mlp_inner))
    missing = mlp.nn_available()
    if missing:
        _log(f"mlp-step: skipped: nn not available ({missing})")
        extra.append(result_row(workload="mlp-step", engine="graphgrad",
                          variant="nn.MLP + losses + optim",
                          note="skipped: nn not available"))
    else:
        own = mlp.NNStep(bare.parameters())
        other = "micrograd" if eng.micrograd else "bare Value operators"
        with paused_gc():
            assert_agree(f"mlp-step, nn.MLP vs {other} (loss, gradients)",
                         own.gradients(points, labels), reference)
        cases.append(Case("mlp-step", "graphgrad", "nn.MLP + losses + optim",
                          mlp.step_run(own.step, points, labels), cfg.mlp_inner))
    rows = _time(cases, cfg, "mlp-step") + extra
    base = rows[0] if eng.micrograd else None
    _ratios(rows, base)
    for row in rows:
        if row["variant"] == "bare Value operators":
            row["target"] = {"ratio": 10.0}
        elif row["variant"].startswith("nn.MLP"):
            row["target"] = {"ratio": 40.0}
    return rows


# ---------------------------------------------------------------------------
# deep-chain
# ---------------------------------------------------------------------------


def deep_chain(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """A chain of cfg.chain nodes: graphgrad at the default limit, micrograd raised."""
    n = cfg.chain
    _log(f"deep-chain: checking the engines agree ({n:,} nodes) …")
    reference = list(chain.chain_reference(n))
    assert sys.getrecursionlimit() == DEFAULT_RECURSION_LIMIT
    try:
        with paused_gc():
            ours = list(chain.chain_result(eng.Value, n))
    except RecursionError as exc:
        return [result_row(workload="deep-chain", engine="graphgrad", variant="default limit",
                     note=f"RecursionError: {exc}", target={"ratio": 15.0},
                     target_text=">= 15x", failed=True)]
    assert_agree("deep-chain, graphgrad vs plain floats", ours, reference)
    rows: list[dict[str, Any]] = []
    cases: list[Case] = []
    limit = 2 * n + 10_000  # micrograd recurses once per node of the chain
    if eng.micrograd:
        try:
            with paused_gc():
                chain.chain_result(eng.mg_value, n)
            note = "no RecursionError at the default recursion limit"
        except RecursionError as exc:
            note = f"RecursionError ({exc})"
        rows.append(result_row(workload="deep-chain", engine="micrograd",
                         variant=f"default limit ({DEFAULT_RECURSION_LIMIT})", note=note))
        with paused_gc():
            theirs = list(in_big_stack(lambda: chain.chain_result(eng.mg_value, n), limit))
        assert_agree("deep-chain, graphgrad vs micrograd", ours, theirs)
        cases.append(Case("deep-chain", "micrograd", f"recursion limit {limit:,}",
                          lambda: chain.chain_run(eng.mg_value, n), recursion_limit=limit))
    cases.append(Case("deep-chain", "graphgrad", f"default limit ({DEFAULT_RECURSION_LIMIT})",
                      lambda: chain.chain_run(eng.Value, n)))
    timed = _time(cases, cfg, "deep-chain")
    _ratios(timed, timed[0] if eng.micrograd else None)
    timed[-1]["target"] = {"ratio": 15.0}  # and no RecursionError at the default limit
    timed[-1]["note"] = "no RecursionError at the default recursion limit"
    return rows + timed


# ---------------------------------------------------------------------------
# wide-sum
# ---------------------------------------------------------------------------


def wide_sum(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """Σ w_i x_i: balanced tree on both engines, add_n and dot on graphgrad."""
    n = cfg.wide
    _log(f"wide-sum: checking the engines agree ({n:,} products) …")
    reference = wide.wide_reference(n)
    variants: list[tuple[str, type, Callable[..., Any], dict[str, float] | None]] = []
    if eng.micrograd:
        variants.append(("micrograd", eng.mg_value, wide.binary_tree, None))
    variants += [
        ("graphgrad", eng.Value, wide.binary_tree, {"ratio": 5.0}),
        ("graphgrad", eng.Value, wide.graphgrad_add_n, {"ratio": 12.0}),
        ("graphgrad", eng.Value, wide.graphgrad_dot, None),
    ]
    labels = {wide.binary_tree: "balanced tree of binary adds",
              wide.graphgrad_add_n: "n-ary add_n of the products",
              wide.graphgrad_dot: "one dot node (extra)"}
    cases = []
    for engine, value, build, _ in variants:
        with paused_gc():
            got = wide.wide_result(value, n, build)
        assert_agree(f"wide-sum, {engine} {labels[build]} vs plain floats", got, reference)
        cases.append(Case("wide-sum", engine, labels[build], wide.wide_prepare(value, n, build)))
    rows = _time(cases, cfg, "wide-sum")
    _ratios(rows, rows[0] if eng.micrograd else None)
    for row, (_, _, _, target) in zip(rows, variants):
        row["target"] = target
    return rows


# ---------------------------------------------------------------------------
# tiny-graph
# ---------------------------------------------------------------------------


def tiny_graph(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """One gradient of the ten-node graph, repeated (cfg.tiny gradients per sample)."""
    _log("tiny-graph: checking the engines agree …")
    reference = list(tiny.tiny_reference())
    engines = [("micrograd", eng.mg_value)] if eng.micrograd else []
    engines.append(("graphgrad", eng.Value))
    cases = []
    for name, value in engines:
        assert_agree(f"tiny-graph, {name} vs closed form", list(tiny.tiny_gradient(value)),
                     reference)
        cases.append(Case("tiny-graph", name, f"{cfg.tiny:,} gradients",
                          lambda value=value: tiny.tiny_run(value),
                          cfg.tiny // tiny.GRADIENTS))
    rows = _time(cases, cfg, "tiny-graph")
    _ratios(rows, rows[0] if eng.micrograd else None)
    for row in rows:
        per = row["seconds"] / tiny.GRADIENTS
        row["note"] = f"{per * 1e6:.2f} µs per gradient"
    rows[-1]["target"] = {"ratio": 4.0}
    return rows


# ---------------------------------------------------------------------------
# scaling (graphgrad only)
# ---------------------------------------------------------------------------


def scaling(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """graphgrad's deep-chain time per node at each size in cfg.scaling."""
    sizes = cfg.scaling
    largest = sizes[-1]
    cases, floor = [], []
    for n in sizes:
        # about the same amount of work in every sample: repeat the small chains
        inner = max(1, min(largest // n, 20))
        cases.append(Case("scaling", "graphgrad", f"deep-chain {n:,} nodes",
                          functools.partial(chain.chain_run, eng.Value, n), inner))
        floor.append(Case("scaling", "CPython", f"bare slotted objects, {n:,}",
                          functools.partial(chain.link_chain_run, n), inner))
    _log(f"scaling: timing deep-chain at {', '.join(f'{n:,}' for n in sizes)} nodes …")
    interleave(cases + floor, 1 if cfg.quick else max(3, cfg.reps // 2), 1)
    rows = []
    for n, case in zip(sizes, cases):
        row = result_row(case)
        nodes = 2 * (n // 2)
        row["per_node"] = row["seconds"] / nodes
        row["per_node_gc_off"] = row["seconds_gc_off"] / nodes
        row["note"] = (f"{row['per_node'] * 1e6:.3f} µs per node "
                       f"({row['per_node_gc_off'] * 1e6:.3f} GC off)")
        rows.append(row)
    growth = rows[-1]["per_node"] / rows[0]["per_node"]
    growth_off = rows[-1]["per_node_gc_off"] / rows[0]["per_node_gc_off"]
    # The same growth for a chain of bare slotted objects: CPython's own share (its
    # cyclic collector's full passes over an ever larger heap), under any engine.
    small, large = (result_row(c) for c in (floor[0], floor[-1]))
    floor_growth = large["seconds"] / largest / (small["seconds"] / sizes[0])
    floor_off = large["seconds_gc_off"] / largest / (small["seconds_gc_off"] / sizes[0])
    # Targets: with the collector off, time per node grows at most 1.5x; with it on,
    # no more than the bare objects' own growth (10% allowed for the noise of one run).
    rows.append(result_row(workload="scaling", engine="graphgrad",
                     variant=f"time per node, {largest:,} / {sizes[0]:,}",
                     growth=growth, growth_gc_off=growth_off,
                     target={"growth_gc_off": 1.5, "growth": round(1.1 * floor_growth, 2)},
                     target_text="<=1.5x off, floor on",
                     note=f"{growth:.2f}x ({growth_off:.2f}x GC off); the floor's growth "
                          f"{floor_growth:.2f}x, +10% allowed"))
    rows.append(result_row(workload="scaling", engine="CPython",
                     variant=f"bare slotted objects, {largest:,} / {sizes[0]:,}",
                     growth=floor_growth, growth_gc_off=floor_off,
                     note=f"{floor_growth:.2f}x ({floor_off:.2f}x GC off): the floor, no engine"))
    return rows


# ---------------------------------------------------------------------------
# memory (a fresh process per engine)
# ---------------------------------------------------------------------------


def memory(cfg: Config, eng: Engines) -> list[dict[str, Any]]:
    """Bytes per node of a cfg.memory-node chain, traced in a fresh process per engine."""
    from .memory import measure

    n = cfg.memory
    rows = []
    engines = (["micrograd"] if eng.micrograd else []) + ["graphgrad"]
    for engine in engines:
        _log(f"memory: {engine}, {n:,} nodes, in a fresh process …")
        m = measure(engine, n)
        rows.append(result_row(workload="memory", engine=engine, variant=f"deep-chain {n:,} nodes",
                         bytes_per_node=m["bytes_per_node"]))
    rows[-1]["target"] = {"bytes_per_node": 160.0}
    if eng.micrograd:
        rows[-1]["note"] = f"{rows[0]['bytes_per_node'] / rows[-1]['bytes_per_node']:.1f}x less"
    return rows


#: The workloads whose engines and variants are checked equal before timing.
CHECKED = ("mlp-step", "deep-chain", "wide-sum", "tiny-graph")

WORKLOADS: dict[str, Callable[[Config, Engines], list[dict[str, Any]]]] = {
    "mlp-step": mlp_step,
    "deep-chain": deep_chain,
    "wide-sum": wide_sum,
    "tiny-graph": tiny_graph,
    "scaling": scaling,
    "memory": memory,
}

# The workloads through autograd.trace (benchmarks/traced.py), beside numpy by hand.

WORKLOADS.update(traced.WORKLOADS)
