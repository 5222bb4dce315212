"""Every outcome of a check and of a step, shown truthfully in Czech: the terminal, --json and the
progress store (the book's data file). Results and step runs are built directly, no target needed."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from checkers.checks.base import Status
from checkers.course import load_course
from checkers.engine import Result
from checkers.progress import STEP_STATUSES, ProgressStore, StepOutcome, book_data, write_book_progress
from checkers.report import json_report
from checkers.report.terminal import (TerminalReport, all_passed, passed_of, recommendations)
from checkers.session import StepRun

COURSE = load_course()
STEP = COURSE.step("step3")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED, GREEN, YELLOW, MAGENTA = "31", "32", "33", "35"


def result(n: int, status: Status, message: str = "", hint: str = "", reason: str = "") -> Result:
    return Result(f"test.E{n:03d}", status, f"Kontrola {n}", message, hint, STEP.id, reason)


def passes(count: int, start: int = 1) -> list[Result]:
    return [result(i, Status.PASSED) for i in range(start, start + count)]


def render(method: str, *args, color: bool = False) -> str:
    """What a TerminalReport method prints: plain text, or with the ANSI colours of a terminal."""
    buffer = io.StringIO()
    report = TerminalReport(stream=buffer)
    if color:
        report.console = Console(file=buffer, force_terminal=True, color_system="standard", width=400,
                                 highlight=False, emoji=False)
    else:
        report.console.width = 400
    getattr(report, method)(*args)
    return buffer.getvalue()


def colored_lines(text: str, code: str) -> list[str]:
    """Lines in which some text is printed in the ANSI foreground colour `code`."""
    return [ANSI.sub("", line) for line in text.splitlines() if re.search(rf"\x1b\[(?:[0-9]+;)*{code}m", line)]


# ------------------------------------------------------------------------- Czech counting
@pytest.mark.parametrize("n, expected", [(1, "Jediná kontrola prošla"), (2, "Všechny 2 kontroly prošly"),
                                         (3, "Všechny 3 kontroly prošly"), (4, "Všechny 4 kontroly prošly"),
                                         (5, "Všech 5 kontrol prošlo"), (12, "Všech 12 kontrol prošlo")])
def test_all_passed_agrees_with_the_count(n, expected):
    assert all_passed(n) == expected


def test_counting_phrases_agree_in_czech():
    assert all_passed(3, required=True) == "Všechny 3 povinné kontroly prošly"
    assert all_passed(1, required=True) == "Jediná povinná kontrola prošla"
    assert all_passed(7, required=True) == "Všech 7 povinných kontrol prošlo"
    assert passed_of(1, 3) == "prošla 1 z 3 kontrol"
    assert passed_of(2, 5) == "prošly 2 z 5 kontrol"
    assert passed_of(0, 1) == "prošlo 0 z 1 kontroly"
    assert passed_of(5, 6) == "prošlo 5 z 6 kontrol"
    assert [recommendations(n) for n in (1, 3, 5)] == ["1 doporučení", "3 doporučení", "5 doporučení"]


# ------------------------------------------------------------------------- terminal: check lines
def test_unverified_check_is_a_yellow_question_mark_with_its_reason_and_hint():
    text = render("results", [result(1, Status.UNVERIFIED, "Nelze ověřit: chybí výpis služby.",
                                     "Spusťte checker se sudo.")], color=True)
    plain = ANSI.sub("", text)
    assert "? Kontrola 1 (nelze ověřit)" in plain
    assert "Nelze ověřit: chybí výpis služby." in plain and "→ Spusťte checker se sudo." in plain
    assert any(line.strip().startswith("? Kontrola 1") for line in colored_lines(text, YELLOW))
    assert colored_lines(text, RED) == [] and colored_lines(text, GREEN) == []  # neither a failure nor a pass
    assert "✘" not in plain and "nesplněn" not in plain


def test_advice_check_has_its_own_symbol_colour_and_label():
    text = render("results", [result(1, Status.ADVICE, "Web neposílá hlavičku HSTS.", "Přidejte ji do NGINX.")],
                  color=True)
    plain = ANSI.sub("", text)
    assert "! Kontrola 1 (doporučení nad rámec lekce – na splnění kroku ani na body nemá vliv)" in plain
    assert "Web neposílá hlavičku HSTS." in plain and "→ Přidejte ji do NGINX." in plain
    advice_lines = colored_lines(text, MAGENTA)
    assert any(line.strip().startswith("! Kontrola 1") for line in advice_lines)
    assert any("HSTS" in line for line in advice_lines)
    assert colored_lines(text, RED) == [] and colored_lines(text, GREEN) == []


def test_failed_and_crashed_checks_keep_their_own_marks():
    text = render("results", [result(1, Status.FAILED, "DEBUG je zapnutý.", "Vypněte ho."),
                              result(2, Status.ERROR, "Kontrola sama selhala (KeyError: 'x')."),
                              result(3, Status.SKIPPED, "Přeskočeno.")], color=True)
    plain = ANSI.sub("", text)
    assert any(line.strip().startswith("✘ Kontrola 1") for line in colored_lines(text, RED))
    assert "⚠ Kontrola 2 (chyba checkeru, ne vaše)" in plain and "? Kontrola 2" not in plain
    assert "– Kontrola 3 (přeskočeno)" in plain
    assert "(doporučení" not in plain and "(nelze ověřit)" not in plain


def test_without_colour_every_outcome_still_reads_in_words():
    text = render("results", [result(1, Status.UNVERIFIED, "Nelze ověřit: x."), result(2, Status.ADVICE, "y")])
    assert "\x1b[" not in text
    assert "? Kontrola 1 (nelze ověřit)" in text and "! Kontrola 2 (doporučení" in text


# ------------------------------------------------------------------------- terminal: step summaries
@pytest.mark.parametrize("count, sentence", [(1, "Jediná kontrola prošla"), (3, "Všechny 3 kontroly prošly"),
                                             (5, "Všech 5 kontrol prošlo")])
def test_passed_step_summary_agrees_with_the_number_of_checks(count, sentence):
    run = StepRun(STEP, passes(count))
    assert run.status == "passed"
    text = render("step_summary", run, COURSE)
    assert f"{STEP.label} je splněný! {sentence}, +2 body." in text
    assert "doporučení" not in text


def test_passed_step_with_advice_passes_and_counts_the_recommendations():
    run = StepRun(STEP, passes(3) + [result(4, Status.ADVICE, "HSTS chybí.")])
    assert run.status == "passed" and run.points == STEP.points  # advice never lowers points
    text = render("step_summary", run, COURSE)
    assert "je splněný! Všechny 3 povinné kontroly prošly, +2 body." in text
    assert "1 doporučení nad rámec lekce" in text and "na body to vliv nemá" in text
    assert "není splněný" not in text
    many = render("step_summary", StepRun(STEP, passes(1) + [result(i, Status.ADVICE) for i in (2, 3, 4, 5, 6)]),
                  COURSE)
    assert "Jediná povinná kontrola prošla" in many and "5 doporučení" in many


def test_unverified_step_says_why_it_does_not_count_against_the_student():
    run = StepRun(STEP, passes(2) + [result(3, Status.UNVERIFIED, "Nelze ověřit: chybí práva.")])
    assert run.status == "unverified" and run.points == 0
    text = render("step_summary", run, COURSE)
    assert "teď nejde celý ověřit" in text and "1 kontrolu nelze ověřit" in text
    assert "prošly 2 z 3 kontrol" in text
    assert "není to chyba na vaší straně" in text and "nepočítá se to jako nesplněné" in text
    assert "není splněný" not in text and "Nápověda:" not in text
    three = render("step_summary", StepRun(STEP, [result(i, Status.UNVERIFIED) for i in (1, 2, 3)]), COURSE)
    assert "3 kontroly nelze ověřit" in three and "prošlo 0 z 3 kontrol" in three


def test_failed_step_is_still_a_failure_even_with_advice_or_missing_evidence():
    run = StepRun(STEP, [result(1, Status.FAILED, "x"), result(2, Status.UNVERIFIED, "y"), result(3, Status.PASSED),
                         result(4, Status.ADVICE, "z")])
    assert run.status == "failed"
    text = render("step_summary", run, COURSE)
    assert "zatím není splněný – prošla 1 z 4 kontrol" in text and "1 doporučení" in text
    assert "je splněný!" not in text


def test_crashed_step_blames_the_checker_not_the_student():
    text = render("step_summary", StepRun(STEP, [result(1, Status.ERROR, "boom"), result(2, Status.PASSED)]), COURSE)
    assert "teď nejde ověřit" in text and "checker sám selhal u 1 kontroly" in text and "vaše řešení za to nemůže" in text
    assert "není splněný" not in text


def test_totals_of_several_steps_count_unverified_steps_and_advice():
    runs = [StepRun(COURSE.step("step1"), passes(1) + [result(2, Status.ADVICE), result(3, Status.ADVICE)]),
            StepRun(COURSE.step("step2"), [result(1, Status.UNVERIFIED, "Nelze ověřit: z.")]),
            StepRun(COURSE.step("step3"), [result(1, Status.FAILED, "f")])]
    text = render("runs", runs, COURSE, "vagrant")
    assert "Celkem:" in text and "1/4 body · splněno 1 z 3 kroků" in text
    assert "nelze ověřit 1 krok" in text and "2 doporučení" in text
    assert "nepočítá jako nesplněné" in text and "na body vliv nemají" in text
    clean = render("runs", runs[:1] + runs[2:], COURSE, "vagrant")
    assert "nelze ověřit" not in clean and "splněno 1 z 2 kroků" in clean


def test_stored_unverified_step_is_labelled_in_status_and_overview():
    state = {"steps": {"step1": {"status": "unverified", "points": 0, "checked_at": "2026-11-24T14:05:00+01:00",
                                 "target": "vagrant", "failed_titles": []},
                       "step2": {"status": "passed", "points": 1, "checked_at": "2026-11-24T14:05:00+01:00",
                                 "target": "vagrant", "failed_titles": [], "advice": 2}}}
    status = render("status", COURSE, state)
    assert "? nelze ověřit step1" in status and "✔ splněno step2" in status
    assert "2 doporučení nad rámec lekce" in status
    assert "? nelze ověřit" in render("overview", COURSE, state)


# ------------------------------------------------------------------------- --json
def test_json_counts_each_outcome_apart_and_every_check_carries_status_and_reason():
    runs = [StepRun(STEP, [result(1, Status.PASSED), result(2, Status.UNVERIFIED, "n", reason="no_sudo"),
                           result(3, Status.ADVICE, "a", reason="no_hsts"), result(4, Status.ERROR, "e", reason="crash"),
                           result(5, Status.FAILED, "f", reason="debug"), result(6, Status.SKIPPED, reason="requires")])]
    document = json.loads(json.dumps(json_report.runs_document(runs, "vagrant", STEP.id)))
    assert {k: document[k] for k in ("passed", "failed", "skipped", "unverified", "advice", "errors")} == \
        {"passed": 1, "failed": 1, "skipped": 1, "unverified": 1, "advice": 1, "errors": 1}
    assert [(c["status"], c["reason"]) for c in document["checks"]] == [
        ("passed", ""), ("unverified", "no_sudo"), ("advice", "no_hsts"), ("error", "crash"), ("failed", "debug"),
        ("skipped", "requires")]
    assert document["schema"] == 1 and document["steps"][0]["status"] == "failed"


def test_json_step_statuses_unverified_and_passed_with_advice():
    unverified = StepRun(STEP, [result(1, Status.PASSED), result(2, Status.UNVERIFIED, "n")])
    advised = StepRun(COURSE.step("step4"), [result(1, Status.PASSED), result(2, Status.ADVICE, "a")])
    document = json_report.runs_document([unverified, advised], "vagrant", "všechny")
    assert [(s["status"], s["points"]) for s in document["steps"]] == [("unverified", 0), ("passed", 1)]
    assert document["errors"] == 0 and document["unverified"] == 1 and document["advice"] == 1


# ------------------------------------------------------------------------- progress and the book's data
def test_progress_counts_unverified_and_advice_and_the_book_file_carries_them(tmp_path):
    html = tmp_path / "html"
    (html / "_static").mkdir(parents=True)
    runs = [StepRun(COURSE.step("step1"), [result(1, Status.UNVERIFIED, "n")]),
            StepRun(COURSE.step("step2"), [result(1, Status.PASSED), result(2, Status.ADVICE, "a"),
                                           result(3, Status.ADVICE, "b")])]
    state = ProgressStore(tmp_path / "home").record([run.outcome() for run in runs], "vagrant")
    step1, step2 = state["steps"]["step1"], state["steps"]["step2"]
    assert step1["status"] == "unverified" and step1["unverified"] == 1 and step1["errors"] == 0
    assert step1["points"] == 0 and step1["failed_titles"] == []
    assert step2["status"] == "passed" and step2["advice"] == 2 and step2["points"] == 1
    written = write_book_progress(html, state, COURSE)
    data = json.loads(written.read_text(encoding="utf-8").removeprefix("window.COURSE_PROGRESS = ").rstrip(";\n"))
    assert data["steps"]["step1"]["status"] == "unverified" and data["unverified_steps"] == 1
    assert data["passed_steps"] == 1 and data["steps"]["step2"]["advice"] == 2
    assert ProgressStore(tmp_path / "home").load()["steps"]["step1"]["status"] == "unverified"


def test_a_step_status_outside_the_known_ones_is_refused():
    assert STEP_STATUSES == ("passed", "failed", "unverified", "error")
    with pytest.raises(ValueError, match="unknown step status"):
        StepOutcome(step="step1", status="advice", points=0, max_points=1, checks={})
    old_style = {"steps": {"step1": {"status": "error", "points": 0}}}  # a state from before: still readable
    assert book_data(old_style, COURSE)["unverified_steps"] == 0
