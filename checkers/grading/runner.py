"""Grade many targets in parallel: bounded worker threads, one deadline per target, one probe each.

Every target is graded exactly as `./kurz all` grades a student's machine: open ONE
transport (checkers.targets), run the probe ONCE (checkers.gather), evaluate the course's steps
with the same engine (checkers.session.evaluate). A URL target is looked at as a visitor sees it
(checkers.web) and graded on the live-web step.

The per-target limit covers connecting AND probing. A watchdog in the calling thread enforces it:
when a target's deadline passes, it is recorded as timed out, its connection (if any) is closed,
and its slot goes to the next target – a hung machine never holds up the class. The abandoned
worker thread finishes on its own (its socket timeouts are bounded by the same limit).
"""

from __future__ import annotations

import errno
import math
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from checkers.checks.base import Status
from checkers.course import Course, Step
from checkers.errors import CheckerError
from checkers.grading.model import (ERROR, GRADED, TIMEOUT, UNREACHABLE, CheckRow, RosterEntry, StepRow,
                                    TargetGrade)

WEB_STEP = "web"
URL_REQUEST_TIMEOUT = 30.0  # per HTTP request of a live-site check (checkers.web caps it the same way)

# Phases a worker reports (the live display shows them).
CONNECTING, PROBING, EVALUATING, DONE = "připojuje se", "sonda běží", "vyhodnocuje", "hotovo"


@dataclass
class GradeSettings:
    timeout: float  # seconds per target, connect + probe
    concurrency: int
    host_key: str = "accept-new"
    ca_file: str | None = None
    project: str | None = None  # `grade --project`: the project's directory where the roster gives none


def steps_for(entry: RosterEntry, course: Course) -> list[Step]:
    """Which steps a target is graded on: the course's required steps, or the live-web step for a URL."""
    if entry.kind == "url":
        return [course.step(WEB_STEP)]
    return list(course.required_steps)


def column_steps(course: Course, entries: list[RosterEntry]) -> list[dict]:
    """The steps a run grades, in column order: the required steps, plus the live-web step when
    the roster has a URL target."""
    steps = list(course.required_steps)
    if any(entry.kind == "url" for entry in entries):
        steps.append(course.step(WEB_STEP))
    return [{"id": s.id, "title": s.title, "points": s.points, "label": s.label} for s in steps]


def max_points(entry: RosterEntry, course: Course) -> int:
    return sum(step.points for step in steps_for(entry, course))


def grade_facts(entry: RosterEntry, facts: dict, course: Course) -> tuple[list[StepRow], list[CheckRow]]:
    """Evaluate saved or fresh facts with the current checks (pure: no I/O)."""
    from checkers import session

    runs = session.evaluate(facts, course, steps_for(entry, course))
    steps = [StepRow(run.step.id, run.status, run.points, run.step.points) for run in runs]
    checks = [CheckRow(r.id, run.step.id, r.status.value if isinstance(r.status, Status) else str(r.status),
                       r.title, r.message, r.hint)
              for run in runs for r in run.results]
    return steps, checks


@dataclass
class _Job:
    index: int
    entry: RosterEntry
    started: float
    deadline: float
    phase: str = CONNECTING
    transport: object = None
    abandoned: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_transport(self, transport) -> bool:
        """Publish the open transport (so the watchdog can close it); False when already abandoned."""
        with self.lock:
            if self.abandoned:
                return False
            self.transport = transport
            return True

    def abandon(self) -> None:
        with self.lock:
            self.abandoned = True
            transport, self.transport = self.transport, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # noqa: BLE001  (closing a dead connection may fail in any way)
                pass


