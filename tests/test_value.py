"""Value: construction, operators, comparisons, repr, and clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value, add_n, dot


def test_value_attributes():
    v = Value(3, label="x")
    assert v.data == 3.0 and type(v.data) is float
    assert v.grad == 0.0 and v.label == "x" and v.op == "" and v.parents == ()


def test_op_and_parents_are_read_only():
    v = Value(1.0) + Value(2.0)
    with pytest.raises(AttributeError):
        v.op = "mul"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        v.parents = ()  # type: ignore[misc]


def test_values_have_slots_and_no_dict():
    assert not hasattr(Value(1.0), "__dict__")


@pytest.mark.parametrize("bad", ["3", None, 1j, [1.0], Value(1.0)])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=r"Value\(data\)"):
        Value(bad)


def test_value_accepts_numpy_scalars():
    for x in (np.float64(2.5), np.float32(2.5), np.int64(2)):
        v = Value(x)
        assert type(v.data) is float


def test_operators_with_plain_numbers_on_either_side():
    x = Value(3.0)
    assert (x + 2).data == 5.0 and (2 + x).data == 5.0
    assert (x - 2).data == 1.0 and (2 - x).data == -1.0
    assert (x * 2).data == 6.0 and (2 * x).data == 6.0
    assert (x / 2).data == 1.5 and (6 / x).data == 2.0
    assert (x**2).data == 9.0 and (2**x).data == 8.0
    assert (x ** Value(2.0)).data == 9.0
    assert (-x).data == -3.0 and abs(-x).data == 3.0
    assert (Value(7.0) / 10).data == 0.7  # exact division, not x * 0.1


def test_numpy_scalar_on_the_left_gives_a_value():
    out = np.float64(2.0) * Value(3.0)
    assert type(out) is Value and out.data == 6.0


def test_comparisons_use_data_and_equality_is_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and b >= 2
    assert Value(1.0) != Value(1.0)
    assert len({a, b, Value(1.0)}) == 3
    assert b.item() == 2.0


def test_repr_shows_data_grad_and_label():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2.0, label="w")) == "Value(data=2.0, grad=0.0, label='w')"


def test_operator_with_unsupported_type_raises_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        [1] * Value(1.0)  # type: ignore[operator]
    with pytest.raises(TypeError, match="leaky_relu"):
        Value(1.0).leaky_relu("x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make, exc, message",
    [
        (lambda: Value(-2.0).log(), ValueError, r"log\(-2\.0\): math domain error"),
        (lambda: Value(0.0).log(), ValueError, r"log\(0\.0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1\.0\)"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow_const\(0\.0, -1\.0\)"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow_const\(-8\.0, .*fractional"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"pow\(-8\.0, 0\.5\)"),
        (lambda: (-2.0) ** Value(0.5), ValueError, r"rpow_const\(0\.5, -2\.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div_const\(1\.0, 0\.0\): division by zero"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"rdiv_const\(0\.0, 1\.0\)"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow_const\(10\.0, 400\.0\)"),
    ],
)
def test_bad_input_raises_naming_the_operation(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_no_silent_nan_from_domain_edges():
    for make in (lambda: Value(-1e-300).log(), lambda: Value(-1e-300).sqrt()):
        with pytest.raises(ValueError):
            make()
    assert math.isfinite(Value(1e-300).log().data)


def test_pow_backward_with_respect_to_exponent_needs_positive_base():
    x, y = Value(-2.0), Value(2.0)
    out = x**y
    assert out.data == 4.0
    with pytest.raises(ValueError, match=r"backward of pow\(-2\.0, 2\.0\)"):
        out.backward()


def test_add_n_is_one_node_and_folds_numbers():
    xs = [Value(float(i)) for i in range(5)]
    s = add_n(xs)
    assert s.op == "add_n" and s.parents == tuple(xs) and s.data == 10.0
    t = add_n([xs[0], 2, xs[1]])
    assert t.data == 3.0
    t.backward()
    assert xs[0].grad == 1.0 and xs[1].grad == 1.0 and xs[2].grad == 0.0
    assert add_n([]).data == 0.0


def test_dot_variants():
    w = [Value(1.0), Value(2.0)]
    x = [Value(3.0), Value(4.0)]
    d = dot(w, x)
    assert d.op == "dot" and d.data == 11.0 and len(d.parents) == 4
    c = dot(w, [3, 4])
    assert c.op == "dot_const" and c.data == 11.0 and c.parents == tuple(w)
    m = dot([Value(1.0), 2.0], [3.0, Value(4.0)])  # mixed: numbers become leaves
    assert m.op == "dot" and m.data == 11.0
    d.backward()
    assert [v.grad for v in w] == [3.0, 4.0] and [v.grad for v in x] == [1.0, 2.0]
    assert dot([], []).data == 0.0
    with pytest.raises(ValueError, match="dot: 2 weights but 3 inputs"):
        dot(w, [1, 2, 3])


def test_dot_with_bias_is_one_node():
    w, b = [Value(1.0), Value(2.0)], Value(0.5)
    x = [Value(3.0), Value(4.0)]
    a = dot(w, x, bias=b)
    assert a.op == "affine" and a.data == 11.5 and a.parents == (*w, *x, b)
    c = dot(w, [3, 4], bias=b)  # constant inputs: the bias is a weight on input 1
    assert c.op == "dot_const" and c.data == 11.5 and c.parents == (*w, b)
    c.backward()
    assert [v.grad for v in w] == [3.0, 4.0] and b.grad == 1.0
    assert dot(w, [3, 4], bias=2).data == 13.0  # a number bias is added
    assert dot([], [], bias=b).data == 0.5
