"""Trace once, run on batches: record the graph of a one-sample function, replay it with numpy.

    program = trace(sample_loss, X[0], Y[0])  # runs sample_loss once and records its graph
    print(program)                            # the recorded program, one line per step
    out = program(X, Y)                       # every sample at once: a numpy array (B,)
    program.backward(X, Y)                    # adds the batch's mean gradient to each .grad
    out, g = program.value_and_grad(theta, X, Y)  # on a flat parameter array: no Value touched

The nodes that apply the same operation at the same depth of the graph run as one numpy
operation over all of them and every sample, as in TensorFlow Fold and DyNet's
autobatching; a layer's neurons become one matrix product (see `autograd.replay`).
numpy is imported when `trace` is first called, never by `import autograd`.
"""

from __future__ import annotations

import inspect
import linecache
import os
import sys
from collections.abc import Callable
from typing import Any

from .engine import MODE, TraceError, tracing, using_mode
from .value import Value

_AUTOGRAD_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_line() -> str:
    """`file:line (source)` of the innermost caller outside autograd: the line to fix."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_AUTOGRAD_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "an unknown line"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, line).strip()
    return f"{filename}:{line}" + (f" ({source})" if source else "")


class _Recording:
    """What `trace` collects while the function runs: every node it creates, in order.

    Active through two hooks: the recording mode's `on_node` (each new node) and the
    `TRACING` context variable, which a Value's comparisons and conversions consult.
    """

    __slots__ = ("nodes", "chained")

    def __init__(self, chained: Callable[[Any], None] | None) -> None:
        self.nodes: list[Value] = []
        self.chained = chained  # a hook already active (detect_anomaly): still called

    def on_node(self, node: Value) -> None:
        mode = MODE.get()
        if mode is not None and not mode.record:
            self.refuse("no_grad()")
        self.nodes.append(node)
        if self.chained is not None:
            self.chained(node)

    def refuse(self, what: str) -> None:
        """Raise TraceError: `what` would fix one sample's numbers into the program."""
        raise TraceError(
            f"{what} inside a traced function, at {_user_line()}: the program is recorded "
            f"from one sample, so a branch on a traced Value, or a traced number read out "
            f"of the graph, would hold for that sample alone. Use operations the graph "
            f"records instead (relu, abs, step, leaky_relu, logsumexp, ...)"
        )


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of f's first n positional parameters (arg0, arg1, ... when unknown)."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"arg{i}" for i in range(n)]


def _outputs(result: Any) -> tuple[list[Value], bool]:
    """The traced function's result as a list of Values, and whether it was a single one."""
    if type(result) is Value:
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(type(v) is Value for v in result):
        return list(result), False
    raise TypeError(
        f"trace: the function must return a Value or a non-empty list of Values, "
        f"got {type(result).__name__}"
    )


def trace(f: Callable[..., Any], *example_args: Any) -> Program:
    """Run `f` once on `example_args` (numbers or nested lists of numbers) and record its graph.

    Leaf Values that `f` closes over are the program's parameters (read live at every call);
    Values it makes from plain numbers are constants. Returns a `Program` that runs the
    same graph on batches (each argument with a leading batch axis).
    """
    if not callable(f):
        raise TypeError(f"trace: expected a function, got {type(f).__name__}")
    from . import replay  # numpy comes in here

    names = _argument_names(f, len(example_args))
    inputs = [replay.example_input(name, arg) for name, arg in zip(names, example_args)]
    mode = MODE.get()
    recording = _Recording(None if mode is None else mode.on_node)
    with tracing(recording), using_mode(record=True, on_node=recording.on_node):
        result = f(*[example.nested for example in inputs])
    outputs, single = _outputs(result)
    plan = replay.Plan(inputs, recording.nodes, outputs)
    return Program(getattr(f, "__name__", "f"), plan, single)


def _flat_parameters(theta: Any, n: int) -> Any:
    """`theta` as a float array of shape (n,): TypeError for non-numbers, ValueError for
    another shape (a parameter that is not finite is refused by the forward pass)."""
    import numpy as np

    a = np.asarray(theta)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"Program.value_and_grad: theta must be an array of numbers, got {a.dtype}")
    if a.shape != (n,):
        raise ValueError(
            f"Program.value_and_grad: theta must have shape ({n},), one number per parameter "
            f"in program.parameters order, got {a.shape}"
        )
    return a


class Program:
    """A traced one-sample function that runs on batches: `program(*batch)` for the outputs,
    `program.backward(*batch)` to add the batch's gradient to every parameter's `.grad`.

    Each batch argument has a leading batch axis over the shape of its example argument
    (a list or a numpy array). `print(program)` shows the steps it runs.
    """

    def __init__(self, name: str, plan: Any, single: bool) -> None:
        self.name = name
        self._plan = plan
        self._single = single

    @property
    def parameters(self) -> list[Value]:
        """The leaf Values the traced function closed over, read live at every call."""
        return list(self._plan.params)

    @property
    def nbytes(self) -> int:
        """Bytes of the program's own index and constant arrays (not a call's buffers)."""
        return int(self._plan.nbytes)

    def __call__(self, *batch_args: Any) -> Any:
        """The outputs on every sample: shape (B,), or (B, k) when f returned k Values."""
        run = self._plan.forward(batch_args)
        return self._plan.outputs(run, self._single)

    def backward(self, *batch_args: Any, reduce: str = "mean") -> Any:
        """Forward and backward on the batch; adds the batch's gradient to each parameter's `.grad`.

        `reduce="mean"` adds the mean over the samples of what `backward()` on each sample
        would add, `"sum"` their sum. Returns the outputs, as calling the program does.
        """
        self._check_backward("Program.backward", reduce)
        run = self._plan.forward(batch_args)
        self._plan.backward(run, reduce == "mean")
        return self._plan.outputs(run, True)

    def parameter_values(self) -> Any:
        """The parameters' numbers now, as a new float array in `parameters` order."""
        import numpy as np

        return np.array([p.data for p in self._plan.params], dtype=float)

    def value_and_grad(self, theta: Any, *batch_args: Any, reduce: str = "mean") -> tuple[Any, Any]:
        """(outputs, gradient) on the batch with the parameters' numbers taken from `theta`.

        `theta` is a flat array in `parameters` order (see `parameter_values`); the
        gradient is an array of the same shape, reduced over the batch as in `backward`.
        No Value is read or written: a training loop can keep its parameters in one array,
        as in JAX, and write them back to the Values when it is done.
        """
        self._check_backward("Program.value_and_grad", reduce)
        plan = self._plan
        theta = _flat_parameters(theta, plan.n_p)
        run = plan.forward(batch_args, theta)
        return plan.outputs(run, True), plan.gradient(run, reduce == "mean")

    def _check_backward(self, name: str, reduce: str) -> None:
        if reduce not in ("mean", "sum"):
            raise ValueError(f"{name}: reduce must be 'mean' or 'sum', got {reduce!r}")
        if not self._single:
            n = len(self._plan.outputs_recs)
            raise ValueError(f"{name}: needs a function with one output; {self.name} returns {n}")

    def __str__(self) -> str:
        return self._plan.listing(self.name)

    def __repr__(self) -> str:
        plan = self._plan
        return (
            f"<Program {self.name}: {len(plan.steps)} steps for {plan.n_nodes} nodes, "
            f"{len(plan.params)} parameters>"
        )


__all__ = ["trace", "Program", "TraceError"]
