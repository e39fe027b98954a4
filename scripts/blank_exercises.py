"""Write the learner's copies of the notebooks, with every exercise's answer blanked.

    .venv/bin/python scripts/blank_exercises.py [--out DIR] [--force] [notebooks/NAME.ipynb ...]

Without notebook arguments, every notebook in notebooks/ that has exercises. A cell
tagged `answer` holds assignments `name = <answer>` (or a function, `def name(...):`);
its copy keeps the comments that ask the question and says `name = ...` instead, which
the next cell (tagged `check`) reports as not answered yet. Outputs are cleared, so the learner runs the copy afresh.
Copies go to out/exercises/ in the project folder (or --out DIR), with the notebooks'
helper modules (every .py file in notebooks/: `exercises.py` checks the answers) beside
them; an existing copy (perhaps with the learner's work in it) is kept unless --force
is given.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ANSWER, CHECK = "answer", "check"
DEFAULT_OUT = ROOT / "out" / "exercises"

NOTE = (
    "> **Exercise copy.** Cells that say `name = ...` are yours to fill in: replace the `...`"
    " with your answer, then run that cell and the check below it. The original notebook,"
    " `notebooks/{name}`, has the answers."
)


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """The cell's metadata tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def _target(node: ast.expr, where: str) -> str:
    """`x` for `x = …`, `a, b` for `a, b = …`; anything else cannot be blanked."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Name) for e in node.elts):
        return ", ".join(e.id for e in node.elts)  # type: ignore[attr-defined]
    raise ValueError(f"{where}: an answer must be assigned to a name, got {ast.unparse(node)!r}")


def blank_source(source: str, placeholder: str = "...", where: str = "answer cell") -> str:
    """The answer cell `source` with each assignment's right side replaced by `placeholder`.

    Comment lines and blank lines stay; a comment on an answer's own lines goes with it
    (it may give the answer away). `a, b = …` becomes `a, b = ..., ...`, and a function
    `def f(...):` with its body becomes `f = ...`.
    """
    lines = source.splitlines()
    statements = ast.parse(source).body
    if not statements:
        raise ValueError(f"{where}: an answer cell needs at least one assignment")
    blanked: dict[int, str] = {}  # first line of each statement -> its blanked form
    dropped: set[int] = set()
    for st in statements:
        if isinstance(st, ast.FunctionDef):  # the learner writes the whole function
            target, n = st.name, 1
            first = min([st.lineno, *(d.lineno for d in st.decorator_list)]) - 1
        elif isinstance(st, ast.Assign) and len(st.targets) == 1:
            target = _target(st.targets[0], where)
            n, first = target.count(",") + 1, st.lineno - 1
        else:
            raise ValueError(f"{where}: only assignments `name = answer` and functions "
                             f"`def name(...)` can be blanked, got {ast.unparse(st)!r}")
        last = (st.end_lineno or st.lineno) - 1
        blanked[first] = f"{target} = {', '.join([placeholder] * n)}"
        dropped.update(range(first + 1, last + 1))
    out = [blanked.get(i, line) for i, line in enumerate(lines) if i not in dropped]
    return "\n".join(out)


def blank_notebook(nb: nbformat.NotebookNode, name: str, placeholder: str = "...") -> int:
    """Blank every answer cell of `nb` in place and clear all outputs; the number blanked."""
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if ANSWER in tags(cell):
            cell.source = blank_source(cell.source, placeholder, where=f"{name} cell {i}")
            count += 1
    if count:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(NOTE.format(name=name)))
    return count


def has_exercises(path: Path) -> bool:
    """True when the notebook has at least one cell tagged `answer`."""
    nb = nbformat.read(path, as_version=4)
    return any(ANSWER in tags(cell) for cell in nb.cells)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="`make exercises` runs this with the defaults (`make exercises FORCE=1`: --force).",
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, metavar="NOTEBOOK",
        help="notebooks to copy (default: every notebook in notebooks/ that has exercises)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
        help=f"folder for the copies and the helper modules (default: "
             f"{DEFAULT_OUT.relative_to(ROOT)}/ in the project folder, {DEFAULT_OUT})",
    )
    parser.add_argument("--force", action="store_true",
                        help="overwrite copies that exist already (they may hold your work)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    paths = args.notebooks or [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if has_exercises(p)]
    args.out.mkdir(parents=True, exist_ok=True)
    for helper in sorted(NOTEBOOKS.glob("*.py")):  # the modules the notebooks import
        shutil.copy2(helper, args.out / helper.name)
    for path in paths:
        target = args.out / path.name
        if target.exists() and not args.force:
            print(f"{target} exists (your work?): kept; --force overwrites it")
            continue
        nb = nbformat.read(path, as_version=4)
        count = blank_notebook(nb, path.name)
        nbformat.write(nb, target)
        print(f"{target}: {count} exercise{'' if count == 1 else 's'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
