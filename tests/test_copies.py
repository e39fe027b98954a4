"""Conversions that refuse to cut the graph, and copies/pickles of graphs at any depth."""

from __future__ import annotations

import copy
import math
import pickle
import sys

import pytest

from autograd import Value, add_n, dot, gradients, topological_order
from autograd.engine import describe


@pytest.mark.parametrize("convert", [float, int, bool, math.exp, range])
def test_implicit_conversions_raise_with_advice(convert):
    v = Value(2.0)
    with pytest.raises(TypeError, match=r"use v\.data or v\.item\(\).*v\.exp\(\)"):
        convert(v)


def test_math_on_a_value_cannot_silently_lose_the_gradient():
    y, w = Value(0.5), Value(3.0)
    with pytest.raises(TypeError, match="cut it out of the graph"):
        math.exp(y) * w
    z = y.exp() * w  # the recorded way
    z.backward()
    assert y.grad == pytest.approx(3.0 * math.exp(0.5))


def test_item_and_format_give_the_data():
    v = Value(2.0 / 3.0, label="v")
    assert v.item() == v.data and type(v.item()) is float
    assert f"{v:.3f}" == "0.667" and format(v, ">8.2f") == "    0.67"
    assert f"{v}" == repr(v)


def test_abs_method_is_abs():
    x = Value(-2.5)
    y = x.abs()
    assert y.op == "abs" and y.data == 2.5
    y.backward()
    assert x.grad == -1.0


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = y * 1.0001 + 0.001 if i % 2 else (y + 0.1).tanh()
    y.label = "y"
    return x, y


def _same_graph(a: Value, b: Value) -> None:
    """Equal data, grads, labels, ops and constants node by node, and no node shared."""
    order_a, order_b = topological_order(a), topological_order(b)
    assert len(order_a) == len(order_b)
    pos_a = {id(n): i for i, n in enumerate(order_a)}
    pos_b = {id(n): i for i, n in enumerate(order_b)}
    for p, q in zip(order_a, order_b):
        assert id(q) not in pos_a
        assert (p.data, p.grad, p.label, p.op) == (q.data, q.grad, q.label, q.op)
        assert describe(p) == describe(q)
        assert [pos_a[id(r)] for r in p.parents] == [pos_b[id(r)] for r in q.parents]


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["deepcopy", "pickle"])
def test_deep_graph_copies_at_default_recursion_limit(copier):
    assert sys.getrecursionlimit() <= 1000 + 100  # the default, untouched
    x, y = _chain(25_000)
    y.backward()
    y2 = copier(y)
    _same_graph(y, y2)
    # the copy is independent: its backward changes only its own grads
    x2 = topological_order(y2)[0]
    assert x2.label == "x" and x2 is not x
    before = x.grad
    y2.backward()
    assert x.grad == before and x2.grad == pytest.approx(2 * before)


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["deepcopy", "pickle"])
def test_copies_of_every_node_kind(copier):
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    ws = [Value(0.1), Value(0.2)]
    out = add_n([
        a * b, a / b, a ** 2, 2 ** b, 1 / a, a.leaky_relu(0.2), (a - b).sigmoid(),
        dot(ws, [a, b], bias=b), dot(ws, [3.0, 4.0]), dot(ws, [a, b]),
    ])
    out.backward()
    twin = copier(out)
    _same_graph(out, twin)
    # and the copy's gradients are right on their own
    leaves = [n for n in topological_order(twin) if not n.parents]
    originals = [n for n in topological_order(out) if not n.parents]
    assert gradients(twin, leaves) == gradients(out, originals)


def test_deepcopy_keeps_sharing_within_one_call():
    x = Value(2.0)
    y = x * x + 1.0
    params, loss = copy.deepcopy(([x], y))
    assert params[0] in topological_order(loss) and params[0] is not x


def test_pickle_keeps_a_leaf_shared_by_several_values():
    w = Value(0.5, label="w")
    loss = (w * 3.0).tanh()
    w2, loss2 = pickle.loads(pickle.dumps((w, loss)))
    assert topological_order(loss2)[0] is w2
    loss2.backward()
    assert w2.grad == pytest.approx(3.0 * (1 - math.tanh(1.5) ** 2)) and w.grad == 0.0


def test_shallow_copy_shares_parents():
    a = Value(1.0)
    b = (a + 2.0).exp()
    b.label = "b"
    c = copy.copy(b)
    assert c is not b and c.parents == b.parents and (c.data, c.label, c.op) == (b.data, "b", "exp")


def test_ops_pickle_by_name():
    from autograd import ops

    assert pickle.loads(pickle.dumps(ops.TANH)) is ops.TANH
    with pytest.raises(LookupError, match="no primitive named 'nope'"):
        ops.lookup("nope")


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda x: 1 / x, "rdiv_const(0.0, 1.0)"),
        (lambda x: (-2.0) ** (x + 0.5), "rpow_const(0.5, -2.0)"),
    ],
)
def test_forward_errors_and_describe_name_operands_in_one_order(make, text):
    x = Value(0.0)
    with pytest.raises((ZeroDivisionError, ValueError)) as info:
        make(x)
    assert str(info.value).startswith(text)
    node = (1 / Value(4.0)) if "rdiv" in text else 2.0 ** Value(3.0)
    operands = "(4.0, 1.0)" if "rdiv" in text else "(3.0, 2.0)"
    assert describe(node) == text.split("(")[0] + operands
