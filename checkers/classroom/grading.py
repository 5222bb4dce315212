"""The server's own verdict on a submission: its facts re-graded with the teacher's checks.

The student's verdicts are never trusted for points: `grade_facts` (the same engine as `grade` and
`regrade`) evaluates the facts. The same facts (same SHA-256) graded again give the same result, so
results are cached per facts digest: a student re-running an unchanged machine costs a lookup.

Decoding, masking and grading are CPU work: the server runs them in worker processes
(`prepare_and_grade`, a process pool forked at start), so the event loop and the writer keep a
core of their own and a class's submissions are graded on both cores at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from checkers import class_protocol as protocol
from checkers.course import Course
from checkers.grading.model import CheckRow, RosterEntry, StepRow
from checkers.grading.runner import grade_facts
from checkers.sources import submission_facts

CACHE_SIZE = 1024


@dataclass(frozen=True)
class Graded:
    facts_json: str  # canonical JSON (sorted keys): stored once per digest
    facts_sha256: str
    steps: tuple[StepRow, ...]
    checks: tuple[CheckRow, ...]
    cause: str  # doctor's first cause (Czech title + fix), "" when doctor finds none

    def in_scope(self, step_ids: list[str]) -> tuple[list[StepRow], list[CheckRow]]:
        """The steps the student's run evaluated (all of them when it did not say)."""
        known = {s.step for s in self.steps}
        wanted = [s for s in step_ids if s in known] or sorted(known, key=[s.step for s in self.steps].index)
        keep = set(wanted)
        return [s for s in self.steps if s.step in keep], [c for c in self.checks if c.step in keep]


class Grader:
    def __init__(self, course: Course):
        self.course = course
        self._entry = RosterEntry(line=0, name="", student_id="", target="class", identity=None, kind="class")
        self._cache: OrderedDict[str, Graded] = OrderedDict()
        self._lock = threading.Lock()

    def grade(self, facts: dict) -> Graded:
        facts_json = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(facts_json.encode("utf-8")).hexdigest()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None:
                self._cache.move_to_end(digest)
                return hit
        steps, checks = grade_facts(self._entry, facts, self.course)
        failing = any(c.status == "failed" for c in checks)
        graded = Graded(facts_json, digest, tuple(steps), tuple(checks), doctor_cause(facts) if failing else "")
        with self._lock:
            self._cache[digest] = graded
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return graded


def doctor_cause(facts: dict) -> str:
    """Doctor's root cause for the dashboard (the one place the class server asks doctor): the first
    cause the engine finds, with its fix; "" when none is found (or none could be looked for)."""
    from checkers import doctor

    causes = doctor.examine(facts).causes
    if not causes:
        return ""
    return f"{causes[0].title} – {causes[0].hint}".strip(" –")[:600]


_worker: Grader | None = None  # one per worker process (its own cache)


def init_worker() -> None:
    global _worker
    from checkers.course import load_course

    _worker = Grader(load_course())


def prepare_and_grade(raw: bytes, content_encoding: str) -> tuple[dict, Graded]:
    """A request body → (the masked submission without its facts, the server's grading of them).
    The facts travel back once, as the canonical JSON inside Graded. ProtocolError when refused."""
    if _worker is None:
        init_worker()
    doc = protocol.prepare(raw, content_encoding)
    graded = _worker.grade(submission_facts(doc))
    doc["facts"] = None
    return doc, graded


def warm_up() -> bool:
    """Run in each worker at start (imports, course loaded) so the first student waits for nothing."""
    if _worker is None:
        init_worker()
    return True
