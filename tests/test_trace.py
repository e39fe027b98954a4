"""autograd.trace: a program traced on one sample gives, on every sample of a batch, the
scalar engine's outputs, and the batch's mean (or summed) gradient of its parameters."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest

from autograd import Program, Value, dot, gmath, primitive, trace
from nn import MLP, losses, optim
from nn.layers import activations

RTOL = 1e-12


def leaves(arg):
    """An example argument as the traced function receives it: Values in nested lists."""
    a = np.asarray(arg, dtype=float)
    return Value(float(a)) if a.ndim == 0 else np.vectorize(Value, otypes=[object])(a).tolist()


def scalar_reference(f, params, *batch):
    """Per-sample outputs and the mean of per-sample gradients, from the scalar engine."""
    outs, grads = [], np.zeros(len(params))
    saved = [p.grad for p in params]
    for sample in zip(*batch):
        for p in params:
            p.grad = 0.0
        out = f(*[leaves(a) for a in sample])
        out.backward()
        outs.append(out.data)
        grads += [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return np.array(outs), grads / len(outs)


def traced_gradients(program, params, *batch, reduce="mean"):
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    outs = program.backward(*batch, reduce=reduce)
    grads = np.array([p.grad for p in params])
    for p, g in zip(params, saved):
        p.grad = g
    return outs, grads


def assert_close(got, want, rtol=RTOL):
    """Equal to `rtol` relative to the array's own scale (sums of products round differently)."""
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def check_against_engine(f, params, *batch):
    """The program's outputs and gradients (mean and sum) equal the scalar engine's."""
    program = trace(f, *[a[0] for a in batch])
    want_out, want_grads = scalar_reference(f, params, *batch)
    assert_close(program(*batch), want_out)
    out, grads = traced_gradients(program, params, *batch)
    assert_close(out, want_out)
    assert_close(grads, want_grads)
    _, summed = traced_gradients(program, params, *batch, reduce="sum")
    assert_close(summed, want_grads * len(want_out))
    return program


# ---------------------------------------------------------------------------
# nn networks: every activation, every loss
# ---------------------------------------------------------------------------


def _batch(rng, n, shape):
    return rng.uniform(-1.0, 1.0, size=(n, *shape))


SAFE_ACTIVATIONS = [a for a in activations() if a not in ("log", "sqrt")]


@pytest.mark.parametrize("activation", SAFE_ACTIVATIONS)
def test_mlp_with_every_activation_equals_the_engine(activation):
    rng = np.random.default_rng(1)
    model = MLP(3, [5, 4, 1], activation=activation, seed=0)
    X, Y = _batch(rng, 7, (3,)), rng.uniform(-1.0, 1.0, size=7)
    check_against_engine(lambda x, y: losses.mse(model(x), y), model.parameters(), X, Y)


@pytest.mark.parametrize("activation", ["log", "sqrt"])
def test_activation_outside_its_domain_fails_like_the_engine_at_the_first_bad_sample(activation):
    model = MLP(2, [3, 1], activation=activation, seed=0)
    for p in model.layers[0].parameters():
        p.data = 0.5  # w · x + b = 0.5 (x0 + x1 + 1): below 0 when x0 + x1 < -1
    X = np.array([[0.2, 0.3]] * 4 + [[-40.0, 30.0]] * 3)  # samples 4.. leave the domain
    program = trace(lambda x: model(x), X[0])
    with pytest.raises(ValueError) as engine:
        model([Value(v) for v in X[4]])
    with pytest.raises(ValueError) as replay:
        program(X)
    call, _, reason = str(engine.value).partition(": ")
    assert str(replay.value) == f"{call} at sample 4: {reason}"


