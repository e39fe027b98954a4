"""The backward stepper: one frame per step in the engine's order, ending at the engine's grads."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import BackwardStepper, DrawOptions, Value, backward_steps, draw_dot
from autograd.engine import topological_order
from autograd.viz import drawing_order, format_number
from nn import MLP, Neuron


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
    # y = h*h + h with h = tanh(0.88) = 0.7064: the root's add comes first
    assert stepper.caption(0) == (
        "Step 1 of 5: 0.499 + 0.7064 has grad 1.0000 and passes 1.0000 to input 1, "
        "1.0000 to input 2"
    )
    # the last step is x * w = -6: dy/dx = w * dy/d(xw) and dy/dw = x * dy/d(xw)
    last = stepper.steps[4]
    assert stepper.caption(4) == (
        f"Step 5 of 5: x * w has grad {last.grad:.4f} and passes "
        f"{-3.0 * last.grad:.4f} to x, {2.0 * last.grad:.4f} to w"
    )
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


# ---------------------------------------------------------------------------
# Captions, edge labels, the overlay, options and the size limit
# ---------------------------------------------------------------------------


def seed_network():
    """Two inputs, two sigmoid hidden units, one sigmoid output, squared error: 18 steps."""
    x1, x2 = Value(0.05, label="x1"), Value(0.10, label="x2")
    w = [Value(v, label=f"w{i}") for i, v in enumerate([0.15, 0.2, 0.25, 0.3, 0.4, 0.45], 1)]
    a1 = (x1 * w[0] + x2 * w[1] + Value(0.35, label="b1")).sigmoid()
    a2 = (x1 * w[2] + x2 * w[3] + Value(0.35, label="b2")).sigmoid()
    a1.label, a2.label = "a1", "a2"
    out = (a1 * w[4] + a2 * w[5] + Value(0.6, label="b3")).sigmoid()
    loss = 0.5 * (out - 0.01) ** 2
    loss.label = "L"
    return loss


INTERNAL_NAMES = re.compile(r"\b(add|mul|div|pow|add_const|mul_const|pow_const|sigmoid|value)\b")


@pytest.mark.parametrize("make", [graph, seed_network], ids=["fan-out", "seed network"])
def test_stepper_captions_use_drawn_symbols_and_distinct_operand_names(make):
    made = make()
    root = made[-1] if isinstance(made, tuple) else made
    stepper = BackwardStepper(root)
    for k, step in enumerate(stepper.steps):
        caption = stepper.caption(k)
        assert not INTERNAL_NAMES.search(caption), caption  # `mul(…)`, `the mul value`: gone
        sent = caption.split(" and passes ", 1)[1]
        names = [part.split(" to ", 1)[1] for part in sent.split(", ")]
        assert len(names) == len(step.passed)
        assert len(set(names)) == len(names), caption  # each operand named apart


def test_stepper_caption_of_a_square_names_both_inputs_apart():
    h = Value(-6.0)
    y = h * h
    caption = BackwardStepper(y).caption(0)
    assert caption == (
        "Step 1 of 1: (-6) * (-6) has grad 1.0000 and passes -6.0000 to input 1, -6.0000 to input 2"
    )


def test_stepper_caption_puts_a_label_with_spaces_in_parentheses():
    a = Value(0.75, label="a")
    e = a - 0.01
    e.label = "a - t"
    square = e**2
    square.label = "(a - t)²"
    caption = BackwardStepper(square).caption(0)
    assert caption.startswith("Step 1 of 2: (a - t)² = (a - t) ** 2 has grad 1.0000")
    assert caption.endswith("to a - t")  # a name on its own needs no parentheses


def test_stepper_captions_of_the_seed_network_read_as_the_drawing():
    stepper = BackwardStepper(seed_network())
    captions = [stepper.caption(k) for k in range(len(stepper))]
    assert captions[0].startswith("Step 1 of 18: L = 0.5496 * 0.5 has grad 1.0000 and passes")
    assert captions[0].endswith("to its input")
    assert any(c.startswith("Step 3 of 18: ") and "+ (-0.01)" in c for c in captions)
    assert any(": σ(" in c for c in captions)  # sigmoid drawn as σ
    assert any(" a1 * w5 has grad " in c and "to a1, " in c and "to w5" in c for c in captions)


def test_stepper_edge_labels_carry_the_sign_of_the_gradient():
    x, w, b, h, y = graph()
    stepper = BackwardStepper(y)
    last = stepper.frame(len(stepper) - 1).source  # x * w passes w*g to x and x*g to w
    labels = re.findall(r'label="?([^" ]+)"? class=passed', last)
    g = stepper.steps[-1].grad
    assert labels == [format_number(-3.0 * g), "+" + format_number(2.0 * g)]
    assert labels[0].startswith("-") and "+-" not in last


def test_stepper_overlay_keeps_the_drawing_and_ends_with_backwards_grads():
    *_, y = graph()
    stepper = BackwardStepper(y)
    plain = draw_dot(y).source
    ids = set(re.findall(r"^\s*(v\d+(?:op)?) \[", plain, flags=re.M))
    for k in range(len(stepper)):
        frame = stepper.frame(k, caption=False).source
        assert set(re.findall(r"^\s*(v\d+(?:op)?) \[", frame, flags=re.M)) == ids
        assert len(current_ids(frame)) == 2  # one value and its op, nothing else
    overlay = stepper.overlay(len(stepper) - 1)
    y.backward()
    order = drawing_order(y)
    assert overlay.grads == {f"v{i}": format_number(n.grad) for i, n in enumerate(order)}


def test_stepper_takes_options_as_keywords_or_a_drawoptions():
    *_, y = graph()
    by_keywords = BackwardStepper(y, "TB", precision=2)
    by_options = BackwardStepper(y, options=DrawOptions(rankdir="TB", precision=2))
    assert by_keywords.frame(1).source == by_options.frame(1).source
    assert "rankdir=TB" in by_options.frame(1).source and "grad 1.00 " in by_options.frame(0).source
    with pytest.raises(ValueError, match="BackwardStepper: every frame draws every node"):
        BackwardStepper(y, options=DrawOptions(collapse_depth=1))
    with pytest.raises(ValueError, match="^BackwardStepper: precision must be from 0 to 17"):
        BackwardStepper(y, precision=-1)
    with pytest.raises(TypeError, match="^BackwardStepper: pass rankdir inside options="):
        BackwardStepper(y, "TB", options=DrawOptions())


def test_stepper_refuses_a_graph_over_max_nodes_like_draw_dot():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    with pytest.raises(ValueError) as stepper_error:
        BackwardStepper(loss)
    with pytest.raises(ValueError) as draw_error:
        draw_dot(loss, clusters=True)
    nodes = topological_order(loss)
    size = sum(2 if n._op is not None else 1 for n in nodes)  # a record per value, an op per op
    for error, caller in [(stepper_error, "BackwardStepper"), (draw_error, "draw_dot")]:
        assert str(error.value).startswith(
            f"{caller}: the graph has {size} nodes to draw, more than max_nodes=300"
        )
    assert f"max_nodes={size} draws it all" in str(stepper_error.value)
    assert len(BackwardStepper(loss, max_nodes=size, max_steps=None)) == sum(
        1 for n in topological_order(loss) if n._op is not None
    )


def test_stepper_refuses_more_steps_than_a_person_can_follow():
    model = MLP(2, [8, 8, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    steps = sum(1 for n in topological_order(loss) if n._op is not None)
    assert steps > 30
    with pytest.raises(ValueError, match=rf"takes {steps} steps, more than max_steps=30.*"
                                         r"one neuron on one sample.*max_steps=None"):
        BackwardStepper(loss, max_steps=30)
    assert len(BackwardStepper(loss, max_steps=steps)) == steps


def test_readme_stepper_example_is_a_small_graph_with_nonzero_gradients():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "neuron = Neuron(3, seed=0)" in readme
    assert "loss = (neuron([0.5, -1.0, 2.0]) - 1.0) ** 2" in readme
    neuron = Neuron(3, seed=0)
    loss = (neuron([0.5, -1.0, 2.0]) - 1.0) ** 2
    stepper = BackwardStepper(loss, rankdir="TB")
    assert len(stepper) == 4  # ** 2, + (-1), tanh, the weighted sum
    assert all(stepper.grads[p] != 0.0 for p in neuron.parameters())
    shown = stepper.caption(3).split(" to w0")[0] + " to w0"  # the README quotes it
    assert shown in " ".join(readme.split())
