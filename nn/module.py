"""`Module`: the base class of every network piece, shaped like `torch.nn.Module`.

A module finds its parameters and sub-modules the way PyTorch does: by watching
attribute assignment. Assigning a `Value` (or a list of Values) registers parameters;
assigning a `Module` (or a list of Modules) registers children, which learn their
dotted name and parent so that graph drawings can group nodes by module.
A module that describes itself (`config()`: its constructor arguments) can be saved,
and `nn.load` finds its class by name in a registry filled as subclasses are defined.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from os import PathLike
from typing import Any, Self, TypeVar

from autograd import Value
from autograd.engine import mark_outputs

from .io import ModelFile, check_names, check_weight, read_model, write_model

T = TypeVar("T")


class Module:
    """Base class: parameters, named parameters, zero_grad, state dicts and a readable repr.

    Subclasses call `super().__init__()` first, assign their parameters and children
    as attributes, and implement `forward`. Calling a module runs `forward`. A subclass
    that also defines `config()` can be saved with `save` and rebuilt with `nn.load`.
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)  # a file names its module's class: nn.load looks the name up

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

        Everything is checked first: a mapping (else TypeError), every name present and no
        unknown name (else ValueError), every value a number (TypeError) and finite
        (ValueError). On the first problem this raises and changes nothing.
        """
        params = dict(self.named_parameters())
        check_names("load_state_dict", state, params, "parameter")
        values = {name: check_weight(f"load_state_dict: {name}", state[name]) for name in params}
        for name, p in params.items():  # all checked: now copy
            p.data = values[name]

    # -- saving --------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module, as JSON values (no weights):
        `{"nin": self.nin, ...}`. A subclass defines it to become savable."""
        raise TypeError(_why_unsavable(type(self)))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """A new module built from `config()`'s output (fresh weights; `nn.load` sets them)."""
        return cls(**config)

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """How many parameters `from_config(config)` builds; this default builds and counts.
        A module whose config can ask for a huge network computes it instead, so that
        `nn.load` refuses a hostile file before allocating anything."""
        return len(cls.from_config(config).parameters())

    def save(self, path: str | PathLike[str]) -> None:
        """Write the class name, `config()` and every weight to `path` as JSON (atomically).

        `nn.load(path)` rebuilds the module; TypeError if this class cannot be rebuilt.
        """
        cls = type(self)
        if _CLASSES.get(cls.__name__) is not cls:
            raise TypeError(_why_unsavable(cls))
        weights = {name: p.data for name, p in self.named_parameters()}
        write_model(path, cls.__name__, self.config(), weights)

    # -- printing ------------------------------------------------------------

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr: its `config()`, if any."""
        if not _describes_itself(type(self)):
            return ""
        return ", ".join(f"{key}={value!r}" for key, value in self.config().items())

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            inner = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {inner}")
        return "\n".join(lines) + "\n)"


# ---------------------------------------------------------------------------
# The registry of savable classes, and loading
# ---------------------------------------------------------------------------

_CLASSES: dict[str, type[Module]] = {}  # savable Module subclasses, by class name


def _describes_itself(cls: type[Module]) -> bool:
    """Whether `cls.config()` gives the arguments of `cls`'s own constructor: `config` is
    defined in `cls` or inherited together with the constructor it describes."""
    for klass in cls.__mro__:
        if klass is Module:
            return False
        if "config" in vars(klass):
            return True
        if "__init__" in vars(klass):  # a new constructor, but an older config()
            return False
    return False


def _register(cls: type[Module]) -> None:
    """Make `cls` loadable by its name, unless another class already holds that name."""
    if not _describes_itself(cls):
        return
    held = _CLASSES.get(cls.__name__)
    # The same class defined again (a notebook cell run twice) replaces the old one;
    # a different class never takes the name over (nn.MLP's files must keep loading).
    if held is None or (held.__module__, held.__qualname__) == (cls.__module__, cls.__qualname__):
        _CLASSES[cls.__name__] = cls


def _why_unsavable(cls: type[Module]) -> str:
    name = cls.__name__
    if not _describes_itself(cls):
        return (f"cannot save a {name}: it defines no config() (the arguments of its "
                f"constructor that rebuild it)")
    held = _CLASSES[name]
    return (f"save: cannot save {cls.__module__}.{cls.__qualname__}: files name a module by "
            f"its class name, and {name!r} is {held.__module__}.{held.__qualname__}; "
            f"rename the class")


def module_class(name: str) -> type[Module]:
    """The savable Module subclass called `name`; ValueError naming the known ones."""
    if name not in _CLASSES:
        raise ValueError(f"module: unknown module {name!r}; known: {', '.join(_CLASSES)}")
    return _CLASSES[name]


def load(path: str | PathLike[str]) -> Module:
    """Rebuild a module saved with `module.save(path)`.

    The whole file is checked first (JSON syntax, format version, a known class, its
    config, every weight present, numeric and finite); on the first problem this raises
    ValueError naming the file and the problem, and returns no half-loaded module.
    """
    model = read_model(path)
    try:
        return _rebuild(model)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None


def _rebuild(model: ModelFile) -> Module:
    """The module a checked file describes; ValueError naming what does not fit."""
    cls, config = module_class(model.module), model.config
    _check_arguments(cls, config)
    # Count before building: a file may ask for a network too big to allocate.
    expected = _from_config(cls.parameter_count, config)
    if len(model.weights) != expected:
        raise ValueError(f"parameters: the architecture has {expected} weights, "
                         f"the file has {len(model.weights)}")
    module = _from_config(cls.from_config, config)
    check_names("config", config, module.config())  # e.g. an optional argument left out
    # The names the weights must have are the ones the module itself gives them.
    check_names("parameters", model.weights, dict(module.named_parameters()), "weight")
    module.load_state_dict(model.weights)
    return module


def _from_config(build: Callable[[dict[str, Any]], T], config: dict[str, Any]) -> T:
    """`build(config)`, with its errors as ValueError: in a file, a wrong type is a bad value."""
    try:
        return build(config)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: {exc}") from None


def _check_arguments(cls: type[Module], config: dict[str, Any]) -> None:
    """ValueError unless `config` holds every required argument of `cls`'s constructor
    and nothing it does not take."""
    params = inspect.signature(cls).parameters.values()
    by_name = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in params if p.kind in by_name}
    for p in params:
        if p.kind in by_name and p.default is p.empty and p.name not in config:
            raise ValueError(f"config: missing key {p.name!r}")
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        for key in config:
            if key not in names:
                raise ValueError(f"config: unknown key {key!r}")