@pytest.mark.parametrize("batch_size", [1, 2, 5, 8])
def test_every_loss_on_an_mlp_equals_the_engine(batch_size):
    rng = np.random.default_rng(batch_size)
    model = MLP(4, [6, 3], activation="tanh", seed=1)
    params = model.parameters()
    X = _batch(rng, batch_size, (4,))
    onehot = np.eye(3)[rng.integers(0, 3, size=batch_size)]
    probs = rng.dirichlet(np.ones(3), size=batch_size)
    cases = [
        (lambda x, t: losses.mse(model(x), t), _batch(rng, batch_size, (3,))),
        (lambda x, t: losses.cross_entropy(model(x), t), onehot),
        (lambda x, t: losses.cross_entropy(model(x), t), probs),
        (lambda x, t: losses.hinge(model(x)[0], t), np.sign(rng.uniform(-1, 1, batch_size))),
        (lambda x, t: losses.bce_with_logits(model(x)[1], t), rng.uniform(0, 1, batch_size)),
        (lambda x, t: losses.bce_with_logits(model(x), t), rng.uniform(0, 1, (batch_size, 3))),
        (lambda x, t: losses.hinge(model(x)[0], t) + 1e-3 * dot(params, params), np.sign(X[:, 0])),
    ]
    for f, T in cases:
        check_against_engine(f, params, X, T)


def test_softmax_and_log_softmax_outputs_trace():
    model = MLP(2, [4, 3], seed=2)
    X = _batch(np.random.default_rng(3), 6, (2,))
    for f in (losses.softmax, losses.log_softmax):
        program = trace(lambda x, f=f: f(model(x)), X[0])
        want = np.array([[v.data for v in f(model(list(x)))] for x in X])
        assert program(X).shape == (6, 3)
        assert_close(program(X), want)


def test_cross_entropy_shift_follows_each_sample():
    # the log-sum-exp shift is each sample's own max logit, not the traced sample's
    program = trace(lambda z: losses.cross_entropy(z, [0.0, 1.0]), [0.0, 0.0])
    Z = np.array([[0.0, 0.0], [1000.0, 0.0], [-1000.0, 1000.0]])
    assert_close(program(Z), [np.log(2.0), 1000.0, 0.0])


# ---------------------------------------------------------------------------
# parameters are read live; gradients accumulate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.05),
])
def test_training_through_a_program_follows_the_engine_step_by_step(make_opt):
    rng = np.random.default_rng(4)
    X, Y = _batch(rng, 9, (2,)), np.sign(rng.uniform(-1, 1, 9))
    traced_model = MLP(2, [8, 8, 1], activation="relu", seed=3)
    scalar_model = copy.deepcopy(traced_model)
    program = trace(lambda x, y: losses.hinge(traced_model(x), y), X[0], Y[0])
    opt_t, opt_s = make_opt(traced_model.parameters()), make_opt(scalar_model.parameters())
    for _ in range(5):
        opt_t.zero_grad()
        program.backward(X, Y)  # traced once, parameters read at every call
        opt_t.step()
        opt_s.zero_grad()
        losses.hinge([scalar_model([Value(v) for v in x]) for x in X], list(Y)).backward()
        opt_s.step()
        assert_close([p.data for p in traced_model.parameters()],
                     [p.data for p in scalar_model.parameters()])


def test_backward_adds_to_existing_gradients_and_forward_leaves_them():
    w = Value(2.0)
    program = trace(lambda x: w * x * x, 1.0)
    X = np.array([1.0, 2.0, 3.0])
    w.grad = 10.0
    assert_close(program(X), [2.0, 8.0, 18.0])
    assert w.grad == 10.0
    program.backward(X)
    assert w.grad == pytest.approx(10.0 + (1 + 4 + 9) / 3)
    program.backward(X, reduce="sum")
    assert w.grad == pytest.approx(10.0 + 14 / 3 + 14)


def test_leaves_created_inside_are_constants_and_captured_leaves_are_parameters():
    a = Value(3.0, label="a")

    def f(x):
        c = Value(2.0)  # made inside: a constant, no gradient
        return a * x + c * x

    program = trace(f, 1.0)
    assert program.parameters == [a]
    a.grad = 0.0
    program.backward([1.0, 3.0])
    assert a.grad == pytest.approx(2.0)


def test_shared_weights_accumulate_from_every_use():
    w = Value(0.5)

    def f(x):  # the same weight in two nodes of one group, and twice in one product
        return (w * x[0]).tanh() + (w * x[1]).tanh() + w * w

    rng = np.random.default_rng(5)
    check_against_engine(f, [w], _batch(rng, 5, (2,)))


