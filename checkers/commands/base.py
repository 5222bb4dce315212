"""What a command gets (the course, its arguments, the terminal for live output) and what it
returns (an exit code, a --json document, how to show it on a terminal, warnings)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Callable

from checkers.course import Course


def _nowhere(submission: dict) -> list[str]:
    return []


@dataclass
class Context:
    course: Course
    args: argparse.Namespace
    report: object  # checkers.report.terminal.TerminalReport: spinners and live output (watch, grade)
    send: Callable[[dict], list[str]] = _nowhere  # a run's submission to the class server → warnings


@dataclass
class Result:
    exit_code: int
    document: dict | None = None  # what --json prints (None: nothing)
    show: Callable | None = None  # show(report) on a terminal (None: nothing more to show)
    warnings: list[str] = field(default_factory=list)  # shown after the result, on stderr
    submission: dict | None = None  # {"command", "facts", "verdicts"}: what a class server may receive
