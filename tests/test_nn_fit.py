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
