"""draw_dot: the DOT it writes (nodes, edges, labels, colours), determinism, size guard."""

import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, add_n, dot, draw_dot
from autograd.viz import (
    INNER_COLOUR,
    LEAF_COLOUR,
    ROOT_COLOUR,
    GraphvizNotFoundError,
    drawing_order,
    format_number,
)

NODE = re.compile(r"^\s*(v\d+(?:op)?|m\d+) \[label=")
EDGE = re.compile(r"^\s*(\S+) -> (\S+)")


def nodes(source: str) -> dict[str, str]:
    """Node id -> its whole declaration line."""
    return {m.group(1): line for line in source.splitlines() if (m := NODE.match(line))}


def edges(source: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for line in source.splitlines() if (m := EDGE.match(line))]


def label(line: str) -> str:
    return re.search(r'label="((?:[^"\\]|\\.)*)"|label=(\S+)', line).group(0)


def neuron():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    return x, w, b, y


def test_draw_dot_one_record_per_value_and_one_node_per_op():
    *_, y = neuron()
    src = draw_dot(y).source
    found = nodes(src)
    records = [k for k in found if not k.endswith("op")]
    ops = [k for k in found if k.endswith("op")]
    assert len(records) == 6  # x, w, b, x*w, x*w + b, tanh
    assert len(ops) == 3
    # one edge per parent into each op, one from each op to its value
    assert len(edges(src)) == 2 + 1 + 2 + 1 + 1 + 1


def test_draw_dot_records_show_label_data_and_grad():
    x, w, b, y = neuron()
    y.backward()
    found = nodes(draw_dot(y).source)
    lines = "\n".join(found.values())
    assert "{ x | data 2.0000 | grad -1.5029 }" in lines
    assert "{ w | data -3.0000 | grad 1.0019 }" in lines
    assert "{ b | data 6.8800 | grad 0.5010 }" in lines
    assert "{ y | data 0.7064 | grad 1.0000 }" in lines
    assert sorted(label(v) for k, v in found.items() if k.endswith("op")) == [
        'label="*"', 'label="+"', "label=tanh"
    ]


def test_draw_dot_edges_follow_parent_order_and_repeat_for_a_plus_a():
    a = Value(1.0, label="a")
    b = Value(3.0, label="b")
    q = a / b
    s = a + a
    out = q * s
    src = draw_dot(out).source
    ids = {n: f"v{i}" for i, n in enumerate(drawing_order(out))}
    e = edges(src)
    into_div = [t for t, h in e if h == ids[q] + "op"]
    assert into_div == [ids[a], ids[b]]  # numerator first
    assert [t for t, h in e if h == ids[s] + "op"] == [ids[a], ids[a]]  # a + a: two edges
    assert [t for t, h in e if h == ids[out] + "op"] == [ids[q], ids[s]]


def test_draw_dot_shows_folded_constants_on_the_op():
    x = Value(3.0, label="x")
    out = add_n([x * 2.0, 2.0 / x, x**3, 2.0**x, x + 6.88, dot([x, x], [0.5, -1.0])])
    ops = [label(v) for k, v in nodes(draw_dot(out).source).items() if k.endswith("op")]
    for text in ["* 2", "2 /", "** 3", "2 **", "+ 6.88", "· (0.5, -1)", "Σ"]:
        assert any(text in op for op in ops), (text, ops)


def test_draw_dot_colours_leaves_intermediates_and_root():
    x, w, b, y = neuron()
    found = nodes(draw_dot(y).source)
    ids = {n: f"v{i}" for i, n in enumerate(drawing_order(y))}
    assert f'fillcolor="{LEAF_COLOUR}"' in found[ids[x]]
    assert f'fillcolor="{ROOT_COLOUR}"' in found[ids[y]]
    assert f'fillcolor="{INNER_COLOUR}"' in found[ids[y.parents[0]]]


def test_draw_dot_escapes_record_characters_in_labels():
    x = Value(1.0, label='a|b{c}<d>"e"')
    src = draw_dot(x * 2.0).source
    assert r"a\|b\{c\}\<d\>\"e\"" in src


def test_draw_dot_svg_is_xml_with_every_node():
    *_, y = neuron()
    svg = draw_dot(y).pipe(format="svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert {"v0", "v5", "v5op"} <= set(titles)


def test_draw_dot_rankdir_and_bad_rankdir():
    *_, y = neuron()
    assert "rankdir=TB" in draw_dot(y, "TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, "XY")


def test_draw_dot_deep_chain_needs_no_recursion():
    x = Value(1.0, label="x")
    y = x
    for _ in range(3000):  # deeper than the default recursion limit
        y = y * 1.0001
    assert sys.getrecursionlimit() <= 3000
    src = draw_dot(y, max_nodes=None, check_dot=False).source
    assert len(nodes(src)) == 3001 + 3000


def test_draw_dot_refuses_a_graph_above_the_limit_naming_count_and_options():
    x = Value(1.0)
    y = x
    for _ in range(200):
        y = y + 1.0
    with pytest.raises(ValueError) as info:
        draw_dot(y)
    message = str(info.value)
    assert "401 nodes" in message and "max_nodes=300" in message
    assert "collapse_depth" in message and "max_nodes=401" in message
    assert len(nodes(draw_dot(y, max_nodes=401).source)) == 401


def test_draw_dot_says_how_to_install_graphviz_when_dot_is_missing(monkeypatch):
    *_, y = neuron()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        draw_dot(y)
    assert "digraph" in draw_dot(y, check_dot=False).source  # the source needs no Graphviz


def test_format_number_fixed_precision():
    assert format_number(0.70642) == "0.7064"
    assert format_number(-3) == "-3.0000"
    assert format_number(1.5e9) == "1.5000e+09"
    assert format_number(float("nan")) == "nan"
    assert format_number(None) == "?"


SCRIPT = textwrap.dedent(
    """
    import sys
    from autograd import Value, draw_dot
    from nn import MLP
    x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(6.88, label="b")
    y = (x * w + b).tanh() + x * x
    y.backward()
    m = MLP(2, [4, 4, 1], seed=3)
    loss = (m([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    out = sys.stdout.buffer
    for g in (draw_dot(y), draw_dot(loss), draw_dot(loss, collapse_depth=1)):
        out.write(g.source.encode() + b"\\0" + g.pipe(format="svg") + b"\\0")
    """
)


def test_draw_dot_is_byte_identical_across_processes():
    runs = [
        subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0].count(b"<svg") == 3
