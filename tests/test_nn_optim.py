"""nn.optim: SGD and Adam against hand-computed steps and torch.optim's update rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn import optim

finite = st.floats(-1e6, 1e6)


def _run(opt, params, grads_per_step):
    """Set the gradients by hand and step, once per entry of grads_per_step."""
    history = []
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        history.append([p.data for p in params])
    return history


# ---------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------


@given(p0=finite, g=finite, lr=st.floats(0.0, 10.0))
def test_sgd_step_is_p_minus_lr_g_exactly(p0, g, lr):
    p = Value(p0)
    p.grad = g
    optim.SGD([p], lr=lr).step()
    assert p.data == p0 - lr * g


def test_sgd_momentum_first_and_second_steps():
    p = Value(2.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    # step 1: buf = g = 1.0            -> p = 2.0 - 0.1 * 1.0 = 1.9
    # step 2: buf = 0.9 * 1.0 + 0.5 = 1.4 -> p = 1.9 - 0.1 * 1.4 = 1.76
    (p1,), (p2,) = _run(opt, [p], [[1.0], [0.5]])
    assert p1 == pytest.approx(1.9, rel=1e-15)
    assert p2 == pytest.approx(1.76, rel=1e-15)


def test_sgd_momentum_with_weight_decay_first_and_second_steps():
    p = Value(2.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    # step 1: d = 1.0 + 0.1 * 2.0 = 1.2;  buf = 1.2;                  p = 2.0 - 0.12 = 1.88
    # step 2: d = 0.5 + 0.1 * 1.88 = 0.688; buf = 0.9 * 1.2 + 0.688 = 1.768; p = 1.88 - 0.1768
    (p1,), (p2,) = _run(opt, [p], [[1.0], [0.5]])
    assert p1 == pytest.approx(1.88, rel=1e-15)
    assert p2 == pytest.approx(1.7032, rel=1e-15)


def test_sgd_momentum_buffers_are_per_parameter():
    a, b = Value(0.0), Value(0.0)
    history = _run(optim.SGD([a, b], lr=1.0, momentum=0.5), [a, b], [[1.0, -2.0], [1.0, -2.0]])
    assert history == [[-1.0, 2.0], [-2.5, 5.0]]  # second step: buf = 0.5 * g + g


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------


def test_adam_first_and_second_steps_by_hand():
    p = Value(1.0)
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    # step 1, g = 0.5:  m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25
    #   p = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002
    # step 2, g = -1.0: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975
    #   m_hat = -0.055 / 0.19, v_hat = 0.00124975 / 0.001999
    #   p = 0.900000002 + 0.1 * 0.2894736842 / (0.7906880 + 1e-8) = 0.93661035424
    (p1,), (p2,) = _run(opt, [p], [[0.5], [-1.0]])
    assert p1 == pytest.approx(0.900000002, rel=1e-12)
    assert p2 == pytest.approx(0.9366103542405654, rel=1e-12)
    assert opt.t == 2


def test_adam_first_step_moves_each_parameter_by_about_lr():
    # m_hat / sqrt(v_hat) = g / |g| on the first step: the size of g does not matter
    ps = [Value(0.0), Value(0.0), Value(0.0)]
    (after,) = _run(optim.Adam(ps, lr=0.01), ps, [[1e-3, -50.0, 7.0]])
    assert after == pytest.approx([-0.01, 0.01, -0.01], rel=1e-4)


def _torch_adam_reference(p, grads, lr, betas, eps, weight_decay):
    """torch.optim.Adam's single-tensor update (2.x), written out op by op for floats."""
    beta1, beta2 = betas
    exp_avg = exp_avg_sq = 0.0
    out = []
    for step, g in enumerate(grads, start=1):
        if weight_decay != 0:
            g = g + weight_decay * p  # grad.add(param, alpha=weight_decay)
        exp_avg = exp_avg + (1 - beta1) * (g - exp_avg)  # exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * (g * g)  # mul_(b2).addcmul_(g, g, 1-b2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)
        denom = math.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        p = p + (-step_size) * (exp_avg / denom)  # param.addcdiv_(exp_avg, denom, -step_size)
        out.append(p)
    return out


