"""autograd.testing: `expressions` draws varied, finite, checkable formulas whose repr is the
formula, shrinks a planted failure to a short one, and takes user primitives; Hypothesis is
needed by this module only."""

from __future__ import annotations

import ast
import collections
import math
import operator
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find, given, settings

from autograd import PRIMITIVES, Value, gmath, primitive
from autograd.ops import UNARY, Op
from autograd.testing import Expression, GradcheckError, check_grads, expressions

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_import_autograd_does_not_import_hypothesis():
    done = _run("import sys, autograd; print('hypothesis' in sys.modules)")
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_without_hypothesis_the_import_error_says_how_to_install():
    # sys.modules[name] = None makes `import name` fail as if it were not installed
    done = _run("import sys; sys.modules['hypothesis'] = None; import autograd.testing")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "ImportError: autograd.testing needs hypothesis: pip install 'graphgrad[testing]'"
    )


# ---------------------------------------------------------------------------
# Reading a formula back: a small interpreter over `ast` (numbers, x0..xn, + - * / **,
# lists, and the rows as functions on floats), to show that repr says what f computes.
# ---------------------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


FUNCTIONS = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs, "sin": math.sin,
    "cos": math.cos, "tanh": math.tanh, "sigmoid": _sigmoid,
    "relu": lambda x: max(x, 0.0), "leaky_relu": lambda x, c: x if x > 0 else c * x,
    "softplus": lambda x: math.log1p(math.exp(x)), "silu": lambda x: x * _sigmoid(x),
    "softsign": lambda x: x / (1 + abs(x)), "step": lambda x: 1.0 if x > 0 else 0.0,
    "add_n": lambda *xs: sum(xs), "dot": lambda ws, xs: sum(map(operator.mul, ws, xs)),
    "affine": lambda ws, xs, b: sum(map(operator.mul, ws, xs)) + b,
    "dot_const": lambda xs, cs: sum(map(operator.mul, xs, cs)),
    "logsumexp": lambda *xs: math.log(sum(map(math.exp, xs))),
}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.Div: operator.truediv, ast.Pow: operator.pow}


def _read(node, point):
    if isinstance(node, ast.Expression):
        return _read(node.body, point)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_read(node.operand, point)
    if isinstance(node, ast.Name):
        return point[int(node.id[1:])]
    if isinstance(node, ast.BinOp):
        return OPERATORS[type(node.op)](_read(node.left, point), _read(node.right, point))
    if isinstance(node, ast.List):
        return [_read(e, point) for e in node.elts]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), ast.dump(node)
    return FUNCTIONS[node.func.id](*[_read(a, point) for a in node.args])


@settings(max_examples=300, deadline=None)
@given(expressions(n_inputs=3, max_ops=12))
def test_expressions_are_finite_checkable_and_read_as_written(expr):
    assert isinstance(expr, Expression) and 1 <= expr.n_ops <= 12
    assert len(expr.args) == 3
    out = expr.f(*[Value(x) for x in expr.args])
    assert math.isfinite(out.data) and out.data == expr.value
    formula, at = repr(expr).rsplit(" at ", 1)
    assert formula == expr.formula and at == f"({', '.join(map(repr, expr.args))})"
    read_back = _read(ast.parse(formula, mode="eval"), expr.args)
    assert read_back == pytest.approx(expr.value, rel=1e-9, abs=1e-12)
    assert check_grads(expr.f, expr.args, order=2)


def test_expressions_use_every_row_of_the_table():
    seen: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[int] = collections.Counter()
    formulas: set[str] = set()

    # (the built-in rows: other tests may have added rows of their own to the table)
    @settings(max_examples=450, derandomize=True, database=None, deadline=None)
    @given(expressions(ops=PRIMITIVES, n_inputs=3, max_ops=12))
    def draw(expr):
        seen.update(expr.ops)
        sizes[expr.n_ops] += 1
        formulas.add(expr.formula)

    draw()
    assert set(seen) == {op.name for op in PRIMITIVES}  # the fused n-ary rows too
    assert len(formulas) >= 200
    assert max(sizes) >= 10 and sum(n for size, n in sizes.items() if size >= 4) >= 80


def test_expressions_keep_to_the_given_rows():
    @settings(max_examples=50, database=None, deadline=None)
    @given(expressions(ops=["log", "mul", "dot_const"], n_inputs=2, max_ops=5))
    def draw(expr):
        assert set(expr.ops) <= {"log", "mul", "dot_const"} and expr.n_ops <= 5
        assert all(re.fullmatch(r"x[01]", name) for name in re.findall(r"\bx\d+\b", expr.formula))

    draw()


bad_tanh = Op("bad_tanh", "tanh", UNARY, math.tanh,
              lambda g, out, x: (g * (1.0 - out),),  # the slip: 1 - out instead of 1 - out²
              "tanh x", "1 - out (wrong)")


