"""The notebooks' picture helpers (notebooks/pictures.py): stepper frames cut down to the
step, drawings side by side."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from autograd import BackwardStepper, Value, draw_dot
from nn import MLP, losses

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


def _dark(image: np.ndarray) -> int:
    return int(np.sum(np.all(image[..., :3] < 0.45, axis=-1)))  # black, or the grey of "?"


def test_a_step_fades_the_neighbours_in_its_corner(monkeypatch):
    """Nodes and edges that are not part of the step are light grey, so a neighbour cut off
    at the window's edge does not read as part of the step; the step keeps its colours."""
    xs = [Value(float(i), label=f"x{i}") for i in range(4)]
    ws = [Value(0.5, label=f"w{i}") for i in range(4)]
    products = [x * w for x, w in zip(xs, ws)]  # side by side, each a neighbour of the next
    frame = BackwardStepper(sum(products).tanh(), rankdir="TB").frame(5, caption=False)
    corner = pictures._around_step(frame)
    monkeypatch.setattr(pictures, "_faded", lambda graph, keep, hidden=(): graph)
    plain = pictures._around_step(frame)
    assert corner.shape == plain.shape  # the same window: fading moves nothing
    assert _reds(corner) == _reds(plain) > 0
    assert np.all(corner[..., :3] >= plain[..., :3] - 0.03)  # fading only makes lighter
    assert 0 < _dark(corner) < _dark(plain) - 300  # the neighbour's text is no longer dark


def _small_graph():
    """tanh(a·b + a) drawn: the graph, its Graphviz layout, and node names by label."""
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    graph = draw_dot((c + a).tanh())
    layout = json.loads(graph.pipe(format="json"))
    names = {o["label"].split("|")[0].strip(" {"): o["name"] for o in layout["objects"]
             if "|" in o.get("label", "")}
    return graph, layout, names


def test_faded_greys_all_but_the_kept_nodes_and_keeps_the_layout():
    graph, layout, names = _small_graph()
    keep = {names["a"], names["b"]}
    faded = pictures._faded(graph, keep)
    again = json.loads(faded.pipe(format="json"))
    assert [o.get("pos") for o in again["objects"]] == [o.get("pos") for o in layout["objects"]]
    lines = {line.strip().split(" [")[0]: line for line in faded.body}
    for name in (names["a"], names["b"]):
        assert pictures.FADED_NODE not in lines[name]
    assert pictures.FADED_NODE in lines[names["c"]]
    assert all(pictures.FADED_EDGE in line for head, line in lines.items() if "->" in head)


def test_a_neighbour_cut_in_half_is_left_out_without_moving_anything():
    graph, layout, names = _small_graph()
    hidden = pictures._faded(graph, {names["a"]}, hidden={names["c"]})
    again = json.loads(hidden.pipe(format="json"))
    assert [o.get("pos") for o in again["objects"]] == [o.get("pos") for o in layout["objects"]]
    lines = {line.strip().split(" [")[0]: line for line in hidden.body}
    assert "style=invis" in lines[names["c"]] and "style=invis" not in lines[names["b"]]
    assert all("style=invis" in line for head, line in lines.items()
               if "->" in head and names["c"] in head.split(" -> "))


@pytest.mark.parametrize(("box", "cut"), [((0, 0, 10, 10), False), ((40, 40, 60, 60), True),
                                          ((60, 60, 70, 70), False), ((-15, 20, -5, 30), True)])
def test_cut_by_means_partly_inside_the_window(box, cut):
    assert pictures._cut_by(box, (-10, -10, 50, 50)) is cut


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


def _network() -> Value:
    """A 2-2-1 network's loss from sums and products: both inputs feed both hidden neurons."""
    x = [Value(0.05, label="x1"), Value(0.10, label="x2")]
    w = [Value(0.1 * (i + 1), label=f"w{i + 1}") for i in range(6)]
    h1 = (x[0] * w[0] + x[1] * w[1]).sigmoid()
    h2 = (x[0] * w[2] + x[1] * w[3]).sigmoid()
    return ((h1 * w[4] + h2 * w[5]).sigmoid() - 0.01) ** 2


def _layout(graph) -> dict:
    return json.loads(graph.pipe(format="json"))