@given(
    p0=st.floats(-10, 10),
    grads=st.lists(st.floats(-10, 10), min_size=1, max_size=6),
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.9999),
    weight_decay=st.sampled_from([0.0, 0.01, 0.5]),
)
def test_adam_matches_torch_update_rule_step_by_step(p0, grads, lr, beta1, beta2, weight_decay):
    p = Value(p0)
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=1e-8, weight_decay=weight_decay)
    got = [step[0] for step in _run(opt, [p], [[g] for g in grads])]
    assert got == _torch_adam_reference(p0, grads, lr, (beta1, beta2), 1e-8, weight_decay)


def test_adam_weight_decay_is_l2_added_to_the_gradient_not_adamw():
    p = Value(1.0)
    p.grad = 0.0
    optim.Adam([p], lr=0.1, weight_decay=0.5).step()
    # g = 0 + 0.5 * 1.0: a full Adam step of size lr (AdamW would move by lr * wd * p = 0.05)
    assert p.data == pytest.approx(0.9, rel=1e-6)


# ---------------------------------------------------------------------------
# Common behaviour
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps)])
def test_zero_grad_resets_gradients(make):
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    make(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_lr_is_mutable_between_steps():
    p = Value(0.0)
    opt = optim.SGD([p], lr=1.0)
    p.grad = 1.0
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data == -1.5 and opt.lr == 0.5


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_no_parameters_raises(cls):
    with pytest.raises(ValueError, match="no parameters"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        cls(iter([]), lr=0.1)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_negative_lr_raises_at_construction_and_on_assignment(cls):
    with pytest.raises(ValueError, match="lr"):
        cls([Value(1.0)], lr=-0.1)
    opt = cls([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = math.nan
    assert opt.lr == 0.1


@pytest.mark.parametrize("make, message", [
    (lambda ps: optim.SGD(ps, lr=math.inf), r"SGD\(lr\): expected a finite number >= 0"),
    (lambda ps: optim.Adam(ps, lr=math.nan), r"Adam\(lr\)"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), r"SGD\(momentum\)"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=math.nan), r"SGD\(momentum\)"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1.0), r"SGD\(weight_decay\)"),
    (lambda ps: optim.Adam(ps, weight_decay=math.inf), r"Adam\(weight_decay\)"),
    (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), r"betas\[0\]\): expected a number in \[0, 1\)"),
    (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda ps: optim.Adam(ps, betas=(0.9, math.nan)), r"betas\[1\]"),
    (lambda ps: optim.Adam(ps, betas=(0.9,)), r"Adam\(betas\): expected 2 numbers, got 1: \(0.9,\)"),
    (lambda ps: optim.Adam(ps, betas=[0.9, 0.99, 0.999]), r"Adam\(betas\): .* got 3"),
    (lambda ps: optim.Adam(ps, eps=-1e-8), r"Adam\(eps\)"),
    (lambda ps: optim.Adam(ps, eps=math.inf), r"Adam\(eps\)"),
    (lambda ps: optim.SGD([*ps, ps[0]], lr=0.1), "twice"),
])
def test_bad_hyperparameter_values_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


