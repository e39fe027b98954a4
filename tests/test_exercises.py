"""The notebooks' self-checking exercises: the checking helper, the blanking script, and
the learner's copies (answers blanked) run in a real kernel."""

from __future__ import annotations

import ast
import copy
import importlib.util
import math
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from autograd import Value, trace

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exercises = _load("exercises", NOTEBOOKS / "exercises.py")
blanking = _load("blank_exercises", ROOT / "scripts" / "blank_exercises.py")

WITH_EXERCISES = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if blanking.has_exercises(p)]
WRONG_ANSWER = "0.123456"  # a number no exercise has as its answer


def _printed(capsys: pytest.CaptureFixture[str], f, *args, **kwargs) -> str:
    f(*args, **kwargs)
    return capsys.readouterr().out


def _status(text: str) -> list[str]:
    """The verdict words at the start of each line a check printed."""
    verdicts = (exercises.OK, exercises.CLOSE, exercises.WRONG, exercises.NOT_ANSWERED)
    return [v for line in text.splitlines() for v in verdicts if line.startswith(v + " ")]


# --- the checking helper ------------------------------------------------------------------


def test_check_accepts_a_right_answer_to_three_digits(capsys):
    assert _status(_printed(capsys, exercises.check, "f'(1)", 0.7864, 1 - math.tanh(0.5) ** 2)) == ["OK"]
    assert _status(_printed(capsys, exercises.check, "zero", 0, 0.0)) == ["OK"]


def test_check_says_wrong_and_gives_the_hint(capsys):
    out = _printed(capsys, exercises.check, "dc/da", 6.0, 4.0, hint="c = 4a")
    assert _status(out) == ["WRONG"]
    assert "6 is not right" in out and "Hint: c = 4a" in out
    assert "4" not in out.replace("c = 4a", "")  # the expected number is not given away


def test_check_points_out_a_wrong_sign(capsys):
    assert "sign" in _printed(capsys, exercises.check, "slope", -2.0, 2.0)
    assert "sign" not in _printed(capsys, exercises.check, "slope", 3.0, 2.0)


def test_check_says_close_for_a_right_answer_rounded_too_much(capsys):
    out = _printed(capsys, exercises.check, "dL/dw6", 0.083, 0.0826676, hint="w6 multiplies a12")
    assert _status(out) == ["CLOSE"] and "4 significant digits" in out
    assert "Hint" not in out  # the working was right: no hint that re-explains it
    assert _status(_printed(capsys, exercises.check, "dL/dw6", 0.08267, 0.0826676)) == ["OK"]


@pytest.mark.parametrize(("answer", "expected"), [(0.08, 0.0826676), (1.03, 1.0), (0.97, 1.0)])
def test_check_says_wrong_beyond_two_percent(capsys, answer, expected):
    assert _status(_printed(capsys, exercises.check, "x", answer, expected)) == ["WRONG"]


def test_check_close_band_starts_past_a_wide_tolerance(capsys):
    # a check that accepts 5% already says OK where the 2% band would have said CLOSE
    assert _status(_printed(capsys, exercises.check, "x", 1.04, 1.0, rel_tol=0.05)) == ["OK"]
    assert _status(_printed(capsys, exercises.check, "x", 1.0, 1.0042, rel_tol=0.001)) == ["CLOSE"]


@pytest.mark.parametrize(("answer", "verdict"), [(-0.43, "CLOSE"), (-0.4278, "OK"), (-0.428, "OK"),
                                                 (-0.427, "CLOSE"), (-0.434238, "WRONG"),
                                                 (-0.42, "CLOSE"), (-0.4199, "WRONG"),
                                                 (-0.4285, "WRONG")])
def test_check_says_close_only_for_what_could_be_a_rounding(capsys, answer, verdict):
    """Within 2%, an answer is CLOSE only if it is the right one rounded or cut to its own
    digits; a longer number that misses (tanh taken twice: -0.434238, or -0.4285, which
    neither rounding nor cutting gives) is a slip."""
    out = _printed(capsys, exercises.check, "do/dw2", answer, -0.427812, hint="o = tanh(n)")
    assert _status(out) == [verdict]
    if verdict == "WRONG":
        assert "not the answer rounded" in out and "Hint: o = tanh(n)" in out


def test_check_points_out_a_wrong_sign_on_a_rounded_answer(capsys):
    out = _printed(capsys, exercises.check, "dL/dw6", -0.083, 0.0826676)
    assert _status(out) == ["WRONG"] and "sign" in out


def test_check_reports_a_blank_answer_as_not_answered(capsys):
    out = _printed(capsys, exercises.check, "dq/dx", ..., -2.0)
    assert _status(out) == ["NOT ANSWERED"] and "replace the ..." in out


class Scalar:
    """A learner's own node class (notebook 00 builds one): a number in `.data`."""

    def __init__(self, data):
        self.data, self.grad = data, 0.0


class PairNode(Scalar):
    """Notebook 00's Scalar in full: parents are (parent, local derivative) pairs, and
    backward() passes the gradient one level down, as the learner's own one does."""

    def __init__(self, data, parents=()):
        super().__init__(data)
        self.parents = parents

    def backward(self):
        self.grad = 1.0
        for parent, local in self.parents:
            parent.grad += local * self.grad


class Labelled:
    """Something with a `.data` that is not a number: no `.data` advice for it."""

    data = "text"


