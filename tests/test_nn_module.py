"""nn.Module: parameter discovery, dotted names, zero_grad, state dicts, repr, scopes."""

from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Value
from nn import MLP, Layer, Module, Neuron


class Affine(Module):
    """A hand-written module: own parameters (one Value, one list) and one child."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = Value(2.0)
        self.shifts = [Value(0.5), Value(-0.5)]
        self.inner = Neuron(2, "linear", seed=0)

    def forward(self, x):
        return self.inner(x) * self.scale + self.shifts[0]


def test_named_parameters_dotted_names_in_assignment_order():
    m = MLP(2, [16, 16, 1], seed=0)
    names = [name for name, _ in m.named_parameters()]
    assert len(names) == len(set(names)) == 337
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    named = dict(m.named_parameters())
    assert named["layers.0.neurons.3.w.1"] is m.layers[0].neurons[3].w[1]
    assert named["layers.1.neurons.15.w.15"] is m.layers[1].neurons[15].w[15]


def test_parameters_follow_named_parameters_order():
    m = MLP(3, [4, 2], seed=1)
    assert m.parameters() == [p for _, p in m.named_parameters()]
    assert all(type(p) is Value for p in m.parameters())


def test_custom_module_registers_values_lists_and_children():
    m = Affine()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "shifts.0", "shifts.1", "inner.w.0", "inner.w.1", "inner.b",
    ]
    assert [n for n, _ in m.named_children()] == ["inner"]
    out = m([1.0, 2.0])
    w = m.inner.w
    assert out.data == pytest.approx((w[0].data + 2 * w[1].data) * 2.0 + 0.5)


def test_reassigning_an_attribute_replaces_the_registration():
    m = Affine()
    m.scale = 3.0  # no longer a parameter
    assert "scale" not in dict(m.named_parameters())
    m.inner = Neuron(3, seed=0)
    assert len(m.parameters()) == 2 + 4


def test_shared_parameters_are_listed_once():
    m = Affine()
    m.inner.b = m.scale  # tied weights
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "shifts.0", "shifts.1", "inner.w.0", "inner.w.1"]


def test_module_without_super_init_fails_clearly():
    class Broken(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_forward_must_be_implemented():
    class Empty(Module):
        pass

    with pytest.raises(NotImplementedError):
        Empty()([1.0])


def test_zero_grad_resets_every_parameter():
    m = MLP(2, [4, 1], seed=0)
    m([0.5, -1.0]).backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_state_dict_is_a_copy_of_values():
    m = MLP(2, [3, 1], seed=0)
    state = m.state_dict()
    assert list(state) == [n for n, _ in m.named_parameters()]
    assert all(type(v) is float for v in state.values())
    state["layers.0.neurons.0.b"] = 123.0  # editing the copy changes nothing
    assert m.layers[0].neurons[0].b.data == 0.0


def test_load_state_dict_copies_values():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    assert a.state_dict() != b.state_dict()
    b.load_state_dict(a.state_dict())
    assert a.state_dict() == b.state_dict()
    assert a([0.3, 0.7]).data == b([0.3, 0.7]).data
    assert a.parameters()[0] is not b.parameters()[0]


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), ValueError,
         "missing parameter 'layers.1.neurons.0.b'"),
        (lambda s: s.update(extra=1.0), ValueError, "unknown parameter 'extra'"),
        (lambda s: s.update({"layers.1.neurons.0.b": math.nan}), ValueError, "finite"),
        (lambda s: s.update({"layers.1.neurons.0.b": -math.inf}), ValueError, "finite"),
        (lambda s: s.update({"layers.1.neurons.0.b": "1.0"}), TypeError,
         "layers.1.neurons.0.b: expected a number, got str"),
        (lambda s: s.update({"layers.1.neurons.0.b": True}), TypeError, "got bool"),
        (lambda s: s.update({"layers.1.neurons.0.b": None}), TypeError, "got NoneType"),
        (lambda s: s.update({"layers.1.neurons.0.b": Value(1.0)}), TypeError, "got Value"),
    ],
)
def test_load_state_dict_bad_entry_raises_and_changes_nothing(change, error, message):
    m = MLP(2, [3, 1], seed=0)
    before = m.state_dict()
    state = {name: value + 1.0 for name, value in before.items()}  # every entry would change
    change(state)
    with pytest.raises(error, match=message):
        m.load_state_dict(state)
    assert m.state_dict() == before


def test_load_state_dict_accepts_numpy_and_int_values():
    m = Neuron(2, seed=0)
    m.load_state_dict({"w.0": np.float32(0.5), "w.1": 2, "b": np.float64(-1.25)})
    assert m.state_dict() == {"w.0": 0.5, "w.1": 2.0, "b": -1.25}


def test_load_state_dict_rejects_a_non_mapping_with_type_error():
    m = Neuron(2, seed=0)
    before = m.state_dict()
    with pytest.raises(TypeError, match="load_state_dict: expected a mapping, got list"):
        m.load_state_dict([1.0, 2.0, 3.0])
    assert m.state_dict() == before


def test_repr_shows_the_architecture_like_pytorch():
    m = MLP(2, [16, 16, 1], activation="relu")
    assert repr(m) == (
        "MLP(\n"
        "  (layers.0): Layer(nin=2, nout=16, activation='relu')\n"
        "  (layers.1): Layer(nin=16, nout=16, activation='relu')\n"
        "  (layers.2): Layer(nin=16, nout=1, activation='linear')\n"
        ")"
    )
    assert repr(Neuron(3, "sigmoid")) == "Neuron(nin=3, activation='sigmoid')"
    assert "(inner): Neuron(nin=2, activation='linear')" in repr(Affine())


def test_scope_names_and_parents_are_set_when_children_are_built():
    m = MLP(2, [4, 4, 1], seed=0)
    assert (m.scope_name, m.scope_parent) == ("MLP", None)
    layer = m.layers[1]
    assert (layer.scope_name, layer.scope_parent) == ("layers.1", m)
    neuron = layer.neurons[3]
    assert (neuron.scope_name, neuron.scope_parent) == ("neurons.3", layer)
    lone = Layer(2, 2)
    assert (lone.scope_name, lone.scope_parent) == ("Layer", None)


def test_call_marks_outputs_with_the_innermost_module():
    m = Affine()
    out = m([1.0, 2.0])
    assert out._scope is m  # computed by Affine itself, after its child returned
    inner_out = out.parents[0].parents[0]  # (inner(x) * scale) + shift
    assert inner_out._scope is m.inner
    mlp = MLP(2, [3, 2], seed=0)
    outs = mlp([1.0, 2.0])
    assert [o._scope for o in outs] == mlp.layers[1].neurons  # claimed by the neurons first


# ---------------------------------------------------------------------------
# Configuration: what a module says about itself
# ---------------------------------------------------------------------------


def test_modules_without_config_show_no_arguments_and_cannot_describe_themselves():
    assert repr(Affine()).startswith("Affine(\n")
    assert Affine().extra_repr() == ""
    with pytest.raises(TypeError, match="cannot save a Affine: it defines no config"):
        Affine().config()


def test_extra_repr_comes_from_config():
    class Gain(Module):
        def __init__(self, k: float, name: str = "g") -> None:
            super().__init__()
            self.k, self.name = k, name

        def config(self):
            return {"k": self.k, "name": self.name}

    assert repr(Gain(2.5)) == "Gain(k=2.5, name='g')"


# ---------------------------------------------------------------------------
# Package structure
# ---------------------------------------------------------------------------

NN_DIR = Path(nn.__file__).resolve().parent


def _nn_imports(path: Path) -> tuple[set[str], list[int]]:
    """The nn modules a file imports at top level, and the lines of nn imports inside
    functions or classes (late imports)."""
    top, late = set(), []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested = {id(n) for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
              for n in ast.walk(node) if n is not node}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            targets = [node.module] if node.module else [a.name for a in node.names]
        else:
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                a.name for a in node.names]
            targets = [n.removeprefix("nn.") for n in names if n.startswith("nn.")]
        targets = [t.split(".")[0] for t in targets if (NN_DIR / f"{t.split('.')[0]}.py").exists()]
        if targets and id(node) in nested:
            late.append(node.lineno)
        top.update(targets)
    return top, late


def test_nn_imports_flow_one_way_with_no_late_imports():
    graph = {}
    for path in sorted(NN_DIR.glob("*.py")):
        imports, late = _nn_imports(path)
        assert not late, f"{path.name}: nn imported inside a function at lines {late}"
        graph[path.stem] = imports - {path.stem}
    # Kahn's algorithm: peel off modules that import nothing left; a cycle never peels.
    remaining = {name: set(deps) for name, deps in graph.items()}
    while True:
        leaves = [name for name, deps in remaining.items() if not deps]
        if not leaves:
            break
        for leaf in leaves:
            del remaining[leaf]
        for deps in remaining.values():
            deps.difference_update(leaves)
    assert not remaining, f"import cycle among {sorted(remaining)}"
    # The file format knows no module class: a new layer type needs no change there.
    assert graph["io"] == set()
    assert "io" in graph["module"] and "module" in graph["layers"]


def _import_nn(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(NN_DIR.parent)}
    return subprocess.run([sys.executable, "-c", "import nn; print(nn.MLP)"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_another_package_named_autograd_gets_a_clear_import_error(tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    assert _import_nn(clean).stdout.strip() == "<class 'nn.layers.MLP'>"  # the setup works
    shadowed = tmp_path / "shadowed"
    fake = shadowed / "autograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Stands in for HIPS autograd."""\n\n\n'
                                      'def grad(fun):\n    return fun\n')
    proc = _import_nn(shadowed)  # the current folder comes first on sys.path
    assert proc.returncode != 0
    assert "ImportError: nn needs graphgrad's autograd; another package named autograd " \
           "(HIPS autograd?) is installed at" in proc.stderr
    assert str(fake / "__init__.py") in proc.stderr
