"""A project that hangs or crashes while loading is diagnosed as what it is, at the project's file
and line, never as a broken virtual environment; no advice the checker gives deletes anything."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.cli import REPO, run_cli
from tests.helpers.django_project import make_django_project

HANG = "import time\nDEBUG = False\ntime.sleep(600)  # waits for ever\n"
CRASH = "import ctypes\nctypes.string_at(0)  # the interpreter itself dies\n"


def line_of(path: Path, marker: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def check(home, project, *extra):
    return run_cli("--target", "local", "--project", str(project), "--json", *extra, "step0", home=home)


def e002(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "project.E002")


def test_hanging_settings_are_a_hang_at_their_line(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "visi", extra=HANG)
    result = check(checkers_home, project, "--timeout", "10")
    check_ = e002(result)
    settings = project / "my_project" / "settings.py"
    assert check_["status"] == "unverified", check_
    assert f"zasekne v souboru {settings} na řádku {line_of(settings, 'waits for ever')}" in check_["message"]
    assert "nešel spustit" not in result.stdout and "rm -" not in result.stdout
    assert result.rc == 2  # could not check, not the student's failure


def test_a_crashing_interpreter_is_a_crash_at_its_line(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "pada", extra=CRASH)
    check_ = e002(check(checkers_home, project))
    settings = project / "my_project" / "settings.py"
    assert check_["status"] == "failed"
    assert f"spadl při načítání projektu, v souboru {settings} na řádku {line_of(settings, 'itself dies')}" \
        in check_["message"]


def test_a_working_project_is_no_hang(tmp_path, checkers_home):
    check_ = e002(check(checkers_home, make_django_project(tmp_path / "funguje")))
    assert check_["status"] == "passed" and "zasekne" not in check_["message"]


DESTRUCTIVE = re.compile(r"\brm\s+-[A-Za-z]*[rR]|\brmdir\b|rm\s+[^\n`]*\.venv|smaž\w*\s+[^\n]*\.venv|venv\s+--clear",
                         re.IGNORECASE)


def test_no_advice_deletes_student_data():
    texts = [*sorted((REPO / "checkers" / "texts").glob("*.toml")), REPO / "exercises" / "course.toml"]
    texts += sorted((REPO / "checkers").rglob("*.py"))
    found = [(str(p.relative_to(REPO)), m.group(0)) for p in texts for m in DESTRUCTIVE.finditer(p.read_text())]
    assert found == []
    assert DESTRUCTIVE.search("Smažte prostředí: `rm -rf .venv` a vytvořte ho znovu")  # the pattern can match
