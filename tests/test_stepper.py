"""The backward stepper: one frame per step in the engine's order, ending at the engine's grads."""

import re
import xml.etree.ElementTree as ET

import pytest

from autograd import BackwardStepper, Value, backward_steps
from autograd.engine import topological_order
from autograd.viz import drawing_order, format_number
from nn import MLP


def graph():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.88, label="b")
    h = (x * w + b).tanh()
    y = h * h + h  # fan-out: h's gradient arrives in two parts
    return x, w, b, h, y


def grad_text(source: str, node_id: str) -> str:
    line = next(line for line in source.splitlines() if line.strip().startswith(f"{node_id} [label="))
    return re.search(r"grad ([^ |}]+(?: …)?)", line).group(1)


def current_ids(source: str) -> list[str]:
    return [line.split()[0] for line in source.splitlines() if "current" in line and "class=" in line]


def test_stepper_has_one_frame_per_backward_step_in_the_engines_order():
    *_, y = graph()
    stepper = BackwardStepper(y)
    expected = [n for n in reversed(topological_order(y)) if n._op is not None]
    assert len(stepper) == len(expected) == 5
    assert [s.node for s in stepper.steps] == expected
    frames = list(backward_steps(y))
    assert len(frames) == 5 and all("digraph" in f.source for f in frames)


def test_stepper_last_frame_equals_the_engines_grads():
    x, w, b, h, y = graph()
    stepper = BackwardStepper(y)
    assert all(node.grad == 0.0 for node in topological_order(y))  # nothing touched
    last = stepper.frame(len(stepper) - 1).source
    y.backward()
    ids = {n: f"v{i}" for i, n in enumerate(drawing_order(y))}
    for node, g in stepper.grads.items():
        assert g == node.grad  # exactly: same rules, same order
        assert grad_text(last, ids[node]) == format_number(node.grad)
    assert "dashed" not in last  # every gradient known


def test_stepper_marks_current_node_and_pending_grads():
    x, w, b, h, y = graph()
    stepper = BackwardStepper(y)
    ids = {n: f"v{i}" for i, n in enumerate(drawing_order(y))}
    first = stepper.frame(0).source
    assert current_ids(first) == [ids[y], ids[y] + "op"]  # the root's add is processed first
    assert grad_text(first, ids[x]) == "?"  # not reached yet
    assert "dashed" in first
    # after step 1 (y = h*h + h), h has only its direct part: still accumulating
    assert grad_text(first, ids[h]).endswith("…")
    second = stepper.frame(1).source
    assert current_ids(second) != current_ids(first)
    assert 'label="+' in first  # the gradients passed are written on the edges


def test_stepper_captions_name_the_step():
    *_, y = graph()
    stepper = BackwardStepper(y)
    assert stepper.caption(0).startswith("Step 1 of 5: add(")
    assert "to x" in stepper.caption(4) and "to w" in stepper.caption(4)
    with pytest.raises(IndexError):
        stepper.frame(5)


def test_stepper_html_is_self_contained_with_every_frame(tmp_path):
    *_, y = graph()
    path = BackwardStepper(y).save_html(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.count('<div class="frame"') == 5
    assert page.count("<svg") == 5
    for control in ('id="prev"', 'id="next"', 'id="play"', 'type="range"'):
        assert control in page
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert "default-src 'none'" in page  # the page may fetch nothing
    # every SVG is well-formed, and ids are unique across frames
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    ids = []
    for svg in svgs:
        root = ET.fromstring(svg)
        ids += [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_stepper_on_an_mlp_matches_backward():
    model = MLP(2, [3, 1], seed=2)
    out = model([0.5, -1.0])
    stepper = BackwardStepper(out)
    out.backward()
    assert all(g == node.grad for node, g in stepper.grads.items())
    assert 'label="neurons.0 (Neuron)"' in stepper.frame(0).source  # clusters as in draw_dot


def test_stepper_on_a_leaf_has_no_steps_and_still_writes_a_page(tmp_path):
    x = Value(1.0, label="x")
    stepper = BackwardStepper(x)
    assert len(stepper) == 0 and stepper.grads == {x: 1.0}
    assert "root is a leaf" in stepper.to_html()


def test_stepper_shows_its_player_in_jupyter():
    *_, y = graph()
    shown = BackwardStepper(y)._repr_html_()
    assert re.fullmatch(r'<iframe srcdoc="[^"]*" style="[^"]*"></iframe>', shown)  # one clean attribute
    assert "&lt;svg" in shown


def test_stepper_repr_says_how_many_steps():
    from autograd import BackwardStepper, Value

    x = Value(0.5)
    y = (x * 2.0).tanh()
    assert repr(BackwardStepper(y)) == "BackwardStepper(2 steps from tanh(1))"
    assert repr(BackwardStepper(x)) == "BackwardStepper(0 steps from a leaf)"
