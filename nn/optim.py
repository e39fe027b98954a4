"""Optimizers that follow `torch.optim`'s update rules exactly: SGD (with momentum) and Adam.

Each rule is written once, on numpy arrays of all the parameters at once. `step()` reads
every `p.grad` after `backward()` and changes every `p.data` through it; `update(theta,
grad)` runs it on a flat parameter array, for training loops that keep the parameters in
one array (`nn.fit`). numpy is imported when an optimizer is made, not by `import nn`.
References: Sutskever et al. 2013 (momentum as PyTorch writes it), Kingma & Ba 2014 (Adam).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value

if TYPE_CHECKING:
    import numpy as np

_data_of = operator.attrgetter("data")
_grad_of = operator.attrgetter("grad")


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


def _flat_array(where: str, a: Any, n: int) -> np.ndarray:
    """`a` as a float64 array of shape (n,); TypeError for non-numbers, ValueError for a shape."""
    import numpy as np

    array = np.asarray(a)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{where}: expected an array of numbers, got {array.dtype}")
    if array.shape != (n,):
        raise ValueError(f"{where}: expected shape ({n},), one entry per parameter, "
                         f"got {array.shape}")
    return array.astype(float, copy=False)


class Optimizer:
    """Base class: the parameters, a mutable checked learning rate `lr`, L2 `weight_decay`,
    and `state`, a dict of arrays with one entry per parameter (torch's names).

    A subclass writes its rule once, in `_rule`, on arrays; `step()` and `update()` run it.
    """

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        self.params = _check_params(name, params)
        self.lr = lr
        self.weight_decay = _check_number(f"{name}(weight_decay)", weight_decay)
        self.state: dict[str, np.ndarray] = {}

    @property
    def lr(self) -> float:
        """The learning rate; can be changed between steps (a schedule); finite, never negative."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(f"{type(self).__name__}(lr)", value)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0.0."""
        # A plain loop: CPython's specialised attribute store beats map(setattr, ...) 3 to 1.
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its `.grad` (the rule on arrays, then one write each)."""
        import numpy as np

        params, n = self.params, len(self.params)
        grad = np.fromiter(map(_grad_of, params), float, n)
        # Only the L2 term reads the parameters: skip a pass over them without it.
        theta = np.fromiter(map(_data_of, params), float, n) if self.weight_decay else None
        delta = self._advance(theta, grad, None)
        # One write per Value. An array's `.data` memoryview yields its floats one at a time
        # without a list, and a plain loop beats map(setattr, ...) (CPython specialises it).
        if theta is None:
            for p, d in zip(params, delta.data):
                p.data -= d  # the same float as theta - delta in numpy
        else:
            theta -= delta
            for p, x in zip(params, theta.data):
                p.data = x

    def update(self, theta: np.ndarray, grad: Any, where: Any = None) -> None:
        """One step on arrays: `theta` (float64, one entry per parameter in `params` order)
        changes in place from `grad`; the Values are not read or written.

        `where` (booleans, one per parameter) limits the step to the parameters that have
        a gradient; the others, and their state, are left alone, as torch.optim skips a
        parameter whose `.grad` is None.
        """
        import numpy as np

        name, n = f"{type(self).__name__}.update", len(self.params)
        if not isinstance(theta, np.ndarray) or theta.dtype != np.float64 or theta.shape != (n,):
            got = f"{theta.dtype} {theta.shape}" if isinstance(theta, np.ndarray) else type(theta).__name__
            raise TypeError(f"{name}: theta must be a float64 numpy array of shape ({n},), "
                            f"changed in place; got {got}")
        grad = _flat_array(f"{name}(grad)", grad, n)
        if where is None:
            theta -= self._advance(theta, grad, None)
            return
        where = np.asarray(where)
        if where.dtype != bool or where.shape != (n,):
            raise TypeError(f"{name}(where): expected {n} booleans, got {where.dtype} {where.shape}")
        if where.any():
            sub = theta[where]
            sub -= self._advance(sub, grad[where], where)
            theta[where] = sub

    def _advance(self, theta: np.ndarray | None, grad: np.ndarray, where: Any) -> np.ndarray:
        """The step to subtract from the parameters (all, or those at `where`); the state
        moves on. The rule computes first and the state is replaced last, so an exception
        inside the rule leaves the optimizer as it was."""
        if self.weight_decay:  # L2: the gradient of weight_decay / 2 * p^2, added as torch does
            assert theta is not None, "weight decay reads the parameters"
            grad = grad + self.weight_decay * theta
        state = self.state if where is None else {k: a[where] for k, a in self.state.items()}
        delta, new = self._rule(grad, state)
        for key, value in new.items():
            if where is None:
                self.state[key] = value
            else:
                self.state[key][where] = value
        return delta

    def _rule(self, grad: np.ndarray, state: dict[str, np.ndarray]) -> tuple[Any, dict[str, Any]]:
        """(step to subtract, new state) from the gradients (weight decay already added)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule")


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
        import numpy as np

        super().__init__(params, lr, weight_decay)
        self.momentum = _check_number("SGD(momentum)", momentum)
        # Zeros stand for "no buffer yet": momentum * 0 + g is g exactly, torch's first step.
        self.state["momentum_buffer"] = np.zeros(len(self.params))

    @property
    def buffers(self) -> np.ndarray:
        """The momentum buffers, one per parameter (zeros before the first step)."""
        return self.state["momentum_buffer"]

    def _rule(self, grad: np.ndarray, state: dict[str, np.ndarray]) -> tuple[Any, dict[str, Any]]:
        if not self.momentum:
            return self._lr * grad, {}
        buf = self.momentum * state["momentum_buffer"] + grad
        return self._lr * buf, {"momentum_buffer": buf}

    def __repr__(self) -> str:
        return f"SGD(lr={self._lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(Optimizer):
    """Adam with bias correction; `weight_decay` adds L2 to the gradient (as torch.optim.Adam,
    not AdamW).

    Per parameter at its step t, as torch.optim.Adam:
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
        import numpy as np

        super().__init__(params, lr, weight_decay)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence):
            raise TypeError(f"Adam(betas): expected a pair of numbers, got {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"Adam(betas): expected 2 numbers, got {len(betas)}: {betas!r}")
        beta1, beta2 = (_check_number(f"Adam(betas[{i}])", b, 1.0) for i, b in enumerate(betas))
        self.betas = (beta1, beta2)
        self.eps = _check_number("Adam(eps)", eps)
        n = len(self.params)
        self.state.update(
            step=np.zeros(n),  # steps each parameter has taken, for its bias correction
            exp_avg=np.zeros(n),  # running mean of gradients
            exp_avg_sq=np.zeros(n),  # running mean of squared gradients
        )

    @property
    def t(self) -> int:
        """Steps taken (by the parameters updated most often, when some were skipped)."""
        return int(self.state["step"].max())

    @property
    def m(self) -> np.ndarray:
        """The running means of the gradients, one per parameter."""
        return self.state["exp_avg"]

    @property
    def v(self) -> np.ndarray:
        """The running means of the squared gradients, one per parameter."""
        return self.state["exp_avg_sq"]

    def _rule(self, grad: np.ndarray, state: dict[str, np.ndarray]) -> tuple[Any, dict[str, Any]]:
        import numpy as np

        beta1, beta2 = self.betas
        t = state["step"] + 1.0
        m = state["exp_avg"] + (1.0 - beta1) * (grad - state["exp_avg"])  # torch: lerp_
        v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * (grad * grad)
        # The moments start at 0, so early averages are too small: divide by 1 - beta^t.
        t0 = int(t[0])
        if (t == t0).all():  # the usual case: scalars, computed as torch computes them
            step_size: Any = self._lr / (1.0 - beta1**t0)
            correction2_sqrt: Any = math.sqrt(1.0 - beta2**t0)
        else:  # parameters skipped on some steps have fewer steps
            step_size = self._lr / (1.0 - beta1**t)
            correction2_sqrt = np.sqrt(1.0 - beta2**t)
        delta = step_size * (m / (np.sqrt(v) / correction2_sqrt + self.eps))
        return delta, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self._lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
