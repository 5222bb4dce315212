"""Grading shows a step that could not be verified as "nelze ověřit" (never "nesplněno", never a
bare 0) and advice as a note that never lowers points: gradebook, CSV, Moodle, JSON, report.html
and the live view. No target: grades are built directly."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from html.parser import HTMLParser

from rich.console import Console

from checkers.course import load_course
from checkers.grading import exports
from checkers.grading.gradebook import Gradebook
from checkers.grading.html_report import render_report
from checkers.grading.live import LiveBoard
from checkers.grading.model import (CHECK_STATUS_LABELS, GRADED, STEP_STATUS_LABELS, CheckRow, RosterEntry,
                                    StepRow, TargetGrade)
from checkers.grading.runner import column_steps, max_points

COURSE = load_course()
STEPS = COURSE.required_steps
FIRST, SECOND, THIRD = (s.id for s in STEPS[:3])


def entry(i: int) -> RosterEntry:
    return RosterEntry(line=i + 2, name=f"Student {i}", student_id=f"s{i}@skola.cz",
                       target=f"ssh://vagrant@10.0.0.{i}", identity=None, kind="ssh")


def grade(e: RosterEntry, statuses: dict[str, str], advice: dict[str, int] | None = None) -> TargetGrade:
    """Every required step passed unless `statuses` says otherwise; `advice` adds advice checks to a step."""
    steps, checks = [], []
    for step in STEPS:
        status = statuses.get(step.id, "passed")
        steps.append(StepRow(step.id, status, step.points if status == "passed" else 0, step.points))
        check_status = {"passed": "passed", "failed": "failed", "unverified": "unverified", "error": "error"}[status]
        checks += [CheckRow(c, step.id, check_status if i == 0 else "passed", f"Kontrola {c}", f"Zpráva {c}",
                            "Nápověda" if check_status != "passed" else "") for i, c in enumerate(step.checks)]
        checks += [CheckRow(f"{step.id}.W{n:03d}", step.id, "advice", f"Doporučení {n}", f"Radím {n}", "Zkuste to")
                   for n in range(1, (advice or {}).get(step.id, 0) + 1)]
    return TargetGrade(e, GRADED, steps=steps, checks=checks, seconds=1.0)


def class_run(tmp_path, grades: list[TargetGrade]) -> tuple[Gradebook, int]:
    book = Gradebook(tmp_path / "gradebook.sqlite")
    entries = [g.entry for g in grades]
    run = book.start_run("grade", column_steps(COURSE, entries), COURSE.title, "digest")
    book.add_pending(run, entries, [max_points(e, COURSE) for e in entries])
    for position, g in enumerate(grades):
        book.record(run, position, g)
    book.finish_run(run, "finished")
    return book, run


def full_points() -> int:
    return sum(s.points for s in STEPS)


# ------------------------------------------------------------------------------------- labels
def test_step_and_check_labels_name_every_status():
    assert STEP_STATUS_LABELS["unverified"] == "nelze ověřit"
    assert STEP_STATUS_LABELS["failed"] == "nesplněno" and STEP_STATUS_LABELS["passed"] == "splněno"
    assert "nesplněno" not in STEP_STATUS_LABELS["error"]
    assert CHECK_STATUS_LABELS["advice"] == "doporučení" and CHECK_STATUS_LABELS["unverified"] == "nelze ověřit"


# ------------------------------------------------------------------------------------- gradebook
def test_gradebook_stores_and_reads_back_the_new_statuses(tmp_path):
    book, run = class_run(tmp_path, [grade(entry(0), {FIRST: "unverified"}, advice={SECOND: 2})])
    stored = book.targets(run)[0]
    assert stored.steps[FIRST].status == "unverified" and stored.steps[FIRST].points == 0
    assert stored.steps[SECOND].status == "passed" and stored.steps[SECOND].points == STEPS[1].points
    assert [c.status for c in stored.checks].count("advice") == 2
    assert [c.status for c in stored.checks].count("unverified") == 1


def test_a_gradebook_written_before_unverified_existed_stays_readable(tmp_path):
    book, run = class_run(tmp_path, [grade(entry(0), {FIRST: "error"})])
    book.close()
    db = sqlite3.connect(tmp_path / "gradebook.sqlite")
    schema = " ".join(row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
    db.close()
    assert "'unverified'" not in schema and "status     TEXT NOT NULL," in schema  # no constraint to migrate
    again = Gradebook(tmp_path / "gradebook.sqlite")
    result = exports.load_result(again, run)
    rows = list(csv.reader(io.StringIO(exports.grades_csv(result))))
    assert rows[1][5] == "nepodařilo se ověřit"  # an old 'error' step is no failure either
    assert 'class="step error"' in render_report(result)


# ------------------------------------------------------------------------------------- exports
def test_unverified_step_is_nelze_overit_in_every_export_and_advice_costs_nothing(tmp_path):
    unverified = grade(entry(0), {SECOND: "unverified"})
    advised = grade(entry(1), {}, advice={FIRST: 1, THIRD: 2})
    failed = grade(entry(2), {SECOND: "failed"})
    book, run = class_run(tmp_path, [unverified, advised, failed])
    exports.write_all(book, run, tmp_path / "out")
    out = tmp_path / "out"

    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][6] == "nelze ověřit" and rows[1][5] == str(STEPS[0].points)  # not a 0
    assert rows[1][-2] == str(full_points() - STEPS[1].points)
    assert rows[2][-2] == rows[2][-1] == str(full_points())  # advice never lowers points
    assert rows[3][6] == "0"  # a failure is a 0

    moodle = list(csv.reader(io.StringIO((out / "moodle.csv").read_text(encoding="utf-8"))))
    assert moodle[1][2] == "-"  # Moodle's "no grade", never a 0 (and never text its import refuses)
    assert "Nelze ověřit: " + STEPS[1].label in moodle[1][-1] and "Zbývá" not in moodle[1][-1]
    assert moodle[2][-2] == str(full_points()) and "3 doporučení nad rámec lekce" in moodle[2][-1]
    assert moodle[2][-1].startswith(f"Splněno {len(STEPS)} z {len(STEPS)} kroků, {full_points()} z {full_points()} bodů.")
    assert moodle[3][2] == "0" and "Zbývá: " + STEPS[1].label in moodle[3][-1] and "Nelze ověřit" not in moodle[3][-1]

    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    first, second, third = document["students"]
    assert first["steps"][SECOND] == {"status": "unverified", "status_label": "nelze ověřit", "points": 0,
                                      "max_points": STEPS[1].points}
    assert third["steps"][SECOND]["status_label"] == "nesplněno"
    assert second["points"] == second["max_points"]
    assert {c["status_label"] for c in second["checks"] if c["status"] == "advice"} == {"doporučení"}
    per_step = {s["id"]: s for s in document["summary"]["steps"]}
    assert per_step[SECOND]["unverified"] == 1 and per_step[SECOND]["passed"] == 1
    assert per_step[THIRD]["advice"] == 2 and per_step[FIRST]["unverified"] == 0
    assert document["summary"]["full_marks"] == 1


class Cells(HTMLParser):
    """The grade table's step cells: class, title and text."""

    def __init__(self):
        super().__init__()
        self.cells: list[dict] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "step" in (attrs.get("class") or "").split():
            self.cells.append({"class": attrs["class"], "title": attrs.get("title", ""), "text": ""})
            self.depth = 1
        elif self.depth and tag == "td":
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag == "td":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.cells[-1]["text"] += data


