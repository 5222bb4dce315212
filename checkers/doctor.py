"""`doctor`: the causes of a broken deployment, named by the one engine.

The causes are checks of kind CAUSE (checkers/checks/causes/); this module only asks the engine
for them and shapes doctor's document. A cause that crashes is an error, shown as one; a cause
that could not be looked for is "cannot verify", never silently "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from checkers.checks.base import Status
from checkers.course import Course, load_course
from checkers.engine import Evaluator, Result

SCHEMA = 1


@dataclass
class DoctorReport:
    results: list[Result]  # every cause, in doctor's order

    @property
    def found(self) -> list[Result]:
        """Causes present (advice included), the root cause first."""
        return [r for r in self.results if r.found]

    @property
    def causes(self) -> list[Result]:
        return [r for r in self.results if r.status is Status.FAILED]

    @property
    def unverified(self) -> list[Result]:
        return [r for r in self.results if r.status is Status.UNVERIFIED]

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if r.status is Status.ERROR]


def examine(facts: dict, course: Course | None = None) -> DoctorReport:
    return DoctorReport(Evaluator(facts, course or load_course()).diagnose())


def diagnose(facts: dict, course: Course | None = None) -> list[Result]:
    """The causes found on these facts, the root cause first (superseded symptoms left out)."""
    return examine(facts, course).found


def diagnosis_json(result: Result) -> dict:
    return {"id": result.id, "title": result.title, "explanation": result.message, "fix": result.hint,
            "evidence": result.evidence, "advice": result.status is Status.ADVICE}


def document(report: DoctorReport, target: str) -> dict:
    """doctor --json: diagnoses (found, in order) and healthy as before; unverified and errors added."""
    return {"schema": SCHEMA, "target": target, "diagnoses": [diagnosis_json(r) for r in report.found],
            "healthy": not report.causes and not report.errors,
            "unverified": [{"id": r.id, "title": r.title, "message": r.message} for r in report.unverified],
            "errors": [{"id": r.id, "title": r.title, "message": r.message} for r in report.errors]}
