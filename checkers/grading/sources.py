"""Which result counts for each student, where it came from, and what the grading policy makes of it.

A student's results may come from three sources (checkers.grading.submissions): *verified* (the
teacher's own probe, `grade` over SSH), *imported* (a submission file from Moodle, `grade --import`)
and *reported* (the student's checker, through the class server; re-graded by the server's checks).
Per step, the newest result of the best source counts: verified > imported > reported. All are kept:
the others are shown beside it, and where a verified step disagrees with the student's own report,
the export says so.

Deadline (policy): a submission made after it is shown, never counted. A verified result is the
teacher's own observation, counted whenever it was made (noted when it was after the deadline).
Excused steps (policy file and the dashboard's excuses table) are "omluveno" with the reason: never
a 0, and their points leave the maximum. The Czech mark comes from the points left.

An export of a run (`grade`, `regrade`, `grade --import`) takes the run's own results as its source
(verified, or imported) and adds the students' reported and imported submissions from the gradebook;
the class server's export (`write_class_exports`) takes every submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime, timezone

from checkers.grading.results import ClassResult
from checkers.grading.gradebook import Gradebook, RunInfo, StoredTarget
from checkers.grading.model import GRADED, PENDING, STEP_STATUS_LABELS, CheckRow, RosterEntry, StepRow
from checkers.grading.policy import EXCUSED, Policy, fold, parse_time, shown_time
from checkers.grading.submissions import IMPORTED, REPORTED, SOURCE_LABELS, VERIFIED, name_key
from checkers.texts import plural

PRIORITY = (VERIFIED, IMPORTED, REPORTED)
MIXED = "mixed"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Pick:
    """One step's result from one source."""

    source: str
    at: str | None  # when its facts were gathered (the student's clock for submissions)
    row: StepRow
    submission: int | None = None  # submissions.id; None: the run's own target
    checks: list[CheckRow] = field(default_factory=list)


@dataclass
class View:
    """What the exports add to a student's row."""

    source: str | None = None  # the counted steps' source, MIXED when they differ, None: nothing counted
    step_sources: dict[str, str] = field(default_factory=dict)
    late: list[Pick] = field(default_factory=list)  # after the deadline and newer than what counts
    disagreement: list[tuple[str, Pick, Pick]] = field(default_factory=list)  # (step, counted, other)
    excused: dict[str, str] = field(default_factory=dict)
    mark: int | None = None
    percent: float | None = None
    agreeing: list[str] = field(default_factory=list)  # other sources with the same verdict on every step
    late_verified: bool = False
    unverified_reason: str = ""  # why the teacher's own verification did not happen (unreachable…)

    @property
    def source_label(self) -> str:
        if self.source == MIXED:
            used = [s for s in PRIORITY if s in self.step_sources.values()]
            return "kombinace: " + " + ".join(SOURCE_LABELS[s] for s in used)
        return SOURCE_LABELS.get(self.source or "", "")


def source_of_run(book: Gradebook, run: RunInfo) -> str:
    """A run's own results: imported for `grade --import` (and its regrades), verified otherwise."""
    return IMPORTED if import_settings(book, run) else VERIFIED


@lru_cache(maxsize=1 << 16)
def moment(at: str | None) -> datetime:
    """A result's time, parsed once (a submission's steps share it; a class has many thousands)."""
    return parse_time(at) or EPOCH


def later(a: Pick | None, b: Pick) -> bool:
    """Whether b is newer than a (by the time its facts were gathered, then by storage order)."""
    if a is None:
        return True
    return (moment(b.at), b.submission or 0) > (moment(a.at), a.submission or 0)


