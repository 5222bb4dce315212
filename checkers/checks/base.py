"""What a check is: a stable id, prerequisites, and a pure function facts -> Outcome.

Checks never do I/O and never hold prose: the Czech title, failure message and hint of
every check live in checkers/texts/checks.toml, keyed by id (and by the outcome's reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"  # we could not find out (a fact is missing); never the student's fault


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
    """The facts needed are missing (a collector failed, no privileges): not the student's fault."""
    return Outcome(Status.ERROR, reason, seen)


@dataclass(frozen=True)
class Check:
    id: str
    func: Callable[[dict], Outcome]
    requires: tuple[str, ...] = ()
