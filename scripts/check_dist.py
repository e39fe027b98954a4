"""Check what `make dist` built: `python scripts/check_dist.py [DIST_DIR]` (default dist/).

One sdist and one wheel; the wheel holds every module of the `autograd` and `nn`
packages; the sdist holds every picture the README shows. PyPI cannot display
pictures given by relative paths, so the README's pictures show on the repository's
page and in an unpacked sdist; this check keeps the sdist's copy complete.
"""

from __future__ import annotations

import posixpath
import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")
# Markdown's ![alt](path), ![alt](<path>) and ![alt](path "title") (the alt text may
# hold [brackets]), and HTML's <img src="path">
_IMAGE = re.compile(
    r'!\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)'
    r'|<img[^>]*\bsrc="([^"]+)"'
)


def readme_images(readme: str) -> list[str]:
    """The relative paths of every picture the README shows (web addresses left out)."""
    paths = [next(p for p in groups if p) for groups in _IMAGE.findall(readme)]
    # a scheme (https:, data:) means the picture does not come from the sdist
    local = [p for p in paths if not re.match(r"^[a-z][a-z0-9+.-]*:", p, re.IGNORECASE)]
    return [posixpath.normpath(p) for p in local]


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        raise SystemExit(f"check_dist: expected one {pattern} in {dist}, found {len(found)}")
    return found[0]


def check(dist: Path) -> list[str]:
    """Every problem found with the sdist and wheel in `dist` (an empty list if none)."""
    sdist, wheel = _one(dist, "*.tar.gz"), _one(dist, "*.whl")
    problems = []
    with tarfile.open(sdist) as tar:
        # names inside look like graphgrad-0.1.0/docs/graph.svg: drop the top folder
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in readme_images(readme):
        if path not in in_sdist:
            problems.append(f"{sdist.name}: lacks {path}, a picture the README shows")
    with zipfile.ZipFile(wheel) as whl:
        in_wheel = set(whl.namelist())
    for package in PACKAGES:
        for module in sorted((ROOT / package).glob("*.py")):
            name = module.relative_to(ROOT).as_posix()
            if name not in in_wheel:
                problems.append(f"{wheel.name}: lacks {name}")
    return problems


def main(argv: list[str]) -> int:
    """Print each problem found; the exit status is 1 if there is any."""
    dist = Path(argv[0]) if argv else ROOT / "dist"
    problems = check(dist)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {dist}: sdist and wheel complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
