"""Workloads through `autograd.trace`, each beside the same step written by hand in numpy.

mlp-step, traced: the mlp-step network and loss (MLP(2, [16, 16, 1]), ReLU, hinge plus
1e-4 L2, SGD) traced on one sample and replayed on the 100 points; the numpy step is
the same arithmetic as matrix products (the limit), micrograd the scalar baseline.
digits-784: MLP(784, [32, 10]) with softmax cross-entropy on scikit-learn's 8x8 digits
resampled to 28x28, batches of 100; seconds per 60,000 samples of `nn.fit` (parameters
in one flat array) and of the step on live Values, the trace time and the program's memory.
Both workloads time the two paths: parameters in one flat array (`program.value_and_grad`
and `optimizer.update`, what `nn.fit` does) and parameters live in their Values
(`program.backward`, `optimizer.step`).

Seconds here leave out the `gc.collect()` that ends every sample (the harness charges it
to the graphs a sample made): these steps make no graph, and a full collection of the
benchmark's heap would swamp a step of a fraction of a millisecond. Collections that
happen during the steps are counted. numpy's BLAS runs on one thread (threadpoolctl),
as the scalar engine does: on a shared 2-core machine extra BLAS threads only contend.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from . import mlp
from .harness import Case, assert_agree, interleave, median, paused_gc, result_row

try:  # BLAS on one thread, when threadpoolctl (a scikit-learn dependency) is there
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

STEPS_PER_SAMPLE = 50  # mlp-step: steps per timed sample (one step is about a millisecond)
DIGITS_BATCH = 100
DIGITS_SIZES = [32, 10]
DIGITS_LR = 0.1


def _log(msg: str) -> None:
    import sys

    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# nn.MLP weights as numpy matrices, and back
# ---------------------------------------------------------------------------


def matrices(model: Any) -> list[Any]:
    """[W1, b1, W2, b2, ...] of an nn.MLP (W as (nout, nin))."""
    out = []
    for layer in model.layers:
        out.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
        out.append(np.array([n.b.data for n in layer.neurons]))
    return out


def flat_like_model(arrays: list[Any]) -> list[float]:
    """Matrices back in nn.MLP's parameter order (each neuron's weights, then its bias)."""
    flat: list[float] = []
    for W, b in zip(arrays[::2], arrays[1::2]):
        for row, bias in zip(W, b):
            flat += [*row.tolist(), float(bias)]
    return flat


def _grads_of(params: list[Any], run: Callable[[], Any]) -> list[float]:
    """[loss, every parameter's gradient] after `run()` (a backward pass), grads reset."""
    for p in params:
        p.grad = 0.0
    loss = run()
    result = [float(np.mean(loss))] + [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return result


# ---------------------------------------------------------------------------
# mlp-step: hand-written numpy
# ---------------------------------------------------------------------------


def numpy_mlp_grads(ws: list[Any], X: Any, Y: Any) -> tuple[float, list[Any]]:
    """Loss and gradients of mean(relu(1 - y s)) + ALPHA Σ p² for the MLP in `ws`."""
    W1, b1, W2, b2, W3, b3 = ws
    h1 = X @ W1.T + b1
    a1 = np.maximum(h1, 0.0)
    h2 = a1 @ W2.T + b2
    a2 = np.maximum(h2, 0.0)
    s = a2 @ W3[0] + b3[0]
    margin = 1.0 - Y * s
    loss = np.maximum(margin, 0.0).mean() + mlp.ALPHA * sum(float((w * w).sum()) for w in ws)
    gs = np.where(margin > 0.0, -Y, 0.0) / len(Y)  # d loss / d score
    gh2 = np.outer(gs, W3[0]) * (h2 > 0.0)
    gh1 = (gh2 @ W2) * (h1 > 0.0)
    grads = [gh1.T @ X, gh1.sum(0), gh2.T @ a1, gh2.sum(0), (gs @ a2)[None, :], gs.sum(keepdims=True)]
    return loss, [g + 2.0 * mlp.ALPHA * w for g, w in zip(grads, ws)]


def numpy_mlp_step(ws: list[Any], X: Any, Y: Any) -> None:
    """One SGD step on the numpy weights, in place."""
    _, grads = numpy_mlp_grads(ws, X, Y)
    for w, g in zip(ws, grads):
        w -= mlp.LR * g


class TracedMLPStep:
    """nn.MLP + losses.hinge + L2, traced on one sample; a step is backward + SGD."""

    def __init__(self, weights: list[Any], X: Any, Y: Any) -> None:
        from autograd import dot, trace
        from nn import MLP, losses, optim

        self.model = MLP(2, mlp.SIZES, activation="relu", seed=0)
        self.params = self.model.parameters()
        for p, w in zip(self.params, weights):
            p.data = float(w.data)
        params = self.params

        def sample_loss(x: Any, y: Any) -> Any:
            return losses.hinge(self.model(x), y) + mlp.ALPHA * dot(params, params)

        self.program = trace(sample_loss, X[0], Y[0])
        self.opt = optim.SGD(self.params, lr=mlp.LR)
        self.X, self.Y = X, Y

    def step(self) -> None:
        """The Values stay live: gradients into `.grad`, the optimizer reads and writes Values."""
        self.opt.zero_grad()
        self.program.backward(self.X, self.Y)
        self.opt.step()

    def gradients(self) -> list[float]:
        return _grads_of(self.params, lambda: self.program.backward(self.X, self.Y))


class FlatMLPStep:
    """The same traced step on one flat parameter array, as in JAX: the optimizer is over
    `program.parameters`, so its order is the program's; no Value is touched."""

    def __init__(self, traced: TracedMLPStep) -> None:
        from nn import optim

        self.program, self.X, self.Y = traced.program, traced.X, traced.Y
        self.theta = self.program.parameter_values()
        self.opt = optim.SGD(self.program.parameters, lr=mlp.LR)

    def step(self) -> None:
        _, grad = self.program.value_and_grad(self.theta, self.X, self.Y)
        self.opt.update(self.theta, grad)


def _time(cases: list[Case], cfg: Any, per: float | list[float] = 1.0,
          steady: bool = True) -> list[dict[str, Any]]:
    """Interleaved samples of the cases; rows whose seconds are per unit of work (`per`
    units in a sample, or one figure per case), leaving out each sample's final forced
    collection if `steady`."""

    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            interleave(cases, cfg.reps, cfg.reps_off)
    else:
        interleave(cases, cfg.reps, cfg.reps_off)
    rows = []
    pers = per if isinstance(per, list) else [per] * len(cases)
    for case, per in zip(cases, pers):
        row = result_row(case)
        work = [s.seconds - (s.final_gc_seconds if steady else 0.0) for s in case.on]
        row["seconds"] = median(work) / per  # type: ignore[operator]
        row["seconds_best"] = min(work) / per
        row["seconds_gc_off"] = median([s.seconds for s in case.off]) / per  # type: ignore[operator]
        if steady:
            row["gc_share"] = None  # the forced collection is left out: see the docstring
        rows.append(row)
    return rows


def _repeat(step: Callable[[], Any], times: int) -> Callable[[], Callable[[], None]]:
    def run() -> None:
        for _ in range(times):
            step()

    return lambda: run


def mlp_step_traced(cfg: Any, eng: Any) -> list[dict[str, Any]]:
    """The mlp-step through trace, beside numpy by hand and micrograd."""
    _log("mlp-step, traced: checking trace and numpy agree with the scalar engine …")
    points, labels = mlp.two_moons(cfg.points)
    X, Y = np.array(points), np.array(labels)
    bare = mlp.BareMLP(eng.Value, 2, mlp.SIZES, seed=0)
    reference = mlp.bare_gradients(bare, points, labels)
    traced = TracedMLPStep(bare.parameters(), X, Y)
    assert_agree("mlp-step, traced vs the scalar engine (loss, gradients)", traced.gradients(), reference)
    ws = matrices(traced.model)
    loss, grads = numpy_mlp_grads(ws, X, Y)
    assert_agree("mlp-step, numpy vs the scalar engine", [loss, *flat_like_model(grads)], reference)
    flat = FlatMLPStep(traced)
    inner = 1 if cfg.quick else STEPS_PER_SAMPLE
    cases = [
        Case("mlp-step-traced", "numpy", "hand-written matrix products (the limit)",
             _repeat(lambda: numpy_mlp_step(ws, X, Y), inner)),
        Case("mlp-step-traced", "graphgrad",
             "flat parameters: program.value_and_grad + optim.SGD.update", _repeat(flat.step, inner)),
        Case("mlp-step-traced", "graphgrad", "program.backward + opt.step (Values live)",
             _repeat(traced.step, inner)),
    ]
    if eng.micrograd:
        random.seed(0)
        theirs = eng.mg_mlp(2, mlp.SIZES)
        mlp.copy_weights(bare.parameters(), theirs.parameters())
        cases.append(Case("mlp-step-traced", "micrograd", "micrograd.nn.MLP (one step)",
                          mlp.step_run(mlp.bare_step, theirs, points, labels)))
    _log(f"mlp-step, traced: timing {len(cases)} cases …")
    # micrograd's graphs are cyclic garbage: their final collection is its own work
    rows = _time(cases[:3], cfg, per=inner)
    if eng.micrograd:
        rows += _time(cases[3:], cfg, steady=False)
    numpy_row = rows[0]
    numpy_row["note"] = f"{numpy_row['seconds'] * 1e3:.3f} ms per step"
    for row in rows[1:3]:
        row["vs_numpy"] = row["seconds"] / numpy_row["seconds"]
        row["note"] = f"{row['seconds'] * 1e3:.3f} ms per step, {row['vs_numpy']:.1f}x the numpy step"
        if eng.micrograd:
            row["ratio"] = rows[3]["seconds"] / row["seconds"]
            row["note"] += f"; {row['ratio']:,.0f}x faster than micrograd"
    rows[1]["target"], rows[1]["target_text"] = {"vs_numpy": 5.0}, "<= 5x numpy"
    if eng.micrograd:
        numpy_row["ratio"] = rows[3]["seconds"] / numpy_row["seconds"]
    return rows


# ---------------------------------------------------------------------------
# digits-784
# ---------------------------------------------------------------------------


def digits_28() -> tuple[Any, Any]:
    """scikit-learn's 1,797 8x8 digits resampled to 28x28 (bilinear), pixels in [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images / 16.0
    # bilinear interpolation as a matrix: pixel i of 28 samples the 8 pixels at 7 i / 27
    pos = np.linspace(0.0, 7.0, 28)
    R = np.maximum(0.0, 1.0 - np.abs(pos[:, None] - np.arange(8)[None, :]))
    big = np.einsum("ij,njk,lk->nil", R, images, R)
    return big.reshape(len(big), 784), digits.target


def numpy_digits_grads(ws: list[Any], X: Any, T: Any) -> tuple[float, list[Any]]:
    """Mean softmax cross-entropy (one-hot targets T) of relu MLP(784, [32, 10]), and grads."""
    W1, b1, W2, b2 = ws
    h = X @ W1.T + b1
    a = np.maximum(h, 0.0)
    z = a @ W2.T + b2
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    loss = float((np.log(total) + m - (z * T).sum(axis=1, keepdims=True)).mean())
    gz = (e / total - T) / len(X)  # softmax - one-hot, per sample, averaged
    gh = (gz @ W2) * (h > 0.0)
    return loss, [gh.T @ X, gh.sum(0), gz.T @ a, gz.sum(0)]


def numpy_digits_step(ws: list[Any], X: Any, T: Any) -> None:
    _, grads = numpy_digits_grads(ws, X, T)
    for w, g in zip(ws, grads):
        w -= DIGITS_LR * g


class TracedDigits:
    """MLP(784, [32, 10]) + cross-entropy, traced on one sample (the trace is timed)."""

    def __init__(self, X: Any, T: Any) -> None:
        from autograd import trace
        from nn import MLP, losses, optim

        self.model = MLP(784, DIGITS_SIZES, activation="relu", seed=0)
        self.params = self.model.parameters()
        model = self.model

        def sample_loss(x: Any, t: Any) -> Any:
            return losses.cross_entropy(model(x), t)

        start = time.perf_counter()
        self.program = trace(sample_loss, X[0], T[0])
        self.trace_seconds = time.perf_counter() - start
        self.opt = optim.SGD(self.params, lr=DIGITS_LR)

    def step(self, X: Any, T: Any) -> None:
        """The Values stay live: gradients into `.grad`, the optimizer reads and writes Values."""
        self.opt.zero_grad()
        self.program.backward(X, T)
        self.opt.step()


def _fit_run(X: Any, T: Any, epochs: int) -> Callable[[], Callable[[], None]]:
    """nn.fit as a user calls it: a new model, trace included, `epochs` passes over X in
    order (the batches the numpy step sees), no progress bar."""
    from nn import MLP, fit, losses, optim

    def prepare() -> Callable[[], None]:
        model = MLP(784, DIGITS_SIZES, activation="relu", seed=0)
        opt = optim.SGD(model.parameters(), lr=DIGITS_LR)

        def run() -> None:
            fit(model, losses.cross_entropy, X, T, opt, epochs=epochs, batch_size=DIGITS_BATCH,
                shuffle=False, progress=False)

        return run

    return prepare


def _epoch(step: Callable[[Any, Any], None], batches: list[tuple[Any, Any]]) -> Callable[[], Callable[[], None]]:
    def run() -> None:
        for xb, tb in batches:
            step(xb, tb)

    return lambda: run


def _check_fit(ws: list[Any], batches: list[tuple[Any, Any]]) -> None:
    """nn.fit over these batches (in order) gives the parameters of the numpy steps."""
    from nn import MLP, fit, losses, optim

    model = MLP(784, DIGITS_SIZES, activation="relu", seed=0)
    X, T = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    fit(model, losses.cross_entropy, X, T, optim.SGD(model.parameters(), lr=DIGITS_LR),
        batch_size=DIGITS_BATCH, shuffle=False, progress=False)
    ws = [w.copy() for w in ws]
    for xb, tb in batches:
        numpy_digits_step(ws, xb, tb)
    assert_agree("digits-784, nn.fit vs numpy steps (parameters)",
                 [p.data for p in model.parameters()], flat_like_model(ws))


def _program_memory(X: Any, T: Any) -> int:
    """Peak bytes allocated by the first backward call of a new program on a batch: its
    temporaries and the two arrays it keeps for later calls (numpy reports to tracemalloc)."""
    program = TracedDigits(X, T).program
    tracemalloc.start()
    program.backward(X[:DIGITS_BATCH], T[:DIGITS_BATCH])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def digits_784(cfg: Any, eng: Any) -> list[dict[str, Any]]:
    """Seconds per 60,000 digit samples: nn.fit and the traced step with live Values,
    against numpy by hand."""

    _log("digits-784: loading digits, tracing MLP(784, [32, 10]), checking against numpy …")
    X, y = digits_28()
    T = np.eye(10)[y]
    n_batches = 2 if cfg.quick else len(X) // DIGITS_BATCH
    batches = [(X[i * DIGITS_BATCH:(i + 1) * DIGITS_BATCH], T[i * DIGITS_BATCH:(i + 1) * DIGITS_BATCH])
               for i in range(n_batches)]
    traced = TracedDigits(X, T)
    retraces = 0 if cfg.quick else 2
    trace_times = [traced.trace_seconds] + [TracedDigits(X, T).trace_seconds for _ in range(retraces)]
    ws = matrices(traced.model)
    xb, tb = batches[0]
    loss, grads = numpy_digits_grads(ws, xb, tb)
    ours = _grads_of(traced.params, lambda: traced.program.backward(xb, tb))
    assert_agree("digits-784, traced vs numpy (loss, gradients)", ours, [loss, *flat_like_model(grads)])
    _check_fit(ws, batches[:2])
    with paused_gc():
        memory = _program_memory(X, T)
    used = n_batches * DIGITS_BATCH
    fit_epochs = 1 if cfg.quick else -(-60_000 // used)  # about 60,000 samples per fit call
    theta = traced.program.parameter_values()
    cases = [
        Case("digits-784", "numpy", "hand-written step (gradients and SGD)",
             _epoch(lambda a, b: numpy_digits_step(ws, a, b), batches)),
        Case("digits-784", "graphgrad", f"nn.fit (flat parameters), {fit_epochs} epochs of {used} "
             "samples in one call, trace included", _fit_run(X[:used], T[:used], fit_epochs)),
        Case("digits-784", "graphgrad", "program.backward + opt.step (Values live)",
             _epoch(traced.step, batches)),
        Case("digits-784", "numpy", "hand-written gradients alone",
             _epoch(lambda a, b: numpy_digits_grads(ws, a, b), batches)),
        Case("digits-784", "graphgrad", "program.value_and_grad alone (flat parameters)",
             _epoch(lambda a, b: traced.program.value_and_grad(theta, a, b), batches)),
        Case("digits-784", "graphgrad", "program.backward alone (gradients into .grad)",
             _epoch(lambda a, b: traced.program.backward(a, b), batches)),
    ]
    _log(f"digits-784: timing {len(cases)} cases, {n_batches} batches of {DIGITS_BATCH} each …")
    per = used / 60_000  # seconds per 60,000 samples
    rows = _time(cases, cfg, per=[per, per * fit_epochs] + [per] * 4)
    for row in rows:
        row["note"] = f"{row['seconds']:.2f} s per 60,000 samples"
    for numpy_row, row in ((rows[0], rows[1]), (rows[0], rows[2]), (rows[3], rows[4]), (rows[3], rows[5])):
        row["vs_numpy"] = row["seconds"] / numpy_row["seconds"]
        row["note"] += f", {row['vs_numpy']:.1f}x numpy"
    rows[1]["target"], rows[1]["target_text"] = {"vs_numpy": 3.0}, "<= 3x numpy"
    rows.append(result_row(workload="digits-784", engine="graphgrad",
                     variant="seconds per 60,000 samples, nn.fit",
                     seconds_per_60k=rows[1]["seconds"], target={"seconds_per_60k": 10.0},
                     target_text="< 10 s", note=f"{rows[1]['seconds']:.2f} s"))
    trace_seconds = median(trace_times) or 0.0
    rows.append(result_row(workload="digits-784", engine="graphgrad", variant="trace time of the network",
                     trace_seconds=trace_seconds, target={"trace_seconds": 1.0}, target_text="< 1 s",
                     note=f"{trace_seconds:.3f} s ({traced.program!r})"))
    rows.append(result_row(workload="digits-784", engine="graphgrad", variant="program memory",
                     note=f"{traced.program.nbytes / 1e3:.1f} kB of index and constant arrays; "
                          f"{memory / 1e6:.2f} MB peak in a first backward call on 100 samples"))
    return rows


WORKLOADS = {"mlp-step-traced": mlp_step_traced, "digits-784": digits_784}
