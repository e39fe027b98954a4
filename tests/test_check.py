"""gradcheck: agreement on random expression trees, and a clear table on disagreement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import GradcheckError, Value, gradcheck, numeric_gradient
from autograd.ops import UNARY, Op

# Random expression trees over three variables, built only from operations that are
# smooth everywhere on the inputs we draw, so finite differences are trustworthy.
_SAFE_UNARY = ["tanh", "sigmoid", "sin", "cos", "softplus", "silu", "exp_small"]
_BINARY = ["+", "-", "*", "/safe"]


def _apply_unary(name, v):
    if name == "exp_small":
        return (v * 0.1).exp()
    return getattr(v, name)()


def _apply_binary(name, a, b):
    if name == "+":
        return a + b
    if name == "-":
        return a - b
    if name == "*":
        return a * b
    return a / (b * b + 1.0)  # never divides by zero


expressions = st.recursive(
    st.one_of(st.integers(0, 2).map(lambda i: ("var", i)), st.floats(-2, 2).map(lambda c: ("const", c))),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(_SAFE_UNARY), children).map(lambda t: ("unary", *t)),
        st.tuples(st.sampled_from(_BINARY), children, children).map(lambda t: ("binary", *t)),
    ),
    max_leaves=12,
)


def _build(expr, variables):
    """Evaluate an expression tree on Values with an explicit stack (no recursion)."""
    results: dict[int, object] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "var":
            results[id(node)] = variables[node[1]]
        elif kind == "const":
            results[id(node)] = node[1]
        elif not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in node[2:])
        elif kind == "unary":
            arg = results[id(node[2])]
            results[id(node)] = _apply_unary(node[1], arg if isinstance(arg, Value) else Value(arg))
        else:
            a, b = results[id(node[2])], results[id(node[3])]
            a = a if isinstance(a, Value) else Value(a)
            results[id(node)] = _apply_binary(node[1], a, b)
    out = results[id(expr)]
    return out if isinstance(out, Value) else Value(out) + variables[0] * 0.0


@given(expressions, st.tuples(*[st.floats(-2, 2)] * 3))
def test_random_expression_trees_pass_gradcheck(expr, point):
    assert gradcheck(lambda x, y, z: _build(expr, [x, y, z]), point)


def test_numeric_gradient_of_a_polynomial():
    g = numeric_gradient(lambda x, y: x * x * y, [3.0, 2.0])
    assert g == pytest.approx([12.0, 9.0], rel=1e-6)


def test_gradcheck_catches_a_wrong_derivative_and_lists_every_bad_input():
    # a deliberately wrong rule: d/dx x^3 claimed to be 2x
    wrong = Op("cube", "cube", UNARY, lambda x: x**3, lambda g, out, x: (g * 2 * x,), "x³", "2x")

    def cube(v):
        from autograd.value import _unary

        return _unary(wrong, v)

    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: cube(a) + cube(b) * 0 + b, [2.0, 1.0])
    message = str(info.value)
    assert "1 of 2 inputs disagree" in message
    assert "analytic" in message and "numeric" in message
    row = message.splitlines()[2].split()
    assert row[0] == "0" and float(row[2]) == pytest.approx(4.0) and float(row[3]) == pytest.approx(12.0)
    assert isinstance(info.value, AssertionError)


def test_gradcheck_accepts_a_single_number_and_requires_a_value_result():
    assert gradcheck(lambda x: x.sin(), 0.3)
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [0.3])  # type: ignore[arg-type, return-value]
