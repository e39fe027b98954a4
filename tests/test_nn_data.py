"""nn.DataLoader: every sample once per pass, reproducible shuffling; nn.one_hot."""

from __future__ import annotations

import numpy as np
import pytest

from nn import DataLoader, one_hot


def test_each_pass_yields_every_sample_once_in_batches_of_the_given_size():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert np.concatenate([yb for _, yb in batches]).tolist() == list(range(10))  # no shuffle: in order
    for xb, yb in batches:
        assert (xb[:, 0] == 2 * yb).all()  # samples stay with their targets
    dropped = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(b) for _, b in dropped] == [4, 4]


def test_shuffling_is_seeded_and_changes_from_pass_to_pass():
    X, y = np.arange(50.0)[:, None], np.arange(50)

    def orders(seed):
        loader = DataLoader(X, y, batch_size=7, shuffle=True, seed=seed)
        return [np.concatenate([b for _, b in loader]).tolist() for _ in range(2)]

    first, second = orders(3)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    assert orders(3) == [first, second]
    assert orders(4) != [first, second]


def test_lists_are_accepted_and_batches_are_arrays():
    loader = DataLoader([[1, 2], [3, 4], [5, 6]], [1, -1, 1], batch_size=2)
    xb, yb = next(iter(loader))
    assert xb.tolist() == [[1, 2], [3, 4]] and yb.tolist() == [1, -1]
    assert "3 samples" in repr(loader)


def test_bad_data_sets_are_refused():
    with pytest.raises(ValueError, match="3 samples but 2 targets"):
        DataLoader([[1], [2], [3]], [1, 2])
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader([[1]], [1], batch_size=0)
    with pytest.raises(TypeError, match="numbers"):
        DataLoader([["a"]], [1])
    with pytest.raises(ValueError, match="no samples"):
        DataLoader(np.zeros((0, 2)), np.zeros(0))


def test_one_hot():
    assert one_hot([2, 0, 1], 3).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([1]), 2).dtype == float
    with pytest.raises(ValueError, match="label 3 out of range for 3 classes"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="label -1 out of range"):
        one_hot([-1], 3)
    with pytest.raises(TypeError, match="integers"):
        one_hot([0.5], 3)
