"""`pip install graphgrad` in a fresh virtualenv: what works without extras, what says it needs one.

The sdist and wheel are built from this checkout with `python -m build --no-isolation`
(offline: setuptools comes from the dev extra); the wheel is built from the sdist, so
both are exercised. pip installs the wheel's dependencies from its local cache when
it has them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("build")

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_dist", ROOT / "scripts" / "check_dist.py")
assert _spec and _spec.loader
check_dist = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_dist)

OPTIONAL = ("hypothesis", "tqdm", "matplotlib", "sklearn", "onnx", "onnxruntime")


def _run(cmd: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `cmd` outside the checkout, with no PYTHONPATH pointing into it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], ROOT))
    return out


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory, dist) -> Path:
    """A fresh virtualenv with graphgrad's wheel installed, no extras."""
    venv = tmp_path_factory.mktemp("venv")
    _ok(_run([sys.executable, "-m", "venv", venv], venv))
    python = venv / "bin" / "python"
    (wheel,) = dist.glob("*.whl")
    _ok(_run([python, "-m", "pip", "install", "--quiet", wheel], venv))
    return python


def test_sdist_and_wheel_pass_twine_and_hold_every_readme_picture(dist):
    pytest.importorskip("twine")
    _ok(_run([sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir()], ROOT))
    assert check_dist.check(dist) == []


def test_check_dist_reports_a_missing_readme_picture(dist, tmp_path, monkeypatch):
    monkeypatch.setattr(check_dist, "readme_images", lambda readme: ["docs/nowhere.png"])
    problems = check_dist.check(dist)
    assert len(problems) == 1 and "lacks docs/nowhere.png" in problems[0]


def test_core_install_imports_both_packages_without_the_extras(venv_python, tmp_path):
    code = (
        "import sys, autograd, nn\n"
        "print(autograd.__file__)\n"
        f"print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))\n"
    )
    where, loaded = _ok(_run([venv_python, "-c", code], tmp_path)).stdout.splitlines()
    assert Path(where).is_relative_to(venv_python.parent.parent)  # the installed copy
    assert loaded == "[]"
    missing = _run([venv_python, "-c", "import hypothesis, tqdm, sklearn, onnx"], tmp_path)
    assert missing.returncode != 0  # the extras are really absent from this virtualenv


def test_core_install_runs_the_command_line(venv_python, tmp_path):
    result = _ok(_run([venv_python, "-m", "autograd", "x*x", "x=3"], tmp_path))
    assert result.stdout.splitlines()[0] == "x*x = 9"
    assert result.stdout.split("\n")[2].split() == ["x", "3", "6"]  # value 3, gradient 2x = 6


def test_demo_names_its_extra_then_runs_once_it_is_installed(venv_python, dist, tmp_path):
    result = _run([venv_python, "-m", "nn.demo"], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "pip install 'graphgrad[demo]'" in result.stderr
    (wheel,) = dist.glob("*.whl")
    _ok(_run([venv_python, "-m", "pip", "install", "--quiet", f"{wheel}[demo]"], tmp_path))
    result = _ok(_run([venv_python, "-m", "nn.demo", "--steps", "2", "--out", "pics"], tmp_path))
    assert "accuracy: " in result.stdout
    assert (tmp_path / "pics" / "decision_boundary.png").exists()