def report_cells(tmp_path, grades) -> tuple[str, list[list[dict]]]:
    book, run = class_run(tmp_path, grades)
    html = render_report(exports.load_result(book, run))
    parser = Cells()
    parser.feed(html)
    width = len(STEPS)
    return html, [parser.cells[i:i + width] for i in range(0, len(parser.cells), width)]


def test_report_shows_an_unverified_step_without_a_zero_or_a_failure(tmp_path):
    html, rows = report_cells(tmp_path, [grade(entry(0), {SECOND: "unverified"}), grade(entry(1), {SECOND: "failed"})])
    cell = rows[0][1]
    assert cell["class"] == "step unverified"
    assert cell["text"].startswith("?nelze ověřit") and not cell["text"].startswith("? 0")  # no points shown
    assert "nelze ověřit" in cell["title"] and "nesplněno" not in cell["title"]
    assert f"? Kontrola {STEPS[1].checks[0]}" in cell["text"]  # the check and its reason, expanded
    failed = rows[1][1]
    assert failed["class"] == "step failed" and "nesplněno" in failed["title"] and failed["text"].startswith("✘ 0")
    assert "? nelze ověřit – chyběly podklady, není to chyba studenta" in html
    assert "kroků nelze ověřit" not in html and "krok nelze ověřit" in html  # the summary card, in the singular


def test_report_shows_advice_on_a_passed_step_without_lowering_points(tmp_path):
    html, rows = report_cells(tmp_path, [grade(entry(0), {}, advice={FIRST: 2}), grade(entry(1), {})])
    advised, plain = rows[0][0], rows[1][0]
    assert advised["class"] == "step passed" and plain["class"] == "step passed"
    assert advised["text"].startswith(f"✔ {STEPS[0].points}") and "!2" in advised["text"]
    assert "2 doporučení nad rámec lekce (na body vliv nemá)" in advised["title"]
    assert "! Doporučení 1" in advised["text"] and "Radím 1" in advised["text"]
    assert "!" not in plain["text"] and "doporučení" not in plain["title"]
    assert html.count(f'<td class="total">{full_points()}/{full_points()}</td>') == 2


# ------------------------------------------------------------------------------------- live view
def live_line(g: TargetGrade) -> str:
    console = Console(file=io.StringIO(), width=300, no_color=True)
    board = LiveBoard(console, [g.entry])
    board.done = 1
    return console.render_str(board.line(g)).plain


def test_live_view_names_unverified_steps_and_advice():
    line = live_line(grade(entry(0), {FIRST: "unverified", SECOND: "unverified"}, advice={THIRD: 1}))
    assert f"splněno {len(STEPS) - 2} z {len(STEPS)} kroků" in line
    assert "nelze ověřit 2 kroky" in line and "1 doporučení" in line
    plain = live_line(grade(entry(1), {FIRST: "failed"}))
    assert "nelze ověřit" not in plain and "doporučení" not in plain
    assert f"{full_points() - STEPS[0].points}/{full_points()} b." in plain
