"""`python -m benchmarks --quick`: every workload runs and the engines agree (no time is asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAS_MICROGRAD = importlib.util.find_spec("micrograd") is not None
sys.path.insert(0, str(ROOT))
from benchmarks import suite  # noqa: E402

WORKLOADS = set(suite.WORKLOADS)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """One smoke run (tiny sizes): its standard output and its JSON results."""
    path = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(path.read_text())


def test_benchmarks_quick_run_checks_every_workload(quick_run):
    stdout, results = quick_run
    assert f"checked before timing ({', '.join(suite.CHECKED)})" in stdout
    assert {"mlp-step", "deep-chain", "wide-sum", "tiny-graph"} <= set(suite.CHECKED)
    assert {row["workload"] for row in results["rows"]} == WORKLOADS
    graphgrad = [r for r in results["rows"] if r["engine"] == "graphgrad" and r["seconds"]]
    assert {r["workload"] for r in graphgrad} == WORKLOADS - {"memory"}
    memory = [r for r in results["rows"] if r["workload"] == "memory"]
    assert all(r["bytes_per_node"] > 0 for r in memory)


@pytest.mark.skipif(HAS_MICROGRAD, reason="micrograd is installed: the run compares both engines")
def test_benchmarks_quick_run_without_micrograd_is_graphgrad_only(quick_run):
    stdout, results = quick_run
    assert "graphgrad only" in stdout
    assert results["micrograd"] is False
    # graphgrad's rows, the scaling floor measured on bare CPython objects, numpy by hand
    assert {r["engine"] for r in results["rows"]} == {"graphgrad", "CPython", "numpy"}


@pytest.mark.skipif(not HAS_MICROGRAD, reason="micrograd not installed (`make bench` installs it)")
def test_benchmarks_quick_run_compares_with_micrograd(quick_run):
    stdout, results = quick_run
    assert "graphgrad and micrograd" in stdout
    rows = results["rows"]
    # micrograd's recursive topological sort fails on the chain at the default limit
    assert any(r["engine"] == "micrograd" and "RecursionError" in r["note"] for r in rows)
    assert all(r["ratio"] > 0 for r in rows if r["engine"] == "graphgrad" and r["seconds"]
               and r["workload"] not in ("scaling", "digits-784"))  # digits: against numpy only


def test_scope_cost_runs_and_restores_module_call():
    """The scope-tag measurement runs (its figure is not asserted) and leaves nn as it was."""
    from benchmarks.scope_cost import measure
    from nn.module import Module

    shipped = Module.__call__
    tagged, untagged = measure(steps=2)
    assert tagged > 0 and untagged > 0
    assert Module.__call__ is shipped
