"""memory: bytes per node of a deep chain, measured with tracemalloc in a fresh process.

    python -m benchmarks.memory graphgrad 1000000     # prints one JSON object

A fresh process per engine, so neither sees the other's allocations or free lists.
Nodes are the chain's operations (micrograd also allocates a Value for each constant:
that is part of its cost per node).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tracemalloc
from typing import Any

from .chain import deep_chain

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure_here(engine: str, nodes: int) -> dict[str, Any]:
    """Build the chain in this process and return its traced size (the graph is kept)."""
    if engine not in ("graphgrad", "micrograd"):
        raise SystemExit(f"benchmarks.memory: unknown engine {engine!r} (graphgrad or micrograd)")
    import importlib

    value = importlib.import_module("autograd" if engine == "graphgrad" else "micrograd.engine").Value
    gc.disable()  # nothing here is garbage; spares micrograd's build the collector's passes
    x = value(1.0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = deep_chain(x, nodes)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = 2 * (nodes // 2)
    assert y.data > 0.0
    return {"engine": engine, "nodes": nodes, "bytes": after - before,
            "bytes_per_node": (after - before) / nodes}


def measure(engine: str, nodes: int) -> dict[str, Any]:
    """`measure_here` in a fresh Python process."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", engine, str(nodes)],
        cwd=ROOT, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks.memory {engine} {nodes} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python -m benchmarks.memory graphgrad|micrograd NODES")
    print(json.dumps(measure_here(argv[0], int(argv[1]))), flush=True)
    os._exit(0)  # skip tearing down a million-node graph


if __name__ == "__main__":
    main(sys.argv[1:])