def _start(edge: dict) -> str:
    """The point "x,y" where an edge of a Graphviz layout leaves its tail."""
    return next(p for p in edge["pos"].split() if not p[0].isalpha())


def _crossings(graph) -> int:
    """Pairs of edges (not sharing a node) whose control polygons cross, in Graphviz's layout."""
    layout = _layout(graph)
    edges = []
    for e in layout["edges"]:
        points = [tuple(float(v) for v in p.split(","))
                  for p in e["pos"].split() if not p[0].isalpha()]
        edges.append(({e["tail"], e["head"]}, list(zip(points, points[1:]))))

    def cross(s, t):  # proper intersection of two segments
        def side(a, b, c):
            return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        (p, q), (r, u) = s, t
        return side(p, q, r) * side(p, q, u) < 0 and side(r, u, p) * side(r, u, q) < 0

    return sum(1 for i, (ends, segs) in enumerate(edges) for ends2, segs2 in edges[i + 1:]
               if not ends & ends2 and any(cross(s, t) for s in segs for t in segs2))


def _labelled_mlp_loss() -> Value:
    """The hinge loss of MLP(2, [3, 1]) on one sample, leaves named n0.w0 ... out.b."""
    model = MLP(2, [3, 1], activation="relu", seed=1)
    names = ["n0", "n1", "n2", "out"]
    for name, neuron in zip(names, model.layers[0].neurons + model.layers[1].neurons):
        for j, w in enumerate(neuron.w):
            w.label = f"{name}.w{j}"
        neuron.b.label = f"{name}.b"
    x = [Value(0.5, label="x[0]"), Value(-1.2, label="x[1]")]
    return losses.hinge(model(x), Value(1.0, label="y"))


def _heights(graph) -> dict[str, float]:
    """Each named Value's height in Graphviz's layout (y grows upwards), by its label."""
    layout = _layout(graph)
    return {o["label"].split("|")[0].strip("{ "): float(o["pos"].split(",")[1])
            for o in layout["objects"] if o.get("label", "").startswith("{ ") and "pos" in o
            and not o["label"].startswith("{ data")}


def test_compact_mlp_drawing_puts_the_chosen_biases_a_row_below_their_weights():
    loss = _labelled_mlp_loss()
    plain, compact = draw_dot(loss, rankdir="TB"), pictures.compact_mlp_drawing(loss, ["n0", "n1"])
    assert {k: compact.graph_attr.get(k) for k in ("rankdir", "nodesep", "ranksep", "ordering",
            "mclimit")} == {"rankdir": "TB", "nodesep": "0.08", "ranksep": "0.25",
                            "ordering": "out", "mclimit": "0.1"}
    invisible = [line for line in compact.body if "style=invis" in line]
    assert len(invisible) == 4  # n0.w0, n0.w1 -> n0.b and n1.w0, n1.w1 -> n1.b
    was, now = _heights(plain), _heights(compact)
    assert was["n0.b"] == was["n0.w0"] == was["n2.b"]  # all first-layer leaves in one row
    for name in ("n0", "n1"):
        assert now[f"{name}.b"] < now[f"{name}.w0"] == now[f"{name}.w1"]
    assert now["n2.b"] == now["n2.w0"]  # a neuron not named keeps its bias beside its weights
    assert now["out.b"] < now["n0.w0"]  # the output neuron's leaves are lower anyway


def test_compact_mlp_drawing_names_a_neuron_it_cannot_find():
    with pytest.raises(ValueError, match="compact_mlp_drawing: no leaves labelled n7.w0 and n7.b"):
        pictures.compact_mlp_drawing(_labelled_mlp_loss(), ["n0", "n7"])


def test_untangled_lets_graphviz_order_inputs_to_cross_less():
    graph = draw_dot(_network(), rankdir="TB")
    assert "ordering" in graph.graph_attr
    tidy = pictures.untangled(graph)
    assert "ordering" not in tidy.graph_attr and "ordering" in graph.graph_attr  # a copy
    assert tidy.body == graph.body  # the same nodes and edges
    assert _crossings(tidy) < _crossings(graph)


