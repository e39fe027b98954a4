"""The notebooks' picture helpers (notebooks/pictures.py): stepper frames cut down to the
step, drawings side by side."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from autograd import BackwardStepper, Value, draw_dot

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "pictures", Path(__file__).resolve().parents[1] / "notebooks" / "pictures.py")
assert _spec is not None and _spec.loader is not None
pictures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pictures)

RED = np.array([0xDC, 0x26, 0x26]) / 255  # the stepper's colour for the step's edges


def _deep() -> Value:
    """A tall chain: x -> tanh -> * 2 -> ... so a frame is much taller than one step."""
    x = Value(0.3, label="x")
    h = x
    for i in range(8):
        h = (h * 1.5).tanh()
        h.label = f"h{i}"
    return h


def _reds(image: np.ndarray) -> int:
    return int(np.sum(np.all(np.abs(image[..., :3] - RED) < 0.08, axis=-1)))


@pytest.fixture(autouse=True)
def _no_windows(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()) or plt.close("all"))
    return shown


def test_a_step_is_cut_to_its_corner_of_the_frame():
    stepper = BackwardStepper(_deep(), rankdir="TB")
    k = 8  # a step in the middle of the chain
    frame = pictures.png(stepper.frame(k, caption=False))
    corner = pictures._around_step(stepper.frame(k, caption=False))
    assert corner.shape[0] < frame.shape[0] / 2  # much less than the whole height
    assert _reds(corner) == _reds(frame) > 0  # every red pixel (the step) is inside


def test_show_steps_draws_the_chosen_steps_side_by_side(_no_windows):
    stepper = BackwardStepper(_deep(), rankdir="TB")
    pictures.show_steps(stepper, [1, 9], around=True)
    (fig,) = _no_windows
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes]
    assert titles[0].startswith("Step 1 of") and titles[1].startswith("Step 9 of")
    assert fig.get_size_inches()[0] * fig.dpi <= pictures.PAGE_PX + 1


@pytest.mark.parametrize("steps", [[0], [17], [1, 99]])
def test_show_steps_refuses_steps_it_does_not_have(steps):
    stepper = BackwardStepper(_deep(), rankdir="TB")
    with pytest.raises(IndexError, match=f"numbered 1 to {len(stepper)}"):
        pictures.show_steps(stepper, steps)


def test_show_frames_titles_each_drawing_by_its_settings(_no_windows):
    def draw(a, rankdir):
        x = Value(a, label="a")
        return draw_dot(x * x, rankdir=rankdir)

    pictures.show_frames(draw, [{"a": 1.0}, {"a": 2.5}])
    (fig,) = _no_windows
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["a = 1", "a = 2.5"]


def test_packed_brings_rows_closer():
    graph = draw_dot(_deep(), rankdir="TB")
    tall, short = (pictures.png(g).shape[0] for g in (graph, pictures.packed(graph)))
    assert short < tall
