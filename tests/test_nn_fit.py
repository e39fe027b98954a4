"""nn.fit trains through one traced program (the same numbers as a loop written by hand);
nn.predict runs a model on a whole data set."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons

from autograd import Value, trace
from nn import MLP, DataLoader, fit, losses, one_hot, optim, predict


def test_fit_is_the_loop_over_batches_written_by_hand():
    X, y = make_moons(40, noise=0.1, random_state=0)
    labels = np.where(y == 1, 1.0, -1.0)
    model = MLP(2, [8, 1], activation="relu", seed=0)
    twin = copy.deepcopy(model)
    history = fit(model, losses.hinge, X, labels, optim.SGD(model.parameters(), lr=0.1),
                  epochs=3, batch_size=16, seed=5, progress=False)
    opt = optim.SGD(twin.parameters(), lr=0.1)
    program = trace(lambda x, t: losses.hinge(twin(x), t), X[0], labels[0])
    loader = DataLoader(X, labels, batch_size=16, shuffle=True, seed=5)
    means = []
    for _ in range(3):
        total = 0.0
        for xb, tb in loader:
            opt.zero_grad()
            total += program.backward(xb, tb).sum()
            opt.step()
        means.append(total / len(X))
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert history == pytest.approx(means, rel=1e-12)


def test_fit_turns_class_labels_into_one_hot_for_cross_entropy():
    X, y = make_blobs(90, centers=3, cluster_std=0.6, random_state=1)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, losses.cross_entropy, X, y, optim.Adam(model.parameters(), lr=0.05),
                  epochs=15, batch_size=10, progress=False)
    assert history[-1] < history[0] / 4
    assert (predict(model, X).argmax(axis=1) == y).mean() == 1.0
    # the same loss on one-hot rows given directly
    again = MLP(2, [8, 3], seed=0)
    same = fit(again, losses.cross_entropy, X, one_hot(y, 3), optim.Adam(again.parameters(), lr=0.05),
               epochs=15, batch_size=10, progress=False)
    assert same == pytest.approx(history, rel=1e-12)


def test_fit_learns_two_moons_with_hinge_loss():
    X, y = make_moons(200, noise=0.1, random_state=0)
    labels = np.where(y == 1, 1.0, -1.0)
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    fit(model, losses.hinge, X, labels, optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=20, batch_size=20, progress=False)
    assert ((predict(model, X) > 0) == (y == 1)).mean() >= 0.95


def test_fit_shows_a_progress_bar(capsys):
    model = MLP(1, [1], seed=0)
    fit(model, losses.mse, [[0.0], [1.0]], [0.0, 1.0], optim.SGD(model.parameters(), lr=0.1),
        epochs=2, batch_size=1, progress=True)
    assert "training" in capsys.readouterr().err


def test_fit_refuses_bad_arguments():
    model = MLP(1, [1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, losses.mse, [[0.0]], [0.0], opt, epochs=0)
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        fit(model, losses.mse, [[0.0], [1.0]], [0.0], opt)


def test_predict_gives_every_sample_s_outputs():
    model = MLP(3, [4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(10, 3))
    want = [[v.data for v in model([Value(a) for a in x])] for x in X]
    np.testing.assert_allclose(predict(model, X, batch_size=3), want, rtol=1e-12)
    single = MLP(3, [4, 1], seed=0)
    assert predict(single, X).shape == (10,)
    with pytest.raises(ValueError, match="batch of samples"):
        predict(model, [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------
# fit keeps the parameters in one array: the same numbers as the loop on Values
# ---------------------------------------------------------------------------


def _loop_on_values(model, loss, X, y, opt, batch_size, n_batches, seed=None, shuffle=False):
    """The per-step loop on live Values for the first `n_batches` batches (across epochs)."""
    program = trace(lambda x, t: loss(model(x), t), X[0], y[0])
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    done = 0
    while done < n_batches:
        for xb, tb in loader:
            if done == n_batches:
                break
            opt.zero_grad()
            program.backward(xb, tb)
            opt.step()
            done += 1


def _regression(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    return X, np.sin(X @ [1.0, -2.0, 0.5])


OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.02, weight_decay=0.05),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("sizes", [[6, 1], [1]])  # the program's parameter order differs, or not
def test_fit_on_a_flat_array_gives_the_parameters_and_grads_of_the_loop_on_values(make_opt, sizes):
    X, y = _regression()
    model = MLP(3, sizes, activation="tanh", seed=2)
    twin = copy.deepcopy(model)
    fit(model, losses.mse, X, y, make_opt(model.parameters()), epochs=3, batch_size=8,
        shuffle=True, seed=4, progress=False)
    _loop_on_values(twin, losses.mse, X, y, make_opt(twin.parameters()), 8, 3 * 4, seed=4, shuffle=True)
    np.testing.assert_allclose([p.data for p in model.parameters()],
                               [p.data for p in twin.parameters()], rtol=1e-12, atol=0)
    # .grad: the last batch's mean gradient, as the loop leaves it
    np.testing.assert_allclose([p.grad for p in model.parameters()],
                               [p.grad for p in twin.parameters()], rtol=1e-12, atol=1e-300)


class _Watched(optim.SGD):
    """SGD that records the Values' numbers at each update, and can be interrupted."""

    def __init__(self, params, interrupt_at=None):
        super().__init__(params, lr=0.1, momentum=0.5)
        self.seen, self.interrupt_at = [], interrupt_at

    def update(self, theta, grad, where=None):
        if len(self.seen) == self.interrupt_at:
            raise KeyboardInterrupt  # before this step changes anything: Ctrl-C
        self.seen.append([p.data for p in self.params])
        super().update(theta, grad, where)


