"""The course data linter passes on the real course and catches each kind of mistake, including check ids
whose letter (E required, W recommended, I informational) does not match the check's level."""

from __future__ import annotations

import dataclasses

from checkers.checks import registry
from checkers.checks.base import Check, Level, passed
from checkers.course import load_course
from checkers.course_lint import check_id_problems, lint
from checkers.texts import table


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


# ------------------------------------------------------------------ check ids and levels


def _check(check_id: str, level: Level = Level.REQUIRED) -> Check:
    return Check(check_id, lambda facts: passed(), level=level)


def test_check_ids_of_every_kind_with_the_right_level_pass():
    checks = {c.id: c for c in (_check("nginx.E001"), _check("nginx.W001", Level.RECOMMENDED),
                                _check("nginx.I001"), _check("nginx.I002", Level.RECOMMENDED),
                                _check("app_engine.E123"))}
    assert check_id_problems(checks) == []


def test_an_id_whose_letter_does_not_match_the_level_is_caught():
    problems = check_id_problems({"nginx.E001": _check("nginx.E001", Level.RECOMMENDED),
                                  "nginx.W001": _check("nginx.W001", Level.REQUIRED)})
    assert len(problems) == 2
    assert "nginx.E001" in problems[0] and "doporučená (RECOMMENDED)" in problems[0] and "povinná" in problems[0]
    assert "nginx.W001" in problems[1] and "povinná (REQUIRED)" in problems[1]


def test_a_malformed_check_id_is_caught():
    for bad in ("nginx.X001", "nginx.E01", "nginx.E0001", "Nginx.E001", "nginx_E001", "nginx.e001"):
        problems = check_id_problems({bad: _check(bad)})
        assert len(problems) == 1 and "komponenta.W###" in problems[0], (bad, problems)
    assert any("jiným id" in p for p in check_id_problems({"nginx.E001": _check("nginx.E002")}))


def test_every_registered_check_has_a_well_formed_id_and_level():
    checks = registry()
    assert check_id_problems(checks) == []
    assert all(c.level is Level.RECOMMENDED for i, c in checks.items() if ".W" in i)


def test_a_recommended_check_needs_a_failure_text_and_a_hint_like_a_required_one():
    course = load_course()
    checks = dict(registry())
    some_step = course.steps[1]
    advice = _check("django.W999", Level.RECOMMENDED)
    checks[advice.id] = advice
    with_step = _with_step(course, checks=(*some_step.checks, advice.id))
    texts = {**table("checks"), advice.id: {"title": "Doporučení"}}
    problems = lint(with_step, checks=checks, texts=texts)
    assert "Kontrola django.W999 nemá text pro neúspěch (fail)." in problems
    assert "Kontrola django.W999 nemá nápovědu (hint)." in problems
    texts[advice.id] = {"title": "Doporučení", "fail": "Chybí.", "hint": "Doplňte."}
    assert lint(with_step, checks=checks, texts=texts) == []
    checks[advice.id] = _check("django.W999", Level.REQUIRED)
    assert any("django.W999" in p and "povinná (REQUIRED)" in p for p in lint(with_step, checks=checks, texts=texts))


def test_a_retired_id_is_never_used_again():
    assert check_id_problems({"systemd.E006": _check("systemd.E006", Level.REQUIRED)})
    assert "vyřazené" in check_id_problems({"systemd.E006": _check("systemd.E006", Level.REQUIRED)})[0]
    assert check_id_problems({"systemd.E010": _check("systemd.E010", Level.REQUIRED)}) == []


def test_causes_are_linted_by_their_own_rules():
    from checkers.checks.base import Check, Kind, Level, cause, passed
    from checkers.course_lint import cause_problems

    texts = {"doctor.D901": {"title": "T", "explanation": "E", "fix": "F"},
             "doctor.A902": {"title": "T", "explanation": "", "fix": "F"}, "doctor.D999": {"title": "x"}}
    causes = {"doctor.D901": cause("doctor.D901", lambda f: passed(), ["doctor.D404"]),
              "doctor.A902": Check("doctor.A902", lambda f: passed(), level=Level.REQUIRED, kind=Kind.CAUSE),
              "nginx.X1": cause("nginx.X1", lambda f: passed())}
    problems = cause_problems(causes, texts)
    assert any("doctor.D901 zastiňuje neznámou příčinu doctor.D404" in p for p in problems)
    assert any("doctor.A902 má úroveň" in p for p in problems)
    assert any("doctor.A902 nemá text explanation" in p for p in problems)
    assert any("nginx.X1 nemá id tvaru" in p for p in problems)
    assert any("neexistující příčinu doctor.D999" in p for p in problems)
    good = {"doctor.D901": cause("doctor.D901", lambda f: passed())}
    assert cause_problems(good, {"doctor.D901": texts["doctor.D901"]}) == []