class ClassGrader:
    """Grades a roster; results are handed to `on_result` in the calling thread as they arrive."""

    def __init__(self, course: Course, settings: GradeSettings, *, on_start: Callable | None = None,
                 on_result: Callable[[int, TargetGrade], None] | None = None,
                 stop: threading.Event | None = None):
        self.course = course
        self.settings = settings
        self.on_start = on_start or (lambda index, entry: None)
        self.on_result = on_result or (lambda index, grade: None)
        self.stop = stop or threading.Event()
        self.active: dict[int, _Job] = {}

    def phases(self) -> dict[int, str]:
        return {index: job.phase for index, job in list(self.active.items())}

    def run(self, entries: list[RosterEntry], tick: Callable[[], None] | None = None) -> list[TargetGrade | None]:
        """Grade all entries; returns grades in roster order (None for those not started before a stop)."""
        results: list[TargetGrade | None] = [None] * len(entries)
        pending = deque(enumerate(entries))
        finished: queue.Queue = queue.Queue()
        limit = max(1, self.settings.concurrency)
        while pending or self.active:
            while pending and len(self.active) < limit and not self.stop.is_set():
                index, entry = pending.popleft()
                now = time.monotonic()
                job = _Job(index, entry, now, now + self.settings.timeout)
                self.active[index] = job
                self.on_start(index, entry)
                threading.Thread(target=self._work, args=(job, finished), name=f"grade-{index}", daemon=True).start()
            if self.stop.is_set() and not self.active:
                break
            try:
                index, grade = finished.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                if index in self.active and not self.active[index].abandoned:
                    del self.active[index]
                    results[index] = grade
                    self.on_result(index, grade)
            now = time.monotonic()
            for index, job in list(self.active.items()):
                if now >= job.deadline:
                    job.abandon()
                    del self.active[index]
                    grade = self._timed_out(job, now)
                    results[index] = grade
                    self.on_result(index, grade)
            if self.stop.is_set():
                # Ctrl-C: finish nothing new; targets still running are left ungraded (pending).
                for index, job in list(self.active.items()):
                    job.abandon()
                    del self.active[index]
                break
            if tick:
                tick()
        return results

    # ------------------------------------------------------------------------------ one target
    def _work(self, job: _Job, finished: queue.Queue) -> None:
        try:
            grade = self._grade(job)
        except CheckerError as exc:
            state = UNREACHABLE if job.phase == CONNECTING else ERROR
            reason, hint = (unreachable_reason(exc) if state == UNREACHABLE else (exc.message, exc.hint))
            grade = TargetGrade(job.entry, state, reason, hint)
        except Exception as exc:  # noqa: BLE001  (one broken target must not stop the class)
            if job.abandoned:
                return
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            grade = TargetGrade(job.entry, ERROR, f"Vnitřní chyba checkeru při kontrole tohoto cíle ({detail}).",
                                "To není chyba studenta. Pošlete prosím tento řádek autorům kurzu.")
        grade.seconds = round(time.monotonic() - job.started, 3)
        job.phase = DONE
        if not job.abandoned:
            finished.put((job.index, grade))

    def _grade(self, job: _Job) -> TargetGrade:
        entry = job.entry
        if entry.kind == "url":
            return self._grade_url(job)
        from checkers import session
        from checkers.sources import Spec, gather
        from checkers.targets import TargetOptions, open_transport

        # The socket/banner/probe timeouts sit a little past the deadline: the watchdog decides.
        options = TargetOptions(spec=entry.target, identity=entry.identity, host_key=self.settings.host_key,
                                connect_timeout=_slack(job))
        job.phase = CONNECTING
        transport = open_transport(options)
        if not job.set_transport(transport):
            transport.close()
            raise CheckerError("abandoned")
        try:
            job.phase = PROBING
            params = session.probe_params(self.course, entry.project or self.settings.project, "vm")
            facts = gather(Spec("probe", transport=transport, params=params, timeout=_slack(job), keep=False)).facts
        finally:
            with job.lock:
                job.transport = None
            transport.close()
        job.phase = EVALUATING
        steps, checks = grade_facts(entry, facts, self.course)
        return TargetGrade(entry, GRADED, facts=facts, steps=steps, checks=checks)

    def _grade_url(self, job: _Job) -> TargetGrade:
        from checkers.sources import Spec, gather

        entry = job.entry
        job.phase = PROBING
        timeout = max(1.0, min(URL_REQUEST_TIMEOUT, job.deadline - time.monotonic()))
        try:
            facts = gather(Spec("live", url=entry.target, ca_file=self.settings.ca_file, request_timeout=timeout,
                                keep=False)).facts
        except CheckerError as err:  # the site could not be reached at all
            return TargetGrade(entry, UNREACHABLE, err.message, err.hint)
        job.phase = EVALUATING
        steps, checks = grade_facts(entry, facts, self.course)
        return TargetGrade(entry, GRADED, facts=facts, steps=steps, checks=checks)

    def _timed_out(self, job: _Job, now: float) -> TargetGrade:
        limit = f"{self.settings.timeout:g}"
        if job.phase == CONNECTING:
            reason = f"Cíl do {limit} s nedokončil připojení (spojení se nenavázalo, nebo stroj přestal odpovídat)."
            hint = "Stroj je nejspíš zaseknutý nebo přetížený. Zkontrolujte ho a oznámkujte znovu; delší limit nastaví --timeout."
        else:
            reason = f"Sonda na cíli nedoběhla do {limit} s."
            hint = "Stroj je nejspíš přetížený. Zkuste ho oznámkovat znovu s delším limitem (--timeout)."
        return TargetGrade(job.entry, TIMEOUT, reason, hint, seconds=round(now - job.started, 3))


def _slack(job: _Job) -> float:
    """A transport timeout a little past the job's deadline (whole seconds: they appear in messages)."""
    return float(max(1, math.ceil(job.deadline - time.monotonic() + 1.0)))


def unreachable_reason(exc: CheckerError) -> tuple[str, str]:
    """The transport's Czech message, made precise where it lumps causes together."""
    cause = exc.__cause__
    codes = set()
    if cause is not None:
        for error in (getattr(cause, "errors", None) or {}).values():  # paramiko NoValidConnectionsError
            codes.add(getattr(error, "errno", None))
        codes.add(getattr(cause, "errno", None))
    if codes & {errno.EHOSTUNREACH, errno.ENETUNREACH}:
        where = exc.message.split(" ", 1)[0]
        return (f"Stroj {where} není v síti dosažitelný (na té adrese nikdo neodpovídá).",
                "Je stroj zapnutý a připojený do sítě? Zkontrolujte adresu v soupisce.")
    return exc.message, exc.hint
