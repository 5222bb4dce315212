"""What a check is: a stable id, prerequisites, and a pure function facts -> Outcome.

Checks never do I/O and never hold prose: the Czech title, failure message and hint of
every check live in checkers/texts/checks.toml, keyed by id (and by the outcome's reason).
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