class Candidates:
    """Per student, source and step: the newest result on time and the newest late one."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.on_time: dict[int, dict[str, dict[str, Pick]]] = {}
        self.late: dict[int, dict[str, dict[str, Pick]]] = {}

    def add(self, student: int, pick: Pick) -> None:
        deadline = self.policy.deadline
        timely = pick.source == VERIFIED or deadline is None or (pick.at is not None and moment(pick.at) != EPOCH
                                                                 and moment(pick.at) <= deadline)
        table = (self.on_time if timely else self.late).setdefault(student, {}).setdefault(pick.source, {})
        if later(table.get(pick.row.step), pick):
            table[pick.row.step] = pick


def add_submissions(book: Gradebook, candidates: Candidates, students: list[RosterEntry], sources: tuple[str, ...],
                    skip_targets: set[int] = frozenset(), skip_uids: set[str] = frozenset()) -> None:
    """Every stored submission of these sources, matched to a student by roster id, else by name."""
    by_id = {fold(e.student_id): i for i, e in enumerate(students) if e.student_id}
    by_name = {name_key(e.name): i for i, e in enumerate(students)}
    marks = ",".join("?" * len(sources))
    rows = book.db.execute(
        "SELECT s.id, s.uid, s.source, s.name_key, s.student_id, s.created_at, s.received_at, s.run_target,"
        f" st.step, st.status, st.points, st.max_points FROM submissions s JOIN submission_steps st"
        f" ON st.submission_id = s.id WHERE s.source IN ({marks}) ORDER BY s.id", sources)
    for sid, uid, source, key, student_id, created, received, run_target, step, status, points, maximum in rows:
        if (run_target is not None and run_target in skip_targets) or uid in skip_uids:
            continue  # the run's own result, already a candidate
        if source == IMPORTED and uid.startswith("run-"):
            continue  # the gradebook's copy of an imported run's target: the document itself is stored too
        index = by_id.get(fold(student_id)) if student_id else None
        if index is None:
            index = by_name.get(key)
        if index is not None:
            at = received if source == VERIFIED else created
            candidates.add(index, Pick(source, at, StepRow(step, status, points, maximum), sid))


def _checks(book: Gradebook, pick: Pick) -> list[CheckRow]:
    if pick.submission is None:
        return pick.checks
    return [CheckRow(*r) for r in book.db.execute(
        "SELECT check_id, step, status, title, message, hint FROM submission_checks WHERE submission_id = ?"
        " AND step = ? ORDER BY rowid", (pick.submission, pick.row.step))]


def excuse_rows(rows: list[tuple], name: str, student_id: str) -> list[tuple]:
    """The rows of table `excuses` (student_key first) that are a student's: by roster id or name."""
    keys = {k for k in (student_id.strip(), name_key(name), fold(student_id)) if k}
    return [row for row in rows if row[0] in keys or fold(row[0]) in keys]


def stored_excuses(rows: list[tuple[str, str, str]], entry: RosterEntry) -> dict[str, str]:
    """Excuses stored in the gradebook (table `excuses`, schema 2) for a student, by roster id or name."""
    return {row[1]: row[2] for row in excuse_rows(rows, entry.name, entry.student_id)}


def graded_steps(entry: RosterEntry, columns: dict[str, dict]) -> dict[str, dict]:
    """The columns a student is graded on (checkers.grading.runner.steps_for): a live site only on the
    web step, a machine on the others, so a student's own `./kurz web` never adds to a machine's points."""
    from checkers.grading.runner import WEB_STEP

    return {k: v for k, v in columns.items() if (k == WEB_STEP) == (entry.kind == "url")}


def decide(book: Gradebook, result: ClassResult, candidates: Candidates, policy: Policy) -> ClassResult:
    """The counted result of every student: targets rewritten, each with its View."""
    from checkers.grading.submissions import excuses

    targets, views = [], {}
    columns = {s["id"]: s for s in result.steps}
    stored = excuses(book.db)
    for index, target in enumerate(result.targets):
        view = View()
        column_steps = graded_steps(target.entry, columns)
        on_time = candidates.on_time.get(index, {})
        late = candidates.late.get(index, {})
        counted: dict[str, Pick] = {}
        for step in column_steps:
            for source in PRIORITY:
                pick = on_time.get(source, {}).get(step)
                if pick is not None:
                    counted[step] = pick
                    break
        for step, pick in counted.items():
            view.step_sources[step] = pick.source
            for source in PRIORITY:
                other = on_time.get(source, {}).get(step)
                if source != pick.source and other is not None and other.row.status != pick.row.status:
                    view.disagreement.append((step, pick, other))
                    break
            view.late_verified |= pick.source == VERIFIED and not policy.on_time(pick.at)
        used = {p.source for p in counted.values()}
        view.agreeing = [s for s in PRIORITY if s not in used and any(step in on_time.get(s, {}) for step in counted)
                         and all(on_time[s][step].row.status == pick.row.status
                                 for step, pick in counted.items() if step in on_time.get(s, {}))]
        for source in PRIORITY:
            for step, pick in late.get(source, {}).items():
                if step in column_steps and later(counted.get(step), pick):
                    view.late.append(pick)
        view.late.sort(key=lambda p: (list(column_steps).index(p.row.step), PRIORITY.index(p.source)))
        used = set(view.step_sources.values())
        view.source = (used.pop() if len(used) == 1 else MIXED) if used else None
        merged = {**stored_excuses(stored, target.entry), **policy.excused_steps(target.entry.name,
                                                                                  target.entry.student_id)}
        view.excused = {s: merged[s] for s in column_steps if s in merged}  # in column order
        if target.state != GRADED and counted:
            view.unverified_reason = target.reason
        targets.append(_rewrite(book, target, counted, view, column_steps, policy.deadline_text()))
        if targets[-1].state == GRADED and targets[-1].max_points:
            view.percent = round(100 * (targets[-1].points or 0) / targets[-1].max_points, 1)
        view.mark = policy.mark(targets[-1].points or 0, targets[-1].max_points) if targets[-1].state == GRADED else None
        views[target.position] = view
    return replace(result, targets=targets, policy=policy, views=views)


