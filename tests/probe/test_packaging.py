"""`make start`'s editable install of the course (scripts/lib.sh) prints no setuptools warnings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WARNING = re.compile(r"warn|beta|be careful", re.IGNORECASE)
OLD_CONFIG = """
[tool.setuptools.packages.find]
include = ["checkers*", "lab*"]

[tool.setuptools.package-data]
checkers = ["texts/*.toml"]
"""


def editable_install(project: Path, target: Path) -> subprocess.CompletedProcess:
    """What scripts/lib.sh runs (quiet, no deps, no build isolation), into a throwaway target."""
    return subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "--no-index", "-e", str(project), "--target", str(target)],
                          capture_output=True, text=True, timeout=300)


def copy_of_packaging(root: Path) -> Path:
    project = root / "repo"
    project.mkdir()
    for name in ("pyproject.toml", "setup.cfg"):
        shutil.copy2(REPO / name, project / name)
    for package in ("checkers", "lab"):
        (project / package).mkdir()
        (project / package / "__init__.py").write_text("")
    (project / "checkers" / "texts").mkdir()
    for other in ("tests", "book", "bench", "exercises", "scripts"):  # the flat layout's other folders
        (project / other).mkdir()
    return project


def test_the_editable_install_is_silent_and_puts_the_repository_on_the_path(tmp_path):
    project = copy_of_packaging(tmp_path)
    result = editable_install(project, tmp_path / "target")
    assert result.returncode == 0, result.stderr
    assert not WARNING.search(result.stdout + result.stderr), result.stdout + result.stderr
    pth = list((tmp_path / "target").glob("__editable__*.pth"))
    assert [p.read_text().strip() for p in pth] == [str(project)]


def test_the_old_pyproject_table_warned(tmp_path):
    """The failing case: the [tool.setuptools] table and no package_dir, as before."""
    project = copy_of_packaging(tmp_path)
    (project / "setup.cfg").unlink()
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + OLD_CONFIG)
    import setuptools

    result = editable_install(project, tmp_path / "target")
    assert result.returncode == 0, result.stderr
    if not WARNING.search(result.stdout + result.stderr):
        pytest.skip(f"setuptools {setuptools.__version__} no longer warns about the old configuration")
    assert "beta" in result.stderr or "be careful" in result.stderr
