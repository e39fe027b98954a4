"""draw_dot on graphs made by modules: one cluster per module call, or collapsed boxes."""

import re
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, draw_dot
from autograd.engine import mark_outputs
from nn import MLP


class Block:
    """A stand-in module: anything with scope_name, scope_parent (and parameters) will do."""

    def __init__(self, name, parent=None, scale=1.0):
        self.scope_name = name
        self.scope_parent = parent
        self.w = Value(scale, label=f"{name}.w")

    def parameters(self):
        return [self.w]

    def __call__(self, x):
        out = (x * self.w).tanh()
        mark_outputs(out, self)
        return out


class Outer:
    """A stand-in module containing two Blocks."""

    def __init__(self):
        self.scope_name = "Outer"
        self.scope_parent = None
        self.first = Block("first", self)
        self.second = Block("second", self, 0.5)

    def parameters(self):
        return [self.first.w, self.second.w]

    def __call__(self, x):
        out = self.second(self.first(x) + 1.0)
        mark_outputs(out, self)
        return out


def clusters(source: str) -> dict[str, str]:
    """Cluster label -> the text of its body (nested clusters included; the last of a name wins)."""
    found = {}
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("subgraph cluster_"):
            depth, body = 0, []
            for inner in lines[i:]:
                depth += inner.count("{") - inner.count("\\{") - inner.count("}") + inner.count("\\}")
                body.append(inner)
                if depth == 0:
                    break
            m = re.search(r'label=(?:"([^"]*)"|(\S+))', body[1])
            found[m.group(1) or m.group(2)] = "\n".join(body)
    return found


def record_lines(source: str) -> list[str]:
    """The declarations of value records and module boxes."""
    return [line for line in source.splitlines() if 'class="value ' in line or "module-box" in line]


def sample_mlp(nouts=(16, 16, 1), seed=0):
    model = MLP(2, list(nouts), seed=seed)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    return model, loss


def test_stand_in_modules_become_nested_clusters_with_their_parameters():
    x = Value(0.3, label="x")
    model = Outer()
    y = model(x) * 2.0
    found = clusters(draw_dot(y).source)
    assert set(found) == {"Outer", "first (Block)", "second (Block)"}
    assert "first.w" in found["first (Block)"] and "second.w" in found["second (Block)"]
    assert "first (Block)" in found["Outer"] and "second (Block)" in found["Outer"]  # nested
    assert "{ x |" not in found["Outer"]  # an input stays outside
    assert "* 2" not in found["Outer"]  # so does what is computed after the call


def test_clusters_off_draws_a_flat_graph():
    model = Outer()
    y = model(Value(0.3))
    assert "subgraph" not in draw_dot(y, clusters=False).source


def test_mlp_flat_is_over_the_limit_and_the_error_suggests_collapsing():
    _, loss = sample_mlp()
    with pytest.raises(ValueError) as info:
        draw_dot(loss)
    message = str(info.value)
    assert "max_nodes=300" in message
    assert "collapse_depth=1 draws 7" in message


def test_mlp_collapsed_at_depth_1_reads_as_a_layer_diagram():
    _, loss = sample_mlp()
    src = draw_dot(loss, collapse_depth=1).source
    boxes = [line for line in record_lines(src) if "module-box" in line]
    assert [re.search(r"layers\.\d", b).group(0) for b in boxes] == ["layers.0", "layers.1", "layers.2"]
    assert [b.count("grad") for b in boxes] == [16, 16, 1]  # each output's data and grad
    assert set(clusters(src)) == {"MLP"}
    assert "16 values" in src  # one edge from layer to layer
    svg = ET.fromstring(draw_dot(loss, collapse_depth=1).pipe(format="svg"))
    assert svg.tag.endswith("svg")


def test_mlp_collapsed_box_shows_output_values():
    model, loss = sample_mlp()
    out = loss.parents[0].parents[0]  # the MLP's output, under `- 1.0` and `** 2`
    src = draw_dot(loss, collapse_depth=1).source
    box = next(line for line in record_lines(src) if "layers.2" in line)
    assert f"{out.data:.4f}" in box and f"grad {out.grad:.4f}" in box


def test_mlp_collapsed_at_depth_2_boxes_each_neuron_inside_layer_clusters():
    _, loss = sample_mlp()
    src = draw_dot(loss, collapse_depth=2).source
    boxes = [line for line in record_lines(src) if "module-box" in line]
    assert len(boxes) == 16 + 16 + 1
    assert set(clusters(src)) == {"MLP", "layers.0 (Layer)", "layers.1 (Layer)", "layers.2 (Layer)"}


def test_mlp_full_clusters_put_each_neurons_weights_inside_it():
    _, loss = sample_mlp(nouts=(3, 1))
    src = draw_dot(loss).source
    assert src.count("label=\"neurons.") == 4
    found = clusters(src)
    neuron = found["neurons.1 (Neuron)"]
    assert "{ w0 |" in neuron and "{ w1 |" in neuron and "{ b |" in neuron
    assert neuron.count('class="value ') == 3 + 2  # w0, w1, b, the weighted sum and its tanh


def test_two_calls_of_a_model_are_two_clusters():
    model = MLP(2, [3, 1], seed=1)
    loss = (model([0.5, -1.0]) - model([1.0, 2.0])) ** 2
    src = draw_dot(loss, collapse_depth=0).source
    boxes = [line for line in record_lines(src) if "module-box" in line]
    assert len(boxes) == 2 and all("MLP" in b for b in boxes)


def test_collapsing_without_clusters_draws_the_boxes_at_the_top_level():
    _, loss = sample_mlp(nouts=(3, 1))
    src = draw_dot(loss, clusters=False, collapse_depth=1).source
    assert "subgraph" not in src
    assert len([line for line in record_lines(src) if "module-box" in line]) == 2
