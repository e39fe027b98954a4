"""The command line, end to end through subprocess, and a fuzz of its formula parser."""

import ast
import contextlib
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import DrawOptions
from autograd.cli import FormulaError, build_parser, compute, functions, main, parse_formula
from autograd.options import RANKDIRS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-m", "autograd", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_cli_prints_value_and_gradients_and_writes_svg(tmp_path):
    out = tmp_path / "graph.svg"
    r = run("tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "tanh(x*w + b) = 0.706419"
    assert lines[2].split() == ["x", "2", "-1.50292"]
    assert lines[3].split() == ["w", "-3", "1.00194"]
    assert lines[4].split() == ["b", "6.88", "0.500972"]
    assert ET.parse(out).getroot().tag.endswith("svg")


def test_cli_formats_rankdir_and_steps(tmp_path):
    r = run("log(x) * sin(y) + 2 ** x", "x=2", "y=1", "-o", "g.dot", "--rankdir", "TB",
            "--steps", "steps.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    source = (tmp_path / "g.dot").read_text()
    assert source.startswith("digraph") and "rankdir=TB" in source and "{ x | data 2.0000" in source
    assert (tmp_path / "steps.html").read_text().count('<div class="frame"') == 5
    r = run("x * x", "x=3", "-o", "g.out", "--format", "png", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "g.out").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args, message",
    [
        (["tanh(x*w + )", "x=1", "w=2"], "error: syntax error"),
        (["tanh(x*q)", "x=1"], "unknown name 'q': give it a value (q=1.5)"),
        (["x + y", "x=1"], "unknown name 'y'"),
        (["x", "x=abc"], "variable 'x': 'abc' is not a number"),
        (["x", "x"], "expected NAME=NUMBER, got 'x'"),
        (["x", "x=nan"], "not a finite number"),
        (["x.__class__", "x=1"], "attribute access"),
        (["x[0]", "x=1"], "indexing"),
        (["x // 2", "x=1"], "operator not allowed: //"),
        (["'a'", "x=1"], "only numbers are allowed as constants"),
        (["foo(x)", "x=1"], "unknown function 'foo'; allowed functions: exp, log, sqrt"),
        (["tanh(x, x)", "x=1"], "tanh() takes 1 argument, got 2"),
        (["log(x)", "x=-1"], "cannot compute: log(-1.0): math domain error"),
        (["__import__('os').system('echo hacked')"], "only functions called by name"),
        (["-x", "x=1"], "a formula starting with - needs -- before it"),
        (["x", "x=1", "--format", "gif"], "invalid choice: 'gif'"),
        (["x", "x=1", "--format", "png"], "--format png needs -o FILE"),
    ],
)
def test_cli_bad_input_is_one_clear_error_with_status_2(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_cli_syntax_error_has_a_caret_under_the_column():
    r = run("tanh(x*w + )", "x=1", "w=2")
    error, line, caret = r.stderr.splitlines()
    assert line == "  tanh(x*w + )"
    assert caret.index("^") == line.index(")")


def test_cli_unknown_name_caret_points_at_the_name():
    r = run("x + sin(zz)", "x=1")
    _, line, caret = r.stderr.splitlines()
    assert caret.index("^") == line.index("zz")


def test_cli_help_shows_examples():
    r = run("--help")
    assert r.returncode == 0
    assert "examples:" in r.stdout and 'python -m autograd "tanh(x*w + b)"' in r.stdout


# ---------------------------------------------------------------------------
# Fuzz: whatever the formula, a result or a clean error; never code execution.
# ---------------------------------------------------------------------------

EXEC_EVENTS: list[str] = []
WATCHING = [False]


def _audit(event: str, args: tuple) -> None:
    # "exec" is raised by exec()/eval() of code; "os.system" and "subprocess.Popen" by shells
    if WATCHING[0] and event in ("exec", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn"):
        EXEC_EVENTS.append(event)


sys.addaudithook(_audit)


def check_clean(text: str) -> None:
    """The CLI's main() on `text` ends in status 0 or 2, never an exception or code execution."""
    sink = io.StringIO()
    WATCHING[0] = True
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            status = main(["--", text, "x=1.5", "w=-0.5", "b=2"])
    finally:
        WATCHING[0] = False
    assert "Traceback" not in sink.getvalue()
    assert status in (0, 2)
    assert EXEC_EVENTS == []


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_random_strings_never_crash(text):
    check_clean(text)


ALPHABET = "xwb0123456789.+-*/()_ eE,[]'\"ajlnostg:=<>!%@&|^~"


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fuzz_formula_like_strings_never_crash(text):
    check_clean(text)


NAMES = ["x", "w", "b", "q", "__import__", "os", "eval", "exec", "open", *functions()]


def asts() -> st.SearchStrategy[ast.expr]:
    leaves = st.one_of(
        st.builds(ast.Constant, st.one_of(
            st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
            st.booleans(), st.none(), st.text(max_size=3), st.complex_numbers(max_magnitude=5),
        )),
        st.builds(ast.Name, st.sampled_from(NAMES), st.just(ast.Load())),
    )
    ops = st.sampled_from([ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.Pow(), ast.FloorDiv(),
                           ast.Mod(), ast.MatMult(), ast.BitXor()])
    unary = st.sampled_from([ast.USub(), ast.UAdd(), ast.Not(), ast.Invert()])

    def extend(inner: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
        return st.one_of(
            st.builds(ast.BinOp, inner, ops, inner),
            st.builds(ast.UnaryOp, unary, inner),
            st.builds(ast.Call, st.builds(ast.Name, st.sampled_from(NAMES), st.just(ast.Load())),
                      st.lists(inner, max_size=3), st.just([])),
            st.builds(ast.Call, st.builds(ast.Attribute, inner, st.sampled_from(["system", "real"]),
                                          st.just(ast.Load())), st.lists(inner, max_size=2), st.just([])),
            st.builds(ast.Attribute, inner, st.sampled_from(["__class__", "data"]), st.just(ast.Load())),
            st.builds(ast.Subscript, inner, inner, st.just(ast.Load())),
            st.builds(ast.Compare, inner, st.just([ast.Lt()]), st.lists(inner, min_size=1, max_size=1)),
            st.builds(ast.Tuple, st.lists(inner, max_size=2), st.just(ast.Load())),
            st.builds(ast.IfExp, inner, inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@FUZZ
@given(asts())
def test_fuzz_random_asts_give_a_result_or_a_clean_error(tree):
    text = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    check_clean(text)
    # the checker alone, on the tree itself (no text): a FormulaError or nothing
    try:
        compute(text, {"x": 1.5, "w": -0.5, "b": 2.0})
    except FormulaError:
        pass


def allowed_asts() -> st.SearchStrategy[ast.expr]:
    leaves = st.one_of(
        st.builds(ast.Constant, st.floats(-100, 100) | st.integers(-100, 100)),
        st.builds(ast.Name, st.sampled_from(["x", "w", "b"]), st.just(ast.Load())),
    )
    ops = st.sampled_from([ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.Pow()])
    unary_functions = [name for name in functions() if name != "leaky_relu"]

    def extend(inner: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
        return st.one_of(
            st.builds(ast.BinOp, inner, ops, inner),
            st.builds(ast.UnaryOp, st.just(ast.USub()), inner),
            st.builds(ast.Call, st.builds(ast.Name, st.sampled_from(unary_functions), st.just(ast.Load())),
                      st.lists(inner, min_size=1, max_size=1), st.just([])),
        )

    return st.recursive(leaves, extend, max_leaves=10)


@FUZZ
@given(allowed_asts())
def test_fuzz_allowed_formulas_compute_or_name_the_arithmetic_problem(tree):
    text = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    try:
        result, variables = compute(text, {"x": 1.5, "w": -0.5, "b": 2.0})
    except FormulaError as exc:
        assert str(exc).startswith("cannot compute: ")  # log(-1), 0 ** -1, overflow …
    else:
        assert set(variables) == {"x", "w", "b"}
        assert isinstance(result.data, float)


def test_formula_that_tries_to_run_code_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    for text in [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "eval('1')",
        "(lambda: 1)()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ]:
        check_clean(text)
        with pytest.raises(FormulaError):
            parse_formula(text)
    assert not marker.exists()


def test_deep_nesting_and_long_formulas_are_clean_errors_or_results():
    check_clean("-" * 1990 + "x")
    check_clean("(" * 300 + "x" + ")" * 300)
    check_clean("x+" * 1500 + "x")
    check_clean("1" * 5000)
    check_clean("x\x00")


# ---------------------------------------------------------------------------
# Drawing options come from DrawOptions
# ---------------------------------------------------------------------------


def test_cli_drawing_options_come_from_drawoptions():
    actions = {a.dest: a for a in build_parser()._actions}
    defaults = DrawOptions()
    assert tuple(actions["rankdir"].choices) == RANKDIRS
    assert actions["rankdir"].default == defaults.rankdir
    assert actions["max_nodes"].default == defaults.max_nodes
    help_text = " ".join(build_parser().format_help().split())
    assert f"(default {defaults.max_nodes})" in help_text and "{LR,TB,RL,BT}" in help_text


def test_cli_max_nodes_is_checked_by_drawoptions_and_applies_to_steps(tmp_path):
    r = run("x * x", "x=3", "-o", "g.svg", "--max-nodes", "0", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "error: --max-nodes 0: max_nodes must be at least 1 (or None), got 0\n"
    r = run("x * x + x", "x=3", "--steps", "s.html", "--max-nodes", "4", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "s.html").exists()
    assert "BackwardStepper: the graph has 5 nodes to draw, more than max_nodes=4" in r.stderr
    r = run("x * x + x", "x=3", "--steps", "s.html", "--max-nodes", "5", "--rankdir", "TB",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.html").read_text().count("<svg") == 2  # x * x + x: two steps


def test_every_unary_primitive_is_a_formula_function():
    from autograd import Value, gradients, unary_functions

    assert set(functions()) == set(unary_functions())
    for name, function in unary_functions().items():
        result, variables = compute(f"{name}(x)", {"x": 0.7})
        x = Value(0.7)
        expected = function(x)
        assert result.data == expected.data, name
        assert variables["x"].grad == gradients(expected, [x])[0], name


def test_a_user_primitive_is_a_formula_function(capsys):
    from autograd import extend, ops, primitive

    try:
        primitive("cube_cli", lambda x: x * x * x, lambda g, out, x: (g * 3.0 * x * x,))
        assert main(["cube_cli(x) + x", "x=2"]) == 0
        out = capsys.readouterr().out
        assert "10" in out and "13" in out  # value 8 + 2, gradient 3*4 + 1
        assert "cube_cli" in functions()
    finally:
        ops._REGISTRY.pop("cube_cli", None)
        extend._USER_FUNCTIONS.pop("cube_cli", None)