@pytest.mark.parametrize("make, message", [
    (lambda ps: optim.SGD(ps, lr="0.1"), r"SGD\(lr\): expected a number, got str '0.1'"),
    (lambda ps: optim.SGD(ps, lr=None), r"SGD\(lr\): expected a number, got NoneType"),
    (lambda ps: optim.Adam(ps, lr=True), r"Adam\(lr\): expected a number, got bool"),
    (lambda ps: optim.Adam(ps, lr=Value(0.1)), r"Adam\(lr\): expected a number, got Value"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum="0.9"), r"SGD\(momentum\)"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=[0.1]), r"SGD\(weight_decay\)"),
    (lambda ps: optim.Adam(ps, betas=0.9), r"Adam\(betas\): expected a pair of numbers"),
    (lambda ps: optim.Adam(ps, betas="ab"), r"Adam\(betas\)"),
    (lambda ps: optim.Adam(ps, betas=(0.9, "0.999")), r"Adam\(betas\[1\]\): expected a number"),
    (lambda ps: optim.Adam(ps, eps=None), r"Adam\(eps\)"),
    (lambda ps: optim.Adam(ps, weight_decay="0"), r"Adam\(weight_decay\)"),
    (lambda ps: optim.SGD([1.0], lr=0.1), "SGD: parameters must be Values, got float"),
    (lambda ps: optim.Adam(ps[0]), r"Adam: expected an iterable of Values \(e.g. model"),
    (lambda ps: optim.SGD(3, lr=0.1), "SGD: expected an iterable of Values"),
])
def test_bad_hyperparameter_types_raise_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make([Value(1.0)])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_lr_of_the_wrong_type_on_assignment_raises_and_keeps_the_old_one(cls):
    opt = cls([Value(1.0)], lr=0.1)
    with pytest.raises(TypeError, match="lr"):
        opt.lr = "0.5"
    assert opt.lr == 0.1


def test_hyperparameters_accept_numpy_numbers_and_ints():
    p = Value(1.0)
    opt = optim.Adam([p], lr=np.float32(0.5), betas=(0, np.float64(0.5)), eps=0, weight_decay=1)
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (0.5, (0.0, 0.5), 0.0, 1.0)
    assert all(type(x) is float for x in (opt.lr, *opt.betas, opt.eps, opt.weight_decay))
    sgd = optim.SGD([p], lr=1, momentum=np.float16(0.5))
    assert (sgd.lr, sgd.momentum) == (1.0, 0.5)


def test_optimizers_accept_module_parameters():
    from nn import MLP

    m = MLP(2, [3, 1], seed=0)
    opt = optim.Adam(m.parameters(), lr=0.01)
    before = m.state_dict()
    m([1.0, 2.0]).backward()
    opt.step()
    assert m.state_dict() != before


# ---------------------------------------------------------------------------
# The rules on arrays: step() on Values and update() on a flat array
# ---------------------------------------------------------------------------


def _torch_sgd_reference(p, grads, lr, momentum, weight_decay):
    """torch.optim.SGD's update (no dampening, no Nesterov), written out for floats."""
    buf = None
    out = []
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf = g if buf is None else momentum * buf + g  # first step: buf = clone(g)
            g = buf
        p = p - lr * g
        out.append(p)
    return out


OPTIMIZERS = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.3), _torch_sgd_reference, dict(lr=0.3, momentum=0.0, weight_decay=0.0)),
    "sgd-momentum-wd": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.05),
                        _torch_sgd_reference, dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    "adam": (lambda ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.99)), _torch_adam_reference,
             dict(lr=0.02, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.0)),
    "adam-wd": (lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1), _torch_adam_reference,
                dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
}


def _trajectories(n_params=6, n_steps=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n_params), rng.normal(size=(n_steps, n_params)) * 3.0


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_on_values_follows_torch_formulas_for_every_parameter(name):
    make, reference, hyper = OPTIMIZERS[name]
    p0, grads = _trajectories()
    ps = [Value(x) for x in p0]
    history = np.array(_run(make(ps), ps, grads.tolist()))  # (steps, params)
    for j, x in enumerate(p0):
        want = reference(float(x), grads[:, j].tolist(), **hyper)
        np.testing.assert_allclose(history[:, j], want, rtol=1e-12, atol=0)
    assert all(type(p.data) is float for p in ps)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_on_an_array_is_step_on_values_exactly(name):
    make, _, _ = OPTIMIZERS[name]
    p0, grads = _trajectories(seed=1)
    ps = [Value(x) for x in p0]
    on_values = _run(make(ps), ps, grads.tolist())
    opt = make([Value(x) for x in p0])
    theta = p0.copy()
    for step, g in enumerate(grads):
        opt.update(theta, g)
        assert theta.tolist() == on_values[step]
    assert [p.data for p in opt.params] == p0.tolist()  # update() leaves the Values alone