def _fails(expr):
    try:
        check_grads(expr.f, expr.args, order=1, modes=("rev",))
    except GradcheckError:
        return True
    return False


def test_a_planted_wrong_rule_shrinks_to_a_short_formula():
    expr = find(
        expressions(ops=["add", "mul", "sin", "exp", bad_tanh], n_inputs=2, max_ops=8),
        _fails,
        settings=settings(database=None, derandomize=True, max_examples=1000),
    )
    assert expr.n_ops == 1 and re.fullmatch(r"bad_tanh\(x[01]\)", expr.formula), repr(expr)


def _forget(name):
    """Take a user row out of the table again (tests leave the table as they found it)."""
    from autograd import extend, ops

    ops._REGISTRY.pop(name, None)
    extend._USER_FUNCTIONS.pop(name, None)


def test_user_primitives_are_drawn_where_their_forward_succeeds():
    # a user row whose domain expressions cannot know: it learns it from forward's errors
    def forward(x):
        if x <= 0.1:
            raise ValueError("needs x > 0.1")
        return gmath.log(x) * x

    log_x = primitive("xlogx_test", forward, lambda g, out, x: (g * (gmath.log(x) + 1.0),))
    primitive("mean3_expr_test", lambda x, y, z: (x + y + z) / 3.0,
              lambda g, out, x, y, z: (g / 3.0, g / 3.0, g / 3.0))
    used = collections.Counter()
    try:
        @settings(max_examples=100, database=None, deadline=None)
        @given(expressions(ops=[log_x.op, "mean3_expr_test", "add", "sin"], n_inputs=2, max_ops=6))
        def draw(expr):
            used.update(expr.ops)
            assert check_grads(expr.f, expr.args, order=2)

        draw()
    finally:
        _forget("xlogx_test")
        _forget("mean3_expr_test")
    assert used["xlogx_test"] > 0 and used["mean3_expr_test"] > 0


def test_user_primitives_are_kept_away_from_their_kinks():
    # a kink at 0 nobody declared: points where relu_test's input is within reach of 0
    # (where central differences straddle the kink) must not be drawn; the coordinates
    # shrink toward 0.0, so without the probe the first examples would fail
    primitive("relu_test", lambda x: max(x, 0.0), lambda g, out, x: (g * (1.0 if x > 0 else 0.0),))
    inputs_to_relu = []
    try:
        @settings(max_examples=150, database=None, deadline=None)
        @given(expressions(ops=["relu_test", "add", "mul_const"], n_inputs=2, max_ops=5))
        def draw(expr):
            out = expr.f(*expr.args)
            stack = [out]
            while stack:  # every input of a relu_test node in the graph
                node = stack.pop()
                if node.op == "relu_test":
                    inputs_to_relu.append(node.parents[0].data)
                stack.extend(node.parents)
            assert check_grads(expr.f, expr.args, order=2)

        draw()
    finally:
        _forget("relu_test")
    assert inputs_to_relu and min(abs(x) for x in inputs_to_relu) >= 1e-3


def test_expressions_argument_errors():
    with pytest.raises(ValueError, match="no primitive named 'nope'"):
        expressions(ops=["nope"])
    with pytest.raises(TypeError, match="names or Op rows"):
        expressions(ops=[3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="empty"):
        expressions(ops=[])
    with pytest.raises(ValueError, match="n_inputs"):
        expressions(n_inputs=0)
    with pytest.raises(ValueError, match="max_ops"):
        expressions(max_ops=0)


# ---------------------------------------------------------------------------
# The README's example, run as the pytest file a user would copy it into
# ---------------------------------------------------------------------------

README_SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split(
    "## Property-testing your gradients\n", 1)[1].split("\n## ", 1)[0]


def _block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", README_SECTION, re.S)
    assert found, f"no {language} block in the README's property-testing section"
    return found.group(1)


def _pytest(tmp_path, source: str) -> str:
    (tmp_path / "test_readme_example.py").write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    return done.stdout + done.stderr


def test_readme_example_passes_as_a_pytest_file(tmp_path):
    out = _pytest(tmp_path, _block("python"))
    assert "2 passed" in out, out


def test_readme_example_catches_the_slip_the_readme_shows(tmp_path):
    source = _block("python").replace("g * 2 / math.sqrt", "g / math.sqrt")
    assert source != _block("python")
    out = _pytest(tmp_path, source)
    assert "2 failed" in out, out
    for line in _block("text").splitlines():
        if line.strip() != "...":
            assert line in out  # the table the README shows is the one check_grads prints
    assert "expr=erf(x0) at (0.0, 0.0, 0.0)" in README_SECTION and "expr=erf(x0) at (0.0, 0.0, 0.0)" in out