def test_gradient_labels_sit_beside_the_parent_they_go_to():
    """Step 'a * w' passes two gradients up two edges that meet: each label goes next to its
    own parent, on the outer side, so the two are far apart."""
    a, w = Value(0.6, label="a"), Value(0.4, label="w")
    out = (a * w).tanh()
    stepper = BackwardStepper(out, rankdir="TB")
    k = [i for i in range(len(stepper)) if "a * w" in stepper.caption(i)][0]
    frame = stepper.frame(k, caption=False)
    moved = pictures._labels_beside_parents(frame)
    before = [e for e in _layout(frame)["edges"] if e.get("class") == "passed"]
    layout = _layout(moved)
    after = [e for e in layout["edges"] if e.get("class") == "passed"]
    slope = 1 - math.tanh(0.6 * 0.4) ** 2  # the gradient arriving at a * w
    expected = [f"{slope * 0.4:+.4f}", f"{slope * 0.6:+.4f}"]  # to a: times w; to w: times a
    assert [e.get("taillabel") for e in after] == [e["label"] for e in before] == expected

    def x(text):
        return float(text.split(",")[0])

    tails = [x(_start(e)) for e in after]  # where each edge leaves its parent
    labels = [x(e["tail_lp"]) for e in after]
    left, right = sorted(range(2), key=lambda i: tails[i])
    assert labels[left] < tails[left] and labels[right] > tails[right]  # the outer sides
    spread = abs(labels[0] - labels[1])
    assert spread > abs(x(before[0]["lp"]) - x(before[1]["lp"]))
    assert pictures._around_step(moved).shape[1] > 0  # the window holds the moved labels


def test_a_single_gradient_label_goes_to_the_right_of_its_edge():
    stepper = BackwardStepper((Value(2.0, label="x") * 3.0).tanh(), rankdir="TB")
    layout = _layout(pictures._labels_beside_parents(stepper.frame(0, caption=False)))
    (edge,) = [e for e in layout["edges"] if e.get("class") == "passed"]
    tail_x = float(_start(edge).split(",")[0])
    assert "label" not in edge and float(edge["tail_lp"].split(",")[0]) > tail_x


@pytest.mark.parametrize(
    ("name", "text"), [("w1", "$w_{1}$"), ("b1,2", "$b_{1,2}$"), ("a12", "$a_{12}$"), ("t", "$t$")])
def test_subscripted_writes_a_names_digits_small(name, text):
    assert pictures.subscripted(name) == text


def test_show_network_labels_every_arrow_and_bias(_no_windows):
    pictures.show_network([["x1", "x2"], ["a1,1", "a1,2"], ["a2"]],
                          weights=["w1", "w2", "w3", "w4", "w5", "w6"],
                          biases=["b1,1", "b1,2", "b2"], loss="L")
    (fig,) = _no_windows
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    for name in ["x1", "x2", "a1,1", "a1,2", "a2", "w1", "w6"]:
        assert texts.count(pictures.subscripted(name)) == 1
    assert "+ $b_{1,1}$" in texts and "+ $b_{2}$" in texts
    arrows = [a for a in ax.texts if a.get_text() == "" or a.get_text() == "L"]  # annotations
    assert len(arrows) == 6 + 1  # one per weight, and the one to the loss
    assert fig.get_size_inches()[0] * fig.dpi <= pictures.PAGE_PX + 1


def test_show_network_puts_each_weight_on_its_own_arrow(_no_windows):
    """w2 goes from x2 to the first neuron: its label lies on the segment between them."""
    pictures.show_network([["x1", "x2"], ["h1", "h2"]], weights=["w1", "w2", "w3", "w4"],
                          biases=["b1", "b2"])
    (fig,) = _no_windows
    (ax,) = fig.axes
    at = {t.get_text(): t.get_position() for t in ax.texts}
    (x0, y0), (x1, y1), (lx, ly) = at["$x_{2}$"], at["$h_{1}$"], at["$w_{2}$"]
    s = (lx - x0) / (x1 - x0)
    assert 0.5 < s < 0.9 and ly == pytest.approx(y0 + s * (y1 - y0))
    assert at["$w_{1}$"][1] == pytest.approx(at["$x_{1}$"][1])  # x1 to h1: level


def test_show_network_refuses_a_wrong_number_of_labels():
    with pytest.raises(ValueError, match="4 weights and 2 biases needed, got 3 and 2"):
        pictures.show_network([["x1", "x2"], ["h1", "h2"]], ["w1", "w2", "w3"], ["b1", "b2"])
