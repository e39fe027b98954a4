"""Training on mini-batches through a traced program: `fit`, and `predict` for a whole data set.

    history = fit(model, losses.cross_entropy, X, labels, optim.Adam(model.parameters()),
                  epochs=10, batch_size=32, seed=0)
    scores = predict(model, X_test)          # (n, outputs) numpy array

`fit` traces the per-sample loss `loss(model(x), target)` once, keeps the parameters in one
numpy array while it trains (per batch, `program.value_and_grad` and the optimizer's rule
on arrays, `optimizer.update`), and writes them back into the model's Values every epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Program, Value, no_grad, trace

from . import losses, optim
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


class _FlatParameters:
    """The optimizer's parameters as one float array for the length of a training run.

    `theta` and `grad` are in the optimizer's order; the program reads `theta[perm]`, its
    own order. Parameters the loss does not reach get no gradient and no step (`where`),
    as torch.optim skips a parameter whose `.grad` is None.
    """

    def __init__(self, program: Program, optimizer: optim.Optimizer) -> None:
        import numpy as np

        params = optimizer.params
        position = {id(p): i for i, p in enumerate(params)}
        missing = [p for p in program.parameters if id(p) not in position]
        if missing:
            label = f" (the first: {missing[0].label!r})" if missing[0].label else ""
            raise ValueError(
                f"fit: the loss depends on {len(missing)} parameter(s) the optimizer does not "
                f"hold{label}; make the optimizer over model.parameters()"
            )
        self.program, self.optimizer, self.params = program, optimizer, params
        self.perm = np.array([position[id(p)] for p in program.parameters], dtype=np.intp)
        n = len(params)
        self.identity = len(self.perm) == n and bool((self.perm == np.arange(n)).all())
        reached = np.zeros(len(params), dtype=bool)
        reached[self.perm] = True
        self.where = None if reached.all() else reached
        self.theta = np.array([p.data for p in params], dtype=float)
        self.grad = np.array([p.grad for p in params], dtype=float)

    def step(self, xb: Any, tb: Any) -> float:
        """One batch: gradient at theta, then the optimizer's rule on the arrays; the loss sum."""
        import numpy as np

        theta_program = self.theta if self.identity else self.theta[self.perm]
        out, g = self.program.value_and_grad(theta_program, xb, tb)
        if not self.identity:
            grad = np.zeros(len(self.params))  # zero for a parameter the loss does not reach
            grad[self.perm] = g
            g = grad
        self.optimizer.update(self.theta, g, self.where)
        self.grad = g
        return float(out.sum())

    def write_back(self) -> None:
        """Every parameter's number and last gradient back into its Value."""
        for p, x, g in zip(self.params, self.theta.data, self.grad.data):  # memoryviews: floats
            p.data, p.grad = x, g


def fit(
    model: Module | Callable[[Any], Any],
    loss: Callable[[Any, Any], Value],
    X: Any,
    y: Any,
    optimizer: optim.Optimizer,
    epochs: int = 1,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = 0,
    progress: bool = True,
) -> list[float]:
    """Train `model` on the samples `X` and targets `y`; returns the mean loss of each epoch.

    The per-sample loss is traced once. During training the parameters live in one numpy
    array (`program.value_and_grad` and `optimizer.update` per batch); the model's Values
    receive them at the end of every epoch, and when training stops early (an exception,
    Ctrl-C) they hold the last completed step. Each `.grad` is then the last batch's mean
    gradient, 0.0 for a parameter the loss does not reach; such a parameter is not
    updated at all (torch.optim skips a parameter without a gradient).

    Args:
        model: a module (or any function of one sample's inputs).
        loss: a per-sample loss `loss(prediction, target)`, e.g. `losses.cross_entropy`
            (integer class labels are turned into one-hot rows for it) or `losses.mse`.
        X, y: samples and targets, one per row (lists or numpy arrays).
        optimizer: an `nn.optim` optimizer over the model's parameters (every parameter
            the loss depends on; others are left alone).
        epochs, batch_size, shuffle, seed: passes over the data, and how batches are drawn.
        progress: show a tqdm progress bar with the running loss.
    """
    epochs = check_size("fit(epochs)", epochs)
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(f"fit: expected an nn.optim optimizer, got {type(optimizer).__name__}")
    targets = _targets(model, loss, X, y)
    loader = DataLoader(X, targets, batch_size=batch_size, shuffle=shuffle, seed=seed)

    def sample_loss(x: Any, t: Any) -> Value:
        return loss(model(x), t)

    flat = _FlatParameters(trace(sample_loss, loader.X[0], loader.y[0]), optimizer)
    from tqdm import tqdm

    history: list[float] = []
    bar = tqdm(total=epochs * len(loader), desc="training", unit="batch", disable=not progress)
    try:
        with bar:
            for epoch in range(epochs):
                total = 0.0
                for xb, tb in loader:
                    total += flat.step(xb, tb)
                    bar.update()
                flat.write_back()
                history.append(total / len(loader.X))
                bar.set_postfix(epoch=epoch + 1, loss=f"{history[-1]:.4f}")
    finally:
        flat.write_back()
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
