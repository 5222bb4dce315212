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

With a grading policy (`--policy FILE`, checkers.grading.policy) or results from more than one source
(checkers.grading.sources), each file also says where a student's counted result came from
("zdroj": ověřeno učitelem / importováno / nahlášeno checkerem studenta) and what else is known
("poznámka": disagreement between sources, late submissions, excuses); with a policy also the
percentage and the Czech mark 1–5. An excused step is "omluveno: důvod" (grades.csv), "-" in
Moodle's file (named in the feedback), never a 0, and its points leave the maximum. grades.json
gains "policy" and, per student, "source", "source_label", "mark", "percent", "excused", "late",
"disagreement". Without a policy and with only the teacher's own results: exactly as before.

Text cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with '.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from checkers.grading.gradebook import Gradebook, StoredTarget
from checkers.grading.html_report import render_report
from checkers.grading.results import ClassResult
from checkers.grading.sources import apply, class_result, excuse, policy_document, source_note, view_document
from checkers.grading.model import (CHECK_STATUS_LABELS, GRADED, NOT_VERIFIED, STATE_LABELS,
                                    STEP_STATUS_LABELS)
from checkers.storage import write_atomic
from checkers.grading.policy import EXCUSED, EXCUSED_LABEL, Policy
from checkers.report.terminal import recommendations
from checkers.texts import plural

SCHEMA = 1
FILES = ("grades.csv", "moodle.csv", "grades.json", "report.html")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def load_result(book: Gradebook, run_id: int, policy: Policy | None = None) -> ClassResult:

    return apply(book, ClassResult(book.run(run_id), book.targets(run_id), book.history()), policy)


def write_all(book: Gradebook, run_id: int, out_dir: Path, policy: Policy | None = None) -> list[Path]:
    return write_result(load_result(book, run_id, policy), Path(out_dir))


def write_result(result: ClassResult, out_dir: Path) -> list[Path]:

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
                    + ["body celkem", "maximum"] + (["procent", "známka"] if result.policy else [])
                    + (["zdroj", "poznámka"] if result.views else []))
    for target in result.targets:
        graded = target.state == GRADED
        row = [cell(target.entry.name), cell(target.entry.student_id), cell(target.entry.target),
               STATE_LABELS[target.state], cell(target.reason)]
        for step in result.steps:
            stored = target.steps.get(step["id"]) if graded else None
            if stored is None:
                row.append("")
            elif stored.status == EXCUSED:
                row.append(cell(f"{EXCUSED_LABEL}: {excuse(result, target, step['id'])}"))
            elif stored.status in NOT_VERIFIED:
                row.append(STEP_STATUS_LABELS[stored.status])
            else:
                row.append(stored.points)
        row += [target.points if graded else "", target.max_points]
        view = result.view(target)
        if result.policy:
            percent = view.percent if view is not None and graded else None
            row += ["" if percent is None else f"{percent:g}".replace(".", ","), result.mark(target) or ""]
        if result.views:
            row += [view.source_label if view else "", cell(source_note(result, target))]
        writer.writerow(row)
    return out.getvalue()


def moodle_csv(result: ClassResult) -> str:
    graded = [t for t in result.targets if t.state == GRADED]
    ids = [t.entry.student_id for t in result.targets]
    identifier = "E-mailová adresa" if ids and all("@" in i for i in ids) else "Identifikátor"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([identifier] + [step_header(s) for s in result.steps] + ["Celkem"]
                    + (["Známka"] if result.policy else []) + ["Zpětná vazba"])
    for target in graded:
        points = [target.steps[s["id"]].points if s["id"] in target.steps
                  and target.steps[s["id"]].status not in (*NOT_VERIFIED, EXCUSED) else "-"
                  for s in result.steps]
        mark = [result.mark(target) or "-"] if result.policy else []
        writer.writerow([cell(target.entry.student_id), *points, target.points, *mark,
                         cell(feedback(result, target))])
    return out.getvalue()


def feedback(result: ClassResult, target: StoredTarget) -> str:
    """The student's feedback in Moodle: what passed, what is left, what could not be verified, advice."""
    def steps_with(*statuses: str) -> list[dict]:
        return [s for s in result.steps if s["id"] in target.steps and target.steps[s["id"]].status in statuses]

    def names(steps: list[dict]) -> str:
        return ", ".join(s.get("label", s["id"]) for s in steps)

    done, missing = steps_with("passed"), steps_with("failed")
    unverified, crashed = steps_with("unverified"), steps_with("error")
    evaluated = len(done) + len(missing) + len(unverified) + len(crashed)  # excused steps are not evaluated
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
    mark = result.mark(target)
    if mark is not None:
        text += f" Známka: {mark}."
    view = result.view(target)
    if view is not None and view.source:
        text += f" Zdroj výsledku: {view.source_label}."
    extra = source_note(result, target)
    return f"{text} {extra}" if extra else text


def grades_document(result: ClassResult) -> dict:

    run = result.run
    document = {
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
             "steps": {k: {"status": v.status,
                           "status_label": EXCUSED_LABEL if v.status == EXCUSED
                           else STEP_STATUS_LABELS.get(v.status, v.status),
                           "points": v.points, "max_points": v.max_points}
                       for k, v in t.steps.items()},
             "checks": [{"id": c.id, "step": c.step, "status": c.status,
                         "status_label": CHECK_STATUS_LABELS.get(c.status, c.status), "title": c.title,
                         "message": c.message, "hint": c.hint} for c in t.checks],
             **({**view_document(result.view(t), result.policy), "note": source_note(result, t)}
                if result.view(t) is not None else {})}
            for t in result.targets
        ],
        "history": result.history,
    }
    if result.policy is not None:
        document["policy"] = policy_document(result.policy)
    elif result.views:
        for student in document["students"]:
            student.pop("mark", None)
            student.pop("percent", None)
    return document


def write_class_exports(book: Gradebook, course, out_dir: Path, policy: Policy | None = None,
                        roster: list | None = None) -> list[Path]:
    """The class server's exports (grades.csv, moodle.csv, grades.json, report.html) from all submissions."""
    return write_result(class_result(book, course, policy, roster), Path(out_dir))
