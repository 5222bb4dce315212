"""The gradebook: one SQLite file holding every grading run, never overwritten.

Schema (PRAGMA user_version = SCHEMA_VERSION; older files are migrated, newer ones refused):

  runs           one row per `grade` or `regrade`: when, status (running/finished/interrupted),
                 the regraded run, the steps graded (JSON, in column order), a digest of the checks
  facts          each probe's facts document once (JSON text, keyed by its SHA-256). The probe sends
                 derived values only (never a SECRET_KEY, password or cookie value)
  targets        one row per roster entry per run: student, target, state and reason, points
  step_results   points per step per target
  check_results  each check's status and Czech texts per target
  (v2)           class students, submissions (reported | verified | imported), the live grid and
                 excuses: see checkers/grading/schema.py. A target graded by `grade` is also stored
                 as a "verified" submission, so the class dashboard and exports show it beside the
                 students' own reports.

Writes are transactions: a run's row first, then each target in its own transaction as soon as
it is graded. A crash or Ctrl-C keeps every target committed so far; a run left 'running' by a
crash is shown as unfinished. Only the thread that opened the gradebook writes to it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from checkers.errors import CheckerError
from checkers.grading.model import (GRADED, PENDING, STATES, CheckRow, RosterEntry, StepRow, TargetGrade)
from checkers.grading.schema import MIGRATIONS, SCHEMA_VERSION
from checkers.grading.submissions import IMPORTED, VERIFIED, Submission, insert_submission
from checkers.progress import now_iso

FILE_NAME = "gradebook.sqlite"

@dataclass
class RunInfo:
    id: int
    kind: str
    source_run: int | None
    status: str
    started_at: str
    finished_at: str | None
    roster: str
    course_title: str
    steps: list[dict]  # [{"id", "title", "points"}] in column order
    checks_digest: str
    settings: dict


@dataclass
class StoredTarget:
    """A target's row as stored, with its results; facts loaded on demand."""

    row_id: int
    position: int
    entry: RosterEntry
    state: str
    reason: str
    hint: str
    seconds: float | None
    graded_at: str | None
    facts_id: int | None
    points: int | None
    max_points: int
    steps: dict[str, StepRow]
    checks: list[CheckRow]


