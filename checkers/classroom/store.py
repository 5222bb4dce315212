"""The class server's storage: the same SQLite gradebook as `grade` (schema v2), in WAL mode.

One writer: every write runs on the store's single writer thread (`self.writer`), so writes are
serialised without lock contention in SQLite; readers use their own read-only connection per
thread and never wait for the writer (WAL). Tokens are stored as SHA-256 only.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from checkers import class_protocol as protocol
from checkers.classroom.grading import Graded
from checkers.grading.gradebook import Gradebook, gradebook_path
from checkers.grading.model import RosterEntry
from checkers.grading.sources import excuse_rows
from checkers.grading.submissions import REPORTED, Submission, excuse_key, insert_submission, name_key, set_excuse


class JoinRefused(Exception):
    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class Student:
    id: int
    name: str
    name_key: str
    roster_line: int
    student_id: str
    last_sequence: int


@dataclass
class Stored:
    stored: bool  # False: a duplicate id, acknowledged
    student: int
    current: bool  # the newest by sequence: the live grid changed


class ClassStore:
    def __init__(self, out_dir: Path):
        self.path = gradebook_path(Path(out_dir))
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradebook-writer")
        self._local = threading.local()
        self.book: Gradebook = self.writer.submit(self._open).result()  # CheckerError propagates

    def _open(self) -> Gradebook:
        book = Gradebook(self.path)
        book.db.execute("PRAGMA journal_mode = WAL")
        book.db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
        return book

    def write(self, fn, *args):
        """Run fn(db, *args) on the writer thread, inside one transaction; a Future."""
        def job():
            with self.book.transaction():
                return fn(self.book, *args)
        return self.writer.submit(job)

    def reader(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 5000")
            self._local.db = db
        return db

    def journal_mode(self) -> str:
        return self.reader().execute("PRAGMA journal_mode").fetchone()[0]

    def close(self) -> None:
        self.writer.submit(self.book.close).result()
        self.writer.shutdown()

    # -------------------------------------------------------------------------------- students
    def student_by_token(self, token: str) -> Student | None:
        row = self.reader().execute(
            "SELECT id, name, name_key, roster_line, student_id, last_sequence FROM class_students"
            " WHERE token_sha256 = ?", (protocol.token_hash(token),)).fetchone()
        return Student(*row) if row else None

    def join(self, name: str, entry: RosterEntry | None) -> tuple[str, int]:
        """A new token for `name` (the roster's spelling when given); JoinRefused 409 when joined."""
        token = protocol.new_token()
        shown = entry.name if entry else name
        return token, self.write(_join, shown, entry, protocol.token_hash(token)).result()

    def reset(self, student: int) -> bool:
        return self.write(_reset, student).result()

    def excuse(self, student: int, step: str, reason: str) -> int | None:
        """Excuse a student's step (an empty reason removes the excuse); the student's grid row (the
        newest join of the name), None: no such student."""
        return self.write(_excuse, student, step, reason).result()

    # ----------------------------------------------------------------------------- submissions
    def add_reported(self, student: Student, doc: dict, graded: Graded, received_at: str, checks_digest: str):
        """Store a reported submission (idempotent on doc["id"]); a Future of Stored."""
        return self.write(_add_reported, student, doc, graded, received_at, checks_digest)

    def max_submission_id(self) -> int:
        return self.reader().execute("SELECT coalesce(max(id), 0) FROM submissions").fetchone()[0]

    def external_since(self, after: int) -> list[tuple[int, str]]:
        """(id, name_key) of verified/imported submissions newer than `after` (another process wrote them)."""
        return self.reader().execute("SELECT id, name_key FROM submissions WHERE id > ? AND source != ?"
                                     " ORDER BY id", (after, REPORTED)).fetchall()


def _join(book: Gradebook, name: str, entry: RosterEntry | None, digest: str) -> int:
    db = book.db
    key = name_key(name)
    if db.execute("SELECT 1 FROM class_students WHERE name_key = ? AND token_sha256 IS NOT NULL",
                  (key,)).fetchone():
        raise JoinRefused(f"Student „{name}“ je už ve třídě přihlášený. Pokud jde o vás (nový počítač, "
                          "smazaný stav), požádejte vyučujícího, ať vaše přihlášení na nástěnce zruší.", 409)
    cursor = db.execute(
        "INSERT INTO class_students (name, name_key, roster_line, student_id, token_sha256, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (name, key, entry.line if entry else 0, entry.student_id if entry else "", digest, protocol.utc_now()))
    student = int(cursor.lastrowid)
    # A re-join after a reset continues the old row's grid: the cells move to the new row.
    old = db.execute("SELECT id FROM class_students WHERE name_key = ? AND id != ? ORDER BY id DESC LIMIT 1",
                     (key, student)).fetchone()
    if old:
        db.execute("UPDATE class_cells SET student = ? WHERE student = ?", (student, old[0]))
        carried = db.execute("SELECT stuck_check, stuck_since, stuck_cause, last_seen FROM class_students"
                             " WHERE id = ?", (old[0],)).fetchone()
        db.execute("UPDATE class_students SET stuck_check = ?, stuck_since = ?, stuck_cause = ?, last_seen = ?"
                   " WHERE id = ?", (*carried, student))
        db.execute("UPDATE class_students SET stuck_check = NULL, stuck_since = NULL WHERE id = ?", (old[0],))
    return student


def _reset(book: Gradebook, student: int) -> bool:
    cursor = book.db.execute("UPDATE class_students SET token_sha256 = NULL, reset_at = ? WHERE id = ?"
                             " AND token_sha256 IS NOT NULL", (protocol.utc_now(), student))
    return cursor.rowcount > 0


def _excuse(book: Gradebook, student: int, step: str, reason: str) -> int | None:
    row = book.db.execute("SELECT name, name_key, student_id FROM class_students WHERE id = ?", (student,)).fetchone()
    if row is None:
        return None
    stored = book.db.execute("SELECT student_key, step FROM excuses WHERE step = ?", (step,)).fetchall()
    for key, _ in excuse_rows(stored, row[0], row[2] or ""):  # under any key it matches (a roster id, a name)
        set_excuse(book.db, key, step, "", "")
    if reason:
        set_excuse(book.db, excuse_key(row[0], row[2] or ""), step, reason, protocol.utc_now())
    return book.db.execute("SELECT max(id) FROM class_students WHERE name_key = ?", (row[1],)).fetchone()[0]


def _add_reported(book: Gradebook, student: Student, doc: dict, graded: Graded, received_at: str,
                  checks_digest: str) -> Stored:
    db = book.db
    if db.execute("SELECT 1 FROM submissions WHERE uid = ?", (doc["id"],)).fetchone():
        return Stored(False, student.id, False)
    db.execute("INSERT OR IGNORE INTO facts (sha256, document) VALUES (?, ?)", (graded.facts_sha256, graded.facts_json))
    facts_id = db.execute("SELECT id FROM facts WHERE sha256 = ?", (graded.facts_sha256,)).fetchone()[0]
    steps, checks = graded.in_scope(protocol.reported_steps(doc["verdicts"]))
    row_id = insert_submission(db, Submission(
        uid=doc["id"], source=REPORTED, name=student.name, created_at=doc["created_at"], received_at=received_at,
        student=student.id, student_id=student.student_id, sequence=doc["sequence"], command=doc["command"],
        target=doc["target"], checker=doc["checker"], checks_digest=checks_digest,
        facts_id=facts_id, reported=doc["verdicts"], steps=steps, checks=checks))
    last = db.execute("SELECT last_sequence FROM class_students WHERE id = ?", (student.id,)).fetchone()[0]
    current = doc["sequence"] > last
    db.execute("UPDATE class_students SET last_sequence = max(last_sequence, ?), last_seen = ? WHERE id = ?",
               (doc["sequence"], received_at, student.id))
    if current:  # an older run arriving late (offline queue) is kept, but the grid shows the newest
        _update_cells(db, student.id, steps, received_at, row_id)
        _update_stuck(db, student.id, checks, graded.cause, received_at)
    return Stored(True, student.id, current)


def _update_cells(db, student: int, steps, when: str, submission: int) -> None:
    for s in steps:
        old = db.execute("SELECT status, points FROM class_cells WHERE student = ? AND step = ?",
                         (student, s.step)).fetchone()
        if old is None:
            db.execute("INSERT INTO class_cells (student, step, status, points, max_points, attempts, submission,"
                       " first_at, changed_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                       (student, s.step, s.status, s.points, s.max_points, submission, when, when, when))
        else:
            changed = (old[0], old[1]) != (s.status, s.points)
            db.execute("UPDATE class_cells SET status = ?, points = ?, max_points = ?, attempts = attempts + 1,"
                       " submission = ?, changed_at = CASE WHEN ? THEN ? ELSE changed_at END, updated_at = ?"
                       " WHERE student = ? AND step = ?",
                       (s.status, s.points, s.max_points, submission, changed, when, when, student, s.step))


def _update_stuck(db, student: int, checks, cause: str, when: str) -> None:
    """The first failing check and since when it has been failing (same check: the clock runs on)."""
    failing = next((c for c in checks if c.status == "failed"), None)
    if failing is None:
        db.execute("UPDATE class_students SET stuck_check = NULL, stuck_since = NULL, stuck_cause = ''"
                   " WHERE id = ?", (student,))
        return
    key = f"{failing.id}\t{failing.title}"
    db.execute("UPDATE class_students SET stuck_since = CASE WHEN stuck_check IS ? THEN stuck_since ELSE ? END,"
               " stuck_check = ?, stuck_cause = ? WHERE id = ?", (key, when, key, cause, student))
