"""Exports of one run, read back from the gradebook: grades.csv, moodle.csv, grades.json (+ report.html).

grades.csv   one row per student: name, id, target, state and reason, one column per step (points),
             total and maximum. UTF-8 with a BOM so that Excel shows the diacritics. A step that could
             not be verified shows "nelze ověřit" (or "nepodařilo se ověřit" when a check crashed)
             instead of a 0 that would read as a failure.
moodle.csv   Moodle's grade import (Známky → Import → Soubor CSV): an identifier column to map to the
             user's e-mail / username / ID number, one column per grade item (each step and the total)
             and a feedback column. Only students whose target was graded are listed, so importing
             never clears an earlier grade of a student whose machine was off. A step that could not be
             verified is "-" (Moodle's "no grade"; its import refuses any other text), never a 0, and the
             feedback names it.
grades.json  the same as a versioned document, with every check's status and Czech message. Schema 1;
             additions: each step and check carries "status_label" (Czech), a step's status may be
             "unverified", a check's "unverified" or "advice", and the summary's per-step entries count
             "unverified" (steps that could not be verified, crashes included) and "advice" (checks).

Advice (a recommendation beyond the lesson) never lowers points: it is listed, never subtracted.

Text cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with '.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from checkers.grading.gradebook import Gradebook, RunInfo, StoredTarget
from checkers.grading.model import (CHECK_STATUS_LABELS, GRADED, NOT_VERIFIED, STATE_LABELS, STATES,
                                    STEP_STATUS_LABELS)
from checkers.storage import write_atomic
from checkers.report.terminal import recommendations
from checkers.texts import plural

SCHEMA = 1
FILES = ("grades.csv", "moodle.csv", "grades.json", "report.html")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ClassResult:
    run: RunInfo
    targets: list[StoredTarget]
    history: list[dict]

    @property
    def steps(self) -> list[dict]:
        return self.run.steps

    def summary(self) -> dict:
        graded = [t for t in self.targets if t.state == GRADED]
        points = [t.points or 0 for t in graded]
        per_step = []
        for step in self.steps:
            evaluated = [t for t in graded if step["id"] in t.steps]
            passed = sum(1 for t in evaluated if t.steps[step["id"]].status == "passed")
            unverified = sum(1 for t in evaluated if t.steps[step["id"]].status in NOT_VERIFIED)
            advice = sum(1 for t in evaluated for c in t.checks if c.step == step["id"] and c.status == "advice")
            per_step.append({"id": step["id"], "label": step.get("label", step["id"]), "title": step["title"],
                             "points": step["points"], "passed": passed, "evaluated": len(evaluated),
                             "unverified": unverified, "advice": advice})
        return {
            "students": len(self.targets),
            "states": {state: sum(1 for t in self.targets if t.state == state) for state in STATES},
            "graded": len(graded),
            "average": round(statistics.fmean(points), 2) if points else None,
            "median": statistics.median(points) if points else None,
            "full_marks": sum(1 for t in graded if t.points == t.max_points),
            "max_points": max((t.max_points for t in self.targets), default=0),
            "steps": per_step,
        }


def load_result(book: Gradebook, run_id: int) -> ClassResult:
    return ClassResult(book.run(run_id), book.targets(run_id), book.history())


def write_all(book: Gradebook, run_id: int, out_dir: Path) -> list[Path]:
    from checkers.grading.html_report import render_report

    result = load_result(book, run_id)
    out_dir = Path(out_dir)
    written = []
    for name, text in (("grades.csv", "\ufeff" + grades_csv(result)), ("moodle.csv", moodle_csv(result)),
                       ("grades.json", json.dumps(grades_document(result), ensure_ascii=False, indent=1) + "\n"),
                       ("report.html", render_report(result))):
        path = out_dir / name
        write_atomic(path, text)
        written.append(path)
    return written


def cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def step_header(step: dict) -> str:
    return f"{step.get('label', step['id'])}: {step['title']} ({step['points']} b.)"


def grades_csv(result: ClassResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["jméno", "id", "cíl", "stav", "důvod"] + [step_header(s) for s in result.steps]
                    + ["body celkem", "maximum"])
    for target in result.targets:
        graded = target.state == GRADED
        row = [cell(target.entry.name), cell(target.entry.student_id), cell(target.entry.target),
               STATE_LABELS[target.state], cell(target.reason)]
        for step in result.steps:
            stored = target.steps.get(step["id"]) if graded else None
            if stored is None:
                row.append("")
            elif stored.status in NOT_VERIFIED:
                row.append(STEP_STATUS_LABELS[stored.status])
            else:
                row.append(stored.points)
        row += [target.points if graded else "", target.max_points]
        writer.writerow(row)
    return out.getvalue()


def moodle_csv(result: ClassResult) -> str:
    graded = [t for t in result.targets if t.state == GRADED]
    ids = [t.entry.student_id for t in result.targets]
    identifier = "E-mailová adresa" if ids and all("@" in i for i in ids) else "Identifikátor"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([identifier] + [step_header(s) for s in result.steps] + ["Celkem", "Zpětná vazba"])
    for target in graded:
        points = [target.steps[s["id"]].points
                  if s["id"] in target.steps and target.steps[s["id"]].status not in NOT_VERIFIED else "-"
                  for s in result.steps]
        writer.writerow([cell(target.entry.student_id), *points, target.points, cell(feedback(result, target))])
    return out.getvalue()


def feedback(result: ClassResult, target: StoredTarget) -> str:
    """The student's feedback in Moodle: what passed, what is left, what could not be verified, advice."""
    def steps_with(*statuses: str) -> list[dict]:
        return [s for s in result.steps if s["id"] in target.steps and target.steps[s["id"]].status in statuses]

    def names(steps: list[dict]) -> str:
        return ", ".join(s.get("label", s["id"]) for s in steps)

    done, missing = steps_with("passed"), steps_with("failed")
    unverified, crashed = steps_with("unverified"), steps_with("error")
    evaluated = len(done) + len(missing) + len(unverified) + len(crashed)
    text = (f"Splněno {len(done)} z {plural(evaluated, 'kroku', 'kroků', 'kroků')}, "
            f"{target.points} z {plural(target.max_points, 'bodu', 'bodů', 'bodů')}.")
    if missing:
        text += f" Zbývá: {names(missing)}."
    if unverified:
        text += (f" Nelze ověřit: {names(unverified)} (checkeru chyběly podklady; nepočítá se to jako nesplněné,"
                 " o bodech se rozhodne při dalším ověření).")
    if crashed:
        text += f" Nepodařilo se ověřit (chyba kontroly, ne vaše): {names(crashed)}."
    advice = sum(1 for c in target.checks if c.status == "advice")
    if advice:
        text += f" Navíc {recommendations(advice)} nad rámec lekce – na body to vliv nemá."
    return text


def grades_document(result: ClassResult) -> dict:
    run = result.run
    return {
        "schema": SCHEMA,
        "run": {"id": run.id, "kind": run.kind, "source_run": run.source_run, "status": run.status,
                "started_at": run.started_at, "finished_at": run.finished_at, "checks_digest": run.checks_digest,
                "course": run.course_title},
        "steps": run.steps,
        "summary": result.summary(),
        "students": [
            {"name": t.entry.name, "id": t.entry.student_id, "target": t.entry.target, "kind": t.entry.kind,
             "state": t.state, "state_label": STATE_LABELS[t.state], "reason": t.reason, "hint": t.hint,
             "seconds": t.seconds, "graded_at": t.graded_at, "points": t.points, "max_points": t.max_points,
             "steps": {k: {"status": v.status, "status_label": STEP_STATUS_LABELS.get(v.status, v.status),
                           "points": v.points, "max_points": v.max_points}
                       for k, v in t.steps.items()},
             "checks": [{"id": c.id, "step": c.step, "status": c.status,
                         "status_label": CHECK_STATUS_LABELS.get(c.status, c.status), "title": c.title,
                         "message": c.message, "hint": c.hint} for c in t.checks]}
            for t in result.targets
        ],
        "history": result.history,
    }