def _rewrite(book: Gradebook, target: StoredTarget, counted: dict[str, Pick], view: View,
             column_steps: dict[str, dict], deadline: str) -> StoredTarget:
    maximum = target.max_points - sum(column_steps[s]["points"] for s in view.excused)
    if not counted:
        if target.state == GRADED:  # everything it had came after the deadline
            return replace(target, state=PENDING, steps={}, checks=[], points=None, max_points=maximum,
                           reason=f"Do termínu ({deadline}) nic neodevzdal(a), pozdější výsledky se nepočítají.")
        return replace(target, max_points=maximum)
    steps, checks = {}, []
    for step in column_steps:
        if step in view.excused:
            steps[step] = StepRow(step, EXCUSED, 0, 0)
        elif step in counted:
            steps[step] = counted[step].row
            checks += _checks(book, counted[step])
    points = sum(row.points for row in steps.values())
    return replace(target, state=GRADED, reason="" if target.state == GRADED else target.reason, steps=steps,
                   checks=checks, points=points, max_points=maximum)


def apply(book: Gradebook, result: ClassResult, policy: Policy | None) -> ClassResult:
    """A run's result as exported: its own results (their source), the students' other submissions
    beside them, and the policy. Without a policy and without other submissions: unchanged."""
    own = source_of_run(book, result.run)
    imported = import_settings(book, result.run) if own == IMPORTED else {}
    skip_uids = set(imported.get("uids", {}).values())
    run_targets = {t.row_id for t in result.targets}
    if policy is None and own == VERIFIED and not _has_submissions(book, run_targets) and not _has_excuses(book):
        return result
    rules = policy or Policy()
    candidates = Candidates(rules)
    for index, target in enumerate(result.targets):
        if target.state != GRADED:
            continue
        at = imported.get("created_at", {}).get(str(target.position), target.graded_at)
        for row in target.steps.values():
            checks = [c for c in target.checks if c.step == row.step]
            candidates.add(index, Pick(own, at, row, None, checks))
    add_submissions(book, candidates, [t.entry for t in result.targets], (IMPORTED, REPORTED),
                    skip_targets=run_targets, skip_uids=skip_uids)
    decided = decide(book, result, candidates, rules)
    return replace(decided, policy=policy)


def import_settings(book: Gradebook, run: RunInfo) -> dict:
    """The settings of the `grade --import` run a run comes from (itself, or the run it regrades)."""
    seen = set()
    while run is not None and run.id not in seen:
        seen.add(run.id)
        if run.settings.get("source") == IMPORTED:
            return run.settings
        run = book.run(run.source_run) if run.source_run else None
    return {}


def _has_submissions(book: Gradebook, run_targets: set[int]) -> bool:
    """Whether any student's own (reported or imported) submission is stored beside this run."""
    try:
        rows = book.db.execute("SELECT run_target FROM submissions WHERE source != ? LIMIT 5000",
                               (VERIFIED,)).fetchall()
    except Exception:  # noqa: BLE001  (schema 1: no submissions)
        return False
    return any(r[0] is None or r[0] not in run_targets for r in rows)


def _has_excuses(book: Gradebook) -> bool:
    """Whether the teacher excused any step from the class dashboard (table `excuses`)."""
    from checkers.grading.submissions import excuses

    return bool(excuses(book.db))


# --------------------------------------------------------------------------- the class server
def class_result(book: Gradebook, course, policy: Policy | None = None,
                 roster: list[RosterEntry] | None = None) -> ClassResult:
    """Every student (the roster, else everybody who joined or submitted) with their counted result, from all
    submissions in the gradebook. An in-memory run (id 0, kind "class"): nothing is stored."""
    from checkers.grading.regrade import checks_digest
    from checkers.grading.runner import column_steps, max_points
    from checkers.progress import now_iso

    policy = policy or Policy()
    students = list(roster or [])
    if not students:
        seen = set()
        joined = book.db.execute("SELECT name, name_key, student_id FROM class_students ORDER BY id").fetchall()
        submitted = book.db.execute("SELECT name, name_key, student_id FROM submissions ORDER BY id").fetchall()
        for name, key, student_id in joined + submitted:  # who joined the class, then who submitted anything
            if key not in seen:
                seen.add(key)
                students.append(RosterEntry(line=0, name=name, student_id=student_id or name, target="třída",
                                            identity=None, kind="class"))
    steps = column_steps(course, students)
    run = RunInfo(0, "class", None, "finished", now_iso(), now_iso(), "", course.title, steps,
                  checks_digest(course), {"source": MIXED})
    targets = [StoredTarget(0, i, e, PENDING, "Zatím nic neodeslal(a).", "", None, None, None, None,
                            max_points(e, course), {}, []) for i, e in enumerate(students)]
    result = ClassResult(run, targets, [])
    candidates = Candidates(policy)
    add_submissions(book, candidates, students, PRIORITY)
    return decide(book, result, candidates, policy)


