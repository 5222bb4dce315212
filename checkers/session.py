"""One checker run: open the target, gather facts once, evaluate steps, record progress."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from checkers.checks.base import Status
from checkers.course import Course, Step
from checkers.engine import Evaluator, Result
from checkers.facts import save, slug
from checkers.gather import gather
from checkers.paths import state_dir
from checkers.progress import ProgressStore, StepOutcome, book_html_dir, write_book_progress
from checkers.targets import TargetOptions, open_transport
from checkers.targets.base import Transport


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


def probe_params(course: Course, project: str | None, profile: str = "vm", transport=None) -> dict:
    # A course VM reached on loopback is port-forwarded: the browser sends Host/Origin with its port.
    forwarded = bool(getattr(transport, "loopback", False))
    return {"project": project or course.project_dir, "project_explicit": project is not None,
            "site_host": course.site_host, "profile": profile,
            "browser_port": course.browser_port if forwarded else None}


@contextlib.contextmanager
def connected(options: TargetOptions):
    transport: Transport = open_transport(options)
    try:
        yield transport
    finally:
        transport.close()


STORAGE_WARNINGS: list[str] = []  # what could not be saved in this run (shown after the results)


def collect(transport: Transport, params: dict, timeout: float) -> dict:
    facts = gather(transport, params, timeout)
    path = state_dir() / "facts" / f"{slug(transport.label)}.json"
    try:
        save(facts, path)
    except OSError as exc:  # a full or read-only disk must not hide the results
        from checkers.progress import storage_problem

        STORAGE_WARNINGS.append(storage_problem(exc, path.parent) + " Fakta z této kontroly se neuložila.")
    return facts


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
        from checkers.progress import storage_problem

        return [storage_problem(exc, state_dir()) + " Postup se neuložil; výsledek kontroly platí."]
    try:
        write_book_progress(book_html_dir(), state, course)
    except OSError as exc:
        from checkers.progress import storage_problem

        store.warnings.append(storage_problem(exc, book_html_dir()) + " Kniha neukáže nový postup.")
    return store.warnings