def test_fit_writes_the_values_back_once_per_epoch():
    X, y = _regression(12)
    model = MLP(3, [4, 1], seed=0)
    opt = _Watched(model.parameters())
    fit(model, losses.mse, X, y, opt, epochs=3, batch_size=4, progress=False)
    # three batches per epoch: the Values change between epochs, never within one
    epochs = [opt.seen[i : i + 3] for i in (0, 3, 6)]
    for seen in epochs:
        assert seen[0] == seen[1] == seen[2]
    assert epochs[0][0] != epochs[1][0] != epochs[2][0]


@pytest.mark.parametrize("stop_at", [2, 5])  # in the first epoch, and in the second
def test_fit_interrupted_mid_epoch_leaves_the_model_at_the_last_completed_step(stop_at):
    X, y = _regression(12)
    model = MLP(3, [4, 1], seed=0)
    twin = copy.deepcopy(model)
    with pytest.raises(KeyboardInterrupt):
        fit(model, losses.mse, X, y, _Watched(model.parameters(), stop_at), epochs=3,
            batch_size=4, shuffle=False, progress=False)
    _loop_on_values(twin, losses.mse, X, y, _Watched(twin.parameters()), 4, stop_at)
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]


def test_fit_failing_on_a_batch_leaves_the_model_at_the_last_completed_step():
    X, y = _regression(12)
    y[9] = -3.0  # batch 2 of 3 holds a target whose log fails

    def loss(pred, t):
        return losses.mse(pred, t) + 0.1 * (t + 2.0).log()

    model = MLP(3, [4, 1], seed=0)
    twin = copy.deepcopy(model)
    with pytest.raises(ValueError, match=r"log\(-1(\.0)?\) at sample 1"):
        fit(model, loss, X, y, optim.Adam(model.parameters(), lr=0.1), epochs=2, batch_size=4,
            shuffle=False, progress=False)
    _loop_on_values(twin, loss, X, y, optim.Adam(twin.parameters(), lr=0.1), 4, 2)
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]


def test_fit_leaves_alone_parameters_the_loss_does_not_reach():
    X, y = _regression()
    model = MLP(3, [5, 1], seed=1)
    twin = copy.deepcopy(model)
    unused = Value(2.0, label="unused")
    unused.grad = 5.0  # a stale gradient: fit leaves 0.0, as zero_grad() before each batch would
    opt = optim.Adam([*model.parameters(), unused], lr=0.05, weight_decay=0.1)
    fit(model, losses.mse, X, y, opt, epochs=2, batch_size=10, seed=1, progress=False)
    # torch.optim skips a parameter without a gradient: no weight decay, no state
    assert (unused.data, unused.grad) == (2.0, 0.0)
    assert opt.state["step"][-1] == 0.0 and opt.state["step"][0] == 6.0
    fit(twin, losses.mse, X, y, optim.Adam(twin.parameters(), lr=0.05, weight_decay=0.1),
        epochs=2, batch_size=10, seed=1, progress=False)
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]


def test_fit_refuses_an_optimizer_without_the_loss_parameters():
    X, y = _regression(6)
    model = MLP(3, [2, 1], seed=0)
    head = model.layers[-1].parameters()
    with pytest.raises(ValueError, match=r"the loss depends on 8 parameter\(s\) the optimizer does not hold"):
        fit(model, losses.mse, X, y, optim.SGD(head, lr=0.1), progress=False)
    with pytest.raises(TypeError, match="fit: expected an nn.optim optimizer, got list"):
        fit(model, losses.mse, X, y, [optim.SGD(head, lr=0.1)], progress=False)