@pytest.mark.parametrize(
    ("answer", "words"),
    [(Value(4.0), "a Value, not a number"), (Scalar(4.0), "a Scalar, not a number"),
     ("4", "expected a number"), (True, "expected a number"), (Labelled(), "expected a number"),
     (None, "expected a number"), (math.nan, "nan"), (1e-3, "not right")],
)
def test_check_says_wrong_for_answers_that_are_not_the_number(capsys, answer, words):
    out = _printed(capsys, exercises.check, "x", answer, 4.0 if words != "not right" else 0.0)
    assert _status(out) == ["WRONG"] and words in out
    assert ("add `.data`" in out) == ("not a number" in words)


def test_check_function_accepts_a_right_function(capsys):
    out = _printed(capsys, exercises.check_function, "d tanh", lambda x: 1 - math.tanh(x) ** 2,
                   lambda x: 1 / math.cosh(x) ** 2, [-1.0, 0.0, 2.0])
    assert _status(out) == ["OK"] and "-1, 0, 2" in out


@pytest.mark.parametrize(
    ("f", "words"),
    [(lambda x: 1.0, "returned a constant, 1 at every x"), (lambda x: x + 1, "at x = 2 it gives 3"), (lambda x: 1 / x, "ZeroDivisionError"),
     (lambda x: Value(x), ".data"), (lambda x: Scalar(x), ".data"), (3.0, "expected a function")],
)
def test_check_function_says_where_a_wrong_function_fails(capsys, f, words):
    out = _printed(capsys, exercises.check_function, "f", f, lambda x: 1.0 if x < 1 else x,
                   [0.0, 2.0], hint="look again")
    assert _status(out) == ["WRONG"] and words in out and "Hint: look again" in out


def test_check_function_reports_a_blank_answer_as_not_answered(capsys):
    assert _status(_printed(capsys, exercises.check_function, "f", ..., abs, [1.0])) == ["NOT ANSWERED"]


def test_check_op_checks_value_then_gradient(capsys):
    args = (Value, math.exp, math.exp, [-1.0, 0.5])
    assert _status(_printed(capsys, exercises.check_op, "exp", lambda v: v.exp(), *args)) == ["OK", "OK"]
    no_parent = _printed(capsys, exercises.check_op, "exp", lambda v: Value(math.exp(v.data)), *args)
    assert _status(no_parent) == ["OK", "WRONG"]
    assert "exp, its gradient: your function returned a constant: did it read .data?" in no_parent
    wrong_value = _printed(capsys, exercises.check_op, "exp", lambda v: v * 2.0, *args, hint="e^x")
    assert _status(wrong_value) == ["WRONG"] and "its value" in wrong_value and "Hint: e^x" in wrong_value
    not_a_node = _printed(capsys, exercises.check_op, "exp", lambda v: math.exp(v.data), *args)
    assert _status(not_a_node) == ["WRONG"]
    assert "at x = -1 it returned a float, 0.367879, not a Value: return a new Value" in not_a_node


def test_check_op_asks_for_the_learners_own_kind_of_node(capsys):
    """Notebook 00's exp on its own Scalar, returning a plain number: 'return a Scalar'."""

    class Node(Scalar):
        def backward(self):
            self.grad = 1.0

    out = _printed(capsys, exercises.check_op, "exp", lambda v: math.exp(v.data), Node,
                   math.exp, math.exp, [0.0], hint="start from tanh")
    assert _status(out) == ["WRONG"] and "Hint: start from tanh" in out
    assert "returned a float, 1, not a Node: return a new Node" in out
    assert "AttributeError" not in out
    text = _printed(capsys, exercises.check_op, "exp", lambda v: "e", Node, math.exp, math.exp, [0.0])
    assert "returned str 'e', not a Node" in text


def test_check_function_reports_the_exception_and_the_input(capsys):
    def fails_above_one(x):
        if x > 1:
            raise ValueError("too big")
        return x

    out = _printed(capsys, exercises.check_function, "f", fails_above_one, lambda x: x, [0.0, 2.0, 3.0])
    assert _status(out) == ["WRONG"] and "at x = 2 it raised ValueError: too big" in out


def test_check_function_says_tracing_failed_without_an_input(capsys):
    """A branch on a traced Value fails when the function is recorded, not at any one
    input: the check says so, with the engine's message."""

    def cap(v):
        return v if v < 2 else v * 0 + 2  # an `if` on a Value: cannot be traced

    def traced(a):
        return trace(cap, 0.0)(np.array([a]))[0]

    out = _printed(capsys, exercises.check_function, "cap, traced", traced, lambda a: min(a, 2.0),
                   [-1.0, 2.5], hint="without an if")
    assert _status(out) == ["WRONG"] and "Hint: without an if" in out
    assert "cap, traced: tracing failed: a comparison v < ..." in out
    assert "at x =" not in out and "raised" not in out


def test_check_points_out_a_base_10_logarithm_when_asked(capsys):
    out = _printed(capsys, exercises.check, "loss", -math.log10(0.9), -math.log(0.9), hint="reread",
                   log10=True)
    assert _status(out) == ["WRONG"] and "natural logarithm" in out and "Hint: reread" in out
    assert "check the sign" not in out
    flipped = _printed(capsys, exercises.check, "loss", math.log10(0.9), -math.log(0.9), log10=True)
    assert "natural logarithm" in flipped and "check the sign" in flipped
    for other in (0.5, -math.log(0.9) / 2, 0.0):  # other wrong answers: no word about logarithms
        assert "logarithm" not in _printed(capsys, exercises.check, "loss", other, -math.log(0.9),
                                           log10=True)
    assert "logarithm" not in _printed(capsys, exercises.check, "zero", 0.0, 1.0, log10=True)


