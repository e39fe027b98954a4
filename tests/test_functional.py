"""grad and value_and_grad: floats at top level, tuples for argnums, nesting for higher orders."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, value_and_grad


def test_grad_returns_a_float():
    g = grad(lambda x: x * x)(3.0)
    assert type(g) is float and g == 6.0


def test_third_derivative_by_nesting():
    assert grad(grad(grad(lambda x: x**3)))(2.0) == 6.0


@given(st.floats(-2.0, 2.0))
def test_nested_grad_of_tanh_matches_closed_form(x):
    t = math.tanh(x)
    d2 = grad(grad(lambda v: v.tanh()))(x)
    assert d2 == pytest.approx(-2 * t * (1 - t * t), abs=1e-12)


def test_argnums_tuple_and_value_and_grad():
    f = lambda x, y: x * y.exp()
    value, (gx, gy) = value_and_grad(f, argnums=(0, 1))(2.0, 0.5)
    assert value == pytest.approx(2.0 * math.exp(0.5))
    assert gx == pytest.approx(math.exp(0.5)) and gy == pytest.approx(2.0 * math.exp(0.5))
    assert grad(f, argnums=1)(2.0, 0.5) == pytest.approx(gy)


def test_inner_and_outer_variables_are_not_confused():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x   (perturbation confusion would give 3x or x)
    f = lambda x: x * grad(lambda y: x * y)(x)
    assert grad(f)(1.5) == pytest.approx(3.0)
    # d/dx d/dy (x * y) at y = x is d/dx x = 1
    assert grad(lambda x: grad(lambda y: x * y)(x))(2.0) == pytest.approx(1.0)


def test_grad_of_constant_function_is_zero():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(lambda x: Value(2.0) * 3)(1.0) == 0.0


def test_grad_passes_other_arguments_through():
    assert grad(lambda x, n: x**n)(2.0, 3) == pytest.approx(12.0)
    assert grad(lambda x, *, scale: x * scale)(1.0, scale=4.0) == 4.0


def test_grad_errors():
    with pytest.raises(TypeError, match="must return a Value or a number"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(IndexError, match="argnums 2"):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums="0")  # type: ignore[arg-type]


def test_grad_keeps_function_name():
    def square(x):
        return x * x

    assert grad(square).__name__ == "square"


def test_grad_inside_no_grad_still_differentiates():
    from autograd import no_grad

    with no_grad():
        assert grad(lambda x: x**3)(2.0) == 12.0
        g = grad(lambda x: x**3)(Value(2.0))
        assert type(g) is Value and g.data == 12.0 and g.parents == ()  # a leaf here


def test_gradcheck_of_a_function_that_calls_grad():
    from autograd import gradcheck

    # d/dx of f'(x) = 3x^2 is 6x: gradcheck's numeric pass runs f under no_grad
    assert gradcheck(lambda x: grad(lambda y: y**3)(x), [1.5])
