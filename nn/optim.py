"""Optimizers that follow `torch.optim`'s update rules exactly: SGD (with momentum) and Adam.

Each reads `p.grad` after `backward()` and changes `p.data` in place. References:
Sutskever et al. 2013 (momentum as PyTorch writes it), Kingma & Ba 2014 (Adam).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value


def _check_nonnegative(where: str, x: float) -> float:
    if not (isinstance(x, (int, float)) and not isinstance(x, bool)) or not x >= 0.0:
        raise ValueError(f"{where}: expected a number >= 0, got {x!r}")
    return float(x)


class Optimizer:
    """Base class: holds the parameters and a mutable, checked learning rate `lr`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got no parameters to optimize")
        seen: set[int] = set()
        for p in self.params:
            if not isinstance(p, Value):
                raise ValueError(f"{name}: parameters must be Values, got {type(p).__name__}")
            if id(p) in seen:  # it would be updated twice per step
                raise ValueError(f"{name}: a parameter appears twice: {p!r}")
            seen.add(id(p))
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; can be changed between steps (a schedule), never negative."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_nonnegative(f"{type(self).__name__}(lr)", value)

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
        self.momentum = _check_nonnegative("SGD(momentum)", momentum)
        self.weight_decay = _check_nonnegative("SGD(weight_decay)", weight_decay)
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
        beta1, beta2 = betas
        for i, beta in enumerate((beta1, beta2)):
            if not (isinstance(beta, (int, float)) and 0.0 <= beta < 1.0):
                raise ValueError(f"Adam(betas[{i}]): expected a number in [0, 1), got {beta!r}")
        self.betas = (float(beta1), float(beta2))
        self.eps = _check_nonnegative("Adam(eps)", eps)
        self.weight_decay = _check_nonnegative("Adam(weight_decay)", weight_decay)
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
