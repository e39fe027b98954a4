"""`Module`: the base class of every network piece, shaped like `torch.nn.Module`.

A module finds its parameters and sub-modules the way PyTorch does: by watching
attribute assignment. Assigning a `Value` (or a list of Values) registers parameters;
assigning a `Module` (or a list of Modules) registers children, which learn their
dotted name and parent so that graph drawings can group nodes by module.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterator, Mapping
from os import PathLike
from typing import Any

from autograd import Value
from autograd.engine import mark_outputs


def check_names(where: str, given: Any, expected: Collection[str], noun: str = "key") -> None:
    """ValueError naming the first problem unless `given` is a mapping with exactly `expected` names."""
    if not isinstance(given, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {type(given).__name__}")
    for name in expected:
        if name not in given:
            raise ValueError(f"{where}: missing {noun} {name!r}")
    for name in given:
        if name not in expected:
            raise ValueError(f"{where}: unknown {noun} {name!r}")


class Module:
    """Base class: parameters, named parameters, zero_grad, state dicts and a readable repr.

    Subclasses call `super().__init__()` first, assign their parameters and children
    as attributes, and implement `forward`. Calling a module runs `forward`.
    """

    _params: dict[str, Value | list[Value]]  # own parameters, by attribute name
    _modules: dict[str, Module | list[Module]]  # children, by attribute name
    scope_name: str  # dotted name inside the parent ("layers.0"), or the class name
    scope_parent: Module | None  # the module that contains this one

    def __init__(self) -> None:
        # Plain object.__setattr__: these are bookkeeping, not parameters or children.
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "scope_name", type(self).__name__)
        object.__setattr__(self, "scope_parent", None)

    def __setattr__(self, name: str, value: Any) -> None:
        # Register parameters and children in assignment order, as torch.nn does.
        if "_params" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        self._params.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Value):
            self._params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            value._adopt(name, self)
        elif isinstance(value, list) and value:
            if all(isinstance(v, Value) for v in value):
                self._params[name] = value
            elif all(isinstance(m, Module) for m in value):
                self._modules[name] = value
                for i, m in enumerate(value):
                    m._adopt(f"{name}.{i}", self)
        object.__setattr__(self, name, value)

    def _adopt(self, name: str, parent: Module) -> None:
        """Become the child called `name` of `parent` (used by graph drawings)."""
        object.__setattr__(self, "scope_name", name)
        object.__setattr__(self, "scope_parent", parent)

    # -- calling -------------------------------------------------------------

    def __call__(self, x: Any) -> Any:
        out = self.forward(x)
        mark_outputs(out, self)  # tag the outputs: the nodes up to here belong to self
        return out

    def forward(self, x: Any) -> Any:
        """Compute the module's output from its input (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    # -- parameters ----------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Each direct sub-module with its dotted name (`layers.0`), in assignment order."""
        for name, child in self._modules.items():
            if isinstance(child, Module):
                yield name, child
            else:
                for i, m in enumerate(child):
                    yield f"{name}.{i}", m

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """Every parameter with its dotted name, e.g. `layers.0.neurons.3.w.1`.

        A module's own parameters come first, then each child's, in assignment order.
        A parameter shared by two modules is listed once, under its first name.
        """
        seen: set[int] = set()
        for name, p in self._all_parameters():
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self) -> Iterator[tuple[str, Value]]:
        for name, p in self._params.items():
            if isinstance(p, Value):
                yield name, p
            else:
                for i, v in enumerate(p):
                    yield f"{name}.{i}", v
        for prefix, child in self.named_children():
            for name, p in child._all_parameters():
                yield f"{prefix}.{name}", p

    def parameters(self) -> list[Value]:
        """Every parameter (a list of Values), in the order of `named_parameters()`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0.0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- state ---------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """A copy of every parameter's value, keyed by its dotted name."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy values from `state` into the parameters.

        Everything is checked first: every name present, no unknown names, every value
        a finite number. On the first problem this raises ValueError and changes nothing.
        """
        params = dict(self.named_parameters())
        check_names("load_state_dict", state, params, "parameter")
        values = {name: check_weight(f"load_state_dict: {name}", state[name]) for name in params}
        for name, p in params.items():  # all checked: now copy
            p.data = values[name]

    def save(self, path: str | PathLike[str]) -> None:
        """Write the architecture and every weight to `path` as JSON (atomically); see `nn.load`."""
        from .io import save  # io builds modules, so it imports this file: import late

        save(self, path)

    # -- printing ------------------------------------------------------------

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            inner = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {inner}")
        return "\n".join(lines) + "\n)"


def check_weight(where: str, x: Any) -> float:
    """`x` as a finite float; ValueError naming `where` for anything else (bools included)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{where}: expected a number, got {type(x).__name__} {x!r}")
    try:
        value = float(x)
    except OverflowError:  # an int too large for a float
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {x!r}")
    return value
