"""The `./kurz` launcher: finds a Python, creates .venv on first use, runs the checker or `lab`.

The launcher and its two helper scripts are copied into a small fake repository whose `checkers`
and `lab` only print their arguments, and whose requirements are already satisfied (pip runs with
no index), so the test needs no network and takes seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


def fake_repo(root: Path, requirement: str = "pip") -> Path:
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "kurz", root / "kurz")
    for name in ("kurz.py", "kurz_setup.py"):
        shutil.copy2(REPO / "scripts" / name, root / "scripts" / name)
    (root / "requirements.txt").write_text(requirement + "\n")
    (root / "constraints.txt").write_text("")
    for module in ("checkers", "lab"):
        (root / module).mkdir()
        (root / module / "__init__.py").write_text("")
        (root / module / "__main__.py").write_text(f"import sys\nprint('{module}:', sys.argv[1:])\nsys.exit(1)\n")
    return root


def kurz(repo: Path, *args: str, path: str = "/usr/bin:/bin", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(repo), "PATH": path, "LANG": "C.UTF-8", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([str(repo / "kurz"), *args], cwd=cwd or repo, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no python3 in /usr/bin")
def test_first_use_creates_the_venv_then_runs_the_checker_and_lab(tmp_path):
    repo = fake_repo(tmp_path / "kurz-repo")
    first = kurz(repo, "step3", "--target", "local")
    assert "Připravuji prostředí Pythonu" in first.stdout, first.stderr
    assert "checkers: ['step3', '--target', 'local']" in first.stdout
    assert first.returncode == 1  # the checker's own exit code comes through
    assert (repo / ".venv" / ".kurz-ready").is_file()

    again = kurz(repo, "hint", "step3", cwd=tmp_path)  # from another directory, venv already there
    assert "Připravuji" not in again.stdout
    assert "checkers: ['hint', 'step3']" in again.stdout

    lab = kurz(repo, "lab", "up")
    assert "lab: ['up']" in lab.stdout


def test_without_a_recent_python_it_says_so_in_czech(tmp_path):
    repo = fake_repo(tmp_path / "kurz-repo")
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "ls"):  # what the launcher itself uses; no python at all
        os.symlink(shutil.which(tool), tools / tool)
    result = kurz(repo, "step3", path=str(tools))
    assert result.returncode == 2
    assert "Kurz potřebuje Python 3.11 nebo novější" in result.stderr
    assert not (repo / ".venv").exists()


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no python3 in /usr/bin")
def test_a_failed_install_is_reported_and_retried_next_time(tmp_path):
    repo = fake_repo(tmp_path / "kurz-repo", requirement="balicek-ktery-neexistuje==1.0")
    result = kurz(repo, "step3")
    assert result.returncode == 2
    assert "Instalace balíčků do .venv selhala" in result.stderr
    assert "checkers:" not in result.stdout
    assert not (repo / ".venv" / ".kurz-ready").exists()

    (repo / "requirements.txt").write_text("pip\n")
    retried = kurz(repo, "step3")
    assert "Připravuji prostředí Pythonu" in retried.stdout and "checkers: ['step3']" in retried.stdout


def test_the_windows_twin_runs_the_same_entry_point():
    cmd = (REPO / "kurz.cmd").read_text()
    assert r'"%KURZ_PY%" "%KURZ_DIR%scripts\kurz.py" %*' in cmd
    assert r"scripts\kurz_setup.py" in cmd and r".venv\Scripts\python.exe" in cmd
    attributes = (REPO / ".gitattributes").read_text()
    assert "kurz text eol=lf" in attributes and "*.cmd text eol=crlf" in attributes
    assert not (REPO / "kurz.ps1").exists()  # PowerShell's default policy refuses scripts; .cmd always runs