def pick_text(pick: Pick, labels: dict[str, str]) -> str:
    when = f", {shown_time(parse_time(pick.at))}" if parse_time(pick.at) else ""
    word = STEP_STATUS_LABELS.get(pick.row.status, pick.row.status)
    return f"{labels.get(pick.row.step, pick.row.step)}: {word} ({SOURCE_LABELS[pick.source]}{when})"


def late_text(late: list[Pick], labels: dict[str, str]) -> str:
    """Late results grouped by submission: "importováno 20. 12. 2026 10:00: splněno 12 z 12 kroků (23 b.)"."""
    groups: dict[tuple, list[Pick]] = {}
    for pick in late:
        groups.setdefault((pick.source, pick.submission if pick.submission is not None else pick.at), []).append(pick)
    parts = []
    for (source, _), picks in groups.items():
        moment = parse_time(picks[0].at)
        when = f" {shown_time(moment)}" if moment else ""
        if len(picks) == 1:
            parts.append(f"{SOURCE_LABELS[source]}{when}: {pick_text(picks[0], labels).split(' (')[0]}")
            continue
        passed = sum(1 for p in picks if p.row.status == "passed")
        points = sum(p.row.points for p in picks)
        parts.append(f"{SOURCE_LABELS[source]}{when}: splněno {passed} z {plural(len(picks), 'kroku', 'kroků', 'kroků')}"
                     f" ({plural(points, 'bod', 'body', 'bodů')})")
    return "; ".join(parts)


def note(view: View, labels: dict[str, str], policy: Policy | None) -> str:
    """One Czech sentence per fact the teacher should know about a student's counted result."""
    parts = []
    if view.unverified_reason:
        parts.append(f"Ověření učitelem se nepodařilo ({view.unverified_reason}), počítá se "
                     f"{SOURCE_LABELS.get(view.source or '', 'výsledek studenta')}.")
    for step, counted, other in view.disagreement:
        parts.append(f"Nesouhlasí {labels.get(step, step)}: počítá se "
                     f"{STEP_STATUS_LABELS.get(counted.row.status, counted.row.status)} "
                     f"({SOURCE_LABELS[counted.source]}), ale {SOURCE_LABELS[other.source]} je "
                     f"{STEP_STATUS_LABELS.get(other.row.status, other.row.status)}.")
    if view.agreeing and view.source:
        parts.append(" a ".join(SOURCE_LABELS[s] for s in view.agreeing).capitalize()
                     + " se s tím, co se počítá, shoduje.")
    if view.late and policy and policy.deadline:
        parts.append(f"Po termínu ({policy.deadline_text()}), nepočítá se: " + late_text(view.late, labels) + ".")
    if view.late_verified and policy and policy.deadline:
        parts.append(f"Ověřeno až po termínu ({policy.deadline_text()}).")
    for step, reason in view.excused.items():
        parts.append(f"{labels.get(step, step)} omluveno: {reason}.")
    return " ".join(parts)


def view_document(view: View, policy: Policy | None) -> dict:
    """The view in grades.json."""
    def pick_doc(pick: Pick) -> dict:
        return {"step": pick.row.step, "source": pick.source, "at": pick.at, "status": pick.row.status,
                "points": pick.row.points}

    return {"source": view.source, "source_label": view.source_label, "step_sources": view.step_sources,
            "mark": view.mark, "percent": view.percent,
            "excused": [{"step": s, "reason": r} for s, r in view.excused.items()],
            "late": [pick_doc(p) for p in view.late],
            "disagreement": [{"step": s, "counted": pick_doc(c), "other": pick_doc(o)} for s, c, o in view.disagreement],
            "agreeing": view.agreeing, "verified_after_deadline": view.late_verified, "unverified_reason": view.unverified_reason}


def policy_document(policy: Policy | None) -> dict | None:
    if policy is None:
        return None
    return {"file": policy.source, "deadline": policy.deadline.isoformat() if policy.deadline else None,
            "marks": {str(m): float(t) for m, t in policy.thresholds},
            "excused": [{"student": e.student, "steps": list(e.steps), "reason": e.reason} for e in policy.excuses]}


__all__ = ["apply", "class_result", "note", "view_document", "policy_document", "View", "excuse", "source_note"]


def excuse(result: ClassResult, target: StoredTarget, step: str) -> str:
    view = result.view(target)
    return view.excused.get(step, "") if view is not None else ""


def source_note(result: ClassResult, target: StoredTarget) -> str:
    view = result.view(target)
    return note(view, result.labels(), result.policy) if view is not None else ""
