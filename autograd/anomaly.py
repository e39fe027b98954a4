"""Anomaly detection: find the line of your code where a NaN or an infinity was born.

Inside `with detect_anomaly():` every new node remembers where it was created (a few
frames of the caller's stack, in a side table dropped when the block ends), and a
forward result or a gradient that is NaN or infinite raises `FloatingPointError`.
Outside the block nothing is recorded and nothing is checked.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

from .engine import describe, using_mode

_AUTOGRAD_DIR = os.path.dirname(os.path.abspath(__file__))
# Library code that is not the user's: the engine, and nn beside it.
_LIBRARY_DIRS = (
    _AUTOGRAD_DIR + os.sep,
    os.path.join(os.path.dirname(_AUTOGRAD_DIR), "nn") + os.sep,
)

Frame = tuple[str, int, str]  # (filename, line number, function name)


class AnomalyError(FloatingPointError):
    """A NaN or infinity found by `detect_anomaly`: `node` is the culprit, `where` its origin."""

    def __init__(self, message: str, node: Any = None, where: tuple[Frame, ...] = ()) -> None:
        super().__init__(message)
        self.node = node
        self.where = where


def _stack(depth: int) -> tuple[Frame, ...]:
    """The caller's frames outside autograd: through nn to the user's, then `depth` of the user's.

    Cheap: code objects and line numbers only; the source is read when an error is shown.
    """
    frames: list[Frame] = []
    users = 0
    f: FrameType | None = sys._getframe(2)
    while f is not None and users < depth and len(frames) < 32:
        filename = f.f_code.co_filename
        if not filename.startswith(_AUTOGRAD_DIR + os.sep):
            frames.append((filename, f.f_lineno, f.f_code.co_name))
            if not filename.startswith(_LIBRARY_DIRS):
                users += 1
        f = f.f_back
    return tuple(frames)


def _user_frame(where: tuple[Frame, ...]) -> Frame | None:
    """The innermost frame in the user's code (outside autograd and nn), else the innermost."""
    for frame in where:
        if not frame[0].startswith(_LIBRARY_DIRS):
            return frame
    return where[0] if where else None


def _location(frame: Frame | None) -> str:
    if frame is None:
        return "an unknown place"
    filename, lineno, func = frame
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno} in {func}" + (f": {code}" if code else "")


def _trace(where: tuple[Frame, ...]) -> str:
    if len(where) < 2:
        return ""
    lines = "\n".join(f"    {_location(f)}" for f in where)
    return f"\n  created by (innermost first):\n{lines}"


def _finite(x: Any) -> bool:
    return math.isfinite(x if type(x) is float else getattr(x, "data", x))


@contextlib.contextmanager
def detect_anomaly(depth: int = 3) -> Iterator[None]:
    """Raise FloatingPointError naming the op, its inputs and your file:line at the first NaN/inf.

    Checks every forward result and every gradient computed inside the block. Each
    node created in the block remembers the innermost `depth` frames of your code
    (and the nn frames leading to them).
    """
    # node -> where it was made (Values hash by identity)
    created: dict[Any, tuple[Frame, ...]] = {}

    def on_node(node: Any) -> None:
        where = _stack(depth)
        created[node] = where
        if node._op is not None and not math.isfinite(node.data):
            frame = _user_frame(where)
            raise AnomalyError(
                f"{describe(node)} gave {node.data} at {_location(frame)}{_trace(where)}",
                node,
                where,
            )

    def on_grad(node: Any, local: Any) -> None:
        for k, g in enumerate(local):
            if not _finite(g):
                where = created.get(node, ())
                outside = "a line outside detect_anomaly()"
                place = _location(_user_frame(where)) if where else outside
                value = g if type(g) is float else getattr(g, "data", g)
                raise AnomalyError(
                    f"gradient {value} for input {k} of {describe(node)} (whose grad is "
                    f"{node.grad!r}); the node was created at {place}{_trace(where)}",
                    node,
                    where,
                )

    try:
        with using_mode(on_node=on_node, on_grad=on_grad):
            yield
    finally:
        created.clear()  # the side table (and the nodes it keeps alive) goes with the block
