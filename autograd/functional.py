"""Function transforms in the style of HIPS autograd and JAX: grad, value_and_grad, vjp, jvp,
jacobian, hessian, hvp.

Each transform takes a function of Values and returns numbers. Nesting works (`grad(grad(f))`
is the second derivative, `hessian` is `jacobian(grad(f))`): inside another transform,
results stay Values so the outer one can differentiate them, and every argument is wrapped
in a fresh node so the inner and outer variables are never confused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from .engine import is_grad_enabled, using_mode
from .value import Value, _as_float, add_n, dot, gradients

_DEPTH: ContextVar[int] = ContextVar("graphgrad_grad_depth", default=0)

Argnums = int | tuple[int, ...]


# ---------------------------------------------------------------------------
# Shared machinery: record f once with fresh variables, then pull back.
# ---------------------------------------------------------------------------


def _argnums_tuple(argnums: Argnums) -> tuple[int, ...]:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (argnums,)
    if isinstance(argnums, tuple) and argnums and all(isinstance(i, int) for i in argnums):
        return argnums
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _check_argnums(nums: tuple[int, ...], args: tuple[Any, ...], name: str) -> None:
    for i in nums:
        if not -len(args) <= i < len(args):
            raise IndexError(
                f"{name}: argnums {i} is out of range for {len(args)} positional arguments"
            )


def _is_nested(values: Any) -> bool:
    """Inside another transform, or given Values: results must stay Values (a graph)."""
    return _DEPTH.get() > 0 or any(type(v) is Value for v in values)


def _record(
    f: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], nums: Sequence[int],
    name: str,
) -> tuple[Any, list[Value]]:
    """f's raw result, with a fresh node for each of args[nums], and those nodes."""
    args_list = list(args)
    variables = []
    for i in nums:
        a = args_list[i]
        # a fresh node per variable, even for a Value (x + 0.0 keeps the outer link)
        v = a + 0.0 if type(a) is Value else Value(_as_float(a, name))
        args_list[i] = v
        variables.append(v)
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        out = f(*args_list, **kwargs)
    finally:
        _DEPTH.reset(token)
    return out, variables


