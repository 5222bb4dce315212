"""What grading works with: a roster entry, a target's grade, and the Czech names of target states."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# Target states (stored in the gradebook; never renamed).
PENDING = "pending"  # not graded yet (a run interrupted before this target finished)
GRADED = "graded"  # the probe ran; the checks were evaluated
UNREACHABLE = "unreachable"  # could not connect (refused, no route, wrong key, not running…)
TIMEOUT = "timeout"  # connect + probe did not finish within the per-target limit (a hang)
ERROR = "error"  # connected, but the check itself could not run (probe crashed, no python3…)
STATES = (PENDING, GRADED, UNREACHABLE, TIMEOUT, ERROR)

STATE_LABELS = {
    PENDING: "nezkontrolováno",
    GRADED: "zkontrolováno",
    UNREACHABLE: "nedostupný",
    TIMEOUT: "neodpověděl včas",
    ERROR: "chyba kontroly",
}

# A step's status as stored (checkers.session.StepRun.status). "unverified": the evidence needed was
# missing, nothing failed; not the student's fault, so never worded as a failure or a zero. "error": a
# check crashed (before "unverified" existed, it also meant missing evidence, so old runs say it too).
STEP_STATUS_LABELS = {"passed": "splněno", "failed": "nesplněno", "unverified": "nelze ověřit",
                      "error": "nepodařilo se ověřit"}
NOT_VERIFIED = ("unverified", "error")  # steps whose points say nothing about the student's work
# A check's status as stored (checkers.checks.base.Status values).
CHECK_STATUS_LABELS = {"passed": "prošla", "failed": "neprošla", "skipped": "přeskočena",
                       "unverified": "nelze ověřit", "advice": "doporučení", "error": "chyba kontroly"}
CHECK_SYMBOLS = {"passed": "✔", "failed": "✘", "skipped": "–", "unverified": "?", "advice": "!", "error": "⚠"}


@dataclass(frozen=True)
class RosterEntry:
    line: int  # line of the roster file where the row starts (1 = header)
    name: str
    student_id: str
    target: str
    identity: str | None  # absolute path of the SSH key, or None
    kind: str  # ssh | vagrant | lab | local | url
    project: str | None = None  # the project's directory on the target (None: the course's)


@dataclass
class CheckRow:
    id: str
    step: str
    status: str  # passed | failed | skipped | unverified | advice | error
    title: str
    message: str
    hint: str


@dataclass
class StepRow:
    step: str
    status: str  # passed | failed | unverified | error
    points: int
    max_points: int


@dataclass
class TargetGrade:
    """The outcome of grading one roster entry."""

    entry: RosterEntry
    state: str
    reason: str = ""  # Czech: why the target was not graded
    hint: str = ""
    seconds: float = 0.0
    facts: dict | None = None
    steps: list[StepRow] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)

    @property
    def points(self) -> int | None:
        return sum(s.points for s in self.steps) if self.state == GRADED else None


def display_text(text: str) -> str:
    """One line of text safe for a terminal: control characters (newlines, escape sequences) shown
    as visible escapes, so a student's name can never move the cursor or recolour the teacher's terminal."""
    out = []
    for char in text:
        if char == "\n":
            out.append("⏎")
        elif unicodedata.category(char) in ("Cc", "Cf") and char not in ("\u200d",):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)
