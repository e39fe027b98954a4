"""Optimizers that follow `torch.optim`'s update rules exactly: SGD (with momentum) and Adam.

Each reads `p.grad` after `backward()` and changes `p.data` in place. References:
Sutskever et al. 2013 (momentum as PyTorch writes it), Kingma & Ba 2014 (Adam).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from autograd import Value


def _check_number(where: str, x: Any, upper: float = math.inf) -> float:
    """`x` as a float in [0, upper): TypeError naming `where` for a non-number (bools
    included), ValueError for a value outside the range, NaN or an infinity."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a number, got {type(x).__name__} {x!r}")
    value = float(x)
    if not (math.isfinite(value) and 0.0 <= value < upper):
        wanted = "a finite number >= 0" if upper == math.inf else f"a number in [0, {upper:g})"
        raise ValueError(f"{where}: expected {wanted}, got {x!r}")
    return value


def _check_params(name: str, params: Any) -> list[Value]:
    """The parameters as a list: TypeError unless an iterable of Values, ValueError if
    empty or if one appears twice."""
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{name}: expected an iterable of Values (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError(f"{name}: got no parameters to optimize")
    seen: set[int] = set()
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{name}: parameters must be Values, got {type(p).__name__}")
        if id(p) in seen:  # it would be updated twice per step
            raise ValueError(f"{name}: a parameter appears twice: {p!r}")
        seen.add(id(p))
    return params


class Optimizer:
    """Base class: holds the parameters and a mutable, checked learning rate `lr`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _check_params(type(self).__name__, params)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; can be changed between steps (a schedule); finite, never negative."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(f"{type(self).__name__}(lr)", value)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient (implemented by subclasses)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Per parameter, as torch.optim.SGD (no dampening, no Nesterov):
    g = grad + weight_decay * p;  buf = g on the first step, else momentum * buf + g;
    p -= lr * buf (or lr * g without momentum).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number("SGD(momentum)", momentum)
        self.weight_decay = _check_number("SGD(weight_decay)", weight_decay)
        self.buffers: list[float | None] = [None] * len(self.params)  # momentum buffers

    def step(self) -> None:
        """p -= lr * (momentum-averaged) gradient, for every parameter."""
        lr, mu, wd = self._lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            if mu:
                buf = self.buffers[i]
                g = g if buf is None else mu * buf + g
                self.buffers[i] = g
            p.data -= lr * g

    def __repr__(self) -> str:
        return f"SGD(lr={self._lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(Optimizer):
    """Adam with bias correction; `weight_decay` adds L2 to the gradient (as torch.optim.Adam,
    not AdamW).

    Per parameter at step t, as torch.optim.Adam:
    g = grad + weight_decay * p;  m += (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g^2;
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence):
            raise TypeError(f"Adam(betas): expected a pair of numbers, got {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"Adam(betas): expected 2 numbers, got {len(betas)}: {betas!r}")
        beta1, beta2 = (_check_number(f"Adam(betas[{i}])", b, 1.0) for i, b in enumerate(betas))
        self.betas = (beta1, beta2)
        self.eps = _check_number("Adam(eps)", eps)
        self.weight_decay = _check_number("Adam(weight_decay)", weight_decay)
        self.t = 0  # steps taken, for the bias correction
        self.m = [0.0] * len(self.params)  # running mean of gradients
        self.v = [0.0] * len(self.params)  # running mean of squared gradients

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.t += 1
        beta1, beta2 = self.betas
        wd, eps = self.weight_decay, self.eps
        # The moments start at 0, so early averages are too small: divide by 1 - beta^t.
        step_size = self._lr / (1.0 - beta1**self.t)
        correction2_sqrt = math.sqrt(1.0 - beta2**self.t)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            m[i] += (1.0 - beta1) * (g - m[i])  # torch writes this as m.lerp_(g, 1 - beta1)
            v[i] = beta2 * v[i] + (1.0 - beta2) * (g * g)
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / correction2_sqrt + eps))

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self._lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
