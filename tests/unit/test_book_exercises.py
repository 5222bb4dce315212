"""The book and the course data agree: every step has exactly one exercise, on its own page.

Exercise blocks are written in the chapters as ```{exercise} stepN``` (MyST directive). Their
title, points, hints, command and solution come from exercises/course.toml at build time, so
the only thing that can drift is the set of ids and where they are.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from checkers.course import load_course
from checkers.paths import BOOK_DIR, COURSE_FILE

# An opening fence (``` or ~~~ or :::, three or more) of an `exercise` directive and its argument.
EXERCISE_RE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*\{exercise\}[ \t]*(?P<id>\S*)", re.MULTILINE)


def book_pages(book_dir: Path = BOOK_DIR) -> dict[str, Path]:
    """docname (path without .md, as in course.toml's `section`) -> file, for every Markdown source."""
    pages = {}
    for path in book_dir.rglob("*.md"):
        rel = path.relative_to(book_dir)
        if rel.parts[0].startswith("_") or path.name == "README.md":
            continue
        pages[rel.with_suffix("").as_posix()] = path
    return pages


def exercises_in(text: str) -> list[str]:
    return [m.group("id") for m in EXERCISE_RE.finditer(text)]


def book_exercises(pages: dict[str, Path]) -> list[tuple[str, str]]:
    """(exercise id, docname) for every exercise block in the book, in file order."""
    found = []
    for docname, path in sorted(pages.items()):
        found.extend((ex_id, docname) for ex_id in exercises_in(path.read_text(encoding="utf-8")))
    return found


def problems(steps: dict[str, str], found: list[tuple[str, str]]) -> list[str]:
    """What is wrong between the course's steps ({id: section}) and the book's exercises."""
    out = []
    seen: dict[str, str] = {}
    for ex_id, docname in found:
        if not ex_id:
            out.append(f"{docname}: exercise block without a step id")
        elif ex_id not in steps:
            out.append(f"{docname}: exercise {ex_id!r} is not a step of the course data")
        elif ex_id in seen:
            out.append(f"{docname}: exercise {ex_id!r} appears twice (also in {seen[ex_id]})")
        else:
            seen[ex_id] = docname
            if steps[ex_id] != docname:
                out.append(f"{docname}: exercise {ex_id!r} belongs on {steps[ex_id]} (course data `section`)")
    for step_id, section in steps.items():
        if step_id not in seen:
            out.append(f"step {step_id!r} has no exercise in the book (expected on {section})")
    return out


@pytest.fixture(scope="module")
def steps() -> dict[str, str]:
    return {step.id: step.section for step in load_course().steps}


def test_every_step_has_exactly_one_exercise_on_its_page(steps):
    found = book_exercises(book_pages())
    assert found, "no exercise block found in the book at all"
    assert problems(steps, found) == []


def test_every_course_section_is_a_page_in_the_table_of_contents(steps):
    pages = book_pages()
    toc = yaml.safe_load((BOOK_DIR / "_toc.yml").read_text(encoding="utf-8"))
    in_toc = {toc["root"]}
    for part in toc.get("parts", []):
        in_toc.update(chapter["file"] for chapter in part.get("chapters", []))
    missing_pages = sorted(s for s in set(steps.values()) if s not in pages)
    missing_toc = sorted(s for s in set(steps.values()) if s not in in_toc)
    assert missing_pages == [] and missing_toc == []
    assert sorted(set(pages) - in_toc) == [], "pages that no reader can reach"


def test_checker_detects_unknown_missing_duplicate_and_misplaced_exercises():
    steps = {"step0": "kapitoly/00-priprava", "step1": "kapitoly/01-debug", "step2": "kapitoly/02-allowed-hosts"}
    found = [
        ("step0", "kapitoly/00-priprava"),
        ("step9", "kapitoly/01-debug"),  # unknown to the course data
        ("step1", "kapitoly/02-allowed-hosts"),  # on the wrong page
        ("step0", "intro"),  # twice
        ("", "intro"),  # no id
    ]  # and step2 has no exercise at all
    messages = problems(steps, found)
    assert any("'step9' is not a step" in m for m in messages)
    assert any("'step1' belongs on kapitoly/01-debug" in m for m in messages)
    assert any("'step0' appears twice" in m for m in messages)
    assert any("without a step id" in m for m in messages)
    assert any("'step2' has no exercise" in m for m in messages)
    assert len(messages) == 5


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("```{exercise} step3\nbody\n```\n", ["step3"]),
        ("````{exercise} step10\n```sh\nx\n```\n````\n", ["step10"]),
        (":::{exercise} svs\nbody\n:::\n", ["svs"]),
        ("  ```{exercise}   appengine  \n```\n", ["appengine"]),
        ("```{note}\n`{exercise}` is a directive\n```\n", []),
        ("Use ```{exercise} step1``` inline\n", []),
    ],
)
def test_exercise_blocks_are_recognised(text, ids):
    assert exercises_in(text) == ids


def test_extension_renders_every_step_from_the_course_data():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("course_book", BOOK_DIR / "_ext" / "course_book.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("course_book", module)
    spec.loader.exec_module(module)
    data = module.load_exercises(COURSE_FILE)
    raw = tomllib.loads(COURSE_FILE.read_text(encoding="utf-8"))["step"]
    assert list(data) == [s["id"] for s in raw]
    for entry in raw:
        ex = data[entry["id"]]
        assert ex.title == entry["title"] and ex.points == entry["points"]
        assert list(ex.hints) == entry["hints"] and ex.hints, f"{ex.id} has no hints"
        assert ex.command == entry.get("command", f"./kurz {ex.id}")
    course = load_course()
    required = getattr(course, "required_steps", course.steps)
    assert module.course_totals() == (course.total_points, len(required))  # as checkers/session.py
    assert [module.points_cs(n) for n in (1, 2, 3, 4, 5, 11)] == ["1 bod", "2 body", "3 body", "4 body", "5 bodů", "11 bodů"]
