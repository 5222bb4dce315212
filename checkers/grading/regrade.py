"""Regrade: evaluate the facts saved by an earlier run with the checks as they are NOW.

No target is contacted: this module never imports a transport. A target that was not graded in
the source run (unreachable, timed out…) keeps its state and reason. The result is a new run of
kind 'regrade' that names its source; the source run stays as it was.
"""

from __future__ import annotations

import hashlib
from typing import Callable

from checkers.course import Course
from checkers.grading.gradebook import Gradebook, RunInfo
from checkers.grading.model import GRADED, TargetGrade
from checkers.grading.runner import column_steps, grade_facts, max_points
from checkers.paths import TEXTS_DIR
from checkers.sources import Spec, gather

ROOT = TEXTS_DIR.parent
CHECKS_DIR = ROOT / "checks"


def checks_digest(course: Course) -> str:
    """Which version of the checks graded a run: a hash of the check code, their texts and the course."""
    h = hashlib.sha256()
    # the checks and doctor's causes, the texts, the facts' accessors and schema, the engine, the course
    sources = sorted(CHECKS_DIR.rglob("*.py")) + [TEXTS_DIR / "checks.toml", TEXTS_DIR / "diagnoses.toml",
                                                  ROOT / "factsview.py", ROOT / "facts_schema.json",
                                                  ROOT / "engine.py", course.source]
    for path in sources:
        h.update(path.relative_to(path.parents[1]).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def regrade(book: Gradebook, course: Course, source: RunInfo,
            on_result: Callable[[int, TargetGrade], None] | None = None) -> int:
    stored = book.targets(source.id)
    entries = [t.entry for t in stored]
    run_id = book.start_run("regrade", column_steps(course, entries), course.title, checks_digest(course),
                            roster=source.roster, settings={"source_run": source.id}, source_run=source.id)
    book.add_pending(run_id, entries, [max_points(e, course) for e in entries])
    for position, target in enumerate(stored):
        if target.facts_id is not None:
            facts = gather(Spec("stored", document=book.facts(target.facts_id), keep=False)).facts
            steps, checks = grade_facts(target.entry, facts, course)
            grade = TargetGrade(target.entry, GRADED, steps=steps, checks=checks, seconds=0.0)
        else:
            grade = TargetGrade(target.entry, target.state, target.reason, target.hint, seconds=0.0)
        if grade.state != "pending" or grade.reason:  # a pending target's reason (no file imported) stays
            book.record(run_id, position, grade, facts_id=target.facts_id)
        if on_result:
            on_result(position, grade)
    book.finish_run(run_id, "finished")
    return run_id
