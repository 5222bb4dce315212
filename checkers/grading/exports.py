"""Exports of one run, read back from the gradebook: grades.csv, moodle.csv, grades.json (+ report.html).

grades.csv   one row per student: name, id, target, state and reason, one column per step (points),
             total and maximum. UTF-8 with a BOM so that Excel shows the diacritics.
moodle.csv   Moodle's grade import (Známky → Import → Soubor CSV): an identifier column to map to the
             user's e-mail / username / ID number, one column per grade item (each step and the total)
             and a feedback column. Only students whose target was graded are listed, so importing
             never clears an earlier grade of a student whose machine was off.
grades.json  the same as a versioned document, with every check's status and Czech message.

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
from checkers.grading.model import GRADED, STATE_LABELS, STATES
from checkers.progress import write_atomic

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
            per_step.append({"id": step["id"], "label": step.get("label", step["id"]), "title": step["title"],
                             "points": step["points"], "passed": passed, "evaluated": len(evaluated)})
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
            row.append("" if stored is None else stored.points)
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
        points = [target.steps[s["id"]].points if s["id"] in target.steps else "-" for s in result.steps]
        writer.writerow([cell(target.entry.student_id), *points, target.points, cell(feedback(result, target))])
    return out.getvalue()


def feedback(result: ClassResult, target: StoredTarget) -> str:
    done = [s for s in result.steps if s["id"] in target.steps and target.steps[s["id"]].status == "passed"]
    missing = [s for s in result.steps if s["id"] in target.steps and target.steps[s["id"]].status != "passed"]
    text = f"Splněno {len(done)} z {len(done) + len(missing)} kroků, {target.points} z {target.max_points} bodů."
    if missing:
        text += " Zbývá: " + ", ".join(s.get("label", s["id"]) for s in missing) + "."
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
             "steps": {k: {"status": v.status, "points": v.points, "max_points": v.max_points}
                       for k, v in t.steps.items()},
             "checks": [{"id": c.id, "step": c.step, "status": c.status, "title": c.title, "message": c.message,
                         "hint": c.hint} for c in t.checks]}
            for t in result.targets
        ],
        "history": result.history,
    }
