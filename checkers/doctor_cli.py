"""`./kurz doctor`: gather facts once, name the causes, print them."""

from __future__ import annotations

import argparse

from checkers.course import Course
from checkers import doctor
from checkers.errors import ExitCode
from checkers.report import json_report
from checkers.report.terminal import TerminalReport


def run_doctor(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    from checkers.cli import extra_args, gather_facts, require_project

    extra_args(args, 0)
    facts, target = gather_facts(course, args, report)
    require_project(facts, args)
    found = doctor.examine(facts, course)
    if args.json:
        json_report.emit(doctor.document(found, target))
    else:
        report.diagnoses(found, target)
    if found.causes:
        return int(ExitCode.TO_FIX)
    return int(ExitCode.CANNOT_CHECK if found.errors else ExitCode.OK)