def _outputs(out: Any, name: str) -> tuple[list[Any], bool]:
    """f's result as a list of outputs (Values, or numbers: constants), and whether f
    returned a sequence."""
    if type(out) is Value or _is_number(out):
        return [out], False
    if isinstance(out, (list, tuple)):
        if not out:
            raise ValueError(f"{name}: f returned an empty {type(out).__name__}")
        for k, item in enumerate(out):
            if type(item) is not Value and not _is_number(item):
                raise TypeError(
                    f"{name}: f must return a Value or a list of Values; "
                    f"item {k} is {type(item).__name__}"
                )
        return list(out), True
    raise TypeError(
        f"{name}: f must return a Value or a list of Values, got {type(out).__name__}"
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _grads(out: Any, variables: list[Value], create_graph: bool) -> tuple[Any, ...]:
    """d out / d variables; zeros when out is a plain number (it depends on nothing)."""
    if type(out) is Value:
        return gradients(out, variables, create_graph)
    return tuple(0.0 for _ in variables)


def _pullback(
    outs: list[Any], variables: list[Value], cotangents: Sequence[Any], create_graph: bool
) -> tuple[Any, ...]:
    """Σ_k cotangent_k · d out_k / d variables (a vector-Jacobian product)."""
    terms = [o * c for o, c in zip(outs, cotangents) if type(o) is Value]
    if not terms:  # f returned constants only
        return tuple(Value(0.0) if create_graph else 0.0 for _ in variables)
    return gradients(terms[0] if len(terms) == 1 else add_n(terms), variables, create_graph)


def _lift(x: Any, nested: bool) -> Any:
    """A result as the caller sees it: a float at top level, a Value when nested."""
    if not nested:
        return x.data if type(x) is Value else float(x)
    if type(x) is not Value:
        return Value(x)
    return x if is_grad_enabled() else x.detach()  # inside no_grad(): hand back leaves


def _lift_outputs(outs: list[Any], many: bool, nested: bool) -> Any:
    lifted = tuple(_lift(o, nested) for o in outs)
    return lifted if many else lifted[0]


def _primals_and_tangents(
    primals: Any, tangents: Any, name: str
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    for role, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(
                f"{name}: {role} must be a tuple or list (one entry per argument of f), "
                f"got {type(seq).__name__}"
            )
    if not primals:
        raise ValueError(f"{name}: primals is empty; f needs at least one argument")
    if len(tangents) != len(primals):
        raise ValueError(
            f"{name}: {len(primals)} primals but {len(tangents)} tangents; "
            f"give one tangent per primal"
        )
    tangents = tuple(t if type(t) is Value else _as_float(t, f"{name} tangent") for t in tangents)
    return tuple(primals), tangents


# ---------------------------------------------------------------------------
# The transforms
# ---------------------------------------------------------------------------


def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """A function returning `(f(*args), df/d args[argnums])`.

    With an int `argnums` the gradient is one number; with a tuple, a tuple of them.
    With `has_aux`, f returns `(value, aux)` and the result is `((value, aux), grad)`;
    aux is passed through as f returned it. Called with plain numbers at top level it
    returns floats. Inside `no_grad()` f is still recorded (a gradient needs a graph),
    and Values come back as leaves.
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        _check_argnums(nums, args, "grad")
        nested = _is_nested(args[i] for i in nums)
        create_graph = nested and is_grad_enabled()  # under no_grad the grads are leaves
        # f is recorded even inside no_grad(): asking for a gradient is asking for a graph
        with using_mode(record=True):
            out, variables = _record(f, args, kwargs, nums, "grad")
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise TypeError(
                        f"grad(has_aux=True): f must return a pair (value, aux), "
                        f"got {type(out).__name__}"
                    )
                out, aux = out
            if type(out) is not Value and not _is_number(out):
                raise TypeError(
                    f"grad: f must return a Value or a number, got {type(out).__name__}"
                )
            grads = _grads(out, variables, create_graph)
        value = out if _is_number(out) else _lift(out, nested)
        grads = tuple(_lift(g, nested) for g in grads)
        g = grads[0] if isinstance(argnums, int) else grads
        return ((value, aux), g) if has_aux else (value, g)

    return wrapped


def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the gradient of `f` with respect to `args[argnums]`.

    With `has_aux`, f returns `(value, aux)` and the result is `(grad, aux)`.
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value, g = value_and_grad_f(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapped


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """`(f(*primals), vjp_fn)`: vjp_fn(cotangent) is cotangent · J, one entry per primal.

    The cotangent is a number when f returns one Value, a sequence (one per output) when
    f returns a list. vjp_fn can be called many times (f is recorded once).
    """
    if not primals:
        raise ValueError("vjp: no primals; f needs at least one argument")
    nested = _is_nested(primals)
    with using_mode(record=True):
        out, variables = _record(f, primals, {}, range(len(primals)), "vjp")
    outs, many = _outputs(out, "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        cotangents = _cotangents(cotangent, len(outs), many)
        nested_here = nested or _is_nested(cotangents)
        create_graph = nested_here and is_grad_enabled()
        with using_mode(record=True):
            grads = _pullback(outs, variables, cotangents, create_graph)
        return tuple(_lift(g, nested_here) for g in grads)

    return _lift_outputs(outs, many, nested), vjp_fn


def _cotangents(cotangent: Any, n_outputs: int, many: bool) -> tuple[Any, ...]:
    if not many:
        if isinstance(cotangent, (list, tuple)):
            raise TypeError("vjp_fn: f returned one Value, so the cotangent is one number")
        items: tuple[Any, ...] = (cotangent,)
    elif not isinstance(cotangent, (list, tuple)):
        raise TypeError(
            f"vjp_fn: f returned {n_outputs} outputs, so the cotangent is a sequence of "
            f"{n_outputs} numbers, got {type(cotangent).__name__}"
        )
    elif len(cotangent) != n_outputs:
        raise ValueError(
            f"vjp_fn: f returned {n_outputs} outputs but the cotangent has {len(cotangent)} entries"
        )
    else:
        items = tuple(cotangent)
    return tuple(c if type(c) is Value else _as_float(c, "vjp_fn cotangent") for c in items)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """`(f(*primals), J · tangents)`: forward mode, the derivative of f along `tangents`.

    Computed from reverse mode: u ↦ uᵀJ (a vjp) is linear in the cotangent u, so
    d/du ⟨uᵀJ, t⟩ = J t. One pass records uᵀJ as a graph in u, a second differentiates it.
    """
    primals, tangents = _primals_and_tangents(primals, tangents, "jvp")
    nested = _is_nested(primals + tangents)
    create_graph = nested and is_grad_enabled()
    with using_mode(record=True):
        out, variables = _record(f, primals, {}, range(len(primals)), "jvp")
        outs, many = _outputs(out, "jvp")
        us = [Value(0.0) for _ in outs]  # the point does not matter: the vjp is linear in u
        pulled = _pullback(outs, variables, us, create_graph=True)
        inner = dot(list(pulled), list(tangents))  # ⟨uᵀJ, t⟩, a Value in u
        tangent_out = gradients(inner, us, create_graph)
    return _lift_outputs(outs, many, nested), _lift_outputs(list(tangent_out), many, nested)


def jacobian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning d f / d args[argnums]: one row per output of f.

    f returns a Value (the result is what `grad` gives) or a list of Values (a tuple of
    rows; each row a number for an int `argnums`, a tuple for a tuple of them).
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_argnums(nums, args, "jacobian")
        nested = _is_nested(args[i] for i in nums)
        create_graph = nested and is_grad_enabled()
        with using_mode(record=True):
            out, variables = _record(f, args, kwargs, nums, "jacobian")
            outs, many = _outputs(out, "jacobian")
            rows = [_grads(o, variables, create_graph) for o in outs]  # reverse mode, row by row
        lifted = [tuple(_lift(g, nested) for g in row) for row in rows]
        shaped = [row[0] if isinstance(argnums, int) else row for row in lifted]
        return tuple(shaped) if many else shaped[0]

    return wrapped


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning the matrix of second derivatives of f (nested tuples, symmetric).

    The Jacobian of the gradient: for `argnums=(0, 1, 2)`, a 3x3 tuple of tuples.
    """
    return jacobian(grad(f, argnums), argnums)


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, ...]:
    """The Hessian of f at `primals` times the vector `tangents`, one entry per primal.

    H t = ∇_x ⟨∇f(x), t⟩: two reverse passes, without forming H.
    """
    primals, tangents = _primals_and_tangents(primals, tangents, "hvp")
    nums = tuple(range(len(primals)))
    grad_f = grad(f, argnums=nums)

    def directional(*xs: Any) -> Value:  # ⟨∇f(x), t⟩
        return dot(list(grad_f(*xs)), list(tangents))

    return grad(directional, argnums=nums)(*primals)  # type: ignore[no-any-return]
