"""The course data linter passes on the real course and catches each kind of mistake."""

from __future__ import annotations

import dataclasses

from checkers.course import load_course
from checkers.course_lint import lint


def test_the_real_course_is_consistent():
    assert lint(load_course()) == []


def _with_step(course, **changes):
    first = dataclasses.replace(course.steps[1], **changes)
    return dataclasses.replace(course, steps=(course.steps[0], first, *course.steps[2:]))


def test_linter_catches_each_kind_of_mistake():
    course = load_course()
    cases = {
        "nemá název": _with_step(course, title=" "),
        "nápověda č. 1 je prázdná": _with_step(course, hints=("",)),
        "neexistuje": _with_step(course, checks=("django.E999",)),
        "chybí referenční řešení": _with_step(course, solution="solutions/nic.sh"),
        "v knize chybí kapitola": _with_step(course, section="kapitoly/neni"),
        "není v žádném kroku": _with_step(course, checks=()),
    }
    for expected, broken in cases.items():
        problems = lint(broken)
        assert any(expected in p for p in problems), (expected, problems)
    duplicated = dataclasses.replace(course, steps=(*course.steps, course.steps[1]))
    assert any("2×" in p for p in lint(duplicated))
