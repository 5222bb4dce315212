"""The course data linter passes on the real course and catches each kind of mistake, including check ids
whose letter (E required, W recommended, I informational) does not match the check's level."""

from __future__ import annotations

import dataclasses

from checkers.checks import registry
from checkers.checks.base import Check, Level, passed
from checkers.course import load_course
from checkers.check_reasons import all_reasons
from checkers.course_lint import (ENGINE_REASONS, check_id_problems, czech_literal_problems, lint,
                                    prerequisite_problems, pure_layer_files, reason_problems)
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


# ------------------------------------------------------------------ every reason has its text


def test_every_reason_a_check_can_return_has_its_text():
    texts = {"_common": {key: "…" for key in ENGINE_REASONS} | {"error_no_root": "…"},
             "x.E001": {"title": "T", "fail": "F", "fail_gone": "Chybí.", "hint": "H"}}
    assert reason_problems({"x.E001": {("fail", "gone"), ("fail", ""), ("error", "no_root"), ("pass", "detail")}},
                           texts) == []
    problems = reason_problems({"x.E001": {("fail", "gone"), ("error", "timeout")}}, texts)
    assert problems == ["Kontrola x.E001 může vrátit důvod „timeout“, ale v checks.toml nemá text error_timeout."]
    del texts["_common"]["error_crash"]
    assert any("error_crash" in p for p in reason_problems({}, texts))


def test_a_reason_computed_from_the_facts_needs_the_generic_text_of_its_kind():
    texts = {"_common": {key: "…" for key in ENGINE_REASONS} | {"error": "Nejde ověřit."},
             "x.E001": {"title": "T", "hint": "H"}}
    problems = reason_problems({"x.E001": {("fail", None), ("error", None)}}, texts)
    assert len(problems) == 1 and "x.E001" in problems[0] and "obecný text fail" in problems[0]
    texts["x.E001"]["fail"] = "Neprošlo."
    assert reason_problems({"x.E001": {("fail", None), ("error", None)}}, texts) == []


SCANNED = '''
from checkers.checks.base import Check, failed, passed, unknown
from checkers.checks.common import settings_problem

REASONS = {404: "not_found", 403: "forbidden"}
MARKERS = ("placeholder_a", "placeholder_b")


def helper(facts):
    return unknown("helper_reason")


def first(facts):
    problem = settings_problem(facts)
    for marker in MARKERS:
        if marker:
            return failed(marker)
    reason = REASONS.get(facts["status"], "status")
    if reason:
        return failed(reason)
    return helper(facts) or passed("fine" if facts else "other")


def second(facts):
    if facts["state"] in ("crash_loop", "restarted"):
        return failed(facts["state"])
    return failed(facts["kind"])


CHECKS = (Check("x.E001", first), Check("x.E002", second))
'''


def test_the_reasons_are_read_from_the_source_through_helpers_and_constants(tmp_path):
    (tmp_path / "sample.py").write_text(SCANNED, encoding="utf-8")
    (tmp_path / "common.py").write_text("def settings_problem(facts):\n    return failed('settings_error')\n",
                                        encoding="utf-8")
    reasons = all_reasons(tmp_path)
    assert reasons["x.E001"] == {("fail", "placeholder_a"), ("fail", "placeholder_b"), ("fail", "not_found"),
                                 ("fail", "forbidden"), ("fail", "status"), ("error", "helper_reason"),
                                 ("pass", "fine"), ("pass", "other"), ("fail", "settings_error")}
    # under `if … in (…)` the reason is one of those; computed from the facts it cannot be read, and is not guessed
    assert reasons["x.E002"] == {("fail", "crash_loop"), ("fail", "restarted"), ("fail", None)}


def test_the_real_checks_reasons_all_have_texts():
    assert reason_problems(all_reasons(), table("checks")) == []


# ------------------------------------------------------------------ no Czech in the pure layer's Python


def test_czech_in_a_string_literal_of_the_pure_layer_is_caught(tmp_path):
    module = tmp_path / "check.py"
    module.write_text('"""Kontroly: docstringy smějí česky."""\n\ndef f():\n    """Vrátí stav."""\n'
                      '    return "neběží"\n', encoding="utf-8")
    problems = czech_literal_problems([module], pending={})
    assert len(problems) == 1 and "check.py:5" in problems[0] and "neběží" in problems[0]
    module.write_text('"""Kontroly: docstringy smějí česky."""\n\ndef f():\n    return word("not_running")\n',
                      encoding="utf-8")
    assert czech_literal_problems([module], pending={}) == []


def test_the_pure_layer_has_no_czech_literals():
    files = pure_layer_files()
    assert any(f.name == "nginx.py" for f in files) and any(f.name == "engine.py" for f in files)
    assert czech_literal_problems(files) == []


# ------------------------------------------------------------------ prerequisites ordered


def _requiring(check_id: str, *requires: str) -> Check:
    return Check(check_id, lambda facts: passed(), requires=requires)


def test_prerequisites_must_exist_form_no_cycle_and_come_no_later():
    course = load_course()
    checks = dict(registry())
    assert prerequisite_problems(course, checks) == []
    later = dict(checks, **{"django.E001": _requiring("django.E001", "nginx.E001")})  # step1 needs step7
    assert any("django.E001" in p and "pozdějším" in p and "step7" in p for p in prerequisite_problems(course, later))
    same_step = dict(checks, **{"nginx.E003": _requiring("nginx.E003", "nginx.E002")})
    assert prerequisite_problems(course, same_step) == []
    cycle = dict(checks, **{"nginx.E001": _requiring("nginx.E001", "nginx.E002")})  # E002 requires E001
    assert any("kruh" in p and "nginx.E001" in p and "nginx.E002" in p for p in prerequisite_problems(course, cycle))
    unknown = dict(checks, **{"nginx.E001": _requiring("nginx.E001", "nginx.E999")})
    assert any("neznámou kontrolu nginx.E999" in p for p in prerequisite_problems(course, unknown))


def test_a_literal_brace_in_a_text_must_be_doubled_or_the_student_reads_a_question_mark():
    from checkers.course_lint import placeholder_problems
    from checkers.texts import fill

    broken = {"nginx.E008": {"hint": "Má být `location /media/ { alias {root}/; }`.",
                             "fail": "chybí {count|soubor|soubory|souborů} v {root}", "pass": "{"}}
    problems = placeholder_problems("checks", broken)
    assert len(problems) == 2 and all("zdvojené" in p for p in problems)
    assert "[nginx.E008] hint" in problems[0] and "[nginx.E008] pass" in problems[1]
    fixed = {"nginx.E008": {"hint": "Má být `location /media/ {{ alias {root}/; }}`."}}
    assert placeholder_problems("checks", fixed) == []
    assert fill(fixed["nginx.E008"]["hint"], {"root": "/srv/m"}) == "Má být `location /media/ { alias /srv/m/; }`."
