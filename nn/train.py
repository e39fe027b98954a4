"""Training on mini-batches through a traced program: `fit`, and `predict` for a whole data set.

    history = fit(model, losses.cross_entropy, X, labels, optim.Adam(model.parameters()),
                  epochs=10, batch_size=32, seed=0)
    scores = predict(model, X_test)          # (n, outputs) numpy array

`fit` traces the per-sample loss `loss(model(x), target)` once, then for every batch runs
`program.backward` (the batch's mean gradient into each `.grad`) and `optimizer.step()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Value, no_grad, trace

from . import losses
from .data import DataLoader, one_hot
from .layers import check_size
from .module import Module


def _n_outputs(model: Callable[[Any], Any], x: Any) -> int:
    with no_grad():
        out = model(x.tolist())
    return len(out) if isinstance(out, (list, tuple)) else 1


def _targets(model: Callable[[Any], Any], loss: Callable[..., Value], X: Any, y: Any) -> Any:
    """Integer class labels become one-hot rows for cross-entropy (a traced program cannot
    index with a label); other targets are used as they are."""
    import numpy as np

    y = np.asarray(y)
    if loss is losses.cross_entropy and y.ndim == 1 and y.dtype.kind in "iu":
        return one_hot(y, _n_outputs(model, np.asarray(X)[0]))
    return y


def fit(
    model: Module | Callable[[Any], Any],
    loss: Callable[[Any, Any], Value],
    X: Any,
    y: Any,
    optimizer: Any,
    epochs: int = 1,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = 0,
    progress: bool = True,
) -> list[float]:
    """Train `model` on the samples `X` and targets `y`; returns the mean loss of each epoch.

    Args:
        model: a module (or any function of one sample's inputs).
        loss: a per-sample loss `loss(prediction, target)`, e.g. `losses.cross_entropy`
            (integer class labels are turned into one-hot rows for it) or `losses.mse`.
        X, y: samples and targets, one per row (lists or numpy arrays).
        optimizer: an `nn.optim` optimizer over the model's parameters.
        epochs, batch_size, shuffle, seed: passes over the data, and how batches are drawn.
        progress: show a tqdm progress bar with the running loss.
    """
    epochs = check_size("fit(epochs)", epochs)
    targets = _targets(model, loss, X, y)
    loader = DataLoader(X, targets, batch_size=batch_size, shuffle=shuffle, seed=seed)

    def sample_loss(x: Any, t: Any) -> Value:
        return loss(model(x), t)

    program = trace(sample_loss, loader.X[0], loader.y[0])
    from tqdm import tqdm

    history: list[float] = []
    bar = tqdm(total=epochs * len(loader), desc="training", unit="batch", disable=not progress)
    with bar:
        for epoch in range(epochs):
            total = 0.0
            for xb, tb in loader:
                optimizer.zero_grad()
                total += float(program.backward(xb, tb).sum())
                optimizer.step()
                bar.update()
            history.append(total / len(loader.X))
            bar.set_postfix(epoch=epoch + 1, loss=f"{history[-1]:.4f}")
    return history


def predict(model: Module | Callable[[Any], Any], X: Any, batch_size: int = 1024) -> Any:
    """The model's outputs on every sample of `X`, through one traced program: an array of
    shape (n,) for a model with one output, else (n, outputs)."""
    import numpy as np

    X = np.asarray(X, dtype=float)
    if X.ndim < 2 or not len(X):
        raise ValueError(f"predict: expected a non-empty batch of samples, got shape {X.shape}")
    batch_size = check_size("predict(batch_size)", batch_size)
    program = trace(model, X[0])
    return np.concatenate([program(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
