"""User-defined primitives: a row added with `autograd.primitive` differentiates to any order,
is listed, drawn and checked like a built-in one, and bad declarations fail clearly."""

from __future__ import annotations

import math

import pytest

from autograd import (
    Value,
    derivative_table,
    draw_dot,
    gmath,
    grad,
    hessian,
    primitive,
    primitives,
    unary_functions,
)
from autograd.testing import check_grads

TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


def _forget(name: str) -> None:
    """Take a user row out of the table again, so tests leave the table as they found it."""
    from autograd import extend, ops

    ops._REGISTRY.pop(name, None)
    extend._USER_FUNCTIONS.pop(name, None)


@pytest.fixture
def erf():
    """erf as a user primitive, written with gmath so its rule also works on Values."""
    function = primitive(
        "erf", gmath.erf,
        lambda g, out, x: (g * TWO_OVER_ROOT_PI * gmath.exp(-x * x),),
        symbol="Erf", formula="erf x", derivative="2/√π e^(-x²)",
    )
    yield function
    _forget("erf")


@pytest.fixture
def forget():
    """Names to take out of the table after the test."""
    names: list[str] = []
    yield names
    for name in names:
        _forget(name)


@pytest.mark.parametrize("x", [-1.7, -0.3, 0.0, 0.4, 2.2])
def test_user_primitive_first_and_second_derivatives(erf, x):
    y = erf(Value(x))
    assert y.op == "erf" and y.data == pytest.approx(math.erf(x), rel=1e-15)
    # d erf = 2/√π e^(-x²);  d² erf = -2x · 2/√π e^(-x²)
    assert grad(erf)(x) == pytest.approx(TWO_OVER_ROOT_PI * math.exp(-x * x), rel=1e-12)
    second = -2 * x * TWO_OVER_ROOT_PI * math.exp(-x * x)
    assert grad(grad(erf))(x) == pytest.approx(second, rel=1e-12)
    assert hessian(erf)(x) == grad(grad(erf))(x)


def test_user_primitive_passes_check_grads_inside_a_formula(erf):
    assert check_grads(lambda x, y: erf(x * y) * y.tanh() + erf(x), (0.6, -1.1), order=3)


def test_user_primitive_is_listed_everywhere(erf):
    assert primitives()[-1].name == "erf"
    assert "| `erf` | erf x | 2/√π e^(-x²) |" in derivative_table()
    assert unary_functions()["erf"] is erf


def test_user_primitive_is_drawn_with_its_symbol(erf):
    source = draw_dot(erf(Value(0.3, label="x")), check_dot=False).source
    op_lines = [line for line in source.splitlines() if 'class="op erf"' in line]
    assert len(op_lines) == 1 and "label=Erf" in op_lines[0]


def test_user_binary_and_nary_primitives(forget):
    forget += ["hypot_test", "mean3_test"]
    hypot = primitive("hypot_test", lambda x, y: gmath.sqrt(x * x + y * y),
                      lambda g, out, x, y: (g * x / out, g * y / out))
    mean3 = primitive("mean3_test", lambda x, y, z: (x + y + z) / 3.0,
                      lambda g, out, x, y, z: (g / 3.0, g / 3.0, g / 3.0))
    assert hypot(3.0, 4.0).data == 5.0
    assert grad(lambda x, y: hypot(x, y), argnums=(0, 1))(3.0, 4.0) == pytest.approx((0.6, 0.8))
    assert check_grads(lambda x, y: hypot(x, y.exp()), (0.5, -0.2), order=2)
    assert check_grads(lambda x, y, z: mean3(x * y, y, z.sin()), (0.5, -0.2, 1.0), order=2)
    with pytest.raises(TypeError, match="expected 3 input"):
        mean3(1.0, 2.0)


def test_duplicate_name_is_refused(erf):
    with pytest.raises(ValueError, match="'erf' already exists"):
        primitive("erf", math.erf, lambda g, out, x: (g,))
    with pytest.raises(ValueError, match="'tanh' is a built-in row"):
        primitive("tanh", math.tanh, lambda g, out, x: (g,))
    with pytest.raises(ValueError, match="'tanh' is a built-in row"):
        primitive("tanh", math.tanh, lambda g, out, x: (g,), replace=True)


def test_replace_redefines_a_user_primitive(erf):
    """A notebook cell run again, with the rule fixed: the new row is used from then on."""
    old = erf(Value(0.3))
    doubled = primitive("erf", gmath.erf, lambda g, out, x: (g * 4 / math.sqrt(math.pi) * gmath.exp(-x * x),),
                        replace=True)
    assert doubled(Value(0.3)).data == old.data
    x = Value(0.3)
    doubled(x).backward()
    assert x.grad == pytest.approx(4 / math.sqrt(math.pi) * math.exp(-0.09))
    assert old.op == "erf" and old._op is not doubled.op  # Values made before keep the old row


def test_bad_declarations_are_refused(forget):
    with pytest.raises(TypeError, match="forward must be callable"):
        primitive("not_callable_test", 3.0, lambda g, out, x: (g,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="vjp must be callable"):
        primitive("not_callable_test", math.exp, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="identifier"):
        primitive("two words", math.exp, lambda g, out, x: (g,))
    assert "not_callable_test" not in {op.name for op in primitives()}


def test_wrong_number_of_gradients_is_reported_on_first_use(forget):
    forget.append("wrong_vjp_test")
    # two gradients for one input: declared fine, refused when backward first runs the rule
    bad = primitive("wrong_vjp_test", gmath.exp, lambda g, out, x: (g * out, g))
    y = bad(Value(0.5))
    assert y.data == pytest.approx(math.exp(0.5))
    with pytest.raises(TypeError, match="'wrong_vjp_test': vjp must return a tuple of 1 gradient"):
        y.backward()
    with pytest.raises(TypeError, match="it returned 2 values"):
        grad(grad(bad))(0.5)


def test_forward_that_is_not_finite_is_refused(forget):
    forget.append("log_test")
    log_ = primitive("log_test", lambda x: math.log(x) if x > 0 else math.nan,
                     lambda g, out, x: (g / x,))
    assert log_(2.0).data == pytest.approx(math.log(2.0))
    with pytest.raises(ValueError, match=r"log_test\(-1.0\): forward returned nan"):
        log_(-1.0)


def test_user_primitive_is_stepped_and_traced_like_a_built_in_row(erf):
    import numpy as np

    from autograd import BackwardStepper, trace

    x = Value(0.3, label="x")
    y = erf(x) * 2.0
    stepper = BackwardStepper(y)
    assert len(stepper) == 2 and "Erf" in stepper.caption(1)
    y.backward()
    assert stepper.grads[x] == x.grad
    program = trace(lambda v: erf(v) * 2.0, 0.3)
    xs = np.array([-1.0, 0.0, 0.3, 2.0])
    assert np.allclose(program(xs), [2 * math.erf(v) for v in xs], rtol=1e-12, atol=0)
