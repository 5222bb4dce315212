"""What the dashboard shows, read from the gradebook (read-only connection, plain data for templates).

Grid rows (students × steps), per-step statistics, a student's detail. Never a token or its hash:
the queries below select no such column.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone

from checkers.class_protocol import parse_time
from checkers.course import Course
from checkers.grading.model import CHECK_STATUS_LABELS, CHECK_SYMBOLS, STEP_STATUS_LABELS
from checkers.grading.policy import EXCUSED, EXCUSED_LABEL, Policy, shown_time
from checkers.grading.sources import excuse_rows, moment
from checkers.grading.submissions import (IMPORTED, REPORTED, SOURCE_LABELS, VERIFIED, submission_checks,
                                          submission_steps)

STATE_SYMBOLS = {"passed": "✔", "failed": "✘", "unverified": "?", "error": "⚠", EXCUSED: "–"}
STUDENT_COLUMNS = ("id, name, name_key, roster_line, student_id, token_sha256 IS NOT NULL, joined_at, last_seen,"
                   " stuck_check, stuck_since, stuck_cause")


@dataclass
class Cell:
    step: str
    status: str = ""  # "" = nothing received yet
    points: int = 0
    max_points: int = 0
    attempts: int = 0
    changed_at: str = ""
    excuse: str = ""  # the teacher's reason when the step is excused (status EXCUSED)
    late: str = ""  # with a deadline: the status of a newer result sent after it (shown, not counted)

    @property
    def label(self) -> str:
        return EXCUSED_LABEL if self.status == EXCUSED else STEP_STATUS_LABELS.get(self.status, "zatím nic")

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS.get(self.status, "·")

    @property
    def late_label(self) -> str:
        return STEP_STATUS_LABELS.get(self.late, self.late)

    @property
    def late_symbol(self) -> str:
        return STATE_SYMBOLS.get(self.late, "·")


@dataclass
class Row:
    id: int
    name: str
    number: int  # position in the class (the projector's "Student 3" when names are hidden)
    joined: bool
    last_seen: str | None
    cells: list[Cell]
    stuck_check: str = ""  # title of the check failing since stuck_since
    stuck_since: str | None = None
    stuck_cause: str = ""
    stuck: bool = False
    points: int = 0
    mark: int | None = None  # with a grading policy (`class serve --policy`): the Czech mark 1–5
    others: dict = field(default_factory=dict)  # source -> {"points", "max_points", "received_at"}


def ago(iso: str | None, now: datetime | None = None) -> str:
    """Czech "how long ago", abbreviated units (no plural forms needed): před 5 s, před 3 min, před 2 h."""
    when = parse_time(iso) if iso else None
    if when is None:
        return ""
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - when).total_seconds()))
    if seconds < 60:
        return f"před {seconds} s"
    if seconds < 3600:
        return f"před {seconds // 60} min"
    if seconds < 86400:
        return f"před {seconds // 3600} h"
    return f"před {seconds // 86400} d"


def step_columns(course: Course) -> list[dict]:
    return [{"id": s.id, "label": s.label, "title": s.title, "points": s.points} for s in course.required_steps]


def grid(db, course: Course, stuck_seconds: float, student: int | None = None,
         policy: Policy | None = None) -> list[Row]:
    """Every student who ever joined (the newest row per name), or only `student`. With a grading
    policy: its excuses too, each cell as of its deadline (a later result shown beside), and marks."""
    newest = "SELECT max(id) AS id FROM class_students GROUP BY name_key"
    if student is None:
        rows = db.execute(f"SELECT {STUDENT_COLUMNS} FROM class_students WHERE id IN ({newest}) ORDER BY id").fetchall()
        numbers = {r[0]: index + 1 for index, r in enumerate(rows)}
    else:  # one row for the live stream: no need to read the whole class
        rows = db.execute(f"SELECT {STUDENT_COLUMNS} FROM class_students WHERE id = ?", (student,)).fetchall()
        number = db.execute(f"SELECT count(*) FROM ({newest}) AS n WHERE n.id <= ?", (student,)).fetchone()[0]
        numbers = {student: number}
    columns = {s["id"]: s["points"] for s in step_columns(course)}
    steps = list(columns)
    stored = all_excuses(db)
    now = datetime.now(timezone.utc)
    out = []
    for r in rows:
        cells = {}
        for *values, sent_at in db.execute(
                "SELECT c.step, c.status, c.points, c.max_points, c.attempts, c.changed_at, s.created_at"
                " FROM class_cells c LEFT JOIN submissions s ON s.id = c.submission WHERE c.student = ?", (r[0],)):
            cell = Cell(*values)
            cells[cell.step] = cell if policy is None or policy.on_time(sent_at) else _as_of_deadline(db, r[2], cell, policy)
        row = Row(r[0], r[1], numbers.get(r[0], 0), bool(r[5]), r[7], [cells.get(s) or Cell(s) for s in steps])
        excused = {step: reason for _, step, reason, _ in excuse_rows(stored, r[1], r[4])}
        if policy is not None:  # as in the exports: the file's reason wins over the dashboard's
            excused.update(policy.excused_steps(r[1], r[4]))
        for cell in row.cells:
            if cell.step in excused:  # never failed nor pending, and no points: it leaves the maximum
                cell.status, cell.points, cell.excuse, cell.late = EXCUSED, 0, excused[cell.step], ""
        row.points = sum(c.points for c in row.cells)
        if policy is not None:
            row.mark = policy.mark(row.points, sum(columns[c.step] for c in row.cells if c.status != EXCUSED))
        if r[8]:
            row.stuck_check = r[8].split("\t", 1)[-1]
            row.stuck_since, row.stuck_cause = r[9], r[10]
            since = parse_time(r[9])
            row.stuck = bool(since) and (now - since).total_seconds() >= stuck_seconds
        for source in (VERIFIED, IMPORTED):
            hit = db.execute("SELECT points, max_points, received_at FROM submissions WHERE name_key = ?"
                             " AND source = ? ORDER BY id DESC LIMIT 1", (r[2], source)).fetchone()
            if hit:
                row.others[source] = {"points": hit[0], "max_points": hit[1], "received_at": hit[2]}
        out.append(row)
    return out


def _as_of_deadline(db, key: str, late: Cell, policy: Policy) -> Cell:
    """The step's newest result the student's checker sent by the deadline (what the exports count),
    with the later one's label beside it when it differs; nothing sent in time: an empty cell."""
    on_time = [(moment(at), sid, status, points, maximum) for sid, at, status, points, maximum in db.execute(
        "SELECT s.id, s.created_at, st.status, st.points, st.max_points FROM submissions s JOIN submission_steps st"
        " ON st.submission_id = s.id WHERE s.name_key = ? AND s.source = ? AND st.step = ?",
        (key, REPORTED, late.step)) if policy.on_time(at)]
    if not on_time:
        return Cell(late.step, attempts=late.attempts, late=late.status)
    at, _, status, points, maximum = max(on_time, key=lambda hit: hit[:2])
    newer = late.status if (status, points) != (late.status, late.points) else ""  # the same again is no news
    return Cell(late.step, status, points, maximum, late.attempts, at.isoformat(), late=newer)


