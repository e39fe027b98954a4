"""Mini-batches of a data set, shuffled with a seed, as numpy arrays (like torch's DataLoader)."""

from __future__ import annotations

import numbers
import random
from collections.abc import Iterator
from typing import Any

from .layers import check_size


def _array(name: str, x: Any) -> Any:
    """`x` as a numpy array with one sample per row; TypeError for non-numbers."""
    import numpy as np  # nn imports numpy only when batches are made

    a = np.asarray(x)
    if a.dtype.kind not in "iuf" or a.ndim == 0:
        raise TypeError(f"{name}: expected a list or array of numbers, one entry per sample, "
                        f"got {type(x).__name__} of {a.dtype}")
    return a


class DataLoader:
    """Iterate over (inputs, targets) mini-batches of `batch_size` samples.

    Each pass draws a new order when `shuffle` is on, from a `random.Random(seed)` kept
    by the loader, so a run is reproducible. The last batch may be smaller unless
    `drop_last`. Batches are numpy arrays (what a traced program takes).

    Args:
        X: the samples, one per row (a list of lists or an array).
        y: the targets, one per sample.
        batch_size: samples per batch.
        shuffle: draw a new order for every pass.
        seed: seed of the shuffling.
        drop_last: skip a last batch smaller than `batch_size`.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self.X, self.y = _array("DataLoader(X)", X), _array("DataLoader(y)", y)
        if len(self.X) != len(self.y):
            raise ValueError(f"DataLoader: {len(self.X)} samples but {len(self.y)} targets")
        if not len(self.X):
            raise ValueError("DataLoader: no samples")
        self.batch_size = check_size("DataLoader(batch_size)", batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        """The number of batches in one pass."""
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        order = list(range(len(self.X)))
        if self.shuffle:
            self.rng.shuffle(order)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.X[index], self.y[index]

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, {len(self)} batches)")


def one_hot(labels: Any, num_classes: int) -> Any:
    """Integer class labels as rows of 0.0 and 1.0, shape (n, num_classes)."""
    import numpy as np

    num_classes = check_size("one_hot(num_classes)", num_classes)
    a = np.asarray(labels)
    if a.dtype.kind not in "iu" and not (a.ndim == 0 and isinstance(labels, numbers.Integral)):
        raise TypeError(f"one_hot: labels must be integers, got {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        bad = a[(a < 0) | (a >= num_classes)].flat[0]
        raise ValueError(f"one_hot: label {bad} out of range for {num_classes} classes")
    return np.eye(num_classes)[a]
