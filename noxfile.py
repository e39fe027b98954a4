"""The test suite on every Python the project supports: `make test-all` (or `nox -s tests`).

Each session installs the project with its `dev` extra into its own virtualenv under
.nox/ and runs pytest; arguments after `--` go to pytest (`nox -- -x tests/test_ops.py`).
A Python that is not installed is skipped, and nox says so in its summary.
"""

from __future__ import annotations

import glob
import os

import nox

PYTHONS = ["3.11", "3.12", "3.13"]  # keep in step with pyproject's classifiers


def _pyenv_bin(root: str, version: str) -> str | None:
    """The bin folder of pyenv's newest `version`.Z release (e.g. 3.12.1), if installed."""
    best: tuple[int, str] | None = None
    for folder in glob.glob(os.path.join(root, "versions", f"{version}.*")):
        patch = os.path.basename(folder)[len(version) + 1 :]
        if patch.isdigit() and (best is None or int(patch) > best[0]):  # not 3.12-dev, 3.13.0t
            best = (int(patch), os.path.join(folder, "bin"))
    return best[1] if best else None


def _add_pyenv_pythons_to_path() -> None:
    """Put pyenv's installed interpreters on PATH, ahead of pyenv's shims.

    A shim such as `python3.12` exists even when pyenv has not selected that version,
    and then fails to run; the interpreters themselves live in $PYENV_ROOT/versions.
    """
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = [b for b in (_pyenv_bin(root, v) for v in PYTHONS) if b]
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_add_pyenv_pythons_to_path()
nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"  # pip still brings each virtualenv up to date with pyproject


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole pytest suite (notebooks included) on one Python."""
    session.install("--quiet", "-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)
