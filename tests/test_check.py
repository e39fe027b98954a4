"""gradcheck and check_grads: agreement on random formulas, and a clear table on disagreement,
including wrong rules that only a second-order check can see."""

from __future__ import annotations

import pytest
from hypothesis import given

from autograd import GradcheckError, Value, gradcheck, numeric_gradient
from autograd.ops import UNARY, Op
from autograd.testing import check_grads, expressions
from autograd.value import _unary


def _row(name, vjp):
    """A cube row x³ with the given derivative rule, applied like any primitive."""
    op = Op(name, name, UNARY, lambda x: x**3, vjp, "x³", "3x²")
    return lambda v: _unary(op, v)


def _number(x):
    """A rule's slip: reading the plain number out of a Value (cuts the gradient's graph)."""
    return x.data if type(x) is Value else x


# 3x² off by 1%: wrong at first order
cube_off = _row("cube_off", lambda g, out, x: (g * 3.03 * x * x,))
# 3x² computed from a plain float: right at first order, but on Values the gradient no
# longer depends on x, so the second derivative comes out 0 instead of 6x
cube_float = _row("cube_float", lambda g, out, x: (g * 3.0 * _number(x) ** 2,))


@given(expressions(n_inputs=3, max_ops=12))
def test_random_formulas_pass_gradcheck(expr):
    assert gradcheck(expr.f, expr.args)


def test_numeric_gradient_of_a_polynomial():
    g = numeric_gradient(lambda x, y: x * x * y, [3.0, 2.0])
    assert g == pytest.approx([12.0, 9.0], rel=1e-6)


def test_gradcheck_catches_a_wrong_derivative_and_lists_every_bad_input():
    # a deliberately wrong rule: d/dx x^3 claimed to be 2x
    cube = _row("cube", lambda g, out, x: (g * 2 * x,))
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


# ---------------------------------------------------------------------------
# check_grads
# ---------------------------------------------------------------------------


def test_check_grads_passes_correct_functions_to_third_order():
    assert check_grads(lambda x, y: (x * y).tanh() + x.log() * y, (0.7, -1.3), order=3)
    assert check_grads(lambda x, y: [x * y.exp(), (x / y).sin()], (0.7, -1.3))  # two outputs
    assert check_grads(lambda x: x.sqrt(), 2.0, modes=("fwd",))


def _failing_rows(error):
    """The FAIL rows of a check_grads table, as (order, mode, of) triples."""
    rows = [line.split() for line in str(error).splitlines()[2:]]
    return [(int(r[0]), r[1], r[2]) for r in rows if r[-1] == "FAIL"]


def test_check_grads_catches_a_rule_off_by_one_percent():
    with pytest.raises(GradcheckError) as info:
        check_grads(lambda x, y: cube_off(x) * y, (0.8, 1.5), order=1)
    failing = _failing_rows(info.value)
    assert {mode for _, mode, _ in failing} == {"rev", "fwd"}  # both modes see it
    assert isinstance(info.value, AssertionError)


def test_check_grads_order_2_catches_a_rule_built_from_a_plain_float():
    f = lambda x, y: cube_float(x) * y
    assert check_grads(f, (0.8, 1.5), order=1)  # the first derivative is right
    with pytest.raises(GradcheckError) as info:
        check_grads(f, (0.8, 1.5), order=2)
    failing = _failing_rows(info.value)
    assert failing and all(order == 2 for order, _, _ in failing)
    assert {of for _, _, of in failing} <= {"vjp(f)", "jvp(f)"}


def test_check_grads_table_reads_well():
    with pytest.raises(GradcheckError) as info:
        check_grads(cube_off, (0.8,), order=1, modes=("rev",), directions=3)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("check_grads: 3 of 3 checks disagree at (0.8)")
    header = ["order", "mode", "of", "direction", "analytic", "numeric", "difference"]
    assert lines[1].split() == header
    for k, line in enumerate(lines[2:], start=1):
        order, mode, of, direction, analytic, numeric, difference, status = line.split()
        assert (order, mode, of, direction, status) == ("1", "rev", "f", str(k), "FAIL")
        # along direction v: analytic 3.03 x² v, numeric 3 x² v
        assert float(analytic) == pytest.approx(float(numeric) * 1.01, rel=1e-6)
        assert float(difference) == pytest.approx(float(analytic) - float(numeric), rel=0.05)


def test_check_grads_is_repeatable_and_seeded():
    def table(seed):
        with pytest.raises(GradcheckError) as info:
            check_grads(cube_off, (0.8,), order=1, seed=seed)
        return str(info.value)

    assert table(0) == table(0) and table(0) != table(1)


def test_check_grads_sees_a_wrong_rule_inside_a_random_formula():
    # the same planted float rule, deep in a formula: order 2 still sees it
    f = lambda x, y: (cube_float(x.sin() * y) + y).tanh()
    assert check_grads(f, (0.4, 1.2), order=1)
    with pytest.raises(GradcheckError):
        check_grads(f, (0.4, 1.2), order=2)


def test_check_grads_argument_errors():
    f = lambda x: x * x
    with pytest.raises(ValueError, match="modes"):
        check_grads(f, (1.0,), modes=("backward",))
    with pytest.raises(ValueError, match="modes"):
        check_grads(f, (1.0,), modes="rev")
    with pytest.raises(ValueError, match="order"):
        check_grads(f, (1.0,), order=0)
    with pytest.raises(ValueError, match="eps"):
        check_grads(f, (1.0,), eps=0.0)
    with pytest.raises(TypeError, match="args"):
        check_grads(f, ())
    with pytest.raises(TypeError, match="expected an int or float"):
        check_grads(f, ("1",))
    with pytest.raises(TypeError, match="must return a Value"):
        check_grads(lambda x: "x", (1.0,))
