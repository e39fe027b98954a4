"""nn.losses against closed forms and finite differences, at extreme logits, with bad shapes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck
from nn import losses

logit = st.floats(-8.0, 8.0)
prob = st.floats(0.0, 1.0)


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


# ---------------------------------------------------------------------------
# mse
# ---------------------------------------------------------------------------


def test_mse_single_sample_and_gradient():
    p = Value(1.5)
    loss = losses.mse(p, 0.5)
    assert loss.data == 1.0
    loss.backward()
    assert p.grad == 2.0  # d (p - t)^2 = 2 (p - t)


def test_mse_batch_is_the_mean():
    ps = [Value(1.0), Value(2.0), Value(-1.0)]
    loss = losses.mse(ps, [0.0, 0.0, 1.0])
    assert loss.data == pytest.approx((1 + 4 + 4) / 3)
    loss.backward()
    assert [p.grad for p in ps] == pytest.approx([2 / 3, 4 / 3, -4 / 3])


@given(st.lists(st.tuples(logit, logit), min_size=1, max_size=5))
def test_mse_gradcheck(pairs):
    targets = [t for _, t in pairs]
    assert gradcheck(lambda *ps: losses.mse(list(ps), targets), [p for p, _ in pairs])


def test_mse_averages_over_every_output_of_multi_output_samples():
    preds = [[Value(1.0), Value(2.0)], [Value(0.0), Value(-1.0)]]
    loss = losses.mse(preds, [[0.0, 0.0], [0.0, 1.0]])
    assert loss.data == pytest.approx((1 + 4 + 0 + 4) / 4)
    with pytest.raises(ValueError, match="sample 1 has 2 predictions but 3 targets"):
        losses.mse(preds, [[0.0, 0.0], [0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="sample 0 has 2 predictions but 1 targets"):
        losses.mse(preds, [0.0, [0.0, 1.0]])


def test_mse_targets_may_be_values():
    p, t = Value(3.0), Value(1.0)
    losses.mse(p, t).backward()
    assert (p.grad, t.grad) == (4.0, -4.0)


def test_mse_of_plain_numbers_is_still_a_value():
    assert type(losses.mse(3.0, 1.0)) is Value and losses.mse(3.0, 1.0).data == 4.0


# ---------------------------------------------------------------------------
# hinge
# ---------------------------------------------------------------------------


def test_hinge_closed_form():
    scores = [Value(2.0), Value(0.5), Value(-0.5), Value(0.25)]
    labels = [1, 1, 1, -1]
    loss = losses.hinge(scores, labels)
    # max(0, 1 - y s): 0 (margin met), 0.5, 1.5, 1.25
    assert loss.data == pytest.approx((0 + 0.5 + 1.5 + 1.25) / 4)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, -0.25, 0.25]


@given(st.lists(st.tuples(logit, st.sampled_from([-1, 1])), min_size=1, max_size=5))
def test_hinge_gradcheck_away_from_the_kink(pairs):
    pairs = [(s, y) for s, y in pairs if abs(1 - y * s) > 1e-3]  # not differentiable there
    if pairs:
        labels = [y for _, y in pairs]
        assert gradcheck(lambda *ss: losses.hinge(list(ss), labels), [s for s, _ in pairs])


@pytest.mark.parametrize("label", [0, 2, 0.5, -1.5])
def test_hinge_rejects_labels_other_than_plus_minus_one(label):
    with pytest.raises(ValueError, match="labels must be"):
        losses.hinge([Value(1.0)], [label])


@pytest.mark.parametrize("label", ["1", True, None, [1]])
def test_hinge_rejects_labels_that_are_not_numbers(label):
    with pytest.raises((TypeError, ValueError)) as info:
        losses.hinge(Value(1.0), label)
    # a list against one score is a size mistake (ValueError); the rest are types
    assert isinstance(info.value, ValueError if isinstance(label, list) else TypeError)


# ---------------------------------------------------------------------------
# bce_with_logits
# ---------------------------------------------------------------------------


@given(st.lists(st.tuples(logit, prob), min_size=1, max_size=5))
def test_bce_with_logits_matches_the_textbook_formula(pairs):
    zs, ts = [z for z, _ in pairs], [t for _, t in pairs]
    expected = sum(
        -t * math.log(_sigmoid(z)) - (1 - t) * math.log(1 - _sigmoid(z)) for z, t in pairs
    ) / len(pairs)
    assert losses.bce_with_logits(zs, ts).data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *vs: losses.bce_with_logits(list(vs), ts), zs)


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    zs = [Value(0.3), Value(-2.0)]
    losses.bce_with_logits(zs, [1.0, 0.25]).backward()
    assert zs[0].grad == pytest.approx((_sigmoid(0.3) - 1.0) / 2)
    assert zs[1].grad == pytest.approx((_sigmoid(-2.0) - 0.25) / 2)


def test_bce_with_logits_is_finite_at_extreme_logits():
    z = Value(-1000.0)
    loss = losses.bce_with_logits(z, 1.0)  # -log sigmoid(-1000) = 1000
    assert loss.data == pytest.approx(1000.0)
    loss.backward()
    assert z.grad == pytest.approx(-1.0)
    assert losses.bce_with_logits(Value(1000.0), 1.0).data == pytest.approx(0.0, abs=1e-300)
    assert losses.bce_with_logits(Value(1000.0), 0.0).data == pytest.approx(1000.0)


@pytest.mark.parametrize("target", [-0.1, 1.5, math.nan, math.inf])
def test_bce_with_logits_rejects_targets_outside_0_1(target):
    with pytest.raises(ValueError, match="targets"):
        losses.bce_with_logits([0.0], [target])


@pytest.mark.parametrize("loss", [losses.mse, losses.hinge, losses.bce_with_logits])
@pytest.mark.parametrize("bad", ["1", True, None, object()])
def test_losses_raise_type_error_for_targets_or_predictions_that_are_not_numbers(loss, bad):
    with pytest.raises(TypeError, match="must be numbers or Values"):
        loss([Value(0.5)], [bad])
    with pytest.raises(TypeError, match="must be numbers or Values"):
        loss([bad], [1.0])


# ---------------------------------------------------------------------------
# softmax, log_softmax, cross_entropy
# ---------------------------------------------------------------------------


@given(st.lists(logit, min_size=1, max_size=6))
def test_softmax_and_log_softmax_closed_forms(zs):
    total = sum(math.exp(z) for z in zs)
    probs = losses.softmax(zs)
    assert [p.data for p in probs] == pytest.approx([math.exp(z) / total for z in zs])
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    logs = losses.log_softmax(zs)
    assert [v.data for v in logs] == pytest.approx([z - math.log(total) for z in zs], abs=1e-9)
    assert losses.logsumexp(zs).data == pytest.approx(math.log(total))


@given(st.lists(logit, min_size=2, max_size=6), st.data())
def test_softmax_gradcheck(zs, data):
    i = data.draw(st.integers(0, len(zs) - 1))
    assert gradcheck(lambda *vs: losses.softmax(list(vs))[i], zs)
    assert gradcheck(lambda *vs: losses.log_softmax(list(vs))[i], zs)


@given(st.lists(logit, min_size=1, max_size=6), st.data())
def test_cross_entropy_closed_form_and_gradcheck(zs, data):
    k = data.draw(st.integers(0, len(zs) - 1))
    expected = -math.log(math.exp(zs[k]) / sum(math.exp(z) for z in zs))
    assert losses.cross_entropy(zs, k).data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *vs: losses.cross_entropy(list(vs), k), zs)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    zs = [Value(1.0), Value(2.0), Value(0.5)]
    losses.cross_entropy(zs, 1).backward()
    probs = [p.data for p in losses.softmax([1.0, 2.0, 0.5])]
    assert [z.grad for z in zs] == pytest.approx([probs[0], probs[1] - 1, probs[2]])


def test_cross_entropy_is_finite_at_extreme_logits():
    zs = [Value(1000.0), Value(0.0)]
    wrong = losses.cross_entropy(zs, 1)
    assert wrong.data == pytest.approx(1000.0)
    wrong.backward()
    assert [z.grad for z in zs] == pytest.approx([1.0, -1.0])
    assert losses.cross_entropy([1000.0, 0.0], 0).data == pytest.approx(0.0, abs=1e-300)
    assert losses.cross_entropy([-1000.0, 1000.0, 0.0], 0).data == pytest.approx(2000.0)
    probs = losses.softmax([1000.0, 0.0])
    assert [p.data for p in probs] == [1.0, 0.0]


def test_cross_entropy_batch_is_the_mean():
    batch = [[1.0, 2.0], [0.0, 0.0, 3.0]]
    loss = losses.cross_entropy(batch, [0, 2])
    expected = (losses.cross_entropy(batch[0], 0).data + losses.cross_entropy(batch[1], 2).data) / 2
    assert loss.data == pytest.approx(expected)


def test_batched_losses_use_one_fused_sum():
    scores = [Value(0.1 * i) for i in range(100)]
    loss = losses.hinge(scores, [1] * 100)
    assert loss.op == "div_const"
    total = loss.parents[0]
    assert total.op == "add_n" and len(total.parents) == 100


# ---------------------------------------------------------------------------
# shape mistakes name the sizes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [losses.mse, losses.hinge, losses.bce_with_logits])
def test_batched_losses_reject_lengths_that_differ(loss):
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        loss([0.5, 0.5, 0.5], [1, 1])
    with pytest.raises(ValueError, match="empty batch"):
        loss([], [])
    with pytest.raises(ValueError, match="targets are not"):
        loss([0.5, 0.5], 1)


def test_cross_entropy_rejects_bad_targets_naming_the_sizes():
    with pytest.raises(ValueError, match="target 3 out of range for 3 classes"):
        losses.cross_entropy([0.1, 0.2, 0.3], 3)
    with pytest.raises(ValueError, match="target -1 out of range for 2 classes"):
        losses.cross_entropy([0.1, 0.2], -1)
    with pytest.raises(TypeError, match="class index"):
        losses.cross_entropy([0.1, 0.2], 1.0)
    with pytest.raises(TypeError, match="class index"):
        losses.cross_entropy([0.1, 0.2], Value(1.0))  # a traced label cannot index: one-hot
    with pytest.raises(ValueError, match="2 samples of logits but 3 targets"):
        losses.cross_entropy([[0.1, 0.2], [0.3, 0.4]], [0, 1, 1])
    with pytest.raises(ValueError, match="non-empty list of logits"):
        losses.cross_entropy([], 0)


# ---------------------------------------------------------------------------
# class-probability targets (one-hot), Value targets, numpy arrays
# ---------------------------------------------------------------------------


@given(st.lists(logit, min_size=2, max_size=6), st.data())
def test_cross_entropy_with_a_one_hot_target_equals_the_index_target(zs, data):
    k = data.draw(st.integers(0, len(zs) - 1))
    onehot = [1.0 if i == k else 0.0 for i in range(len(zs))]
    assert losses.cross_entropy(zs, onehot).data == pytest.approx(losses.cross_entropy(zs, k).data)


@given(st.lists(logit, min_size=2, max_size=5), st.data())
def test_cross_entropy_with_probabilities_closed_form_and_gradcheck(zs, data):
    raw = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(zs), max_size=len(zs)))
    total = sum(raw) or 1.0
    ts = [t / total for t in raw]
    log_total = math.log(sum(math.exp(z) for z in zs))
    expected = -sum(t * (z - log_total) for z, t in zip(zs, ts))
    assert losses.cross_entropy(zs, ts).data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *vs: losses.cross_entropy(list(vs), ts), zs)


def test_cross_entropy_with_value_targets_passes_gradients_to_them():
    zs = [Value(0.5), Value(-1.0), Value(2.0)]
    ts = [Value(0.0), Value(1.0), Value(0.0)]
    loss = losses.cross_entropy(zs, ts)
    assert loss.data == pytest.approx(losses.cross_entropy([0.5, -1.0, 2.0], 1).data)
    loss.backward()
    lse = math.log(sum(math.exp(z.data) for z in zs))
    assert [t.grad for t in ts] == pytest.approx([lse - z.data for z in zs])  # d/dt_i = lse - z_i


def test_cross_entropy_batches_of_probability_targets_and_their_errors():
    batch = [[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]]
    loss = losses.cross_entropy(batch, [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    expected = (losses.cross_entropy(batch[0], 1).data
                + 0.5 * losses.cross_entropy(batch[1], 0).data + 0.5 * losses.cross_entropy(batch[1], 2).data) / 2
    assert loss.data == pytest.approx(expected)
    with pytest.raises(ValueError, match="3 logits but a target of 2 class probabilities"):
        losses.cross_entropy(batch[0], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        losses.cross_entropy(batch[0], [1.5, -0.5, 0.0])
    with pytest.raises(TypeError, match="must be numbers or Values"):
        losses.cross_entropy(batch[0], ["a", 0.0, 1.0])
    with pytest.raises(TypeError, match="list of targets"):
        losses.cross_entropy(batch, 1)
    with pytest.raises(TypeError, match="list of logits"):
        losses.cross_entropy(3.0, 0)
    assert losses.cross_entropy([Value(1.0), Value(2.0)], [0.0, 0.0]).data == 0.0  # no class at all


def test_losses_take_numpy_arrays_and_numpy_numbers():
    np = pytest.importorskip("numpy")
    preds = [Value(0.5), Value(-0.5)]
    assert losses.mse(preds, np.array([1.0, 0.0])).data == pytest.approx((0.25 + 0.25) / 2)
    assert losses.hinge(preds, np.array([1, -1])).data == pytest.approx(0.5)
    assert losses.cross_entropy([0.0, 1.0], np.int64(1)).data == pytest.approx(
        losses.cross_entropy([0.0, 1.0], 1).data)
    assert losses.cross_entropy([0.0, 1.0], np.array([0.0, 1.0])).data == pytest.approx(
        losses.cross_entropy([0.0, 1.0], 1).data)


def test_hinge_and_mse_with_value_targets_are_the_same_numbers():
    for loss, t in ((losses.hinge, -1.0), (losses.mse, 0.25), (losses.bce_with_logits, 0.3)):
        s = Value(0.4)
        assert loss(s, Value(t)).data == pytest.approx(loss(0.4, t).data)


def test_logsumexp_is_one_node_that_shifts_by_the_largest_input():
    out = losses.logsumexp([Value(1000.0), Value(999.0), Value(-5.0)])
    assert out.op == "logsumexp" and len(out.parents) == 3
    assert out.data == pytest.approx(1000.0 + math.log(1.0 + math.exp(-1.0) + math.exp(-1005.0)))
