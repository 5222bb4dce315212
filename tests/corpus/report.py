"""`python -m tests.corpus.report [--only VARIANT[:BREAKAGE],…] [--all]`: the engine's verdicts on the
recorded corpus against the expectations, one block per combination that differs (with --all also
those that match), then a count. Reads tests/fixtures/corpus/ only (no VM)."""

from __future__ import annotations

import argparse

from checkers.course import load_course
from tests.corpus import manifest
from tests.corpus.expect import compare, load_facts, verdict_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.report")
    parser.add_argument("--only", help="VARIANT or VARIANT:BREAKAGE, comma-separated")
    parser.add_argument("--all", action="store_true", help="show matching combinations too")
    args = parser.parse_args(argv)
    course = load_course()
    counts = {"match": 0, "differ": 0, "missing": 0}
    for combination in manifest.select(args.only):
        if not combination.fixture.exists():
            counts["missing"] += 1
            print(f"{combination.key}: NO RECORDING")
            continue
        facts = load_facts(combination.fixture)
        summary = verdict_summary(facts, course)
        diffs = compare(manifest.expectation(combination, facts), summary)
        counts["differ" if diffs else "match"] += 1
        if diffs or args.all:
            print(f"{combination.key}: {'DIFFERS' if diffs else 'as expected'}")
            for diff in diffs:
                print(f"    {diff}")
            if diffs and summary["unverified_checks"]:
                print(f"    (unverified: {', '.join(summary['unverified_checks'])})")
    print(f"{counts['match']} as expected, {counts['differ']} differ, {counts['missing']} not recorded")
    return 1 if counts["differ"] or counts["missing"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
