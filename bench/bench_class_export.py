"""Benchmark of the class results' export (issue 17): how long choosing every student's counted result
takes (checkers.grading.sources.class_result: all sources, a deadline) and writing the four files,
for a gradebook of N students × M reported submissions (every tenth an `all` run, the rest one step).

    .venv/bin/python bench/bench_class_export.py [--students 300] [--submissions 300]

Prints the sizes and the times side by side; the gradebook is a temporary file, removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkers.course import load_course  # noqa: E402
from checkers.grading.exports import write_result  # noqa: E402
from checkers.grading.gradebook import Gradebook, gradebook_path  # noqa: E402
from checkers.grading.model import CheckRow, RosterEntry, StepRow  # noqa: E402
from checkers.grading.policy import Policy  # noqa: E402
from checkers.grading.sources import class_result  # noqa: E402
from checkers.grading.submissions import REPORTED, Submission, insert_submission  # noqa: E402


def fill(book: Gradebook, steps: list[str], students: int, submissions: int, start: datetime) -> None:
    rng = random.Random(17)
    with book.transaction():
        for i in range(students):
            for j in range(submissions):
                chosen = steps if j % 10 == 0 else [rng.choice(steps)]
                status = "passed" if rng.random() < 0.6 else "failed"
                insert_submission(book.db, Submission(
                    uid=f"{i}-{j}", source=REPORTED, name=f"Student {i:03d}", student_id=f"s{i}",
                    created_at=(start + timedelta(seconds=5 * j)).isoformat().replace("+00:00", "Z"),
                    received_at="", steps=[StepRow(s, status, 1 if status == "passed" else 0, 1) for s in chosen],
                    checks=[CheckRow(f"{s}.E001", s, status, "kontrola", "zpráva", "rada") for s in chosen]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=300)
    args = parser.parse_args()
    course = load_course()
    start = datetime(2026, 12, 18, 8, tzinfo=timezone.utc)
    roster = [RosterEntry(i, f"Student {i:03d}", f"s{i}", "", None, "class") for i in range(args.students)]
    with tempfile.TemporaryDirectory() as tmp:
        book = Gradebook(gradebook_path(Path(tmp)))
        began = time.perf_counter()
        fill(book, [s.id for s in course.required_steps], args.students, args.submissions, start)
        filled = time.perf_counter() - began
        rows = book.db.execute("SELECT count(*) FROM submission_steps").fetchone()[0]
        timings = {}
        for label, policy in (("bez pravidel", None),
                              ("s termínem", Policy(deadline=start + timedelta(seconds=5 * args.submissions // 2)))):
            began = time.perf_counter()
            result = class_result(book, course, policy, roster)
            chosen = time.perf_counter() - began
            began = time.perf_counter()
            write_result(result, Path(tmp) / "exporty")
            timings[label] = (chosen, time.perf_counter() - began)
        book.close()
    print(f"{args.students} students × {args.submissions} submissions = {args.students * args.submissions} "
          f"submissions, {rows} step rows (filled in {filled:.1f} s)")
    print(f"{'':14} {'choose (s)':>11} {'write 4 files (s)':>18}")
    for label, (chosen, written) in timings.items():
        print(f"{label:14} {chosen:11.2f} {written:18.2f}")


if __name__ == "__main__":
    main()
