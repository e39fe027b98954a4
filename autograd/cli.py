"""The command line: `python -m autograd "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg`.

The formula is parsed with `ast` and checked against a whitelist (numbers, variables,
`+ - * / **`, unary minus and the engine's functions called by name), then evaluated
by walking the tree; nothing is ever passed to `eval`.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import math
import operator
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .extend import unary_functions
from .options import DEFAULTS, RANKDIRS, DrawOptions
from .stepper import BackwardStepper
from .value import Value
from .viz import GraphvizNotFoundError, draw_dot


def functions() -> dict[str, Callable[..., Value]]:
    """The functions a formula may call, by name: every function of one Value in the
    primitive table (its unary Value methods and unary user primitives)."""
    return unary_functions()


def _extra_parameters(function: Callable[..., Value]) -> list[inspect.Parameter]:
    """The optional parameters after x (leaky_relu's negative_slope)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in parameters[1:] if p.default is not p.empty]


def _signature(function: Callable[..., Value]) -> str:
    extra = [f"{p.name}={p.default!r}" for p in _extra_parameters(function)]
    return ", ".join(["x", *extra])


MAX_LENGTH = 2000  # characters in a formula

EXAMPLES = """examples:
  python -m autograd "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg
  python -m autograd "x**2 + 3*x" x=1.5                  value and gradient only
  python -m autograd "sigmoid(a*b) / (1 + exp(-c))" a=1 b=2 c=0.5 -o g.png --format png
  python -m autograd "log(x) * sin(y)" x=2 y=1 -o g.dot --rankdir TB
  python -m autograd "relu(x - 1) ** 2" x=3 --steps backward.html
  python -m autograd -o g.svg -- "-x * y" x=2 y=3       (`--` before a formula starting
                                                         with -, options before `--`)

formulas: numbers, variables, + - * / **, unary minus, parentheses, and the functions
  """ + ", ".join(f"{name}({_signature(f)})" for name, f in functions().items()) + """.
exit status: 0 on success, 2 for bad input (one line on stderr saying what is wrong)."""


class FormulaError(Exception):
    """A formula or a variable that cannot be used; `column` (1-based) points at the problem."""

    def __init__(self, message: str, column: int | None = None, line: int = 1) -> None:
        super().__init__(message)
        self.column = column
        self.line = line


# ---------------------------------------------------------------------------
# Parsing and checking
# ---------------------------------------------------------------------------

#: The binary operators a formula may use: the symbol (for messages) and the operation.
_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_DESCRIBE = {  # how an error names a construct that is not allowed
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing (a[b])",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.Lambda: "lambda",
    ast.IfExp: "if/else expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "unpacking (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _column(text: str, node: ast.AST, offset: int | None = None) -> int:
    """1-based character column of `node`, or of byte `offset` on its line (ast counts bytes)."""
    lineno = getattr(node, "lineno", 1)
    if offset is None:
        offset = getattr(node, "col_offset", 0)
    lines = text.splitlines() or [""]
    line = lines[min(max(lineno, 1), len(lines)) - 1]
    return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore")) + 1


def parse_formula(text: str) -> ast.Expression:
    """Parse `text` as an expression and check every node against the whitelist."""
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be a string, got {type(text).__name__}")
    if not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is too long ({len(text)} characters; at most {MAX_LENGTH})"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"syntax error: {exc.msg}", exc.offset, exc.lineno or 1) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, nesting too deep
        raise FormulaError(f"cannot parse the formula: {exc or type(exc).__name__}") from None
    check_tree(tree, text)
    return tree


def check_tree(tree: ast.Expression, text: str = "") -> None:
    """Raise FormulaError at the first construct outside the whitelist (iterative walk)."""
    if not isinstance(tree, ast.Expression):
        raise FormulaError("expected an expression")
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        where = _column(text, node) if text else None
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                allowed = " ".join(symbol for symbol, _ in _BINARY.values())
                op = _operator_text(node.op)
                raise FormulaError(f"operator not allowed: {op} (allowed: {allowed})", where, line)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                op = _operator_text(node.op)
                raise FormulaError(f"operator not allowed: {op} (allowed: unary -)", where, line)
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                message = f"only numbers are allowed as constants, not {value!r}"
                raise FormulaError(message, where, line)
        elif isinstance(node, ast.Name):
            if not node.id.isidentifier():
                raise FormulaError(f"bad name {node.id!r}", where, line)
        elif isinstance(node, ast.Call):
            _check_call(node, where, line)
            stack += reversed(node.args)
        else:
            raise _not_allowed(node, text, where, line)


def _check_call(node: ast.Call, where: int | None, line: int) -> None:
    """A call of a table function by name, with x and at most its optional numbers."""
    func = node.func
    if not isinstance(func, ast.Name):
        raise FormulaError("only functions called by name are allowed, e.g. tanh(x)", where, line)
    known = functions()
    if func.id not in known:
        allowed = ", ".join(known)
        message = f"unknown function {func.id!r}; allowed functions: {allowed}"
        raise FormulaError(message, where, line)
    if node.keywords:
        raise FormulaError(f"{func.id}(): keyword arguments are not allowed", where, line)
    most = 1 + len(_extra_parameters(known[func.id]))
    if not 1 <= len(node.args) <= most:
        raise FormulaError(
            f"{func.id}() takes {f'1 to {most} arguments' if most > 1 else '1 argument'}, "
            f"got {len(node.args)}", where, line
        )


def _not_allowed(node: ast.AST, text: str, where: int | None, line: int) -> FormulaError:
    """The error for a construct outside the whitelist, pointing at it."""
    if isinstance(node, ast.Attribute) and text and node.end_col_offset is not None:
        # point at the dot, not at the object (when the attribute is on the same line)
        dot_at = node.end_col_offset - len(node.attr.encode("utf-8")) - 1
        if node.end_lineno == node.lineno and dot_at >= node.col_offset:
            where = _column(text, node, dot_at)
    what = _DESCRIBE.get(type(node), type(node).__name__)
    return FormulaError(f"not allowed in a formula: {what}", where, line)


def _operator_text(op: ast.AST) -> str:
    symbols = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
               ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not",
               ast.Invert: "~"}
    return symbols.get(type(op), type(op).__name__)


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` as `{"x": 2.0, "w": -3.0}`; FormulaError for anything else."""
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq:
            raise FormulaError(f"expected NAME=NUMBER, got {item!r}")
        if not name.isidentifier() or not name.isascii():
            raise FormulaError(f"{item!r}: {name!r} is not a variable name")
        if name in functions():
            raise FormulaError(f"{item!r}: {name!r} is a function name, not a variable")
        if name in values:
            raise FormulaError(f"variable {name!r} is given twice")
        try:
            value = float(text.strip())
        except ValueError:
            raise FormulaError(f"variable {name!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise FormulaError(f"variable {name!r}: {text.strip()} is not a finite number")
        values[name] = value
    return values


# ---------------------------------------------------------------------------
# Evaluating: an iterative walk (post-order) over a checked tree
# ---------------------------------------------------------------------------


def _binary(op: type[ast.operator], a: Any, b: Any) -> Any:
    """`a op b`; two plain numbers go through a Value too, for the engine's clear errors."""
    apply = _BINARY[op][1]
    if type(a) is Value or type(b) is Value:
        return apply(a, b)
    return apply(Value(a), b).data  # never a complex number, never a bare ZeroDivisionError


def evaluate(tree: ast.Expression, variables: dict[str, Value], text: str = "") -> Value:
    """The Value of a formula tree checked by `parse_formula`, with `variables` bound by name."""
    results: list[Any] = []
    # Entries: (node, False) to expand it, (node, True) to combine its finished children.
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(float(node.value))  # type: ignore[arg-type]  # checked: a number
        elif isinstance(node, ast.Name):
            if node.id not in variables:
                hint = (f"given: {', '.join(variables)}" if variables else "no variables given")
                raise FormulaError(
                    f"unknown name {node.id!r}: give it a value ({node.id}=1.5) or use one of "
                    f"the variables ({hint}) or functions ({', '.join(functions())})",
                    _column(text, node) if text else None, getattr(node, "lineno", 1),
                )
            results.append(variables[node.id])
        elif not ready:
            stack.append((node, True))
            children: list[ast.AST]
            if isinstance(node, ast.BinOp):
                children = [node.left, node.right]
            elif isinstance(node, ast.UnaryOp):
                children = [node.operand]
            else:
                assert isinstance(node, ast.Call)
                children = list(node.args)
            stack += [(c, False) for c in reversed(children)]
        elif isinstance(node, ast.BinOp):
            b = results.pop()
            a = results.pop()
            results.append(_binary(type(node.op), a, b))
        elif isinstance(node, ast.UnaryOp):
            a = results.pop()
            if isinstance(node.op, ast.USub):
                results.append(-a if type(a) is Value else 0.0 - a)
            else:
                results.append(a)
        else:
            assert isinstance(node, ast.Call)
            args = [results.pop() for _ in node.args][::-1]
            results.append(_call(node, args, text))
    (result,) = results
    return result if type(result) is Value else Value(result)


def _call(node: ast.Call, args: list[Any], text: str) -> Any:
    """A table function applied to its arguments (a number stays a number)."""
    assert isinstance(node.func, ast.Name)
    name = node.func.id
    function = functions()[name]  # checked: a name from the table
    x = args[0] if type(args[0]) is Value else Value(args[0])
    if any(type(a) is Value for a in args[1:]):  # leaky_relu's slope, for instance
        extra = ", ".join(p.name for p in _extra_parameters(function))
        raise FormulaError(f"{name}(x, {extra}): {extra} must be a number",
                           _column(text, node) if text else None)
    out = function(x, *args[1:])
    return out if type(args[0]) is Value else out.data


def compute(text: str, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """Parse and evaluate `text` with the given values, then run backward."""
    tree = parse_formula(text)
    variables = {name: Value(v, label=name) for name, v in values.items()}
    try:
        result = evaluate(tree, variables, text)
        result.backward()
    except (ArithmeticError, ValueError, TypeError) as exc:  # log(-1), 0 ** -1, overflow
        raise FormulaError(f"cannot compute: {exc}") from None
    return result, variables


# ---------------------------------------------------------------------------
# The program
# ---------------------------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line and exit status 2, through main()
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its --help shows examples)."""
    parser = _Parser(
        prog="python -m autograd",
        description="Evaluate a formula, print its value and the gradient of every variable, "
        "and draw its computational graph.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("formula", help='the formula, quoted, e.g. "tanh(x*w + b)"')
    parser.add_argument("values", nargs="*", metavar="NAME=NUMBER",
                        help="a value for each variable")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the graph to FILE")
    parser.add_argument("--format", choices=["svg", "png", "dot"],
                        help="format of the graph (default: from FILE's extension, else svg)")
    parser.add_argument("--rankdir", choices=RANKDIRS, default=DEFAULTS.rankdir,
                        help="direction of the drawing (default %(default)s; TB: top to bottom, "
                        "narrower)")
    parser.add_argument("--steps", metavar="HTML",
                        help="write a page that plays backward step by step")
    parser.add_argument("--max-nodes", type=int, default=DEFAULTS.max_nodes, metavar="N",
                        help="refuse to draw more nodes than N (default %(default)s)")
    return parser


def _report(result: Value, variables: dict[str, Value], text: str) -> str:
    lines = [f"{text} = {result.data:.6g}"]
    if variables:
        width = max(8, *(len(name) for name in variables))
        lines.append(f"{'variable':<{width}}  {'value':>12}  {'gradient':>12}")
        for name, v in variables.items():
            lines.append(f"{name:<{width}}  {v.data:>12.6g}  {v.grad:>12.6g}")
    return "\n".join(lines)


def _error_lines(exc: FormulaError, text: str | None) -> str:
    message = f"error: {exc}"
    if exc.column is None or text is None:
        return message
    lines = text.splitlines() or [""]
    line = lines[min(max(exc.line, 1), len(lines)) - 1]
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: max(exc.column - 1, 0)])
    return f"{message}\n  {line}\n  {pad}^"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for bad input)."""
    parser = build_parser()
    text: str | None = None
    try:
        args = parser.parse_args(argv)
        text = args.formula
        values = parse_assignments(args.values)
        if args.format and not args.output:
            raise FormulaError(f"--format {args.format} needs -o FILE to write the graph to")
        options = _drawing_options(args)
        result, variables = compute(args.formula, values)
        unused = [name for name in values if not _mentions(args.formula, name)]
        print(_report(result, variables, args.formula))
        if unused:
            print(f"(not in the formula: {', '.join(unused)})")
        if args.output:
            print(_write_graph(result, args, options))
        if args.steps:
            path = BackwardStepper(result, options=options).save_html(args.steps)
            print(f"wrote {path}")
    except _UsageError as exc:
        dash = "unrecognized" in str(exc)
        hint = " (a formula starting with - needs -- before it)" if dash else ""
        print(f"error: {exc}{hint} (see --help)", file=sys.stderr)
        return 2
    except FormulaError as exc:
        print(_error_lines(exc, text), file=sys.stderr)
        return 2
    except GraphvizNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)  # with the lines saying how to install it
        return 2
    except (ValueError, RuntimeError, OSError) as exc:  # drawing too big, a path that fails
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _mentions(text: str, name: str) -> bool:
    tree = ast.parse(text, mode="eval")
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree))


def _drawing_options(args: argparse.Namespace) -> DrawOptions:
    """The drawing options given on the command line (checked by DrawOptions)."""
    try:
        return DrawOptions(rankdir=args.rankdir, max_nodes=args.max_nodes)
    except ValueError as exc:
        raise FormulaError(f"--max-nodes {args.max_nodes}: {exc}") from None


def _write_graph(result: Value, args: argparse.Namespace, options: DrawOptions) -> str:
    path = Path(args.output)
    by_suffix = {".png": "png", ".dot": "dot", ".gv": "dot"}
    fmt = args.format or by_suffix.get(path.suffix.lower(), "svg")
    graph = draw_dot(result, options=options, check_dot=fmt != "dot")
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
    else:
        path.write_bytes(graph.pipe(format=fmt))
    return f"wrote {path} ({fmt})"
