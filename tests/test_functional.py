"""The function transforms: floats at top level, tuples for argnums, nesting for higher orders,
each against closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, hessian, hvp, jacobian, jvp, no_grad, value_and_grad, vjp


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


# ---------------------------------------------------------------------------
# jacobian, hessian, vjp, jvp, hvp, has_aux
# ---------------------------------------------------------------------------


def _three(x, y):
    """Three outputs of two inputs, with closed-form partials below."""
    return [x * y, x.sin() + y**2, (x / y).exp()]


def _three_jacobian(x, y):
    e = math.exp(x / y)
    return ((y, x), (math.cos(x), 2 * y), (e / y, -x * e / y**2))


def test_jacobian_has_one_row_per_output():
    J = jacobian(_three, argnums=(0, 1))(0.7, -1.3)
    assert type(J) is tuple and all(type(row) is tuple for row in J)
    for row, expected in zip(J, _three_jacobian(0.7, -1.3)):
        assert all(type(g) is float for g in row)
        assert row == pytest.approx(expected, rel=1e-12)
    # an int argnums gives one number per row; one output gives what grad gives
    assert jacobian(_three)(0.7, -1.3) == pytest.approx([r[0] for r in _three_jacobian(0.7, -1.3)])
    assert jacobian(lambda x: x.tanh())(0.5) == grad(lambda x: x.tanh())(0.5)


def test_jacobian_row_of_a_constant_output_is_zero():
    assert jacobian(lambda x, y: [x * y, 2.0], argnums=(0, 1))(3.0, 4.0) == ((4.0, 3.0), (0.0, 0.0))


def _f3(x, y, z):
    return x * y * z + x**2 * z.sin() + (y * z).exp()


def _f3_hessian(x, y, z):
    e = math.exp(y * z)
    return (
        (2 * math.sin(z), z, y + 2 * x * math.cos(z)),
        (z, z * z * e, x + e + y * z * e),
        (y + 2 * x * math.cos(z), x + e + y * z * e, -x * x * math.sin(z) + y * y * e),
    )


def test_hessian_3x3_matches_closed_form_and_is_symmetric():
    H = hessian(_f3, argnums=(0, 1, 2))(0.4, -0.7, 1.1)
    assert len(H) == 3 and all(len(row) == 3 for row in H)
    for row, expected in zip(H, _f3_hessian(0.4, -0.7, 1.1)):
        assert row == pytest.approx(expected, rel=1e-12)
    for i in range(3):
        for j in range(3):
            assert H[i][j] == pytest.approx(H[j][i], rel=1e-14)


def test_hessian_of_one_argument_is_the_second_derivative():
    assert hessian(lambda x: x**4)(1.5) == pytest.approx(12 * 1.5**2)
    assert hessian(lambda x, y: x**2 * y, argnums=1)(3.0, 2.0) == 0.0


def test_hessian_is_jacobian_of_grad():
    by_composition = jacobian(grad(_f3, argnums=(0, 1, 2)), argnums=(0, 1, 2))(0.4, -0.7, 1.1)
    assert by_composition == hessian(_f3, argnums=(0, 1, 2))(0.4, -0.7, 1.1)


def test_vjp_returns_the_value_and_a_reusable_pullback():
    out, pull = vjp(_three, 0.7, -1.3)
    assert out == pytest.approx((0.7 * -1.3, math.sin(0.7) + 1.69, math.exp(0.7 / -1.3)))
    J = _three_jacobian(0.7, -1.3)
    for u in ([1.0, 0.0, 0.0], [0.5, -2.0, 3.0]):
        expected = [sum(u[k] * J[k][i] for k in range(3)) for i in range(2)]
        assert pull(u) == pytest.approx(expected, rel=1e-12)
    value, pull_one = vjp(lambda x: x.exp(), 0.5)
    assert type(value) is float and pull_one(2.0) == pytest.approx((2 * math.exp(0.5),))


def test_jvp_matches_closed_form():
    out, tangent = jvp(_three, (0.7, -1.3), (0.25, -2.0))
    J = _three_jacobian(0.7, -1.3)
    assert type(out) is tuple and type(tangent) is tuple
    assert tangent == pytest.approx([row[0] * 0.25 + row[1] * -2.0 for row in J], rel=1e-12)
    value, slope = jvp(lambda x: x.sin(), (0.3,), (1.0,))
    assert (value, slope) == pytest.approx((math.sin(0.3), math.cos(0.3)))


@given(st.lists(st.floats(-2, 2), min_size=5, max_size=5))
def test_jvp_agrees_with_vjp_on_random_directions(numbers):
    """⟨u, J t⟩ from forward mode equals ⟨uᵀJ, t⟩ from reverse mode."""
    u, t = numbers[:3], numbers[3:]
    _, Jt = jvp(_three, (0.7, -1.3), t)
    _, pull = vjp(_three, 0.7, -1.3)
    uJ = pull(u)
    assert sum(a * b for a, b in zip(u, Jt)) == pytest.approx(
        sum(a * b for a, b in zip(uJ, t)), rel=1e-9, abs=1e-12
    )


def test_hvp_is_hessian_times_vector():
    t = (0.3, -1.0, 2.0)
    H = _f3_hessian(0.4, -0.7, 1.1)
    Ht = hvp(_f3, (0.4, -0.7, 1.1), t)
    assert all(type(v) is float for v in Ht)
    assert Ht == pytest.approx([sum(H[i][j] * t[j] for j in range(3)) for i in range(3)], rel=1e-12)


def test_value_and_grad_has_aux():
    def loss(w):
        pred = w * 3.0
        return (pred - 1.0) ** 2, {"pred": pred.data}

    (value, aux), g = value_and_grad(loss, has_aux=True)(0.5)
    assert value == pytest.approx(0.25) and aux == {"pred": 1.5}
    assert g == pytest.approx(2 * (1.5 - 1.0) * 3.0)
    g2, aux2 = grad(loss, has_aux=True)(0.5)
    assert g2 == g and aux2 == aux


def test_transforms_compose():
    f = lambda x: x**4
    # d/dx (f''(x) * 1) = f'''(x) = 24 x
    assert grad(lambda x: hvp(f, (x,), (1.0,))[0])(2.0) == pytest.approx(48.0)
    # the jvp of grad along 1 is the second derivative
    assert jvp(grad(f), (2.0,), (1.0,))[1] == pytest.approx(48.0)
    # the Jacobian of a Jacobian
    assert jacobian(jacobian(lambda x, y: [x * x * y, y.exp()], argnums=1))(1.5, 0.2) == (
        pytest.approx(2 * 1.5), 0.0,
    )
    # a tangent that is itself a variable: d/dt (f'(x) t) = f'(x)
    assert grad(lambda t: jvp(f, (2.0,), (t,))[1])(5.0) == pytest.approx(32.0)
    # vjp inside grad: d/dx [u f'(x)] = u f''(x)
    assert grad(lambda x: vjp(f, x)[1](3.0)[0])(1.0) == pytest.approx(3 * 12.0)


def test_transforms_return_floats_at_top_level_and_values_nested():
    _, tangent = jvp(lambda x: x * x, (Value(3.0),), (1.0,))
    assert type(tangent) is Value and tangent.data == 6.0
    assert type(jacobian(lambda x: [x * x])(3.0)[0]) is float
    with no_grad():
        H = hessian(lambda x: x**3)(Value(2.0))
        assert type(H) is Value and H.data == 12.0 and H.parents == ()


def test_transform_errors_are_clear():
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="primals must be a tuple or list"):
        jvp(lambda x: x, 1.0, (1.0,))
    with pytest.raises(ValueError, match="2 primals but 3 tangents"):
        hvp(lambda x, y: x * y, (1.0, 2.0), (1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="must return a Value or a list of Values, got str"):
        jacobian(lambda x: "x")(1.0)
    with pytest.raises(TypeError, match="item 1 is NoneType"):
        jvp(lambda x: [x, None], (1.0,), (1.0,))
    with pytest.raises(ValueError, match="empty list"):
        jacobian(lambda x: [])(1.0)
    with pytest.raises(TypeError, match="expected an int or float"):
        vjp(lambda x: x, "1.0")
    _, pull = vjp(lambda x: [x, x * x], 2.0)
    with pytest.raises(ValueError, match="2 outputs but the cotangent has 3"):
        pull([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="sequence of 2 numbers"):
        pull(1.0)
    _, pull_one = vjp(lambda x: x, 2.0)
    with pytest.raises(TypeError, match="cotangent is one number"):
        pull_one([1.0])
    with pytest.raises(TypeError, match=r"pair \(value, aux\)"):
        value_and_grad(lambda x: x * x, has_aux=True)(1.0)
    with pytest.raises(IndexError, match="argnums 3"):
        jacobian(lambda x: x, argnums=3)(1.0)


def test_readme_transform_examples():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    f = lambda x, y: x * y.exp()
    _, pull = vjp(f, 2.0, 0.0)
    shown = {
        "jacobian(lambda x, y: [x * y, x + y], argnums=(0, 1))(3.0, 4.0)":
            jacobian(lambda x, y: [x * y, x + y], argnums=(0, 1))(3.0, 4.0),
        "hessian(f, argnums=(0, 1))(2.0, 0.0)": hessian(f, argnums=(0, 1))(2.0, 0.0),
        "jvp(f, (2.0, 0.0), (1.0, 1.0))": jvp(f, (2.0, 0.0), (1.0, 1.0)),
        "out, pull = vjp(f, 2.0, 0.0); pull(1.0)": pull(1.0),
        "hvp(f, (2.0, 0.0), (1.0, 0.0))": hvp(f, (2.0, 0.0), (1.0, 0.0)),
        "value_and_grad(lambda x: (x * x, \"aux\"), has_aux=True)(3.0)":
            value_and_grad(lambda x: (x * x, "aux"), has_aux=True)(3.0),
    }
    lines = readme.splitlines()
    for code, value in shown.items():
        line = next(line for line in lines if line.startswith(code))
        assert line.split("# ", 1)[1].startswith(repr(value)), line
