"""The class server's results as files (`./kurz class export [--out DIR] [--roster FILE] [--policy FILE]`).

Reads the gradebook the class server writes (DIR/gradebook.sqlite, the same --out as `class serve`;
it may be running: SQLite's WAL lets it read while the server writes) and writes grades.csv,
moodle.csv, grades.json and report.html into DIR, from every submission: per step verified >
imported > reported, with the policy's deadline, excuses and marks (checkers.grading.sources).
Nothing is contacted and nothing in the gradebook changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checkers.errors import CheckerError


@dataclass
class ClassExport:
    result: object  # checkers.grading.results.ClassResult
    written: list[Path]
    warnings: list[str] = field(default_factory=list)


def export_class(out_dir: Path, course, roster_path: str | None = None, policy_path: str | None = None) -> ClassExport:
    """Grade every submission in out_dir's gradebook with the policy and write the class's files."""
    from checkers.grading.exports import write_result
    from checkers.grading.gradebook import Gradebook, gradebook_path
    from checkers.grading.policy import load_policy
    from checkers.grading.roster import load_roster
    from checkers.grading.sources import class_result

    policy = load_policy(policy_path, course) if policy_path else None
    notes: list[str] = []
    roster = load_roster(Path(roster_path), notes) if roster_path else None
    path = gradebook_path(out_dir)
    if not path.is_file():
        raise CheckerError(f"V adresáři {out_dir} není databáze hodnocení ({path.name}).",
                           "Zadejte adresář, který dostal server třídy v --out (výchozí hodnoceni).")
    book = Gradebook(path)
    try:
        result = class_result(book, course, policy, roster)
    finally:
        book.close()
    written = write_result(result, out_dir)
    if policy is not None:
        notes += [f"omluva pro „{student}“ nepatří nikomu ze třídy (překlep v pravidlech?)."
                  for student in policy.unmatched([(t.entry.name, t.entry.student_id) for t in result.targets])]
    return ClassExport(result, written, notes)
