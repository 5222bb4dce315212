"""`./kurz doctor`: gather facts once, name the causes, print them."""

from __future__ import annotations

import argparse

from checkers.classroom import hook as class_hook
from checkers.course import Course
from checkers.doctor import diagnose, render
from checkers.errors import ExitCode
from checkers.report import json_report
from checkers.report.terminal import TerminalReport


def run_doctor(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    from checkers.cli import extra_args, gather_facts, require_project

    extra_args(args, 0)
    facts, target = gather_facts(course, args, report)
    require_project(facts, args)
    diagnoses = [render(f) for f in diagnose(facts)]
    causes = [d for d in diagnoses if not d.advice]
    warnings = class_hook.after_doctor(course, args, facts, target, diagnoses)
    if args.json:
        json_report.emit({"schema": json_report.SCHEMA, "target": target,
                          "diagnoses": [d.to_json() for d in diagnoses], "healthy": not causes})
    else:
        report.diagnoses(diagnoses, target)
    for warning in warnings:
        report.warning(warning)
    return int(ExitCode.TO_FIX if causes else ExitCode.OK)
