"""Run notebooks top to bottom and save them with their outputs, in a stable form.

    .venv/bin/python scripts/execute_notebooks.py [notebooks/NAME.ipynb ...]

Without arguments, every notebook in notebooks/. Outputs are kept as a reader should
see them on GitHub; what changes from run to run without meaning is left out (cell
timing metadata, memory addresses in default reprs, the split of printed text into several chunks).
Live widgets (sliders) are left out too: a saved page cannot run them, and their ids change
on every run; each widget cell draws a few static frames for readers of the saved page.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def tidy(nb: nbformat.NotebookNode) -> None:
    """Drop per-run metadata, memory addresses and live widgets; join chunks of a stream."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        outputs: list[nbformat.NotebookNode] = []
        for out in cell.outputs:
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue  # a live widget: nothing to show on a saved page
            plain = "".join(data.get("text/plain", ""))
            if len(data) > 1 and re.fullmatch(r"<[\w.]+ (object )?at 0x[0-9a-f]+>", plain):
                del data["text/plain"]  # `<graphviz.graphs.Digraph at 0x…>` beside the SVG
            last = outputs[-1] if outputs else None
            if last is not None and out.output_type == last.output_type == "stream" and out.name == last.name:
                last.text += out.text
            else:
                outputs.append(out)
        cell.outputs = outputs


def main(paths: list[str]) -> None:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        tidy(nb)
        nbformat.write(nb, path)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
