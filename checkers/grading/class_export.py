"""`./kurz class export [--out DIR] [--roster FILE] [--policy FILE]`: the class server's results as files.

Reads the gradebook the class server writes (DIR/gradebook.sqlite, the same --out as `class serve`;
it may be running: SQLite's WAL lets it read while the server writes) and writes grades.csv,
moodle.csv, grades.json and report.html into DIR, from every submission: per step verified >
imported > reported, with the policy's deadline, excuses and marks (checkers.grading.sources).
Nothing is contacted and nothing in the gradebook changes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from checkers.errors import CheckerError, ExitCode

USAGE = "./kurz class export [--out ADRESÁŘ] [--roster SOUPISKA] [--policy PRAVIDLA] [--json]"


def export_command(argv: list[str]) -> int:
    from checkers.course import load_course
    from checkers.grading.gradebook import Gradebook, gradebook_path
    from checkers.grading.policy import load_policy
    from checkers.grading.roster import load_roster
    from checkers.grading.sources import class_result
    from checkers.grading.exports import grades_document, write_result
    from checkers.report.terminal import TerminalReport

    args = _parse(argv)
    report = TerminalReport(no_color=args.no_color)
    course = load_course()
    policy = load_policy(args.policy, course) if args.policy else None
    notes: list[str] = []
    roster = load_roster(Path(args.roster), notes) if args.roster else None
    out_dir = Path(args.out)
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
    console = report.errors if args.json else report.console
    if args.json:
        print(json.dumps(grades_document(result), ensure_ascii=False, indent=1))
    for note in notes:
        console.print(f"Pozor: {note}", markup=False, soft_wrap=True)
    if policy is not None:
        unknown = policy.unmatched([(t.entry.name, t.entry.student_id) for t in result.targets])
        for student in unknown:
            console.print(f"Pozor: omluva pro „{student}“ nepatří nikomu ze třídy (překlep v pravidlech?).",
                          markup=False, soft_wrap=True)
    summary = result.summary()
    console.print(f"Výsledky třídy: {summary['graded']} z {summary['students']} s výsledkem, bez připojení ke strojům.",
                  markup=False, soft_wrap=True)
    console.print(f"Soubory: {out_dir}/ ({', '.join(p.name for p in written)}).", markup=False, soft_wrap=True)
    return int(ExitCode.OK)


def _parse(argv: list[str]) -> argparse.Namespace:
    from checkers.arguments import translate_argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str):
            raise CheckerError(f"Neplatné parametry: {translate_argparse(message)}", f"Použití: {USAGE}")

    parser = Parser(prog="./kurz class export", add_help=False)
    parser.add_argument("--out", default="hodnoceni")
    parser.add_argument("--roster")
    parser.add_argument("--policy")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-color", action="store_true")
    return parser.parse_args(argv)