def test_output_may_be_a_parameter_or_an_input():
    w = Value(1.5)
    program = trace(lambda x: [w, x], 0.0)
    assert_close(program([1.0, 2.0]), [[1.5, 1.0], [1.5, 2.0]])
    only_w = trace(lambda x: w, 0.0)
    w.grad = 0.0
    only_w.backward([1.0, 2.0, 3.0], reduce="sum")
    assert w.grad == 3.0


def test_uniform_nodes_are_computed_once_and_summed_over_the_batch():
    w = Value(0.7)
    program = check_against_engine(lambda x: (w * 3.0).exp() + x, [w], np.arange(4.0))
    assert "once per batch" in str(program)


def test_nested_list_arguments_and_multiple_outputs():
    w = Value(0.3)

    def f(m):  # a 2x2 matrix per sample
        return [m[0][0] * m[1][1] * w, m[0][1] - m[1][0]]

    M = np.arange(12.0).reshape(3, 2, 2)
    program = trace(f, M[0].tolist())
    assert program(M).shape == (3, 2)
    assert_close(program(M.tolist()), [[a * d * 0.3, b - c] for (a, b), (c, d) in M])


def test_batch_arguments_may_be_lists_and_numbers():
    program = trace(lambda x, y: x * y, 2, 3.0)
    assert_close(program([1, 2], [3, 4]), [3.0, 8.0])


# ---------------------------------------------------------------------------
# explicit parameter arrays: parameter_values and value_and_grad
# ---------------------------------------------------------------------------


def test_parameter_values_is_a_copy_in_parameters_order():
    model = MLP(3, [4, 2], seed=1)
    program = trace(lambda x: model(x), [0.0, 0.0, 0.0])
    theta = program.parameter_values()
    assert theta.tolist() == [p.data for p in program.parameters]
    assert sorted(map(id, program.parameters)) == sorted(map(id, model.parameters()))
    theta[:] = 0.0  # the Values do not follow the array
    assert [p.data for p in program.parameters] != theta.tolist()


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_value_and_grad_at_theta_is_the_engine_at_those_values_and_touches_no_value(reduce):
    rng = np.random.default_rng(11)
    model = MLP(3, [6, 1], activation="tanh", seed=2)
    params = model.parameters()
    X, Y = _batch(rng, 7, (3,)), rng.uniform(-1, 1, 7)

    def f(x, y):
        return losses.mse(model(x), y)

    program = trace(f, X[0], Y[0])
    for p in params:
        p.grad = 0.25
    before = [(p.data, p.grad) for p in params]
    theta = program.parameter_values() + rng.normal(0.0, 0.3, len(params))
    out, grad = program.value_and_grad(theta, X, Y, reduce=reduce)
    assert [(p.data, p.grad) for p in params] == before  # neither read nor written
    for p, x in zip(program.parameters, theta):
        p.data = float(x)
    want_out, want_grads = scalar_reference(f, program.parameters, X, Y)
    assert_close(out, want_out)
    assert_close(grad, want_grads * (len(X) if reduce == "sum" else 1))
    assert grad.shape == theta.shape


def test_value_and_grad_equals_backward_into_zeroed_grads_exactly():
    model = MLP(4, [5, 3], activation="relu", seed=6)
    program = trace(lambda x, t: losses.cross_entropy(model(x), t), [0.0] * 4, [1.0, 0.0, 0.0])
    rng = np.random.default_rng(2)
    X, T = _batch(rng, 8, (4,)), np.eye(3)[rng.integers(0, 3, 8)]
    out, grad = program.value_and_grad(program.parameter_values(), X, T)
    for p in program.parameters:
        p.grad = 0.0
    assert program.backward(X, T).tolist() == out.tolist()
    assert [p.grad for p in program.parameters] == grad.tolist()


