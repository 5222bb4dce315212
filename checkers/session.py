"""One checker run's verdicts: evaluate the steps on the facts, record the student's progress."""

from __future__ import annotations

from dataclasses import dataclass

from checkers.checks.base import Status
from checkers.course import Course, Step
from checkers.engine import Evaluator, Result
from checkers.paths import state_dir
from checkers.progress import ProgressStore, StepOutcome, book_html_dir, write_book_progress
from checkers.storage import storage_problem


@dataclass
class StepRun:
    step: Step
    results: list[Result]

    @property
    def status(self) -> str:
        """failed (something this step requires is not met) · error (a check of ours crashed) ·
        unverified (evidence missing, or blocked by another step's failure; nothing here failed) ·
        passed (advice never stands in the way)."""
        statuses = {r.status for r in self.results}
        if Status.FAILED in statuses:
            return "failed"
        if Status.ERROR in statuses:
            return "error"
        if statuses & {Status.UNVERIFIED, Status.SKIPPED}:  # a skip without a failure here: blocked elsewhere
            return "unverified"
        return "passed"

    @property
    def points(self) -> int:
        return self.step.points if self.status == "passed" else 0

    def outcome(self) -> StepOutcome:
        return StepOutcome(step=self.step.id, status=self.status, points=self.points, max_points=self.step.points,
                           checks={r.id: r.status.value for r in self.results},
                           failed_titles=[r.title for r in self.results if r.status is Status.FAILED])


def probe_params(course: Course, project: str | None, profile: str = "vm") -> dict:
    """What the probe looks for. browser_port is kept only when the target turns out to be a
    port-forwarded VM on loopback (checkers.sources decides, once connected)."""
    return {"project": project or course.project_dir, "project_explicit": project is not None,
            "site_host": course.site_host, "profile": profile, "browser_port": course.browser_port}


def evaluate(facts: dict, course: Course, steps: list[Step]) -> list[StepRun]:
    evaluator = Evaluator(facts, course)
    all_ids = [check_id for step in steps for check_id in step.checks]
    by_id = {r.id: r for r in evaluator.results(all_ids)}
    return [StepRun(step, [by_id[c] for c in step.checks]) for step in steps]


def record(runs: list[StepRun], course: Course, target: str) -> list[str]:
    """Store the attempts and refresh the book's progress file; returns warnings for the student."""
    store = ProgressStore(state_dir())
    try:
        state = store.record([run.outcome() for run in runs], target)
    except OSError as exc:
        return [storage_problem(exc, state_dir()) + " Postup se neuložil; výsledek kontroly platí."]
    try:
        write_book_progress(book_html_dir(), state, course)
    except OSError as exc:
        store.warnings.append(storage_problem(exc, book_html_dir()) + " Kniha neukáže nový postup.")
    return store.warnings
