"""Model files: a JSON format, written atomically and read with every check a hostile file needs.

A file looks like
    {"format": "graphgrad.nn", "version": 1, "module": "MLP",
     "config": {"nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"layers.0.neurons.0.w.0": 0.53, ...}}
This file knows the format and nothing of the modules: `Module.save` and `nn.load` (in
module.py) turn a module into a class name, its `config()` and its weights, and back.
Saving writes a temporary file next to the target and renames it over the target
(`os.replace` is atomic), so a crash mid-write leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import secrets
from collections.abc import Collection, Mapping
from os import PathLike
from typing import IO, Any, NamedTuple

FORMAT = "graphgrad.nn"
VERSION = 1


class ModelFile(NamedTuple):
    """What a model file holds, checked: a class name, its config and finite weights by name."""

    module: str
    config: dict[str, Any]
    weights: dict[str, float]


# ---------------------------------------------------------------------------
# Checks shared by model files and in-memory state dicts
# ---------------------------------------------------------------------------


def check_names(where: str, given: Any, expected: Collection[str], noun: str = "key") -> None:
    """Raise unless `given` is a mapping with exactly the `expected` names.

    TypeError if it is not a mapping, else ValueError naming the first missing or unknown name.
    """
    if not isinstance(given, Mapping):
        raise TypeError(f"{where}: expected a mapping, got {type(given).__name__}")
    for name in expected:
        if name not in given:
            raise ValueError(f"{where}: missing {noun} {name!r}")
    for name in given:
        if name not in expected:
            raise ValueError(f"{where}: unknown {noun} {name!r}")


def check_weight(where: str, x: Any) -> float:
    """`x` as a finite float: TypeError naming `where` for a non-number (bools included),
    ValueError for NaN or an infinity."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a number, got {type(x).__name__} {x!r}")
    try:
        value = float(x)
    except OverflowError:  # an int too large for a float
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {x!r}")
    return value


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_model(
    path: str | PathLike[str], module: str, config: Any, weights: Mapping[str, float]
) -> None:
    """Write a model file: the class name `module`, its `config` (JSON values) and the weights."""
    if not isinstance(config, dict) or not all(isinstance(key, str) for key in config):
        raise TypeError(f"save: {module}.config() must return a dict with str keys, got {config!r}")
    # A NaN or infinite weight would make a file that load() refuses: refuse now.
    params = {name: check_weight(f"save: parameter {name}", w) for name, w in weights.items()}
    doc = {"format": FORMAT, "version": VERSION, "module": module, "config": config,
           "parameters": params}
    try:
        text = json.dumps(doc, indent=1, allow_nan=False)
    except TypeError as exc:  # an object JSON cannot hold, such as a random.Random
        raise TypeError(f"save: {module}.config() must hold JSON values only: {exc}") from None
    except ValueError as exc:  # a NaN in the config, or a list that contains itself
        raise ValueError(f"save: {module}.config() must hold JSON values only: {exc}") from None
    write_atomically(path, (text + "\n").encode("utf-8"))


def _write(f: IO[bytes], data: bytes) -> None:
    """Write the file's contents (a separate function so tests can make it fail midway)."""
    f.write(data)


def write_atomically(path: str | PathLike[str], data: bytes) -> None:
    """Write `data` to a new file in `path`'s folder, flush it to disk, rename it over `path`.

    Readers see the old file or the new one, never half of one; on any error the
    temporary file is removed and the old file is left as it was.
    """
    target = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(target))
    # Same folder, so os.replace is a rename on one file system (atomic), never a copy.
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, data)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# Reading: every malformation of a file is a bad value (ValueError)
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


def _check_document(doc: Any) -> ModelFile:
    """The document's parts; TypeError or ValueError naming the first problem."""
    check_names("file", doc, ("format", "version", "module", "config", "parameters"))
    if doc["format"] != FORMAT:
        raise ValueError(f"format: expected {FORMAT!r}, got {doc['format']!r}")
    version = doc["version"]
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"version: unsupported format version {version!r} (expected {VERSION})")
    if not isinstance(doc["module"], str):
        raise ValueError(f"module: expected a class name, got {doc['module']!r}")
    for part in ("config", "parameters"):
        if not isinstance(doc[part], dict):
            raise ValueError(f"{part}: expected an object, got {type(doc[part]).__name__}")
    params = doc["parameters"]
    weights = {name: check_weight(f"parameters: {name}", params[name]) for name in params}
    return ModelFile(doc["module"], doc["config"], weights)


def read_model(path: str | PathLike[str]) -> ModelFile:
    """Read and check a model file: JSON syntax, format, version, the parts' types, every weight
    a finite number. On the first problem, ValueError naming the file and the problem."""
    try:
        return _check_document(_read_json(path))
    except (TypeError, ValueError) as exc:  # in a file, a wrong type is a bad value too
        raise ValueError(f"{os.fspath(path)}: {exc}") from None