def test_value_and_grad_refuses_bad_theta_and_programs_with_several_outputs():
    w, b = Value(0.5, label="w"), Value(0.1, label="b")
    program = trace(lambda x: (w * x + b).log(), 1.0)
    X = [1.0, 2.0]
    with pytest.raises(ValueError, match=r"theta must have shape \(2,\).*got \(3,\)"):
        program.value_and_grad([0.5, 0.1, 0.0], X)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        program.value_and_grad([[0.5, 0.1]], X)
    with pytest.raises(TypeError, match="theta must be an array of numbers"):
        program.value_and_grad(["0.5", "0.1"], X)
    with pytest.raises(ValueError, match=r"parameter 'b' \(1 of the program's\) holds nan"):
        program.value_and_grad([0.5, np.nan], X)
    with pytest.raises(ValueError, match="reduce must be 'mean' or 'sum'"):
        program.value_and_grad([0.5, 0.1], X, reduce="max")
    with pytest.raises(ValueError, match=r"log\(-0.4\) at sample 1"):  # the engine's error
        program.value_and_grad([-0.5, 0.6], X)
    pair = trace(lambda x: [w * x, b * x], 1.0)
    with pytest.raises(ValueError, match="needs a function with one output"):
        pair.value_and_grad([0.5, 0.1], X)


def test_a_parameter_that_is_not_finite_is_named_with_its_value():
    w = Value(0.5, label="w")
    program = trace(lambda x: w * x, 1.0)
    w.data = float("inf")
    with pytest.raises(ValueError, match=r"parameter 'w' \(0 of the program's\) holds inf"):
        program([1.0])


# ---------------------------------------------------------------------------
# user primitives replay with their own rules on arrays
# ---------------------------------------------------------------------------

cube = primitive("trace_test_cube", lambda x: x * x * x, lambda g, out, x: (3.0 * g * x * x,))
soft_hypot = primitive(
    "trace_test_hypot",
    lambda x, y: gmath.sqrt(x * x + y * y + 1.0),
    lambda g, out, x, y: (g * x / out, g * y / out),
)
mean3 = primitive(
    "trace_test_mean3",
    lambda a, b, c: (a + b + c) / 3.0,
    lambda g, out, a, b, c: (g / 3.0, g / 3.0, g / 3.0),
)
erf = primitive("trace_test_erf", gmath.erf, lambda g, out, x: (g * 1.1283791670955126 * gmath.exp(-x * x),))


def test_user_primitives_replay():
    w = [Value(0.2 * i - 0.3) for i in range(4)]

    def f(x):
        hs = [cube(wi * x[0]) + erf(wi + x[1]) for wi in w]  # four nodes per op: one group each
        return mean3(soft_hypot(hs[0], hs[1]), hs[2], hs[3])

    program = check_against_engine(f, w, _batch(np.random.default_rng(6), 7, (2,)))
    assert "trace_test_cube" in str(program) and "trace_test_mean3" in str(program)


# ---------------------------------------------------------------------------
# the program as text; numpy stays out of `import autograd`
# ---------------------------------------------------------------------------


def test_listing_shows_each_step_and_the_matrix_products():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    program = trace(lambda x, y: losses.hinge(model(x), y), [0.5, 0.5], 1.0)
    text = str(program)
    lines = text.splitlines()
    assert lines[0].startswith("program <lambda>(x: (2,), y: ()) -> s")
    steps = [line for line in lines[1:] if " = " in line]
    assert len(steps) == len(program._plan.steps)
    assert "affine(p[0:32] @ x + p[32:48])" in text and "one 16×2 matrix product" in text
    assert "affine(p[48:304] @ s" in text and "one 16×16 matrix product" in text
    assert sum("relu(" in line for line in steps) == 3  # two layers and the hinge
    assert repr(program).startswith("<Program <lambda>:")
    assert isinstance(program, Program)


def test_import_autograd_does_not_import_numpy():
    code = "import sys, autograd, nn; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_program_in_several_threads_at_once():
    import threading

    model = MLP(3, [8, 1], seed=4)
    params = model.parameters()
    program = trace(lambda x, y: losses.mse(model(x), y), [0.0] * 3, 0.0)
    rng = np.random.default_rng(8)
    batches = [(_batch(rng, n, (3,)), rng.uniform(-1, 1, n)) for n in (5, 7, 5, 9)]
    want = [scalar_reference(lambda x, y: losses.mse(model(x), y), params, X, Y)[0] for X, Y in batches]
    got: dict[int, list] = {}

    def work(i):
        X, Y = batches[i]
        got[i] = [program(X, Y) for _ in range(50)]  # buffers are kept per thread

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, outs in got.items():
        for out in outs:
            assert_close(out, want[i])
