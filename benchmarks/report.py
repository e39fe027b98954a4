"""The results table (with the targets of issue 6 and a pass/fail mark) and the JSON file."""

from __future__ import annotations

import json
import sys
from typing import Any


def verdict(row: dict[str, Any]) -> bool | None:
    """True or False against the row's target; None without a target or a figure to judge."""
    target = row.get("target")
    if not target:
        return None
    if row.get("failed"):
        return False
    (key, bound), = target.items()
    value = row.get(key)
    if value is None:
        return None
    return value >= bound if key == "ratio" else value <= bound


def _target_text(target: dict[str, float] | None) -> str:
    if not target:
        return ""
    (key, bound), = target.items()
    if key == "ratio":
        return f">= {bound:g}x"
    if key == "growth":
        return f"<= {bound:g}x"
    return f"<= {bound:g} B"


def _num(x: float | None, fmt: str, suffix: str = "") -> str:
    return "-" if x is None else f"{x:{fmt}}{suffix}"


COLUMNS = ("workload", "variant", "engine", "s (median)", "s GC off", "in GC",
           "ratio", "ratio GC off", "B/node", "target", "", "note")


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain-text table; seconds are medians, GC on unless marked."""
    lines = []
    for row in rows:
        ok = verdict(row)
        lines.append((
            row["workload"], row["variant"], row["engine"],
            _num(row["seconds"], ".4f"), _num(row["seconds_gc_off"], ".4f"),
            _num(None if row["gc_share"] is None else 100 * row["gc_share"], ".0f", "%"),
            _num(row["ratio"], ".1f", "x"), _num(row["ratio_gc_off"], ".1f", "x"),
            _num(row["bytes_per_node"], ".0f"), row.get("target_text") or _target_text(row["target"]),
            {True: "PASS", False: "FAIL", None: ""}[ok], row["note"],
        ))
    widths = [max(len(c), *(len(str(line[i])) for line in lines)) for i, c in enumerate(COLUMNS)]
    right = {3, 4, 5, 6, 7, 8}  # numbers

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            (c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    out = [fmt(COLUMNS), fmt(tuple("-" * w for w in widths))]
    out += [fmt(line) for line in lines]
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
