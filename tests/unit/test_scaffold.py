"""`./kurz new-check`: the book's worked example (book/ucitel-nova-kontrola.md, nginx gzip), run for
real in a temporary copy of the course: the scaffold writes the stubs, the linter refuses them until
the blocks of the book page are filled in, then passes, and the new check fails and passes on the
facts of its own fixture. Bad input is a Czech message and exit 2, and writes nothing."""

from __future__ import annotations

import copy
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from checkers.checks import registry
from tests.helpers.check_fixtures import changed
from tests.helpers.cli import REPO, run_cli
from tests.helpers.recorded import recorded_facts

BOOK_PAGE = REPO / "book" / "ucitel-nova-kontrola.md"
BLOCK = re.compile(r"^% worked-example: (\w+)\n```\w+\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The book's example is nginx.E010; once the course has an nginx.E010 of its own, the first free number.
NUMBER = next(n for n in range(10, 1000) if f"nginx.E{n:03d}" not in registry())
CHECK_ID, FUNCTION = f"nginx.E{NUMBER:03d}", f"nginx_e{NUMBER:03d}"
WRITTEN = ("checkers/checks/nginx.py", "checkers/texts/checks.toml", "exercises/course.toml",
           f"tests/fixtures/checks/{CHECK_ID}.toml")


def book_blocks() -> dict[str, str]:
    found = dict(BLOCK.findall(BOOK_PAGE.read_text(encoding="utf-8")))
    return {name: block.replace("nginx.E010", CHECK_ID).replace("nginx_e010", FUNCTION) for name, block in found.items()}


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """The course as an author has it: the checker, the course data, the book's pages, the fixtures."""
    copy = tmp_path / "kurz"
    ignore = shutil.ignore_patterns("__pycache__", "_build", "*.pyc")
    for part in ("checkers", "exercises", "book"):
        shutil.copytree(REPO / part, copy / part, ignore=ignore)
    shutil.copytree(REPO / "tests" / "fixtures" / "checks", copy / "tests" / "fixtures" / "checks")
    return copy


def kurz(copy: Path, *args: str):
    return run_cli(*args, home=copy / ".home", cwd=copy, timeout=120)


def fill_in(copy: Path, blocks: dict[str, str]) -> None:
    """What the author does after the scaffold: the stubs replaced by the book page's blocks."""
    module = copy / "checkers/checks/nginx.py"
    source = module.read_text(encoding="utf-8")
    stub = re.search(rf"^def {FUNCTION}\(facts: dict\):\n(?:    .*\n|\n)*?(?=\n\nCHECKS = )", source, re.MULTILINE)
    source = source[:stub.start()] + blocks["function"] + source[stub.end():]
    source = re.sub(rf'^    Check\("{re.escape(CHECK_ID)}".*\n', blocks["registration"], source, flags=re.MULTILINE)
    module.write_text(source, encoding="utf-8")
    texts = copy / "checkers/texts/checks.toml"
    text = texts.read_text(encoding="utf-8")
    section = re.search(rf'^\["{re.escape(CHECK_ID)}"\]\n(?:[^\[\n].*\n)*', text, re.MULTILINE)
    texts.write_text(text[:section.start()] + blocks["texts"] + text[section.end():], encoding="utf-8")
    (copy / WRITTEN[3]).write_text(blocks["fixture"], encoding="utf-8")


def verdicts(copy: Path, facts: dict, name: str):
    path = copy / f"{name}.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    run = kurz(copy, "step7", "--facts", str(path), "--json")
    return run.rc, run.statuses()


def test_the_books_worked_example_runs_through_the_scaffold(course_copy):
    blocks = book_blocks()
    assert set(blocks) == {"function", "registration", "texts", "fixture"}
    before = {name: (course_copy / name).read_text(encoding="utf-8") if (course_copy / name).exists() else None
              for name in WRITTEN}

    made = kurz(course_copy, "new-check", CHECK_ID, "--step", "step7")
    assert made.rc == 0, made.stdout + made.stderr
    changed_files = [name for name in WRITTEN if (course_copy / name).read_text(encoding="utf-8") != before[name]]
    assert changed_files == list(WRITTEN)  # the check's three files and its fixture, nothing else
    course = tomllib.loads((course_copy / "exercises/course.toml").read_text(encoding="utf-8"))
    assert next(s for s in course["step"] if s["id"] == "step7")["checks"][-1] == CHECK_ID

    stubs = kurz(course_copy, "lint")  # the stubs are marked TODO: the linter refuses them
    assert stubs.rc == 1 and CHECK_ID in stubs.stdout + stubs.stderr and "TODO" in stubs.stdout + stubs.stderr

    fill_in(course_copy, blocks)
    lint = kurz(course_copy, "lint")
    assert lint.rc == 0, lint.stdout + lint.stderr

    fixture = tomllib.loads(blocks["fixture"])
    solved = recorded_facts(fixture["recording"])
    rc, statuses = verdicts(course_copy, changed(solved, fixture["pass"]), "pass")
    assert (rc, statuses[CHECK_ID]) == (0, "passed")
    rc, statuses = verdicts(course_copy, changed(solved, fixture["fail"]), "fail")
    assert (rc, statuses[CHECK_ID]) == (1, "failed")
    assert statuses["nginx.E004"] == "passed"  # only the new check fails
    rc, statuses = verdicts(course_copy, changed(solved, {"nginx.config.directives": {"gzip": "off"}}), "off")
    assert (rc, statuses[CHECK_ID]) == (1, "failed")
    older = copy.deepcopy(solved)  # a recording made before the probe knew the fact
    older["nginx"]["config"].pop("directives", None)
    _, statuses = verdicts(course_copy, older, "older-probe")
    assert statuses[CHECK_ID] == "unverified"


def test_a_check_of_a_new_component_gets_its_own_module_found_by_the_registry(course_copy):
    made = kurz(course_copy, "new-check", "cache.W001", "--step", "step11")
    assert made.rc == 0, made.stdout + made.stderr
    module = (course_copy / "checkers/checks/cache.py").read_text(encoding="utf-8")
    assert 'Check("cache.W001", cache_w001, requires=(), level=Level.RECOMMENDED),' in module
    assert "import Check, Level, failed" in module
    assert 'fail_status = "advice"' in (course_copy / "tests/fixtures/checks/cache.W001.toml").read_text()
    lint = kurz(course_copy, "lint")  # registered without any list edited: only its TODO texts are left
    problems = lint.stdout + lint.stderr
    assert lint.rc == 1 and "cache.W001" in problems and "neexistující kontrolu" not in problems
    assert "není v žádném kroku" not in problems and "Traceback" not in problems


@pytest.mark.parametrize("args, message", [
    (("new-check", "nginx.E004", "--step", "step7"), "už existuje"),
    (("new-check", "systemd.E006", "--step", "step9"), "vyřazené"),
    (("new-check", "nginx.X010", "--step", "step7"), "není id nové kontroly"),
    (("new-check", "nginx.I010", "--step", "step7"), "není id nové kontroly"),
    (("new-check", CHECK_ID, "--step", "step99"), "v kurzu není"),
    (("new-check", CHECK_ID), "potřebuje id kontroly a krok"),
])
def test_bad_input_is_a_czech_message_and_writes_nothing(course_copy, args, message):
    before = {name: (course_copy / name).read_text(encoding="utf-8") for name in WRITTEN[:3]}
    run = kurz(course_copy, *args)
    assert run.rc == 2 and message in run.stdout + run.stderr, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert {name: (course_copy / name).read_text(encoding="utf-8") for name in WRITTEN[:3]} == before
    assert not (course_copy / WRITTEN[3]).exists()
