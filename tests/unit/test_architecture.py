"""The design, enforced: the import contracts in pyproject.toml (layers, no loops, a pure core)
hold, and they really fail when a module breaks them; no module grows past ~400 lines without
saying why in its opening comment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                "sys.exit(lint_imports_command())", "--no-cache"]
MAX_LINES = 400
LONG_FILE_REASON = "Longer than 400 lines:"  # in the module docstring, followed by the reason


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT_IMPORTS, cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contracts_catch_an_upward_import_and_a_loop(tmp_path):
    shutil.copytree(REPO / "checkers", tmp_path / "checkers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    engine = tmp_path / "checkers" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\nfrom checkers import sources  # noqa\n",
                      encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "checkers.engine is not allowed to import checkers.sources" in result.stdout
    assert "imports no I/O library BROKEN" in result.stdout


def test_no_module_is_long_without_a_reason():
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, timeout=60)
    paths = [REPO / name for name in tracked.stdout.split()] if tracked.returncode == 0 else \
        sorted((REPO / "checkers").rglob("*.py"))
    too_long = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and LONG_FILE_REASON not in text[:3000]:
            too_long.append(f"{path.relative_to(REPO)}: {text.count(chr(10))} lines")
    assert too_long == []
