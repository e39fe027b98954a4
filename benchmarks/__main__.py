"""`python -m benchmarks`: the reference workloads on graphgrad and micrograd 0.1.0.

    python -m benchmarks                      # every workload, about two minutes
    python -m benchmarks --quick              # smoke run: tiny sizes, checks agreement
    python -m benchmarks --only deep-chain    # one workload (or several)
    python -m benchmarks --profile            # cProfile of one graphgrad mlp-step

Seconds (process CPU time; `--clock wall` for wall time) are medians of interleaved
samples with the cyclic garbage collector on, each sample ending with the collection
of its graphs; GC-off figures are printed beside.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time

from . import harness, report, suite

DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")


def say(text: str) -> None:
    """Print, wrapped to the table's width."""
    print(textwrap.fill(text, report.WIDTH, subsequent_indent="  "))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: tiny sizes, one sample each; checks the engines agree, "
                   "its times mean nothing")
    p.add_argument("--only", nargs="+", choices=list(suite.WORKLOADS), metavar="WORKLOAD",
                   help=f"run only these workloads ({', '.join(suite.WORKLOADS)})")
    p.add_argument("--reps", type=int, default=None,
                   help="samples per case with the GC on (default 5; half as many off)")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                   help="seconds of process CPU time (default: steadier on a busy machine) "
                   "or of wall time")
    p.add_argument("--json", default=DEFAULT_JSON, metavar="PATH",
                   help="where to write the results (default benchmarks/results.json)")
    p.add_argument("--without-micrograd", action="store_true",
                   help="graphgrad only, even if micrograd is installed")
    p.add_argument("--no-fail", action="store_true",
                   help="exit with status 0 even if a target is missed (by default a missed "
                   "target is exit status 1, so a regression is visible)")
    p.add_argument("--profile", action="store_true",
                   help="profile one graphgrad mlp-step (cProfile) and micrograd's time in the GC")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = suite.Config(args.quick, args.reps)
    harness.use_clock(args.clock)
    engines = suite.Engines(use_micrograd=not args.without_micrograd)
    if args.profile:
        from .profile import profile

        profile(cfg, engines)
        return 0
    if engines.micrograd:
        print("engines: graphgrad and micrograd 0.1.0, interleaved")
    else:
        print(f"engines: graphgrad only (micrograd {engines.mg_missing})")
    names = args.only or list(suite.WORKLOADS)
    start = time.perf_counter()
    rows = []
    for name in names:
        rows += suite.WORKLOADS[name](cfg, engines)
    elapsed = time.perf_counter() - start
    checked = ", ".join(n for n in names if n in suite.CHECKED)
    if checked and engines.micrograd:
        say(f"checked before timing ({checked}): graphgrad agrees with micrograd and with "
            "plain floats (outputs and gradients, 1e-9 relative)")
    elif checked:
        say(f"checked before timing ({checked}): graphgrad's variants agree with each other "
            "and with plain floats (outputs and gradients, 1e-9 relative); micrograd not compared")
    print()
    print(report.table(rows))
    print()
    mode = "quick smoke run: figures are not meaningful" if cfg.quick else (
        f"medians of {cfg.reps} samples GC on, {cfg.reps_off} GC off")
    say(f"{mode}; seconds of {args.clock} time; ratio = micrograd seconds / graphgrad "
        f"seconds; {elapsed:.0f} s in all")
    meta = {"quick": cfg.quick, "clock": args.clock, "reps": cfg.reps, "reps_gc_off": cfg.reps_off,
            "micrograd": engines.micrograd, "workloads": names, "elapsed": elapsed,
            "machine": report.machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    report.write_json(args.json, rows, meta)
    print(f"wrote {os.path.relpath(args.json)}")
    missed = [r for r in rows if report.verdict(r) is False]
    if missed and not cfg.quick:  # a quick run's figures judge nothing
        names = ", ".join(sorted({r["workload"] for r in missed}))
        print(f"{len(missed)} target(s) missed ({names})", file=sys.stderr)
        return 0 if args.no_fail else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