def test_check_says_nothing_of_logarithms_unless_asked(capsys):
    """A hinge loss of 0.6 (a sign slip) is ln 10 times smaller than the right 1.4 by
    coincidence: without log10=True the check must not blame a logarithm."""
    for answer, expected in ((0.6, 1.4), (-math.log10(0.9), -math.log(0.9))):
        out = _printed(capsys, exercises.check, "loss", answer, expected)
        assert _status(out) == ["WRONG"] and "logarithm" not in out


# a₁,₁ and a₁,₂ of notebook 02's network: 0.6% apart, so a slip lands in the CLOSE band
A11, A12, DELTA2 = 0.593269992, 0.596884378, 0.138498562
SLIP = {"used a₁,₁ instead of a₁,₂": DELTA2 * A11}


@pytest.mark.parametrize("answer", [DELTA2 * A11, 0.08217, 0.082])
def test_check_names_a_known_slip_before_close(capsys, answer):
    out = _printed(capsys, exercises.check, "dL/dw6", answer, DELTA2 * A12, hint="w6 meets a12",
                   slips=SLIP)
    assert _status(out) == ["WRONG"] and "what you get if you used a₁,₁ instead of a₁,₂" in out
    assert "Hint: w6 meets a12" in out
    assert ("4 significant digits" in out) == (answer == 0.082)  # rounded: it may be either


@pytest.mark.parametrize(("answer", "verdict"), [(DELTA2 * A12, "OK"), (0.08267, "OK"),
                                                 (0.083, "CLOSE"), (0.5, "WRONG")])
def test_check_with_slips_still_knows_right_and_rounded_answers(capsys, answer, verdict):
    out = _printed(capsys, exercises.check, "dL/dw6", answer, DELTA2 * A12, slips=SLIP)
    assert _status(out) == [verdict] and "a₁,₁" not in out


def test_check_picks_the_nearest_of_several_slips(capsys):
    slips = {"forgot the 2": 3.0, "squared twice": 9.0, "stopped early": 2.9}
    assert "stopped early" in _printed(capsys, exercises.check, "x", 2.9, 6.0, slips=slips)
    assert "forgot the 2" in _printed(capsys, exercises.check, "x", 3.0004, 6.0, slips=slips)
    # 2.95 is neither slip, nor either one rounded: no slip is named
    assert "what you get" not in _printed(capsys, exercises.check, "x", 2.95, 6.0, slips=slips)


@pytest.mark.parametrize("slips", [[("a", 1.0)], {"a": "1"}, {1: 1.0}, {"a": Value(1.0)}])
def test_check_refuses_slips_that_are_not_descriptions_and_numbers(slips):
    with pytest.raises(TypeError, match="check: slips must be a dict"):
        exercises.check("x", 1.0, 1.0, slips=slips)
    with pytest.raises(TypeError, match="check_function: slips must be a dict"):
        exercises.check_function("f", abs, abs, [1.0], slips={"a": 1.0})


def test_check_function_names_a_known_slip(capsys):
    slips = {"left out the 2": lambda x: x, "wrote x² for 2x": lambda x: x * x}
    out = _printed(capsys, exercises.check_function, "d x²", lambda x: x * x, lambda x: 2 * x,
                   [1.0, 3.0], hint="power rule", slips=slips)
    assert _status(out) == ["WRONG"] and "that is what you get if you wrote x² for 2x" in out
    assert "Hint: power rule" in out
    right = _printed(capsys, exercises.check_function, "d x²", lambda x: 2 * x, lambda x: 2 * x,
                     [1.0, 3.0], slips=slips)
    assert _status(right) == ["OK"]
    other = _printed(capsys, exercises.check_function, "d x²", lambda x: 3 * x, lambda x: 2 * x,
                     [1.0, 3.0], slips=slips)
    assert "at x = 1 it gives 3" in other and "what you get" not in other


def test_check_function_says_a_constant_function_is_constant(capsys):
    """The cap of notebook 08 written with .data: the traced program reads the number it
    was traced at, 0, and gives 0 for every input."""

    def cap(v):
        return Value(min(v.data, 2.0))

    def traced(a):
        return trace(cap, 0.0)(np.array([a]))[0]

    out = _printed(capsys, exercises.check_function, "cap, traced", traced, lambda a: min(a, 2.0),
                   [-1.0, 0.5, 2.5], hint="no .data")
    assert _status(out) == ["WRONG"] and "Hint: no .data" in out
    assert "your function returned a constant, 0 at every x: did it read .data?" in out
    # a constant that is wrong where the reference is constant too: no such claim
    flat = _printed(capsys, exercises.check_function, "one", lambda x: 2.0, lambda x: 1.0, [0.0, 1.0])
    assert "at x = 0 it gives 2" in flat and "constant" not in flat
    single = _printed(capsys, exercises.check_function, "f", lambda x: 2.0, abs, [1.0])
    assert "constant" not in single  # one point shows nothing about constancy