def all_excuses(db) -> list[tuple[str, str, str, str]]:
    """(student_key, step, reason, created_at) of every excused step (a class has few)."""
    return db.execute("SELECT student_key, step, reason, created_at FROM excuses ORDER BY id").fetchall()


def excuses_of(db, course: Course, name: str, student_id: str) -> list[dict]:
    """A student's excused steps, in the course's order: {"step", "label", "reason", "at"}."""
    labels = {s["id"]: s["label"] for s in step_columns(course)}
    found = {step: (reason, at) for _, step, reason, at in excuse_rows(all_excuses(db), name, student_id)}
    return [{"step": step, "label": label, "reason": found[step][0],
             "at": shown_time(parse_time(found[step][1])) if parse_time(found[step][1]) else ""}
            for step, label in labels.items() if step in found]


def student_of_name(db, key: str) -> int | None:
    row = db.execute("SELECT max(id) FROM class_students WHERE name_key = ?", (key,)).fetchone()
    return row[0] if row and row[0] is not None else None


def step_stats(db, course: Course, rows: list[Row]) -> list[dict]:
    """Per step: passed/failing/not yet, attempts, median time to pass, top failing checks and causes."""
    columns = step_columns(course)
    # An excused step is out of the teacher's picture: its checks are not "what the class fails".
    excused = {(row.id, cell.step) for row in rows for cell in row.cells if cell.status == EXCUSED}
    counted: dict[str, dict[str, dict]] = {}
    # What fails now: the checks behind each student's current cell (bounded by the class size,
    # however long the lesson has been running).
    for student, step, check_id, title in db.execute(
            "SELECT g.student, c.step, c.check_id, c.title FROM class_cells g JOIN submission_checks c"
            " ON c.submission_id = g.submission AND c.step = g.step WHERE c.status = 'failed'"
            " AND g.student IN (SELECT max(id) FROM class_students GROUP BY name_key)"):
        if (student, step) not in excused:
            entry = counted.setdefault(step, {}).setdefault(check_id, {"id": check_id, "title": title, "count": 0})
            entry["count"] += 1
    failing = {step: sorted(checks.values(), key=lambda c: -c["count"]) for step, checks in counted.items()}
    causes: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.stuck_cause and row.stuck_check:
            check_id = _stuck_check_id(db, row.id)
            step = course.step_of_check(check_id) if check_id else None
            if step and (row.id, step.id) not in excused:
                title = row.stuck_cause.split(" – ", 1)[0]
                causes.setdefault(step.id, {})[title] = causes.setdefault(step.id, {}).get(title, 0) + 1
    out = []
    for index, column in enumerate(columns):
        cells = [row.cells[index] for row in rows]
        times = [_seconds_between(c.changed_at, _first_at(db, row.id, column["id"]))
                 for row, c in zip(rows, cells) if c.status == "passed"]
        times = [t for t in times if t is not None]
        out.append({**column,
                    "passed": sum(c.status == "passed" for c in cells),
                    "failing": sum(c.status in ("failed", "error", "unverified") for c in cells),
                    "waiting": sum(not c.status for c in cells),
                    "attempts": sum(c.attempts for c in cells),
                    "median": duration(statistics.median(times)) if times else "–",
                    "checks": failing.get(column["id"], [])[:3],
                    "causes": sorted(causes.get(column["id"], {}).items(), key=lambda kv: -kv[1])[:3]})
    return out


