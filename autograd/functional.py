"""Functional API in the style of HIPS autograd and JAX: `grad` and `value_and_grad`.

`grad(f)` is a new function that returns df/dx. Nesting works (`grad(grad(f))` is the
second derivative): inside another `grad`, results stay Values so the outer one can
differentiate them, and every argument is wrapped in a fresh node so the inner and
outer variables are never confused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from .engine import is_grad_enabled, using_mode
from .value import Value, gradients

_DEPTH: ContextVar[int] = ContextVar("graphgrad_grad_depth", default=0)


def _argnums_tuple(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(argnums, int):
        return (argnums,)
    if isinstance(argnums, tuple) and argnums and all(isinstance(i, int) for i in argnums):
        return argnums
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function returning `(f(*args), df/d args[argnums])`.

    With an int `argnums` the gradient is one number; with a tuple, a tuple of them.
    Called with plain numbers at top level it returns floats. Inside `no_grad()` f is
    still recorded (a gradient needs a graph), and Values come back as leaves.
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(
                    f"grad: argnums {i} is out of range for {len(args)} positional arguments"
                )
        nested = _DEPTH.get() > 0 or any(type(args[i]) is Value for i in nums)
        # f is recorded even inside no_grad(): asking for a gradient is asking for a graph
        with using_mode(record=True):
            value, grads = _evaluate(f, args, kwargs, nums, nested)
        if nested and not is_grad_enabled():  # inside no_grad(): hand back leaves
            value = value.detach() if type(value) is Value else value
            grads = tuple(g.detach() for g in grads)
        return value, (grads[0] if isinstance(argnums, int) else grads)

    return wrapped


def _evaluate(
    f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
    nums: tuple[int, ...], nested: bool,
) -> tuple[Any, tuple[Any, ...]]:
    """f's value and its gradients with respect to args[i] for i in nums."""
    args_list = list(args)
    variables = []
    for i in nums:
        a = args_list[i]
        # a fresh node per variable, even for a Value (x + 0.0 keeps the outer link)
        v = a + 0.0 if type(a) is Value else Value(a)
        args_list[i] = v
        variables.append(v)
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        out = f(*args_list, **kwargs)
    finally:
        _DEPTH.reset(token)
    if type(out) is Value:
        grads = gradients(out, variables, create_graph=nested)
        return (out if nested else out.data), grads
    if isinstance(out, (int, float)):  # f does not depend on its inputs at all
        zero: Any = Value(0.0) if nested else 0.0
        return out, tuple(zero for _ in variables)
    raise TypeError(f"grad: f must return a Value or a number, got {type(out).__name__}")


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """A function returning the gradient of `f` with respect to `args[argnums]`."""
    value_and_grad_f = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return value_and_grad_f(*args, **kwargs)[1]

    return wrapped
