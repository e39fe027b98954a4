"""Saving and loading modules as JSON: the architecture and every weight, never pickle.

A file looks like
    {"format": "graphgrad.nn", "version": 1, "module": "MLP",
     "config": {"nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"layers.0.neurons.0.w.0": 0.53, ...}}
Saving writes a temporary file next to the target and renames it over the target
(`os.replace` is atomic), so a crash mid-write leaves the old file intact. Loading
checks the whole file before building anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from os import PathLike
from typing import IO, Any

from .layers import MLP, Layer, Neuron, check_activation, check_size
from .module import Module, check_names, check_weight

FORMAT = "graphgrad.nn"
VERSION = 1

# For each savable module: its config keys (the constructor arguments) in order.
_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activation", "output_activation"),
}
_CLASSES: dict[str, Callable[..., Module]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def save(module: Module, path: str | PathLike[str]) -> None:
    """Write `module` (a Neuron, Layer or MLP) to `path` as JSON, atomically."""
    kind = type(module).__name__
    if kind not in _CLASSES or type(module) is not _CLASSES[kind]:
        raise TypeError(f"save: cannot save a {kind}; savable modules: {', '.join(_CLASSES)}")
    config = {key: getattr(module, key) for key in _CONFIG_KEYS[kind]}
    params = {}
    for name, p in module.named_parameters():
        # A NaN or infinite weight would make a file that load() refuses: refuse now.
        params[name] = check_weight(f"save: parameter {name}", p.data)
    doc = {"format": FORMAT, "version": VERSION, "module": kind, "config": config,
           "parameters": params}
    _replace_atomically(path, json.dumps(doc, indent=1) + "\n")


def _write(f: IO[str], text: str) -> None:
    """Write the file's contents (a separate function so tests can make it fail midway)."""
    f.write(text)


def _replace_atomically(path: str | PathLike[str], text: str) -> None:
    """Write `text` to a new file in `path`'s folder, flush it to disk, rename it over `path`."""
    target = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(target))
    # Same folder, so os.replace is a rename on one file system (atomic), never a copy.
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _write(f, text)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# Loading: check everything, then build
# ---------------------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for key, value in pairs:
        if key in d:
            raise ValueError(f"duplicate key {key!r}")
        d[key] = value
    return d


def _read_json(path: str | PathLike[str]) -> Any:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (truncated or corrupt?): {exc}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None


def _check_config(kind: str, config: Any) -> dict[str, Any]:
    check_names("config", config, _CONFIG_KEYS[kind])
    for key, value in config.items():
        if key in ("nin", "nout"):
            check_size(f"config.{key}", value)
        elif key == "nouts":
            if not isinstance(value, list) or not value:
                raise ValueError(f"config.nouts: expected a non-empty list, got {value!r}")
            for n in value:
                check_size("config.nouts", n)
        else:
            try:
                check_activation(value)
            except (TypeError, ValueError) as exc:  # in a file, a wrong type is a bad value
                raise ValueError(f"config.{key}: {exc}") from None
    return config


def _layer_sizes(kind: str, config: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(name prefix, nin, nout) of each layer the config describes."""
    if kind == "Neuron":
        return [("", config["nin"], 1)]
    if kind == "Layer":
        return [("neurons.", config["nin"], config["nout"])]
    sizes = [config["nin"], *config["nouts"]]
    return [(f"layers.{k}.neurons.", sizes[k], sizes[k + 1]) for k in range(len(sizes) - 1)]


def _parameter_names(kind: str, config: dict[str, Any]) -> Iterator[str]:
    """The dotted names `named_parameters()` gives the module the config describes."""
    for prefix, nin, nout in _layer_sizes(kind, config):
        for j in range(nout):
            neuron = prefix if kind == "Neuron" else f"{prefix}{j}."
            yield from (f"{neuron}w.{i}" for i in range(nin))
            yield f"{neuron}b"


def _check_parameters(kind: str, config: dict[str, Any], params: Any) -> dict[str, float]:
    if not isinstance(params, dict):
        raise ValueError(f"parameters: expected an object, got {type(params).__name__}")
    # Count first, from arithmetic alone: a huge nin cannot make us list huge names.
    expected = sum(nout * (nin + 1) for _, nin, nout in _layer_sizes(kind, config))
    if len(params) != expected:
        raise ValueError(
            f"parameters: the architecture has {expected} weights, the file has {len(params)}"
        )
    values = {}
    for name in _parameter_names(kind, config):
        if name not in params:
            raise ValueError(f"parameters: missing weight {name!r}")
        values[name] = check_weight(f"parameters: {name}", params[name])
    return values


def _check_document(doc: Any) -> tuple[str, dict[str, Any], dict[str, float]]:
    """The module kind, its config and its weights; ValueError naming the first problem."""
    check_names("file", doc, ("format", "version", "module", "config", "parameters"))
    if doc["format"] != FORMAT:
        raise ValueError(f"format: expected {FORMAT!r}, got {doc['format']!r}")
    version = doc["version"]
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"version: unsupported format version {version!r} (expected {VERSION})")
    kind = doc["module"]
    if not isinstance(kind, str) or kind not in _CLASSES:
        raise ValueError(f"module: unknown module {kind!r}; known: {', '.join(_CLASSES)}")
    config = _check_config(kind, doc["config"])
    return kind, config, _check_parameters(kind, config, doc["parameters"])


def load(path: str | PathLike[str]) -> Module:
    """Rebuild a module saved with `module.save(path)`.

    The whole file is checked first (JSON syntax, format version, architecture,
    every weight present, numeric and finite); on the first problem this raises
    ValueError naming the file and the problem, and builds nothing.
    """
    try:
        kind, config, weights = _check_document(_read_json(path))
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None
    module = _CLASSES[kind](**config, seed=0)  # seed: the weights are overwritten next
    module.load_state_dict(weights)
    return module
