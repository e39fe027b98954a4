"""The results table (each row's target and a pass/fail mark) and the JSON file."""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any


def _holds(key: str, value: float, bound: float) -> bool:
    # speed-ups ("ratio...") must reach their bound; costs (growth, bytes, seconds) stay under
    return value >= bound if key.startswith("ratio") else value <= bound


def verdict(row: dict[str, Any]) -> bool | None:
    """True or False against every bound of the row's target; None without a target or a
    figure to judge."""
    target = row.get("target")
    if not target:
        return None
    if row.get("failed"):
        return False
    values = [row.get(key) for key in target]
    if any(v is None for v in values):
        return None
    return all(_holds(key, v, bound) for (key, bound), v in zip(target.items(), values))


def _target_text(target: dict[str, float] | None) -> str:
    if not target:
        return ""
    parts = []
    for key, bound in target.items():
        sign = ">=" if key.startswith("ratio") else "<="
        unit = " B" if key == "bytes_per_node" else "x"
        parts.append(f"{sign} {bound:g}{unit}")
    return ", ".join(parts)


def _num(x: float | None, fmt: str, suffix: str = "") -> str:
    return "-" if x is None else f"{x:{fmt}}{suffix}"


# One line of figures per row, then the row's variant and note on an indented line
# below it, so the table fits a 100-column terminal.
COLUMNS = ("workload", "engine", "s median", "GC off", "in GC", "ratio", "GC off",
           "B/node", "target", "")
WIDTH = 100


def _figures(row: dict[str, Any]) -> tuple[str, ...]:
    ok = verdict(row)
    return (
        row["workload"], row["engine"],
        _num(row["seconds"], ".4f"), _num(row["seconds_gc_off"], ".4f"),
        _num(None if row["gc_share"] is None else 100 * row["gc_share"], ".0f", "%"),
        _num(row["ratio"], ".1f", "x"), _num(row["ratio_gc_off"], ".1f", "x"),
        _num(row["bytes_per_node"], ".0f"), row.get("target_text") or _target_text(row["target"]),
        {True: "PASS", False: "FAIL", None: ""}[ok],
    )


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain-text table; seconds are medians, GC on unless marked.

    Columns: seconds with the collector on and off, its share of the time, the ratio
    micrograd / graphgrad (on, off), bytes per node, the target and its verdict.
    """
    lines = [_figures(row) for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(COLUMNS)]
    right = {2, 3, 4, 5, 6, 7}  # numbers

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            (c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    out = [fmt(COLUMNS), fmt(tuple("-" * w for w in widths))]
    for row, line in zip(rows, lines):
        out.append(fmt(line))
        detail = " — ".join(text for text in (row["variant"], row["note"]) if text)
        if detail:
            out += textwrap.wrap(detail, WIDTH, initial_indent="    ", subsequent_indent="      ")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    """Where the run happened (imported at the end: `platform` is not a workload's)."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count()}


def write_json(path: str, rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """The rows, each with its pass/fail, and the run's settings and machine."""
    for row in rows:
        row["passed"] = verdict(row)
    with open(path, "w") as f:
        json.dump({**meta, "rows": rows}, f, indent=2, ensure_ascii=False)
        f.write("\n")
