"""`./kurz grade --import PATH [--roster FILE] [--policy FILE] [--out DIR]`: grade submission files.

Every file is validated (checkers.class_protocol), masked, and graded with regrade's engine
(checkers.grading.runner.grade_facts) before anything is written. Then one run is stored in the
gradebook (kind "grade", settings {"source": "imported"}): one target per roster student (a student
without a file stays "nezkontrolováno" with the reason), holding the newest file made before the
policy's deadline (or the newest at all: the exports then show it as late). Every file is also kept
as an "imported" submission with its own time. A file is matched to the roster by the student's name
(accent- and case-insensitive); a name not in the roster is listed and not graded.

Exit codes: 0 every file was imported · 2 some file was refused (listed with its reason; the rest
is graded and exported), or the input itself was refused (nothing written).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from checkers.course import Course
from checkers.errors import CheckerError, ExitCode
from checkers.grading import exports
from checkers.grading.gradebook import Gradebook, gradebook_path, run_owner
from checkers.grading.importer import Reading, Submission, parse, read_input
from checkers.grading.model import GRADED, PENDING, RosterEntry, TargetGrade, display_text
from checkers.grading.policy import Policy, fold, parse_time, policy_warnings
from checkers.grading.submissions import IMPORTED, Submission as StoredSubmission, insert_submission, name_key
from checkers.progress import now_iso
from checkers.texts import plural
from checkers.sources import submission_facts
from rich.markup import escape

NO_FILE = "Neodevzdal(a) žádný soubor."


def run_import(course: Course, args: argparse.Namespace, report, policy: Policy | None,
               out_dir: Path) -> tuple[int, dict]:
    """Grade the submission files at args.import_path: (exit code, the grades document with the import's part)."""
    from checkers.grading.regrade import checks_digest
    from checkers.grading.roster import load_roster
    from checkers.grading.runner import column_steps, grade_facts, max_points

    if args.roster_file:
        raise CheckerError(f"Nečekaný argument „{display_text(args.roster_file)}“.",
                           "Soupisku u importu zadejte volbou --roster: "
                           "`./kurz grade --import odevzdani.zip --roster soupiska.csv`.")
    source = Path(args.import_path)
    notes: list[str] = []
    roster = load_roster(Path(args.roster), notes) if args.roster else None
    reading = parse(read_input(source))  # an input refused whole stops here: nothing written
    entries, files = match(reading, roster)
    rules = policy or Policy()
    graded: dict[int, list[tuple[Submission, list, list]]] = {}
    for position, subs in files.items():
        for sub in subs:
            try:
                steps, checks = grade_facts(entries[position], submission_facts(sub.doc), course)
            except Exception as exc:  # noqa: BLE001  (a forged facts document must not stop the class)
                reading.refused.append((sub.path, f"fakta nejde vyhodnotit ({type(exc).__name__}), soubor je "
                                                  "nejspíš upravený ručně"))
                continue
            graded.setdefault(position, []).append((sub, steps, checks))
    counted = {position: choose([g[0] for g in items], rules) for position, items in graded.items()}
    for position, sub in counted.items():  # the target column names the file that counts
        entry = entries[position]
        entries[position] = RosterEntry(entry.line, entry.name, entry.student_id, sub.path[:300], None, "import")

    console = report.errors if args.json else report.console
    for note in notes:
        console.print(f"[yellow]Pozor:[/yellow] {escape(display_text(note))}", soft_wrap=True)
    book = Gradebook(gradebook_path(out_dir))
    settings = {"source": IMPORTED, "path": str(source), "process": run_owner(),
                "created_at": {str(p): counted[p].created_at for p in counted},
                "uids": {str(p): counted[p].doc["id"] for p in counted},
                "files": {str(p): counted[p].path for p in counted}}
    run_id = book.start_run("grade", column_steps(course, entries), course.title, checks_digest(course),
                            roster=str(args.roster or source), settings=settings)
    book.add_pending(run_id, entries, [max_points(e, course) for e in entries])
    now = now_iso()
    for position, items in graded.items():
        entry = entries[position]
        with book.transaction():
            for sub, steps, checks in items:
                insert_submission(book.db, StoredSubmission(
                    uid=sub.doc["id"], source=IMPORTED, name=entry.name, created_at=sub.created_at, received_at=now,
                    student_id=entry.student_id, sequence=sub.doc["sequence"], command=sub.doc["command"],
                    target=sub.path, checker=sub.doc["checker"], checks_digest=sub.doc["checker"]["checks_digest"],
                    facts_id=_store_facts(book, sub.doc["facts"]), reported=sub.doc["verdicts"], steps=steps,
                    checks=checks))
        sub, steps, checks = next(item for item in items if item[0] is counted[position])
        book.record(run_id, position, TargetGrade(entry, GRADED, steps=steps, checks=checks, facts=sub.doc["facts"]))
    for position, entry in enumerate(entries):
        if position not in graded:
            book.record(run_id, position, TargetGrade(entry, PENDING, NO_FILE, "Student soubor do Moodlu nenahrál."))
    book.finish_run(run_id, "finished")
    written = exports.write_all(book, run_id, out_dir, policy)
    result = exports.load_result(book, run_id, policy)
    book.close()
    document = exports.grades_document(result)
    document["import"] = {"path": str(source), "run": run_id,
                          "files": [s.path for items in files.values() for s in items],
                          "refused": [{"file": f, "reason": r} for f, r in reading.refused]}
    policy_warnings(console, policy, result)
    _summary(console, sum(len(v) for v in files.values()), reading, result, run_id, written, out_dir)
    return int(ExitCode.CANNOT_CHECK if reading.refused else ExitCode.OK), document


def match(reading: Reading, roster: list[RosterEntry] | None) -> tuple[list[RosterEntry], dict[int, list[Submission]]]:
    """Roster entries (or one per name found, without a roster) and each one's files."""
    files: dict[int, list[Submission]] = {}
    if roster is not None:
        entries = [RosterEntry(e.line, e.name, e.student_id, "", None, "import") for e in roster]
        index = {name_key(e.name): i for i, e in enumerate(entries)}
        index.update({fold(e.student_id): i for i, e in enumerate(entries) if fold(e.student_id) not in index})
        for sub in reading.submissions:
            position = index.get(name_key(sub.name))
            if position is None:
                reading.refused.append((sub.path, f"student „{sub.name}“ není v soupisce (porovnávám jména bez "
                                                  "ohledu na diakritiku a velikost písmen)"))
            else:
                files.setdefault(position, []).append(sub)
    else:
        entries, index = [], {}
        for sub in reading.submissions:
            key = name_key(sub.name)
            if key not in index:
                index[key] = len(entries)
                entries.append(RosterEntry(0, sub.name, sub.name, "", None, "import"))
            files.setdefault(index[key], []).append(sub)
    return entries, files


def choose(subs: list[Submission], policy: Policy) -> Submission:
    """The newest file made by the deadline; without one, the newest (shown as late, not counted)."""
    def newest(items):
        return max(items, key=lambda s: parse_time(s.created_at))

    timely = [s for s in subs if policy.on_time(s.created_at)]
    return newest(timely or subs)


def _store_facts(book: Gradebook, facts: dict) -> int:
    import hashlib

    document = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    book.db.execute("INSERT OR IGNORE INTO facts (sha256, document) VALUES (?, ?)", (digest, document))
    return int(book.db.execute("SELECT id FROM facts WHERE sha256 = ?", (digest,)).fetchone()[0])


def _summary(console, files: int, reading: Reading, result: exports.ClassResult, run_id: int,
             written: list[Path], out_dir: Path) -> None:
    graded = sum(1 for t in result.targets if t.state == GRADED)
    console.print(f"[bold]Běh č. {run_id}[/bold] (import): načteno {plural(files, 'odevzdání', 'odevzdání', 'odevzdání')}, "
                  f"ohodnoceno {plural(graded, 'student', 'studenti', 'studentů')} "
                  f"z {len(result.targets)}.", soft_wrap=True)
    missing = [t for t in result.targets if t.state != GRADED]
    if missing:
        names = ", ".join(display_text(t.entry.name) for t in missing[:20]) + (" …" if len(missing) > 20 else "")
        console.print(f"  Bez započteného odevzdání: {escape(names)}", soft_wrap=True)
    if reading.refused:
        console.print(f"[yellow]Nenačteno {plural(len(reading.refused), 'soubor', 'soubory', 'souborů')}:[/yellow]",
                      soft_wrap=True)
        for path, reason in reading.refused:
            console.print(f"  • {escape(display_text(path))}: {escape(display_text(reason))}", soft_wrap=True)
    names = ", ".join(p.name for p in written)
    console.print(f"Výsledky: {out_dir}/ ({names}); historie všech běhů v {gradebook_path(out_dir).name}.",
                  soft_wrap=True)