class Gradebook:
    def __init__(self, path: Path):
        self.path = Path(path)
        out_dir = self.path.parent
        if out_dir.exists() and not out_dir.is_dir():
            raise CheckerError(f"{out_dir} zadaný v --out není adresář, ale soubor.",
                               "Zadejte adresář pro výsledky, např. `--out hodnoceni`.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None)  # explicit BEGIN/COMMIT below
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 10000")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:  # cannot open: no rights, read-only, no space
            raise storage_error(exc, self.path) from exc
        except sqlite3.DatabaseError as exc:
            raise CheckerError(f"Soubor {self.path} není čitelná databáze hodnocení ({exc}).",
                               "Zadejte jiný adresář v --out, nebo poškozený soubor přejmenujte.") from exc
        except OSError as exc:
            raise CheckerError(f"Databázi hodnocení {self.path} nejde vytvořit: {exc.strerror}.",
                               "Zkontrolujte práva k adresáři v --out.") from exc
        if version > SCHEMA_VERSION:
            raise CheckerError(f"Databázi hodnocení {self.path} zapsala novější verze checkeru (schéma {version}).",
                               "Aktualizujte checker (git pull) a zkuste to znovu.")
        if version == 0 and self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise CheckerError(f"Soubor {self.path} je databáze, ale ne databáze hodnocení.",
                               "Zadejte jiný adresář v --out.")
        try:
            self._migrate(version)
        except sqlite3.OperationalError as exc:
            raise storage_error(exc, self.path) from exc

    def mark_dead_runs(self, alive=None) -> list[int]:
        """Runs left 'running' by a process that no longer exists (killed, power cut) become
        'interrupted': their graded targets stay, the rest stays pending. Returns their ids."""
        alive = alive or _process_alive
        dead = []
        for run_id, settings in self.db.execute("SELECT id, settings FROM runs WHERE status = 'running'").fetchall():
            try:
                owner = json.loads(settings or "{}").get("process") or {}
            except ValueError:
                owner = {}
            if owner.get("host") == _host() and owner.get("pid") and alive(int(owner["pid"])):
                continue  # another grading run, still going
            dead.append(run_id)
        for run_id in dead:
            self.finish_run(run_id, "interrupted")
        return dead

    def _migrate(self, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():  # schema and version change together or not at all
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        self.db.close()

    def transaction(self):
        return _Transaction(self.db)

    # ------------------------------------------------------------------------------- writing
    def start_run(self, kind: str, steps: list[dict], course_title: str, checks_digest: str, *,
                  roster: str = "", settings: dict | None = None, source_run: int | None = None) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO runs (kind, source_run, status, started_at, roster, course_title, steps, checks_digest,"
                " settings) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (kind, source_run, now_iso(), roster, course_title, json.dumps(steps, ensure_ascii=False),
                 checks_digest, json.dumps(settings or {}, ensure_ascii=False)))
            return int(cursor.lastrowid)

    def add_pending(self, run_id: int, entries: list[RosterEntry], max_points: list[int]) -> None:
        """Every roster entry of the run, as 'pending' until it is graded (one transaction)."""
        with self.transaction():
            for position, (entry, maximum) in enumerate(zip(entries, max_points)):
                self.db.execute(
                    "INSERT INTO targets (run_id, position, roster_line, name, student_id, target, kind, state,"
                    " max_points) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (run_id, position, entry.line, entry.name, entry.student_id, entry.target, entry.kind, maximum))

    def record(self, run_id: int, position: int, grade: TargetGrade, *, facts_id: int | None = None) -> None:
        """Store one target's outcome in its own transaction (committed before returning)."""
        assert grade.state in STATES
        with self.transaction():
            if grade.facts is not None:
                facts_id = self._store_facts(grade.facts)
            row = self.db.execute("SELECT id FROM targets WHERE run_id = ? AND position = ?",
                                  (run_id, position)).fetchone()
            if row is None:
                raise CheckerError(f"Běh {run_id} nemá cíl číslo {position}.")
            target_id = row[0]
            self.db.execute(
                "UPDATE targets SET state = ?, reason = ?, hint = ?, seconds = ?, graded_at = ?, facts_id = ?,"
                " points = ? WHERE id = ?",
                (grade.state, grade.reason, grade.hint, grade.seconds, now_iso(), facts_id,
                 grade.points, target_id))
            self.db.execute("DELETE FROM step_results WHERE target_id = ?", (target_id,))
            self.db.execute("DELETE FROM check_results WHERE target_id = ?", (target_id,))
            self.db.executemany(
                "INSERT INTO step_results (target_id, step, status, points, max_points) VALUES (?, ?, ?, ?, ?)",
                [(target_id, s.step, s.status, s.points, s.max_points) for s in grade.steps])
            self.db.executemany(
                "INSERT INTO check_results (target_id, check_id, step, status, title, message, hint)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(target_id, c.id, c.step, c.status, c.title, c.message, c.hint) for c in grade.checks])
            if grade.state == GRADED:
                self._record_verified(run_id, position, target_id, grade, facts_id)

    def _record_verified(self, run_id: int, position: int, target_id: int, grade: TargetGrade,
                         facts_id: int | None) -> None:
        """A target graded by the teacher's own probe (`grade`, not `regrade`) is a verified submission.
        A `grade --import` run (settings {"source": "imported"}) stores its own imported submissions."""
        kind = self.db.execute("SELECT kind, checks_digest, settings FROM runs WHERE id = ?", (run_id,)).fetchone()
        if kind is None or kind[0] != "grade":
            return
        try:
            if json.loads(kind[2] or "{}").get("source") == IMPORTED:
                return
        except ValueError:
            pass
        when = now_iso()
        insert_submission(self.db, Submission(
            uid=f"run-{run_id}-{position}", source=VERIFIED, name=grade.entry.name, created_at=when,
            received_at=when, student_id=grade.entry.student_id, command="grade", target=grade.entry.target,
            checks_digest=kind[1], facts_id=facts_id, run_target=target_id, steps=grade.steps, checks=grade.checks))

    def _store_facts(self, facts: dict) -> int:
        document = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO facts (sha256, document) VALUES (?, ?)", (digest, document))
        return int(self.db.execute("SELECT id FROM facts WHERE sha256 = ?", (digest,)).fetchone()[0])

    def finish_run(self, run_id: int, status: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, now_iso(), run_id))

    # ------------------------------------------------------------------------------- reading
    def runs(self) -> list[RunInfo]:
        rows = self.db.execute("SELECT id, kind, source_run, status, started_at, finished_at, roster, course_title,"
                               " steps, checks_digest, settings FROM runs ORDER BY id").fetchall()
        return [RunInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9], json.loads(r[10]))
                for r in rows]

    def run(self, run_id: int | None = None) -> RunInfo:
        runs = self.runs()
        if not runs:
            raise CheckerError(f"V databázi hodnocení {self.path} zatím není žádný běh.",
                               "Nejdřív oznámkujte třídu: `./kurz grade SOUPISKA`.")
        if run_id is None:
            return runs[-1]
        for run in runs:
            if run.id == run_id:
                return run
        known = ", ".join(str(r.id) for r in runs)
        raise CheckerError(f"Běh hodnocení číslo {run_id} v databázi není.", f"Uložené běhy: {known}.")

    def targets(self, run_id: int) -> list[StoredTarget]:
        rows = self.db.execute(
            "SELECT id, position, roster_line, name, student_id, target, kind, state, reason, hint, seconds,"
            " graded_at, facts_id, points, max_points FROM targets WHERE run_id = ? ORDER BY position",
            (run_id,)).fetchall()
        stored = []
        for r in rows:
            steps = {s[0]: StepRow(s[0], s[1], s[2], s[3]) for s in self.db.execute(
                "SELECT step, status, points, max_points FROM step_results WHERE target_id = ?", (r[0],))}
            checks = [CheckRow(c[0], c[1], c[2], c[3], c[4], c[5]) for c in self.db.execute(
                "SELECT check_id, step, status, title, message, hint FROM check_results WHERE target_id = ?"
                " ORDER BY rowid", (r[0],))]
            entry = RosterEntry(line=r[2], name=r[3], student_id=r[4], target=r[5], identity=None, kind=r[6])
            stored.append(StoredTarget(r[0], r[1], entry, r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
                                       steps, checks))
        return stored

    def facts(self, facts_id: int) -> dict:
        row = self.db.execute("SELECT document FROM facts WHERE id = ?", (facts_id,)).fetchone()
        if row is None:
            raise CheckerError(f"Uložená fakta číslo {facts_id} v databázi chybí.")
        return json.loads(row[0])

    def history(self) -> list[dict]:
        """Per run: how many targets were graded and the average points (for the report)."""
        out = []
        for run in self.runs():
            row = self.db.execute(
                "SELECT count(*), sum(state = ?), avg(CASE WHEN state = ? THEN points END), max(max_points)"
                " FROM targets WHERE run_id = ?", (GRADED, GRADED, run.id)).fetchone()
            out.append({"id": run.id, "kind": run.kind, "source_run": run.source_run, "status": run.status,
                        "started_at": run.started_at, "targets": row[0] or 0, "graded": row[1] or 0,
                        "average": round(row[2], 2) if row[2] is not None else None, "max_points": row[3] or 0})
        return out


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.nested = False

    def __enter__(self):
        self.nested = self.db.in_transaction
        if not self.nested:
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.nested:
            return False
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as error:
                self._rollback()
                raise storage_error(error, None) from error
            return False
        self._rollback()  # SQLite may have rolled back already (disk full): the cause is `exc`, not this
        if isinstance(exc, sqlite3.OperationalError):
            raise storage_error(exc, None) from exc
        return False

    def _rollback(self) -> None:
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def storage_error(exc: Exception, path: Path | None) -> CheckerError:
    """A database error as the teacher can act on it: which file, and why, in Czech."""
    text = str(exc).lower()
    where = f" {path}" if path else ""
    if "full" in text or "no space" in text:
        why = "na disku došlo místo"
        hint = "Uvolněte místo na disku (nebo zadejte jiný adresář v --out) a spusťte hodnocení znovu; co už bylo uložené, zůstává."
    elif "readonly" in text or "read-only" in text or "permission" in text or "unable to open" in text:
        why = "do adresáře nebo souboru nejde zapisovat"
        hint = "Zkontrolujte práva k adresáři v --out (nebo zadejte jiný) a spusťte hodnocení znovu."
    elif "locked" in text or "busy" in text:
        why = "databázi právě používá jiný běh hodnocení"
        hint = "Počkejte, až doběhne, nebo zadejte jiný adresář v --out."
    else:
        why = str(exc)
        hint = "Zkontrolujte disk a adresář v --out a spusťte hodnocení znovu."
    return CheckerError(f"Databázi hodnocení{where} nejde zapsat: {why}.", hint)


def _host() -> str:
    import socket

    return socket.gethostname()


def _process_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_owner() -> dict:
    """Who runs a grading run (stored with it, so a later start can tell a dead run from a live one)."""
    import os

    return {"host": _host(), "pid": os.getpid()}


def gradebook_path(out_dir: Path) -> Path:
    return Path(out_dir) / FILE_NAME


__all__ = ["Gradebook", "RunInfo", "StoredTarget", "gradebook_path", "PENDING"]
