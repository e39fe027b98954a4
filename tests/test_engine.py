"""The engine: topological order, accumulation, no_grad, detach, deep graphs."""

from __future__ import annotations

import gc
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradients, is_grad_enabled, no_grad, topological_order
from autograd.testing import check_grads


def test_backward_fan_out_adds_both_edges():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0
    assert b.parents == (a, a)  # ordered tuple: two edges, not a set


def test_backward_shared_subexpression():
    x = Value(2.0)
    s = x * x  # used twice below
    y = s * s + s  # y = x^4 + x^2
    y.backward()
    assert y.data == 20.0
    assert x.grad == pytest.approx(4 * 2.0**3 + 2 * 2.0)
    assert s.grad == pytest.approx(2 * 4.0 + 1)


def test_backward_twice_accumulates_twice():
    x = Value(1.5)
    h = x * x
    y = h * 3.0
    y.backward()
    y.backward()
    assert x.grad == pytest.approx(2 * 6 * 1.5)
    assert h.grad == pytest.approx(2 * 3.0)  # intermediates too, as many times


def test_backward_adds_to_existing_grad():
    x = Value(1.0)
    x.grad = 10.0
    (x * 2.0).backward()
    assert x.grad == 12.0


def test_constants_get_no_node_and_no_gradient():
    x = Value(2.0)
    y = 3.0 * x + 1.0
    assert len(topological_order(y)) == 3  # x, x*3, +1: the numbers are folded
    y.backward()
    assert x.grad == 3.0


def test_topological_order_puts_parents_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(order) == 5
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    assert order[-1] is e


def test_no_grad_records_nothing():
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * x).tanh() + 1
    assert is_grad_enabled()
    assert y.op == "" and y.parents == ()
    y.backward()
    assert x.grad == 0.0


def test_no_grad_nests_and_restores():
    x = Value(1.0)
    with no_grad():
        with no_grad():
            pass
        y = x * 2
    z = x * 2
    assert y.parents == () and z.parents == (x,)


def test_no_grad_is_per_thread():
    import threading

    seen = []
    x = Value(1.0)

    def other():
        seen.append((x * 2).parents)

    with no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [(x,)]


def test_detach_cuts_the_graph():
    x = Value(3.0, label="x")
    y = (x * x).detach()
    z = y * 2.0
    z.backward()
    assert x.grad == 0.0
    assert y.grad == 2.0
    assert y.op == "" and y.data == 9.0


def test_gradients_leaves_grad_untouched():
    x, w = Value(2.0), Value(-1.0)
    x.grad = 5.0
    y = (x * w).tanh()
    gx, gw, unrelated = gradients(y, [x, w, Value(7.0)])
    assert x.grad == 5.0 and w.grad == 0.0 and y.grad == 0.0
    t = 1 - y.data**2
    assert gx == pytest.approx(t * -1.0)
    assert gw == pytest.approx(t * 2.0)
    assert unrelated == 0.0


def test_gradients_create_graph_gives_differentiable_values():
    x = Value(0.7)
    (dx,) = gradients(x**3, [x], create_graph=True)
    assert type(dx) is Value and dx.data == pytest.approx(3 * 0.7**2)
    (ddx,) = gradients(dx, [x], create_graph=True)
    assert ddx.data == pytest.approx(6 * 0.7)
    (dddx,) = gradients(ddx, [x])
    assert dddx == pytest.approx(6.0)


def test_gradients_of_an_input_with_respect_to_itself():
    x = Value(4.0)
    assert gradients(x, [x]) == (1.0,)
    (g,) = gradients(x, [x], create_graph=True)
    assert type(g) is Value and g.data == 1.0


def test_backward_error_leaves_grads_unchanged():
    x = Value(0.0)
    y = x.sqrt()  # forward is fine, the slope at 0 is infinite
    x.grad = 1.0
    with pytest.raises(ZeroDivisionError, match=r"backward of sqrt\(0\.0\)"):
        y.backward()
    assert x.grad == 1.0 and y.grad == 0.0


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(1.0)
    y = x
    for _ in range(n // 2):
        y = y * 1.0001
        y = y + 0.1
    return x, y


@pytest.mark.slow
def test_million_node_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() == 1000  # the default: we never recurse
    x, y = _chain(1_000_000)
    y.backward()
    assert x.grad == pytest.approx(1.0001**500_000, rel=1e-9)
    held = sys.getrefcount(x)
    del y  # the whole chain is freed by reference counting, without recursion
    assert sys.getrefcount(x) == held - 1  # the first node's reference to x is gone


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        held = sys.getrefcount(x)
        y = ((x * 2).tanh() + x.exp()) / (x + 3)
        y.backward()
        assert sys.getrefcount(x) == held + 3  # three nodes use x
        del y
        assert sys.getrefcount(x) == held  # all freed at once, with the collector off
    finally:
        gc.enable()
    assert gc.collect() == 0


def _random_node(a: Value, b: Value, kind: str) -> Value:
    if kind == "+":
        return a + b
    if kind == "a":
        return a * 0.5 + b
    if kind == "u":  # a run of one-parent nodes
        return ((a * 0.5 + 1.0).tanh() - 2.0).exp()
    return (a * b).tanh()


_DAG_STEPS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from("+*au")),
    min_size=1, max_size=60,
)


def _random_dag(leaves: list[Value], steps) -> Value:
    """Each new node uses one or two random earlier ones (shared freely, with runs of
    one-parent nodes); the last one is the root."""
    nodes = list(leaves)
    for i, j, kind in steps:
        nodes.append(_random_node(nodes[i % len(nodes)], nodes[j % len(nodes)], kind))
    return nodes[-1]


@given(_DAG_STEPS)
def test_topological_order_of_random_dags(steps):
    """Every node reachable from the root appears once, after its parents."""
    root = _random_dag([Value(0.5), Value(-1.5), Value(2.0)], steps)
    order = topological_order(root)
    position = {id(n): k for k, n in enumerate(order)}
    assert len(position) == len(order) and order[-1] is root
    reachable, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in reachable:
                reachable.add(id(p))
                stack.append(p)
    assert set(position) == reachable
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


@given(_DAG_STEPS)
def test_gradients_of_random_dags_match_finite_differences(steps):
    """Shared nodes and fan-out: each path adds its share once, to first and second order."""
    assert check_grads(lambda a, b, c: _random_dag([a, b, c], steps), (0.5, -1.5, 2.0), order=2)
