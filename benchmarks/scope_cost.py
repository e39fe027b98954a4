"""The cost of nn's module-scope tag (`mark_outputs`) on the mlp-step training step.

    python -m benchmarks.scope_cost [--steps 200]

Times the nn.MLP step of the mlp-step workload (MLP(2, [16, 16, 1]) ReLU, 100 two-moons
points, hinge + L2, SGD) with `Module.__call__` as shipped and with a copy that skips
`mark_outputs`, interleaved, GC on, and prints the median cost of the tag in percent.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from .mlp import ALPHA, LR, SIZES, two_moons


def untagged_call(self: Any, x: Any) -> Any:
    """`Module.__call__` without the scope tag."""
    return self.forward(x)


def measure(steps: int) -> tuple[float, float]:
    """Median seconds of one training step with and without the tag."""
    from autograd import dot
    from nn import MLP, losses, optim
    from nn.module import Module

    points, labels = two_moons()
    model = MLP(2, SIZES, activation="relu", output_activation="linear", seed=0)
    params = model.parameters()
    opt = optim.SGD(params, lr=LR)

    def step() -> None:
        opt.zero_grad()
        scores = [model(p) for p in points]
        (losses.hinge(scores, labels) + ALPHA * dot(params, params)).backward()
        opt.step()

    tagged: Callable[..., Any] = Module.__call__
    times: dict[str, list[float]] = {"tagged": [], "untagged": []}
    try:
        for i in range(steps):
            order = ("tagged", "untagged") if i % 2 else ("untagged", "tagged")
            for name in order:
                Module.__call__ = tagged if name == "tagged" else untagged_call  # type: ignore[method-assign]
                start = time.process_time()
                step()
                times[name].append(time.process_time() - start)
    finally:
        Module.__call__ = tagged  # type: ignore[method-assign]
    return statistics.median(times["tagged"]), statistics.median(times["untagged"])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scope_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="samples of each variant (default 200)")
    args = parser.parse_args()
    tagged, untagged = measure(args.steps)
    print(f"mlp-step with the scope tag {tagged * 1e3:.2f} ms, without {untagged * 1e3:.2f} ms: "
          f"the tag costs {100 * (tagged - untagged) / untagged:+.1f}% (target < 5%)")


if __name__ == "__main__":
    main()