def test_state_is_arrays_with_torch_names():
    ps = [Value(1.0), Value(-2.0)]
    sgd = optim.SGD(ps, lr=0.1, momentum=0.5)
    _run(sgd, ps, [[1.0, 2.0], [1.0, 2.0]])
    assert sgd.state["momentum_buffer"].tolist() == [1.5, 3.0] == sgd.buffers.tolist()
    adam = optim.Adam(ps, lr=0.1, betas=(0.5, 0.75))
    _run(adam, ps, [[2.0, -4.0]])
    assert adam.state["step"].tolist() == [1.0, 1.0] and adam.t == 1
    assert adam.m.tolist() == [1.0, -2.0]  # (1 - 0.5) g
    assert adam.v.tolist() == [1.0, 4.0]  # (1 - 0.75) g^2


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_where_skips_parameters_and_their_state_as_torch_skips_none_grads(name):
    make, _, _ = OPTIMIZERS[name]
    p0, grads = _trajectories(seed=2)
    keep = np.array([True, False, True, True, False, True])
    opt, alone = make([Value(x) for x in p0]), make([Value(x) for x in p0[keep]])
    theta, theta_alone = p0.copy(), p0[keep].copy()
    for g in grads:
        opt.update(theta, g, where=keep)
        alone.update(theta_alone, g[keep])
    assert theta[~keep].tolist() == p0[~keep].tolist()  # no step at all, weight decay included
    assert theta[keep].tolist() == theta_alone.tolist()  # the others as if they were alone
    for key, array in opt.state.items():
        assert array[keep].tolist() == alone.state[key].tolist()
        assert not array[~keep].any()  # state untouched (still zeros)


def test_adam_counts_steps_per_parameter_when_some_were_skipped():
    p0 = np.array([0.5, -1.0])
    opt = optim.Adam([Value(x) for x in p0], lr=0.1, weight_decay=0.01)
    theta = p0.copy()
    grads = [[0.3, 0.0], [-0.2, 0.0], [0.4, 0.7], [0.1, -0.5]]
    for g in grads[:2]:
        opt.update(theta, np.array(g), where=np.array([True, False]))
    for g in grads[2:]:
        opt.update(theta, np.array(g))
    assert opt.state["step"].tolist() == [4.0, 2.0] and opt.t == 4
    hyper = dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    first = _torch_adam_reference(0.5, [g[0] for g in grads], **hyper)[-1]
    second = _torch_adam_reference(-1.0, [g[1] for g in grads[2:]], **hyper)[-1]  # its steps 1, 2
    np.testing.assert_allclose(theta, [first, second], rtol=1e-12, atol=0)


def test_update_refuses_bad_arrays():
    opt = optim.SGD([Value(1.0), Value(2.0)], lr=0.1)
    with pytest.raises(TypeError, match=r"theta must be a float64 numpy array of shape \(2,\)"):
        opt.update([1.0, 2.0], [0.0, 0.0])  # a list cannot be changed in place
    with pytest.raises(TypeError, match="got int64"):
        opt.update(np.array([1, 2]), [0.0, 0.0])
    with pytest.raises(TypeError, match=r"shape \(2,\)"):
        opt.update(np.zeros(3), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"SGD.update\(grad\): expected shape \(2,\).*got \(3,\)"):
        opt.update(np.zeros(2), [0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match=r"SGD.update\(grad\): expected an array of numbers"):
        opt.update(np.zeros(2), ["a", "b"])
    with pytest.raises(TypeError, match=r"SGD.update\(where\): expected 2 booleans"):
        opt.update(np.zeros(2), [0.0, 0.0], where=[0, 1])


def test_a_subclass_without_a_rule_says_so():
    class Frozen(optim.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="Frozen does not define its update rule"):
        Frozen([Value(1.0)], lr=0.1).step()


def test_import_nn_does_not_import_numpy():
    import subprocess
    import sys

    code = "import sys, nn; from nn import optim; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