def test_check_op_says_a_cut_graph_is_a_constant(capsys):
    """A result made from .data, or from a detached input: the value is right, but
    backward() cannot reach the input."""
    args = (Value, math.exp, math.exp, [0.0, 1.0])
    for cut in (lambda v: Value(math.exp(v.data)), lambda v: v.detach().exp()):
        out = _printed(capsys, exercises.check_op, "exp", cut, *args)
        assert _status(out) == ["OK", "WRONG"]
        assert "your function returned a constant: did it read .data?" in out
        assert "no path back to the input" in out

    leaf = _printed(capsys, exercises.check_op, "exp", lambda v: PairNode(math.exp(v.data)), PairNode,
                    math.exp, math.exp, [0.0])
    # in the learner's own kind .data must be read: the slip is the missing parents
    assert "has no parents" in leaf and ".data?" not in leaf
    right = _printed(capsys, exercises.check_op, "exp",
                     lambda v: PairNode(math.exp(v.data), ((v, math.exp(v.data)),)), PairNode,
                     math.exp, math.exp, [0.0, 1.0])
    assert _status(right) == ["OK", "OK"]


@pytest.mark.parametrize("parents", [
    lambda v, d: (v, d),            # the comma after the pair left out
    lambda v, d: ((d, v),),         # the pair the wrong way round
    lambda v, d: ((v, d, "exp"),),  # three things in the pair
    lambda v, d: (v,),              # no local derivative: the learner's backward cannot unpack
])
def test_check_op_explains_the_parent_pairs(capsys, parents):
    op = lambda v: PairNode(math.exp(v.data), parents(v, math.exp(v.data)))
    out = _printed(capsys, exercises.check_op, "exp", op, PairNode, math.exp, math.exp, [0.0],
                   hint="like tanh")
    assert _status(out) == ["OK", "WRONG"] and "Hint: like tanh" in out
    assert "parents must be a tuple of (parent, local derivative) pairs" in out
    assert "cannot unpack non-iterable" not in out.split("backward() said")[0]


def test_check_op_names_a_known_slip_in_the_gradient(capsys):
    out = _printed(capsys, exercises.check_op, "square", lambda v: v * v.data, Value,
                   lambda x: x * x, lambda x: 2 * x, [1.0, 3.0],
                   slips={"made one factor a constant with .data": lambda x: x})
    assert _status(out) == ["OK", "WRONG"]
    assert "that is what you get if you made one factor a constant with .data" in out


def test_check_op_reports_a_blank_or_a_number(capsys):
    args = (Value, math.exp, math.exp, [0.0])
    assert _status(_printed(capsys, exercises.check_op, "exp", ..., *args)) == ["NOT ANSWERED"]
    assert "expected a function" in _printed(capsys, exercises.check_op, "exp", 2.7, *args)


# --- blanking answers ---------------------------------------------------------------------


def test_blank_source_keeps_the_question_and_drops_the_answer():
    source = "# dq/dx at x = 2\ndq_dx = -3 + 1  # y + 1\n"
    assert blanking.blank_source(source) == "# dq/dx at x = 2\ndq_dx = ..."


def test_blank_source_blanks_tuples_and_statements_over_several_lines():
    source = "a, b = 1, 2\nlong = (1 +\n        2)\n# the end"
    assert blanking.blank_source(source) == "a, b = ..., ...\nlong = ...\n# the end"
    assert blanking.blank_source("x = 1", placeholder="7") == "x = 7"


def test_blank_source_blanks_a_function_with_its_body():
    source = "# f(x) = 2x\ndef f(x):\n    # double it\n    return 2 * x\n\ng = 3"
    assert blanking.blank_source(source) == "# f(x) = 2x\nf = ...\n\ng = ..."
    assert blanking.blank_source("@staticmethod\ndef f():\n    pass") == "f = ..."


@pytest.mark.parametrize("source", ["print(1)", "x += 1", "x.y = 3", "x = y = 2", "class C:\n    pass", "# only a comment"])
def test_blank_source_refuses_cells_it_cannot_blank(source):
    with pytest.raises(ValueError, match="answer cell"):
        blanking.blank_source(source)


def test_blank_notebook_blanks_answers_and_clears_outputs():
    nb = nbformat.read(WITH_EXERCISES[0], as_version=4)
    answers = [c for c in nb.cells if "answer" in blanking.tags(c)]
    count = blanking.blank_notebook(nb, "00.ipynb")
    assert count == len(answers) > 0
    assert "Exercise copy" in nb.cells[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if "answer" in blanking.tags(cell):
            code = [line for line in cell.source.splitlines() if not line.startswith("#")]
            assert code and all(line.endswith("= ...") or line.endswith("..., ...") for line in code)


def test_script_writes_copies_and_keeps_the_learners_work(tmp_path, capsys):
    source = WITH_EXERCISES[0]
    assert blanking.main(["--out", str(tmp_path), str(source)]) == 0
    copy_path = tmp_path / source.name
    for helper in NOTEBOOKS.glob("*.py"):  # the checks and the drawing helpers the copies import
        assert (tmp_path / helper.name).read_text() == helper.read_text()
    assert {"exercises.py", "pictures.py", "panels.py"} <= {p.name for p in tmp_path.glob("*.py")}
    count = blanking.blank_notebook(nbformat.read(source, as_version=4), source.name)
    assert f"{count} exercise{'' if count == 1 else 's'}\n" in capsys.readouterr().out
    assert "Exercise copy" in copy_path.read_text()
    copy_path.write_text("my work")
    blanking.main(["--out", str(tmp_path), str(source)])
    assert copy_path.read_text() == "my work" and "kept" in capsys.readouterr().out
    blanking.main(["--out", str(tmp_path), "--force", str(source)])
    assert "Exercise copy" in copy_path.read_text()


def test_script_says_one_exercise_in_the_singular(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["answer"]}),
        nbformat.v4.new_code_cell("check('x', x, 1)", metadata={"tags": ["check"]}),
    ])
    source = tmp_path / "one.ipynb"
    nbformat.write(nb, source)
    blanking.main(["--out", str(tmp_path / "copies"), str(source)])
    assert capsys.readouterr().out.rstrip().endswith("one.ipynb: 1 exercise")


