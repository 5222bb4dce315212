"""What a check is: a stable id, prerequisites, and a pure function facts -> Outcome.

Checks never do I/O and never hold prose: the Czech title, failure message and hint of
every check live in checkers/texts/checks.toml, keyed by id (and by the outcome's reason).

A check of kind CAUSE is one of doctor's diagnoses: it *fails* when it finds its cause on the
target (the cause is present), passes when it does not. Its texts (title, evidence, explanation,
fix) live in checkers/texts/diagnoses.toml. `supersedes` mirrors `requires`: a cause found hides
the symptoms it explains, as a failed prerequisite skips what depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from checkers.texts import seen_word as word  # Czech words of what was seen: checks.toml [_seen]


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"  # a requirement of the lesson is not met: fails the step
    SKIPPED = "skipped"  # behind a failed prerequisite (one root cause, one red line)
    UNVERIFIED = "unverified"  # the evidence needed is missing ("nelze ověřit"): never the student's fault
    ADVICE = "advice"  # a recommended practice beyond the lesson is not followed: shown, never fails
    ERROR = "error"  # the check itself crashed (a bug of ours)


class Kind(str, Enum):
    CHECK = "check"  # a requirement of a step (or a recommendation beyond it)
    CAUSE = "cause"  # doctor: why a deployment is broken; failed = found


class Level(str, Enum):
    REQUIRED = "required"  # the lesson (the book) asks for it: a failure fails the step
    RECOMMENDED = "recommended"  # good practice beyond the lesson: a failure is advice only


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str = ""  # selects the message variant fail_<reason> / pass_<reason>
    seen: dict = field(default_factory=dict)  # values for the message templates


def passed(reason: str = "", **seen) -> Outcome:
    return Outcome(Status.PASSED, reason, seen)


def failed(reason: str = "", **seen) -> Outcome:
    return Outcome(Status.FAILED, reason, seen)


def unknown(reason: str, **seen) -> Outcome:
    """Cannot verify: the evidence needed is missing (a collector failed, no privileges, nothing to
    try it on). Says why; never costs the student anything and never passes."""
    return Outcome(Status.UNVERIFIED, reason, seen)


@dataclass(frozen=True)
class Check:
    id: str
    func: Callable[[dict], Outcome]
    requires: tuple[str, ...] = ()
    level: Level = Level.REQUIRED
    kind: Kind = Kind.CHECK
    supersedes: tuple[str, ...] = ()


def cause(cause_id: str, func: Callable[[dict], Outcome], supersedes=()) -> Check:
    """A doctor diagnosis: doctor.D### names a cause, doctor.A### gives advice (never a failure)."""
    level = Level.RECOMMENDED if cause_id.startswith("doctor.A") else Level.REQUIRED
    return Check(cause_id, func, level=level, kind=Kind.CAUSE, supersedes=tuple(supersedes))
