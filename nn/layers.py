"""Neurons, layers and multi-layer perceptrons.

A neuron computes act(w · x + b). The weighted sum and bias are one fused graph
node (`autograd.dot`), not n products and n additions, which is most of the speed
of training. References: Glorot & Bengio 2010 (Xavier init), He et al. 2015 (He init).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd import Value, dot, unary_functions

from .module import Module


def activations() -> dict[str, Callable[[Value], Value] | None]:
    """Every activation by name: `"linear"` (nothing applied) and every function of one
    Value in the primitive table (`tanh`, `relu`, `sin`, ..., and unary user primitives)."""
    return {"linear": None, **unary_functions()}


# Activations that zero (or nearly zero) half of their inputs get He initialisation:
# twice the variance keeps the signal's size from layer to layer.
_HE_FAMILY = frozenset({"relu", "leaky_relu", "silu", "softplus"})


def check_activation(name: Any, where: str = "activation") -> str:
    """`name` if it is a known activation: TypeError naming `where` for a non-str, ValueError
    listing the valid names for an unknown one."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: expected a name (str), got {type(name).__name__} {name!r}")
    known = activations()
    if name not in known:
        raise ValueError(
            f"{where}: unknown activation {name!r}; valid activations: {', '.join(known)}"
        )
    return name


def check_size(where: str, n: Any) -> int:
    """`n` if it is a positive int: TypeError naming `where` for a non-int (bools included),
    ValueError for an int below 1."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{where}: expected a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{where}: expected a positive int, got {n!r}")
    return n


def _check_nouts(nouts: Any) -> list[int]:
    """MLP's layer sizes as a list: TypeError for a non-sequence, ValueError if empty."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
        raise TypeError(
            f"MLP(nouts): expected a list of layer sizes, got {type(nouts).__name__} {nouts!r}"
        )
    if not nouts:
        raise ValueError("MLP(nouts): expected at least one layer size, got an empty list")
    return [check_size("MLP(nouts)", n) for n in nouts]


def make_rng(seed: int | random.Random | None) -> random.Random:
    """A generator: `seed` itself if it is one (to share it), else a new one seeded with it."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _check_inputs(module: Neuron | Layer | MLP, x: Any) -> None:
    """Raise unless `x` is `module.nin` numbers or Values (never truncate like zip)."""
    try:
        if len(x) == module.nin:
            return
    except TypeError:  # no length: a single number or Value, a generator
        name = type(module).__name__
        raise TypeError(
            f"{name}: expected a sequence of {module.nin} numbers or Values, "
            f"got {type(x).__name__}"
        ) from None
    raise ValueError(f"{type(module).__name__}: expected {module.nin} inputs, got {len(x)}")


class Neuron(Module):
    """One unit: act(w · x + b), with w · x + b as a single fused graph node.

    Weights are drawn uniformly with variance gain / nin, where gain is 2 for the ReLU
    family (relu, leaky_relu, silu, softplus; He init) and 1 otherwise (tanh, sigmoid,
    softsign, step, linear; Xavier/LeCun init with fan-in). The bias starts at 0.

    Args:
        nin: number of inputs.
        activation: a Value method name (`tanh`, `relu`, ...) or `"linear"`.
        seed: an int for reproducible weights, or a `random.Random` to draw from.
    """

    def __init__(
        self, nin: int, activation: str = "tanh", seed: int | random.Random | None = None
    ) -> None:
        super().__init__()
        self.nin = check_size("Neuron(nin)", nin)
        self.activation = check_activation(activation, "Neuron(activation)")
        self._act = activations()[activation]
        rng = make_rng(seed)
        gain = 2.0 if activation in _HE_FAMILY else 1.0
        bound = math.sqrt(3.0 * gain / nin)  # uniform(-a, a) has variance a^2 / 3
        self.w = [Value(rng.uniform(-bound, bound), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")

    def forward(self, x: Sequence[Any]) -> Value:
        """act(w · x + b) for one sample `x` of `nin` numbers or Values."""
        _check_inputs(self, x)
        z = dot(self.w, x, self.b)  # w · x + b as one node
        act = self._act
        return z if act is None else act(z)

    def config(self) -> dict[str, Any]:
        """The constructor arguments, for `save`."""
        return {"nin": self.nin, "activation": self.activation}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """nin weights and a bias."""
        return check_size("Neuron(nin)", config["nin"]) + 1


class Layer(Module):
    """`nout` neurons reading the same inputs; always returns a list of `nout` Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        seed: int | random.Random | None = None,
    ) -> None:
        super().__init__()
        self.nin = check_size("Layer(nin)", nin)
        self.nout = check_size("Layer(nout)", nout)
        self.activation = check_activation(activation, "Layer(activation)")
        rng = make_rng(seed)  # one generator shared by all neurons: each draws new weights
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> list[Value]:
        """Every neuron's output on one sample `x`."""
        _check_inputs(self, x)
        return [n(x) for n in self.neurons]

    def config(self) -> dict[str, Any]:
        """The constructor arguments, for `save`."""
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """nout neurons of nin weights and a bias."""
        nin = check_size("Layer(nin)", config["nin"])
        return check_size("Layer(nout)", config["nout"]) * (nin + 1)

    def __repr__(self) -> str:
        # One line, like torch.nn.Linear: the neurons are implied by nout.
        return f"Layer({self.extra_repr()})"


class MLP(Module):
    """A multi-layer perceptron: `Layer`s applied in turn.

    Hidden layers use `activation`, the last one `output_activation`. Returns a Value
    when the last layer has one output, else a list of Values.

    Args:
        nin: number of inputs.
        nouts: the size of each layer, e.g. `[16, 16, 1]`.
        activation: the hidden layers' activation.
        output_activation: the last layer's activation (`"linear"` gives raw scores).
        seed: an int for reproducible weights, or a `random.Random` to draw from.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        seed: int | random.Random | None = None,
    ) -> None:
        super().__init__()
        self.nin = check_size("MLP(nin)", nin)
        self.nouts = _check_nouts(nouts)
        self.activation = check_activation(activation, "MLP(activation)")
        self.output_activation = check_activation(output_activation, "MLP(output_activation)")
        rng = make_rng(seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng)
            for i in range(len(self.nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """The network's output on one sample `x` of `nin` numbers or Values."""
        _check_inputs(self, x)
        for layer in self.layers:
            x = layer(x)
        return x[0] if self.nouts[-1] == 1 else x  # type: ignore[return-value]

    def config(self) -> dict[str, Any]:
        """The constructor arguments, for `save`."""
        return {"nin": self.nin, "nouts": list(self.nouts), "activation": self.activation,
                "output_activation": self.output_activation}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """Each layer's nout neurons of nin weights and a bias."""
        sizes = [check_size("MLP(nin)", config["nin"]), *_check_nouts(config["nouts"])]
        return sum((nin + 1) * nout for nin, nout in zip(sizes, sizes[1:]))