def test_script_help_says_where_copies_go(capsys):
    with pytest.raises(SystemExit):
        blanking.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "--out DIR" in text and "out/exercises/ in the project folder" in text
    assert "NOTEBOOK" in text and "every notebook in notebooks/ that has exercises" in text


# --- the notebooks' exercises -------------------------------------------------------------


def test_notebooks_00_to_03_have_exercises():
    names = {p.name[:2] for p in WITH_EXERCISES}
    assert {"00", "01", "02", "03"} <= names


def _pairs(nb: nbformat.NotebookNode) -> list[tuple[int, int]]:
    """(answer cell, check cell) indexes; each answer is followed by its check."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if "answer" in blanking.tags(cell):
            assert i + 1 < len(nb.cells) and "check" in blanking.tags(nb.cells[i + 1]), (
                f"cell {i} is an answer without a check cell after it")
            pairs.append((i, i + 1))
        elif "check" in blanking.tags(cell):
            assert i > 0 and "answer" in blanking.tags(nb.cells[i - 1]), f"check cell {i} has no answer"
    return pairs


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_committed_notebook_answers_are_right(path):
    nb = nbformat.read(path, as_version=4)
    for _, c in _pairs(nb):
        verdicts = _status(_text(nb.cells[c]))
        assert verdicts and set(verdicts) == {"OK"}, f"{path.name} cell {c}: {_text(nb.cells[c])!r}"


def _run(client: NotebookClient, source: str, index: int) -> str:
    cell = nbformat.v4.new_code_cell(source)
    client.execute_cell(cell, index)
    return _text(cell)


def _read_names(source: str) -> set[str]:
    """The names a cell's code reads (IPython magics skipped)."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _answer_names(source: str) -> set[str]:
    """The names an answer cell assigns (`x = …`, `a, b = …`, `def f(…)`)."""
    body = ast.parse(source).body
    targets = [t for st in body if isinstance(st, ast.Assign) for t in st.targets]
    functions = {st.name for st in body if isinstance(st, ast.FunctionDef)}
    return functions | {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_only_check_cells_read_the_answers(path):
    """Blanked answers are `...`: a cell other than a check that read one would break the copy."""
    nb = nbformat.read(path, as_version=4)
    answers: set[str] = set()
    for a, _ in _pairs(nb):
        answers |= _answer_names(nb.cells[a].source)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not {"answer", "check"} & set(blanking.tags(cell)):
            assert not _read_names(cell.source) & answers, f"{path.name} cell {i} reads an answer"


@pytest.mark.slow
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_learner_copy_runs_and_each_check_says_what_is_missing(path):
    """The blanked copy runs without an error up to its last check, and every check says
    NOT ANSWERED; then in the same kernel a wrong answer gets WRONG and the notebook's
    answer gets OK. (No later cell reads an answer: the test above.)"""
    original = nbformat.read(path, as_version=4)
    pairs = _pairs(original)
    learner = copy.deepcopy(original)
    blanking.blank_notebook(learner, path.name)
    offset = 1  # the note put in front
    client = NotebookClient(learner, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        for i, cell in enumerate(learner.cells[: pairs[-1][1] + offset + 1]):
            client.execute_cell(cell, i)  # raises CellExecutionError on any error
        for a, c in pairs:
            blank_out = _text(learner.cells[c + offset])
            assert set(_status(blank_out)) == {"NOT ANSWERED"}, f"cell {c}: {blank_out!r}"
            wrong = blanking.blank_source(original.cells[a].source, placeholder=WRONG_ANSWER)
            _run(client, wrong, a)
            wrong_out = _run(client, original.cells[c].source, c)
            assert set(_status(wrong_out)) == {"WRONG"}, f"cell {c}: {wrong_out!r}"
            _run(client, original.cells[a].source, a)
            right_out = _run(client, original.cells[c].source, c)
            assert set(_status(right_out)) == {"OK"}, f"cell {c}: {right_out!r}"


# Wrong answers a learner is likely to give, by notebook and by a name its answer cell
# assigns, each with words the check must print: the slip named, and WRONG, never OK or CLOSE.
LIKELY_SLIPS = {
    "06_handwritten_digits": {"loss_at_0_9": [
        ("loss_at_0_9, loss_at_0_1, loss_at_0_01 = "
         "-math.log10(0.9), -math.log10(0.1), -math.log10(0.01)", "a base-10 logarithm gives"),
        ("loss_at_0_9, loss_at_0_1, loss_at_0_01 = math.log(0.9), math.log(0.1), math.log(0.01)",
         "the sign is not"),
    ]},
    "07_checking_gradients": {
        "cube_rule": [
            ("cube_rule = lambda g, out, x: (g * 3 * x.data ** 2,)", "reads x.data: 3x² from a plain"),
            ("cube_rule = lambda g, out, x: (g * 3 * number(x) ** 2,)", "reads x.data: 3x² from a plain"),
            ("cube_rule = lambda g, out, x: (g * 2 * number(x),)", "as 2x; it is 3x²"),
            ("cube_rule = lambda g, out, x: (g * x ** 3,)", "the function itself"),
            ("cube_rule = lambda g, out, x: (g * 3 * x * number(x),)", "reads x.data for part"),
            ("cube_rule = lambda g, out, x: (0,)", "the same number whatever g and x"),
        ],
        "x_after_one_step": [
            ("x_after_one_step = 2 - (4 * 2 ** 3 - 3) / (12 * 2 ** 2)", "dropped the e^(-x) terms"),
            ("x_after_one_step = 2 - (4 * 2 ** 3 - 3 - math.exp(-2)) / (12 * 2 ** 2)",
             "dropped e^(-x) from f''(2)"),
            ("x_after_one_step = 2 - (4 * 2 ** 3 - 3) / (12 * 2 ** 2 + math.exp(-2))",
             "dropped e^(-x) from f'(2)"),
            ("x_after_one_step = 2 - (4 * 2 ** 3 - 3 + math.exp(-2)) / (12 * 2 ** 2 + math.exp(-2))",
             "wrote + e^(-x) in f'(2)"),
            ("x_after_one_step = 2 - 0.02 * (4 * 2 ** 3 - 3 - math.exp(-2))", "gradient-descent step"),
            ("x_after_one_step = 1.396", "dropped the e^(-x) terms"),
            ("x_after_one_step = 1.397", "wrote - e^(-x) in f''(2)"),  # the nearer of two slips
        ],
    },
    "08_from_one_sample_to_a_batch": {
        "steps": [("steps, nodes = 8, 20", "into a change of sign and a + (between two Values")],
        "cap": [
            ("cap = lambda v: v - (v + 2).relu()", "Check the sign inside relu"),
            ("cap = lambda v: v - (v - 2).relu().data", "returned v unchanged"),
            ("cap = lambda v: v - (v.data - 2 if v.data > 2 else 0)", "returned v unchanged"),
        ],
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(LIKELY_SLIPS))
def test_checks_name_the_likely_slips(stem):
    """Run the notebook to each answer named in LIKELY_SLIPS, try each wrong answer with the
    check cell, then the notebook's own answer, and go on."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    slips = LIKELY_SLIPS[stem]
    answers = {a: (_answer_names(nb.cells[a].source) & slips.keys()) for a, _ in _pairs(nb)}
    answers = {a: names.pop() for a, names in answers.items() if names}
    assert sorted(answers.values()) == sorted(slips), f"{stem}: an answer cell was not found"
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells[: max(answers) + 2]):
            if i in answers:
                for source, words in slips[answers[i]]:
                    _run(client, source, i)
                    out = _run(client, nb.cells[i + 1].source, i + 1)
                    assert set(_status(out)) == {"WRONG"} and words in out, f"{source!r}: {out!r}"
            client.execute_cell(cell, i)


def test_check_op_says_a_fixed_local_derivative_is_fixed(capsys):
    """exp written with the + rule's local derivative 1: the value is right and the graph
    reaches the input, so the slip is the fixed number, not a read of .data."""
    out = _printed(capsys, exercises.check_op, "exp", lambda v: PairNode(math.exp(v.data), ((v, 1.0),)),
                   PairNode, math.exp, math.exp, [0.0, 1.0])
    assert _status(out) == ["OK", "WRONG"]
    assert "your local derivative is a fixed number" in out and ".data?" not in out


def test_check_tells_a_base_10_logarithm_from_a_near_miss(capsys):
    """0.4 for softplus(0.4) = 0.913 is 0.9% from a base-10 log's answer (0.3965): not a
    base-10 logarithm; the rounded base-10 answer 0.397 is one."""
    expected = math.log(1 + math.exp(0.4))
    near = _printed(capsys, exercises.check, "loss", 0.4, expected, log10=True)
    assert _status(near) == ["WRONG"] and "logarithm" not in near
    rounded = _printed(capsys, exercises.check, "loss", 0.397, expected, log10=True)
    assert "natural logarithm" in rounded


def test_check_function_points_out_a_wrong_sign(capsys):
    slope = lambda x: 1 / (1 + abs(x)) ** 2
    out = _printed(capsys, exercises.check_function, "softsign'", lambda x: -slope(x), slope,
                   [-4.0, -0.5, 1.0, 3.0], hint="quotient rule")
    assert _status(out) == ["WRONG"] and "the size is right but the sign is not, at every x" in out
    left = lambda x: slope(x) if x > 0 else -slope(x)  # a sign slip on the x < 0 side only
    one_side = _printed(capsys, exercises.check_function, "softsign'", left, slope,
                        [-4.0, -0.5, 1.0, 3.0])
    assert "right at x = 1, 3; at x = -4, -0.5 the size is right but the sign is not" in one_side
    other = _printed(capsys, exercises.check_function, "softsign'", lambda x: 2 * slope(x), slope,
                     [-4.0, 1.0])
    assert "the sign is not" not in other


def test_check_says_close_when_a_rounded_answer_is_also_a_rounded_slip(capsys):
    """Notebook 02's delta1,2 = 0.0149961; a₁,₁ in the sigmoid's slope gives 0.0150389: 0.0150
    rounds both, so it cannot be OK."""
    slips = {"used a1,1 in the sigmoid's slope": 0.0150389}
    out = _printed(capsys, exercises.check, "delta1,2", 0.0150, 0.0149961, slips=slips)
    assert _status(out) == ["CLOSE"] and "also what you get if you used a1,1" in out
    assert "5 significant digits" in out
    for right in (0.014996, 0.0149961):
        assert _status(_printed(capsys, exercises.check, "d", right, 0.0149961, slips=slips)) == ["OK"]


def test_check_says_ok_to_an_exact_answer_near_a_slip(capsys):
    """Notebook 05: the slope 2 (exact), with the slip 'left out the factor 2' giving 1."""
    out = _printed(capsys, exercises.check, "mse slope", 2, 2.0, slips={"left out the 2": 1.0})
    assert _status(out) == ["OK"]
    out = _printed(capsys, exercises.check, "hinge slope", 0, 0.0, slips={"kept it": -1.0})
    assert _status(out) == ["OK"]


def _right_neuron(w, b, x):
    z = b
    for wi, xi in zip(w, x):
        z = z + wi * xi
    return z.tanh()


def _no_bias(w, b, x):
    return _right_neuron(w, Value(0.0), x)


def _return_in_loop(w, b, x):
    z = b
    for wi, xi in zip(w, x):
        z = z + wi * xi
        return z.tanh()


def _two_inputs(w, b, x):
    return (w[0] * x[0] + w[1] * x[1] + b).tanh()


def _bias_cut(w, b, x):
    return _right_neuron(w, Value(b.data), x)


def _float_out(w, b, x):
    return math.tanh(_right_neuron(w, b, x).data)


def _no_return(w, b, x):
    _right_neuron(w, b, x)


def _uncalled(w, b, x):
    return _right_neuron(w, b, x).tanh


def _relu_neuron(w, b, x):
    z = b
    for wi, xi in zip(w, x):
        z = z + wi * xi
    return z.relu()


def _tanh_in_loop(w, b, x):
    z = b
    for wi, xi in zip(w, x):
        z = (z + wi * xi).tanh()
    return z


@pytest.mark.parametrize(("neuron", "words"), [
    (_no_bias, "left out the bias b"),
    (_return_in_loop, "A `return` inside the loop"),
    (_two_inputs, "only the first two pairs"),
    (_bias_cut, "cut b off from the graph"),
    (_float_out, "returned a float"),
    (_relu_neuron, "used relu where the neuron has tanh"),
    (_no_return, "returned nothing"),
    (_uncalled, "a method not called"),
    (_tanh_in_loop, "applied tanh inside the loop"),
])
def test_check_neuron_names_the_neurons_slips(capsys, neuron, words):
    out = _printed(capsys, exercises.check_neuron, neuron, hint="z = b first")
    assert _status(out)[-1] == "WRONG" and words in out and "Hint: z = b first" in out
    assert _status(out).count("WRONG") == 1  # it stops at the first problem


def test_check_neuron_accepts_a_right_neuron_and_reports_a_blank(capsys):
    right = _printed(capsys, exercises.check_neuron, _right_neuron)
    assert _status(right) == ["OK"] * 5 and "agrees at w1 = -1, -0.5, 0, 0.5" in right
    assert _status(_printed(capsys, exercises.check_neuron, ...)) == ["NOT ANSWERED"]


@pytest.mark.parametrize(("answer", "verdict"), [(0.11, "CLOSE"), (0.105, "CLOSE"), (0.1, "WRONG"),
                                                 (0.12, "WRONG"), (0.0, "WRONG")])
def test_check_says_close_to_a_short_rounding_to_the_nearest(capsys, answer, verdict):
    """-ln 0.9 = 0.10536: 0.11 is it rounded to two digits (4% off, but a rounding); 0.12 is
    not, and a single digit (0.1, 0) says too little to be told apart from a slip."""
    out = _printed(capsys, exercises.check, "loss at p = 0.9", answer, -math.log(0.9))
    assert _status(out) == [verdict]


def test_check_function_names_a_notebook_cell_plainly_when_tracing_fails(capsys, tmp_path):
    """A function defined in a notebook cell lives in a temporary file named after the
    kernel; the report calls it <your cell>."""
    cell = tmp_path / "ipykernel_8741" / "592129748.py"
    cell.parent.mkdir()
    cell.write_text("def cap(v):\n    return v if v < 2 else v * 0 + 2\n")
    spec = importlib.util.spec_from_file_location("cell_module", cell)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def traced(a):
        return trace(module.cap, 0.0)(np.array([a]))[0]

    out = _printed(capsys, exercises.check_function, "cap", traced, lambda a: min(a, 2.0), [1.0])
    assert "tracing failed" in out and "<your cell>:2" in out and "ipykernel" not in out


def test_check_names_two_slips_that_give_one_number_without_asking_for_digits(capsys):
    """-ln(1 - 0.9) is the loss at p = 0.1: no number of digits tells the two slips apart."""
    slips = {"used 1 - p": -math.log(1 - 0.9), "gave the loss at p = 0.1 here": -math.log(0.1)}
    out = _printed(capsys, exercises.check, "loss at p = 0.9", -math.log(0.1), -math.log(0.9),
                   slips=slips)
    assert _status(out) == ["WRONG"] and "both give this number" in out
    assert "significant digits" not in out


def test_check_says_that_trailing_zeros_do_not_count(capsys):
    out = _printed(capsys, exercises.check, "x", 1.400, 1.40034, rel_tol=1e-4)
    assert _status(out) == ["CLOSE"] and "trailing zeros: Python drops them" in out
    assert "give 5 significant digits" in out  # a tolerance of 0.01% asks for 5
    assert "trailing" not in _printed(capsys, exercises.check, "x", 1.4001, 1.40034, rel_tol=1e-5)



def test_check_asks_whether_backward_ran_twice_for_twice_the_answer(capsys):
    out = _printed(capsys, exercises.check, "d out/d b", 2 * 0.915, 0.915)
    assert _status(out) == ["WRONG"] and "exactly twice the answer" in out
    assert "twice" not in _printed(capsys, exercises.check, "x", 3 * 0.915, 0.915)


def test_check_takes_numpy_numbers(capsys):
    assert _status(_printed(capsys, exercises.check, "x", np.float64(-np.log(0.9)),
                            -math.log(0.9))) == ["OK"]
    assert _status(_printed(capsys, exercises.check, "x", np.float64(0.11),
                            -math.log(0.9))) == ["CLOSE"]
    assert _status(_printed(capsys, exercises.check, "x", np.float32(0.5),
                            -math.log(0.9), slips={"s": 0.5})) == ["WRONG"]


def test_check_says_a_list_is_not_a_number_and_suggests_len(capsys):
    out = _printed(capsys, exercises.check, "parameters", [Value(0.1)] * 41, 41)
    assert _status(out) == ["WRONG"] and "a list of 41 items" in out and "len(...)" in out
    assert len(out) < 400  # not the repr of 41 Values


def test_check_names_the_slip_an_answer_is_exactly_over_one_it_nearly_is(capsys):
    slips = {"took sigma' at 0": 2.0, "took sigma' at 0.25": 1.969}
    out = _printed(capsys, exercises.check, "slope", 2, 0.83995, slips=slips)
    assert "took sigma' at 0." in out and "0.25" not in out and "digits" not in out


def test_check_op_says_a_new_node_of_the_learners_kind_as_parent_cuts_the_path(capsys):
    made = lambda v: PairNode(math.exp(v.data), ((PairNode(v.data), math.exp(v.data)),))
    out = _printed(capsys, exercises.check_op, "exp", made, PairNode, math.exp, math.exp, [0.0, 1.0])
    assert "no path back to the input v" in out and ".data?" not in out


def test_check_cube_rule_names_the_slips_and_passes_the_right_rule(capsys):
    installed = []

    def install(rule):  # (no row in the shared table: the engine's own x ** 3 stands in)
        installed.append(rule)
        return lambda v: v ** 3

    right = lambda g, out, x: (g * 3 * x * x,)
    assert exercises.check_cube_rule(right, install) is True
    assert _status(capsys.readouterr().out) == ["OK"] and installed == [right]
    for rule, words in [(lambda g, out, x: (3 * x * x,), "leaves out g"),
                        (lambda g, out, x: (g * x ** 3,), "the function itself"),
                        (lambda g, out, x: (g * 3 * x.data ** 2,), "reads x.data"),
                        (lambda g, out, x: (g * 3 * x * Value(x.data),), "for part of it"),
                        (lambda g, out, x: (g * 3.1 * x * x,), "it should give g · 3x² = 1.47")]:
        assert exercises.check_cube_rule(rule, install, hint="h") is False
        out = capsys.readouterr().out
        assert _status(out) == ["WRONG"] and words in out and "Hint: h" in out


def test_check_says_a_one_item_tuple_is_a_trailing_comma(capsys):
    out = _printed(capsys, exercises.check, "dc/da", (4,), 4.0)
    assert _status(out) == ["WRONG"] and "trailing comma" in out and "len(" not in out


@pytest.mark.parametrize(("answer", "verdict"), [(4.605, "OK"), (4.6052, "OK"), (4.606, "WRONG"),
                                                 (4.609, "WRONG"), (4.60517, "OK"),
                                                 (-math.log(0.01), "OK")])
def test_check_takes_a_short_typed_number_only_as_the_answer_rounded_or_cut(capsys, answer,
                                                                           verdict):
    out = _printed(capsys, exercises.check, "loss at p = 0.01", answer, -math.log(0.01))
    assert _status(out) == [verdict]


def test_check_op_tells_a_rounded_constant_and_a_gradient_set_by_hand(capsys):
    rounded = lambda v: PairNode(2.71828 ** v.data, ((v, 2.71828 ** v.data),))
    out = _printed(capsys, exercises.check_op, "exp", rounded, PairNode, math.exp, math.exp, [0.0, 2.0])
    assert "nearly right at every x" in out and "math.exp" in out

    def preset(v):
        out = PairNode(math.exp(v.data), ((v, math.exp(v.data)),))
        out.grad = 1.0
        return out

    out = _printed(capsys, exercises.check_op, "exp", preset, PairNode, math.exp, math.exp, [0.0, 2.0])
    assert _status(out) == ["OK", "WRONG"] and "already has a gradient" in out


def test_check_op_tells_an_input_changed_in_place_and_a_node_as_local_derivative(capsys):
    def in_place(v):
        v.data = math.exp(v.data)
        return v

    out = _printed(capsys, exercises.check_op, "exp", in_place, PairNode, math.exp, math.exp, [0.0])
    assert "returned its input itself" in out
    as_node = lambda v: PairNode(math.exp(v.data), ((v, v),))
    out = _printed(capsys, exercises.check_op, "exp", as_node, PairNode, math.exp, math.exp, [0.0])
    assert "must be a plain number, not a node" in out and "mind the comma" not in out
