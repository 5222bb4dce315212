"""The versioned JSON documents printed with --json.

Schema 1 (additions never bump it; a reader ignores keys it does not know):

  run document   {"schema", "step", "target", "checks": [{"id", "status", "title", "message", "hint",
                  "step", "reason"}], "passed", "failed", "skipped", "unverified", "advice", "errors",
                  "points", "max_points", "steps": [{"id", "status", "points", "max_points"}]}

  A check's status is passed · failed · skipped · unverified (the evidence needed is missing, "nelze
  ověřit"; never the student's fault, the message says why) · advice (a recommended practice beyond
  the lesson is not followed; never fails a step) · error (the check itself crashed). "errors" counts
  crashes only; "unverified" and "advice" were added alongside it, and each check gained "reason"
  (the machine-readable reason of its outcome, "" when there is none). A step's status is
  passed · failed · unverified · error (advice never stands in the way of passing).
"""

from __future__ import annotations

import json
import sys

from checkers.checks.base import Status
from checkers.course import Course

SCHEMA = 1


def _counts(results) -> dict:
    return {name: sum(1 for r in results if r.status is status)
            for name, status in (("passed", Status.PASSED), ("failed", Status.FAILED),
                                 ("skipped", Status.SKIPPED), ("unverified", Status.UNVERIFIED),
                                 ("advice", Status.ADVICE), ("errors", Status.ERROR))}


def runs_document(runs, target: str, label: str) -> dict:
    results = [r for run in runs for r in run.results]
    return {
        "schema": SCHEMA,
        "step": label,
        "target": target,
        "checks": [{**r.to_json(), "status": r.status.value, "reason": r.reason} for r in results],
        **_counts(results),
        "points": sum(run.points for run in runs),
        "max_points": sum(run.step.points for run in runs),
        "steps": [{"id": run.step.id, "status": run.status, "points": run.points, "max_points": run.step.points}
                  for run in runs],
    }


def list_document(course: Course) -> dict:
    return {"schema": SCHEMA, "steps": [
        {"id": s.id, "title": s.title, "points": s.points, "checks": list(s.checks), "section": s.section,
         "optional": s.optional}
        for s in course.steps]}


def status_document(course: Course, state: dict) -> dict:
    steps = state.get("steps", {})
    return {
        "schema": SCHEMA,
        "updated_at": state.get("updated_at"),
        "points": sum(steps.get(s.id, {}).get("points", 0) for s in course.required_steps),
        "max_points": course.total_points,
        "steps": [{"id": s.id, "title": s.title, "max_points": s.points,
                   "status": steps.get(s.id, {}).get("status", "unchecked"),
                   "points": steps.get(s.id, {}).get("points", 0),
                   "checked_at": steps.get(s.id, {}).get("checked_at"),
                   "target": steps.get(s.id, {}).get("target")} for s in course.steps],
    }


def error_document(message: str, hint: str, exit_code: int) -> dict:
    return {"schema": SCHEMA, "error": {"message": message, "hint": hint, "exit_code": exit_code}}


def emit(document: dict, stream=None) -> None:
    (stream or sys.stdout).write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
