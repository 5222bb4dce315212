"""Submissions in the gradebook (schema v2): every result that reached the teacher, with its source.

  reported  the student's checker sent it to the class server (checkers.classroom.store)
  verified  the teacher's own probe graded it (`grade` over SSH; Gradebook.record adds it)
  imported  a submission file read by `grade --import`

The steps and checks stored are always the teacher's engine's (checkers.grading.runner.grade_facts),
never the student's own verdicts, which are kept alongside in `reported` for comparison only.
Layer: stdlib and checkers.grading.model only (the class protocol imports `name_key` from here).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field

from checkers.grading.model import CheckRow, StepRow

REPORTED, VERIFIED, IMPORTED = "reported", "verified", "imported"
SOURCES = (REPORTED, VERIFIED, IMPORTED)
SOURCE_LABELS = {REPORTED: "nahlášeno checkerem studenta", VERIFIED: "ověřeno učitelem", IMPORTED: "importováno"}


def name_key(name: str) -> str:
    """Accent- and case-insensitive form of a name: „Jana Nováková“ == „jana  NOVAKOVA“."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


@dataclass
class Submission:
    uid: str  # idempotency key: the client's id, or derived (verified: "run-<run>-<position>")
    source: str
    name: str
    created_at: str
    received_at: str
    student: int | None = None  # class_students.id (reported only)
    student_id: str = ""  # the roster's id (Moodle), when known
    sequence: int = 0
    command: str = ""
    target: str = ""
    checker: dict = field(default_factory=dict)
    checks_digest: str = ""
    facts_id: int | None = None
    reported: dict = field(default_factory=dict)
    run_target: int | None = None
    steps: list[StepRow] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(s.points for s in self.steps)

    @property
    def max_points(self) -> int:
        return sum(s.max_points for s in self.steps)


def insert_submission(db, sub: Submission) -> int | None:
    """Insert within the caller's transaction. None when `uid` is stored already (a duplicate)."""
    assert sub.source in SOURCES
    cursor = db.execute(
        "INSERT OR IGNORE INTO submissions (uid, source, student, name, name_key, student_id, sequence, created_at,"
        " received_at, command, target, checker, checks_digest, facts_id, reported, run_target, points, max_points)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sub.uid, sub.source, sub.student, sub.name, name_key(sub.name), sub.student_id, sub.sequence,
         sub.created_at, sub.received_at, sub.command, sub.target, _json(sub.checker), sub.checks_digest,
         sub.facts_id, _json(sub.reported), sub.run_target, sub.points, sub.max_points))
    if cursor.rowcount == 0:
        return None
    row_id = int(cursor.lastrowid)
    db.executemany("INSERT INTO submission_steps (submission_id, step, status, points, max_points)"
                   " VALUES (?, ?, ?, ?, ?)", [(row_id, s.step, s.status, s.points, s.max_points) for s in sub.steps])
    db.executemany("INSERT OR REPLACE INTO submission_checks (submission_id, check_id, step, status, title, message,"
                   " hint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(row_id, c.id, c.step, c.status, c.title, c.message, c.hint) for c in sub.checks])
    return row_id


def submission_steps(db, submission_id: int) -> list[StepRow]:
    return [StepRow(*r) for r in db.execute(
        "SELECT step, status, points, max_points FROM submission_steps WHERE submission_id = ? ORDER BY rowid",
        (submission_id,))]


def submission_checks(db, submission_id: int) -> list[CheckRow]:
    return [CheckRow(*r) for r in db.execute(
        "SELECT check_id, step, status, title, message, hint FROM submission_checks WHERE submission_id = ?"
        " ORDER BY rowid", (submission_id,))]


def latest_by_source(db, key: str) -> dict[str, dict]:
    """Per source, the newest submission of a student (by name key): id, when, points."""
    out = {}
    for source in SOURCES:
        row = db.execute("SELECT id, received_at, created_at, points, max_points FROM submissions"
                         " WHERE name_key = ? AND source = ? ORDER BY id DESC LIMIT 1", (key, source)).fetchone()
        if row:
            out[source] = {"id": row[0], "received_at": row[1], "created_at": row[2], "points": row[3],
                           "max_points": row[4]}
    return out


def _json(value) -> str:
    return json.dumps(value or {}, ensure_ascii=False, separators=(",", ":"))


@dataclass
class StoredSubmission:
    id: int
    uid: str
    source: str
    student_key: str  # the roster id when known, else the name key
    name: str
    student_id: str
    sequence: int
    created_at: str
    received_at: str
    command: str
    target: str
    facts_id: int | None
    run_target: int | None
    steps: dict[str, StepRow]
    checks: list[CheckRow]


def all_submissions(db, sources: tuple[str, ...] = SOURCES) -> list[StoredSubmission]:
    """Every stored submission of the given sources, oldest first (by arrival), with its graded rows."""
    marks = ",".join("?" * len(sources))
    rows = db.execute(
        "SELECT id, uid, source, name, name_key, student_id, sequence, created_at, received_at, command, target,"
        f" facts_id, run_target FROM submissions WHERE source IN ({marks}) ORDER BY id", sources).fetchall()
    out = []
    for r in rows:
        out.append(StoredSubmission(r[0], r[1], r[2], r[5] or r[4], r[3], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                                    r[12], {s.step: s for s in submission_steps(db, r[0])},
                                    submission_checks(db, r[0])))
    return out


def excuses(db) -> list[tuple[str, str, str]]:
    """(student_key, step, reason) of every excused step."""
    return [tuple(r) for r in db.execute("SELECT student_key, step, reason FROM excuses ORDER BY id")]


def excuse_key(name: str, student_id: str) -> str:
    """The `student_key` an excuse is stored under: the roster id, else the name key (what
    checkers.grading.sources.excuse_rows matches a student by)."""
    return student_id.strip() or name_key(name)


def set_excuse(db, student_key: str, step: str, reason: str, when: str) -> None:
    """Excuse a step (within the caller's transaction); an empty reason removes the excuse."""
    if reason.strip():
        db.execute("INSERT INTO excuses (student_key, step, reason, created_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (student_key, step) DO UPDATE SET reason = excluded.reason,"
                   " created_at = excluded.created_at", (student_key, step, reason.strip(), when))
    else:
        db.execute("DELETE FROM excuses WHERE student_key = ? AND step = ?", (student_key, step))