def chart(stats: list[dict], students: int) -> dict:
    """Geometry of the inline SVG bar chart (no script, no library): one stacked bar per step."""
    width, bar, gap, left = 600, 18, 8, 70
    scale = (width - left - 10) / max(1, students)
    bars = []
    for index, s in enumerate(stats):
        y = index * (bar + gap)
        x = left
        parts = []
        for kind in ("passed", "failing", "waiting"):
            w = s[kind] * scale
            if w:
                parts.append({"kind": kind, "x": round(x, 1), "w": round(w, 1), "count": s[kind]})
            x += w
        bars.append({"label": s["label"], "y": y, "text_y": y + bar - 4, "parts": parts})
    return {"width": width, "height": max(1, len(stats)) * (bar + gap), "bar": bar, "bars": bars}


def detail(db, student: int) -> dict | None:
    row = db.execute(f"SELECT {STUDENT_COLUMNS} FROM class_students WHERE id = ?", (student,)).fetchone()
    if row is None:
        return None
    latest = []
    for source in (REPORTED, VERIFIED, IMPORTED):
        hit = db.execute("SELECT id, created_at, received_at, command, target, points, max_points, reported, checker"
                         " FROM submissions WHERE name_key = ? AND source = ? ORDER BY"
                         " (CASE WHEN source = 'reported' THEN sequence ELSE id END) DESC, id DESC LIMIT 1",
                         (row[2], source)).fetchone()
        if hit:
            reported = json.loads(hit[7] or "{}")
            latest.append({"source": source, "source_label": SOURCE_LABELS[source], "created_at": hit[1],
                           "received_at": hit[2], "command": hit[3], "target": hit[4], "points": hit[5],
                           "max_points": hit[6], "checker": json.loads(hit[8] or "{}").get("version", ""),
                           "reported_points": reported.get("points") if isinstance(reported, dict) else None,
                           "steps": [{"step": s.step, "label": STEP_STATUS_LABELS.get(s.status, s.status),
                                      "status": s.status, "points": s.points, "max_points": s.max_points}
                                     for s in submission_steps(db, hit[0])],
                           "checks": [{"id": c.id, "step": c.step, "status": c.status, "title": c.title,
                                       "message": c.message, "hint": c.hint,
                                       "symbol": CHECK_SYMBOLS.get(c.status, "·"),
                                       "label": CHECK_STATUS_LABELS.get(c.status, c.status)}
                                      for c in submission_checks(db, hit[0])]})
    history = [{"source": r[0], "source_label": SOURCE_LABELS[r[0]], "received_at": r[1], "command": r[2],
                "points": r[3], "max_points": r[4], "sequence": r[5]}
               for r in db.execute("SELECT source, received_at, command, points, max_points, sequence FROM submissions"
                                   " WHERE name_key = ? ORDER BY id DESC LIMIT 30", (row[2],))]
    return {"id": row[0], "name": row[1], "roster_line": row[3], "student_id": row[4], "joined": bool(row[5]),
            "joined_at": row[6], "last_seen": row[7], "stuck_check": (row[8] or "").split("\t", 1)[-1],
            "stuck_since": row[9], "stuck_cause": row[10], "latest": latest, "history": history}


def _stuck_check_id(db, student: int) -> str:
    row = db.execute("SELECT stuck_check FROM class_students WHERE id = ?", (student,)).fetchone()
    return (row[0] or "").split("\t", 1)[0] if row else ""


def _first_at(db, student: int, step: str) -> str | None:
    row = db.execute("SELECT first_at FROM class_cells WHERE student = ? AND step = ?", (student, step)).fetchone()
    return row[0] if row else None


def _seconds_between(later: str | None, earlier: str | None) -> float | None:
    a, b = parse_time(later), parse_time(earlier)
    return (a - b).total_seconds() if a and b else None


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
