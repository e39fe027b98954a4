"""`python -m benchmarks --profile`: where one graphgrad mlp-step spends its time.

cProfile's top 15 functions by own time, for the step on bare Value operators (and on
graphgrad's nn when it exists), and the share of micrograd's step spent in the GC.
"""

from __future__ import annotations

import random
from typing import Any

from . import mlp
from .harness import median, timed

TOP = 15


def _cprofile(title: str, fn: Any) -> None:
    import cProfile
    import pstats

    fn()  # warm up
    prof = cProfile.Profile()
    prof.runcall(fn)
    print(f"\n== {title}: top {TOP} by tottime ==")
    print("(GC on: a collection is charged to the function whose allocation triggered it)")
    pstats.Stats(prof).strip_dirs().sort_stats("tottime").print_stats(TOP)


def profile(cfg: Any, eng: Any) -> None:
    """Print the profiles and micrograd's collector share (GC on, medians of samples)."""
    points, labels = mlp.two_moons(cfg.points)
    bare = mlp.BareMLP(eng.Value, 2, mlp.SIZES, seed=0)
    _cprofile("graphgrad mlp-step, bare Value operators",
              lambda: mlp.bare_step(bare, points, labels))
    if not mlp.nn_available():
        own = mlp.NNStep(bare.parameters())
        _cprofile("graphgrad mlp-step, nn.MLP + losses + optim",
                  lambda: own.step(points, labels))
    samples = max(3, cfg.reps)
    engines = [("graphgrad (bare)", bare)]
    if eng.micrograd:
        random.seed(0)
        engines.insert(0, ("micrograd", eng.mg_mlp(2, mlp.SIZES)))
    print(f"\n== time in the cyclic GC during one mlp-step (median of {samples}, GC on) ==")
    for name, model in engines:
        got = [timed(mlp.step_run(mlp.bare_step, model, points, labels)()) for _ in range(samples)]
        secs = median([s.seconds for s in got]) or 0.0
        in_gc = median([s.gc_seconds for s in got]) or 0.0
        share = median([s.gc_seconds / s.seconds for s in got]) or 0.0
        print(f"{name:18s} {secs:.4f} s per step, {in_gc:.4f} s in the GC ({100 * share:.0f}%), "
              f"{got[-1].collections} collections")
