"""Every primitive of the table, checked on its own domain: forward against a closed form,
first and second derivatives with `autograd.testing.check_grads` (reverse and forward
mode against finite differences), and every rule run once on Values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import PRIMITIVES, Value, add_n, derivative_table, dot, gradients, logsumexp
from autograd.testing import check_grads

# ---------------------------------------------------------------------------
# One case per primitive: a strategy for the inputs, the function on Values and
# the same function in closed form on floats.
# ---------------------------------------------------------------------------


def reals(lo: float = -3.0, hi: float = 3.0, away_from: float | None = None) -> st.SearchStrategy[float]:
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if away_from is not None:
        s = s.filter(lambda x: abs(x - away_from) > 0.05)
    return s


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _case(*inputs, const=None):
    """Bundle input strategies (and an optional constant strategy) as one strategy."""
    xs = st.tuples(*inputs)
    return st.tuples(xs, const) if const is not None else xs.map(lambda t: (t, None))


def _n_inputs(lo: int, hi: int, per: int = 1) -> st.SearchStrategy:
    return st.integers(lo, hi).flatmap(lambda n: st.tuples(*[reals()] * (n * per)))


def _affine(values, f):
    """Split w_1..w_n, x_1..x_n, b and apply f(ws, xs, b)."""
    n = (len(values) - 1) // 2
    return f(values[:n], values[n : 2 * n], values[-1])


CASES = {
    # name: (strategy of (inputs, constant), f(*values, c), closed form on floats)
    "add": (_case(reals(), reals()), lambda x, y, c: x + y, lambda x, y, c: x + y),
    "sub": (_case(reals(), reals()), lambda x, y, c: x - y, lambda x, y, c: x - y),
    "mul": (_case(reals(), reals()), lambda x, y, c: x * y, lambda x, y, c: x * y),
    "div": (_case(reals(), reals(0.5, 3.0)), lambda x, y, c: x / y, lambda x, y, c: x / y),
    "pow": (_case(reals(0.3, 3.0), reals(-2.0, 2.5)), lambda x, y, c: x**y, lambda x, y, c: x**y),
    "add_const": (_case(reals(), const=reals()), lambda x, c: x + c, lambda x, c: x + c),
    "mul_const": (_case(reals(), const=reals()), lambda x, c: x * c, lambda x, c: x * c),
    "div_const": (_case(reals(), const=reals(0.5, 3.0)), lambda x, c: x / c, lambda x, c: x / c),
    "rdiv_const": (_case(reals(0.5, 3.0), const=reals()), lambda x, c: c / x, lambda x, c: c / x),
    "pow_const": (
        _case(reals(0.3, 3.0), const=reals(-2.5, 2.5)),
        lambda x, c: x**c,
        lambda x, c: x**c,
    ),
    "rpow_const": (_case(reals(), const=reals(0.3, 3.0)), lambda x, c: c**x, lambda x, c: c**x),
    "exp": (_case(reals(-5.0, 5.0)), lambda x, c: x.exp(), lambda x, c: math.exp(x)),
    "log": (_case(reals(0.1, 10.0)), lambda x, c: x.log(), lambda x, c: math.log(x)),
    "sqrt": (_case(reals(0.1, 10.0)), lambda x, c: x.sqrt(), lambda x, c: math.sqrt(x)),
    "abs": (_case(reals(away_from=0.0)), lambda x, c: abs(x), lambda x, c: abs(x)),
    "sin": (_case(reals(-5.0, 5.0)), lambda x, c: x.sin(), lambda x, c: math.sin(x)),
    "cos": (_case(reals(-5.0, 5.0)), lambda x, c: x.cos(), lambda x, c: math.cos(x)),
    "tanh": (_case(reals(-4.0, 4.0)), lambda x, c: x.tanh(), lambda x, c: math.tanh(x)),
    "sigmoid": (_case(reals(-8.0, 8.0)), lambda x, c: x.sigmoid(), lambda x, c: _sigmoid(x)),
    "relu": (_case(reals(away_from=0.0)), lambda x, c: x.relu(), lambda x, c: max(x, 0.0)),
    "leaky_relu": (
        _case(reals(away_from=0.0), const=reals(0.0, 0.5)),
        lambda x, c: x.leaky_relu(c),
        lambda x, c: x if x > 0 else c * x,
    ),
    "softplus": (
        _case(reals(-8.0, 8.0)),
        lambda x, c: x.softplus(),
        lambda x, c: math.log(1.0 + math.exp(x)),
    ),
    "silu": (_case(reals(-8.0, 8.0)), lambda x, c: x.silu(), lambda x, c: x * _sigmoid(x)),
    "softsign": (
        _case(reals(away_from=0.0)),
        lambda x, c: x.softsign(),
        lambda x, c: x / (1.0 + abs(x)),
    ),
    "step": (
        _case(reals(away_from=0.0)),
        lambda x, c: x.step(),
        lambda x, c: 1.0 if x > 0 else 0.0,
    ),
    "add_n": (_n_inputs(1, 5).map(lambda t: (t, None)), lambda *a: add_n(a[:-1]), lambda *a: sum(a[:-1])),
    "dot": (
        _n_inputs(1, 4, per=2).map(lambda t: (t, None)),
        lambda *a: dot(a[: len(a) // 2], a[len(a) // 2 : -1]),
        lambda *a: sum(w * x for w, x in zip(a[: len(a) // 2], a[len(a) // 2 : -1])),
    ),
    "affine": (
        st.integers(1, 4).flatmap(lambda n: st.tuples(*[reals()] * (2 * n + 1))).map(lambda t: (t, None)),
        lambda *a: _affine(a[:-1], lambda ws, xs, b: dot(ws, xs, bias=b)),
        lambda *a: _affine(a[:-1], lambda ws, xs, b: sum(w * x for w, x in zip(ws, xs)) + b),
    ),
    "dot_const": (
        st.integers(1, 4).flatmap(
            lambda n: st.tuples(st.tuples(*[reals()] * n), st.tuples(*[reals()] * n))
        ),
        lambda *a: dot(a[:-1], a[-1]),
        lambda *a: sum(w * x for w, x in zip(a[:-1], a[-1])),
    ),
    "logsumexp": (
        _n_inputs(1, 5).map(lambda t: (t, None)),
        lambda *a: logsumexp(a[:-1]),
        lambda *a: math.log(sum(math.exp(x) for x in a[:-1])),
    ),
}


def _bind(f, c):
    """f(*values, c) as a function of the values alone (a constant joins the arguments)."""
    return lambda *vs: f(*vs, c)


def test_every_primitive_has_a_test_case():
    assert sorted(CASES) == sorted(op.name for op in PRIMITIVES)


@pytest.mark.parametrize("op", PRIMITIVES, ids=lambda op: op.name)
@given(data=st.data())
def test_primitive_forward_matches_closed_form(op, data):
    strategy, f, closed_form = CASES[op.name]
    xs, c = data.draw(strategy)
    out = f(*[Value(x) for x in xs], c)
    assert out.op == op.name  # the case exercises this very row
    assert out.data == pytest.approx(closed_form(*xs, c), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("op", PRIMITIVES, ids=lambda op: op.name)
@given(data=st.data())
def test_primitive_derivatives_match_finite_differences(op, data):
    """First and second derivatives, in reverse and forward mode, against central
    differences along random directions (second order: of the derivative functions)."""
    strategy, f, _ = CASES[op.name]
    xs, c = data.draw(strategy)
    assert check_grads(_bind(f, c), xs, order=2)


@pytest.mark.parametrize("op", PRIMITIVES, ids=lambda op: op.name)
@given(data=st.data())
def test_primitive_rule_runs_on_values(op, data):
    """Each rule, given Values, returns Values with the same numbers as on floats."""
    strategy, f, _ = CASES[op.name]
    xs, c = data.draw(strategy)
    values = [Value(x) for x in xs]
    out = f(*values, c)
    as_floats = gradients(out, values)
    as_values = gradients(out, values, create_graph=True)
    assert all(type(g) is Value for g in as_values)
    assert [g.data for g in as_values] == pytest.approx(list(as_floats), rel=1e-12, abs=1e-12)


def test_negative_base_to_integer_power_has_the_right_slope():
    x = Value(-2.0)
    (x**3).backward()
    assert x.grad == pytest.approx(12.0)


def test_pow_const_zero_exponent_has_zero_slope_at_zero():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x", [-1000.0, -50.0, 0.0, 50.0, 1000.0])
@pytest.mark.parametrize("method", ["sigmoid", "softplus", "silu", "tanh", "softsign"])
def test_stable_activations_are_finite_at_extremes(method, x):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)


def test_softplus_at_extremes_matches_asymptotes():
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0


def test_step_has_zero_gradient_everywhere():
    for x in (-2.0, 0.0, 3.0):
        v = Value(x)
        v.step().backward()
        assert v.grad == 0.0


def test_derivative_table_in_readme_matches_the_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert derivative_table(PRIMITIVES) in readme, "README's derivative table is stale: paste derivative_table()"
