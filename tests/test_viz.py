"""draw_dot: the DOT it writes (nodes, edges, labels, colours), determinism, size guard."""

import dataclasses
import inspect
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from autograd import DrawOptions, Value, add_n, dot, draw_dot
from autograd.viz import (
    DEFAULT_MAX_NODES,
    INNER_COLOUR,
    LEAF_COLOUR,
    ROOT_COLOUR,
    GraphvizNotFoundError,
    drawing_order,
    format_number,
)
from nn import MLP, Neuron

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


# ---------------------------------------------------------------------------
# DrawOptions: one place for defaults and checks
# ---------------------------------------------------------------------------


def test_draw_options_defaults_are_draw_dots_defaults():
    options = DrawOptions()
    assert (options.rankdir, options.clusters, options.collapse_depth) == ("LR", True, None)
    assert (options.max_nodes, options.precision) == (DEFAULT_MAX_NODES, 4) == (300, 4)
    for name, parameter in inspect.signature(draw_dot).parameters.items():
        if name in {f.name for f in dataclasses.fields(DrawOptions)}:
            assert parameter.default == getattr(options, name), name
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.rankdir = "TB"  # type: ignore[misc]


@pytest.mark.parametrize(
    "field, value, error, message",
    [
        ("rankdir", "XY", ValueError, "rankdir must be one of LR, TB, RL, BT, got 'XY'"),
        ("rankdir", 1, TypeError, "rankdir must be a str, got int"),
        ("clusters", 1, TypeError, "clusters must be True or False, got 1"),
        ("collapse_depth", -1, ValueError, "collapse_depth must be at least 0 (or None), got -1"),
        ("collapse_depth", 1.0, TypeError, "collapse_depth must be an int or None, got float 1.0"),
        ("collapse_depth", True, TypeError, "collapse_depth must be an int or None, got bool"),
        ("max_nodes", 0, ValueError, "max_nodes must be at least 1 (or None), got 0"),
        ("max_nodes", "300", TypeError, "max_nodes must be an int or None, got str '300'"),
        ("precision", 18, ValueError, "precision must be from 0 to 17, got 18"),
        ("precision", 2.0, TypeError, "precision must be an int, got float"),
    ],
)
def test_draw_options_reject_bad_values_naming_the_option(field, value, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        DrawOptions(**{field: value})
    with pytest.raises(error, match="^draw_dot: " + re.escape(message)):  # same check, via keywords
        draw_dot(Value(1.0) * 2.0, **{field: value}, check_dot=False)


def test_draw_dot_takes_options_or_keywords_but_not_both():
    *_, y = neuron()
    options = DrawOptions(rankdir="TB", precision=2, max_nodes=20)
    by_keywords = draw_dot(y, "TB", precision=2, max_nodes=20)
    assert draw_dot(y, options=options).source == by_keywords.source
    assert "data 2.00 " in draw_dot(y, options=options).source
    with pytest.raises(TypeError, match="^draw_dot: pass rankdir, precision inside options="):
        draw_dot(y, "BT", precision=1, options=options)
    with pytest.raises(TypeError, match="options must be a DrawOptions, got dict"):
        draw_dot(y, options={"rankdir": "TB"})
    with pytest.raises(ValueError, match="more than max_nodes=5"):
        draw_dot(y, options=DrawOptions(max_nodes=5))


# ---------------------------------------------------------------------------
# Operands in argument order, measured on the SVG dot lays out
# ---------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"


def centres(svg: bytes) -> dict[str, tuple[float, float]]:
    """Node id (the SVG title) -> the centre of its drawn shape."""
    found = {}
    for g in ET.fromstring(svg).iter(SVG_NS + "g"):
        if "node" in (g.get("class") or "").split():
            points = [tuple(map(float, p.split(","))) for poly in g.iter(SVG_NS + "polygon")
                      for p in poly.get("points").split()]
            points += [(float(e.get("cx")), float(e.get("cy"))) for e in g.iter(SVG_NS + "ellipse")]
            found[g.find(SVG_NS + "title").text] = (
                sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)
            )
    return found


def misplaced_operands(root, rankdir: str, clusters: bool) -> list[list[str]]:
    """For each op, its leaf operands (labels) when they are not placed in argument order.

    Argument order is top to bottom in a left-right drawing, left to right in a top-bottom one.
    """
    pos = centres(draw_dot(root, rankdir, clusters=clusters, max_nodes=None).pipe(format="svg"))
    axis = 1 if rankdir in ("LR", "RL") else 0
    ids = {node: f"v{i}" for i, node in enumerate(drawing_order(root))}
    wrong = []
    for node in ids:
        leaves = [p for p in node.parents if p._op is None]
        if len(set(leaves)) == len(leaves) > 1:
            where = [pos[ids[p]][axis] for p in leaves]
            if where != sorted(where):
                wrong.append([p.label for p in leaves])
    return wrong


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_draw_dot_places_each_neurons_weights_then_bias_in_order(rankdir):
    model = MLP(3, [4, 4, 1], seed=0)  # the first layer folds its inputs; the others take Values
    loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    assert misplaced_operands(loss, rankdir, clusters=True) == []  # each neuron: w0 w1 w2 (w3) b


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_draw_dot_places_operands_in_order_without_clusters(rankdir):
    x1, x2 = Value(0.05, label="x1"), Value(0.1, label="x2")
    w = [Value(0.1 * (i + 1), label=f"w{i + 1}") for i in range(6)]
    a1 = (x1 * w[0] + x2 * w[1]).sigmoid()  # x1 and x2 feed two products each
    a2 = (x1 * w[2] + x2 * w[3]).sigmoid()
    out = a1 * w[4] + a2 * w[5]
    assert misplaced_operands(out, rankdir, clusters=False) == []
    assert misplaced_operands(Neuron(3, seed=1)([0.5, -1.0, 2.0]), rankdir, clusters=False) == []


def test_dot_lays_out_module_drawings_without_warnings():
    model = MLP(3, [4, 4, 1], seed=0)
    loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    for graph in (draw_dot(loss), draw_dot(loss, "TB"), draw_dot(loss, collapse_depth=1)):
        run = subprocess.run(["dot", "-Tsvg"], input=graph.source.encode(), capture_output=True)
        assert run.returncode == 0 and run.stderr == b""


def test_negative_zero_is_drawn_as_zero():
    from autograd.layout import format_number

    assert format_number(-0.0) == "0.0000" and format_number(-0.0, 2) == "0.00"
    assert format_number(-1e-3, 2) == "-1.00e-03"  # a real negative number keeps its sign
