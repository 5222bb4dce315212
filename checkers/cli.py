"""`./kurz`: the student's (and teacher's) command line — the one boundary.

Every command returns a checkers.commands.base.Result; this module renders it (terminal or
--json), shows its warnings, hands a checker run to the class server's client, and owns the
error handling: every CheckerError is caught here, once, and rendered in Czech; an unexpected
crash is written to a log file and reported without a traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime

from checkers.cli_parser import parse
from checkers.commands import checking, diagnosis, stored, tools
from checkers.commands.base import Context, Result
from checkers.course import load_course
from checkers.errors import CheckerError, ExitCode, hide_url_passwords
from checkers.paths import state_dir
from checkers.report import json_report
from checkers.report.terminal import TerminalReport
from checkers.storage import path_problem, write_atomic


def _lazy(module: str, name: str):
    """A command whose module is imported only when it runs (grading, the class server's client)."""
    def run(ctx: Context) -> Result:
        import importlib

        return getattr(importlib.import_module(module), name)(ctx)
    return run


COMMANDS = {
    None: stored.overview,
    "check": checking.check,
    "all": checking.check_all,
    "next": checking.check_next,
    "watch": checking.watch,
    "web": checking.web,
    "doctor": diagnosis.run,
    "list": stored.step_list,
    "status": stored.status,
    "hint": stored.hint,
    "target": tools.target,
    "lint": tools.lint,
    "book": tools.book,
    "new-check": tools.new_check,
    "grade": _lazy("checkers.commands.grading", "grade"),
    "regrade": _lazy("checkers.commands.grading", "regrade"),
    "roster": _lazy("checkers.commands.grading", "roster"),
    "submit": _lazy("checkers.commands.submission", "submit"),
    "class": _lazy("checkers.commands.classroom", "run"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in argv
    report = TerminalReport(no_color="--no-color" in argv)
    try:
        args = parse(argv)
        course = load_course()
        ctx = Context(course, args, report, send=class_client(args, course))
        result = COMMANDS[args.command](ctx)
        if result.submission is not None:  # a checker run: the class server gets it, when joined
            result.warnings += ctx.send(result.submission)
        return render(result, args.json, report)
    except CheckerError as err:
        message, hint = hide_url_passwords(err.message), hide_url_passwords(err.hint)
        if wants_json:
            json_report.emit(json_report.error_document(message, hint, int(err.exit_code)))
        else:
            report.error(message, hint)
        return int(err.exit_code)
    except KeyboardInterrupt:
        report.errors.print()
        report.errors.print("Přerušeno (Ctrl-C). Kontrola nedoběhla, uložený postup zůstal, jak byl.")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `./kurz … | head`: the reader is gone, stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except OSError as exc:
        if not exc.filename:  # not about a path the user gave: ours
            return internal_error(wants_json, report)
        name = str(exc.filename)
        message = path_problem(exc, name if len(name) <= 120 else name[:119] + "…")
        hint = "Zkontrolujte cestu v parametrech (--out, --facts, --save-facts, --project…) a místo na disku."
        if wants_json:
            json_report.emit(json_report.error_document(message, hint, int(ExitCode.CANNOT_CHECK)))
        else:
            report.error(message, hint)
        return int(ExitCode.CANNOT_CHECK)
    except Exception:  # noqa: BLE001  (the student never sees a traceback)
        return internal_error(wants_json, report)


def class_client(args, course):
    """How a checker run reaches the class server: queued and sent in the background when this
    computer joined a class (`./kurz class join`); nothing at all otherwise. Never fails the run."""
    def send(submission: dict) -> list[str]:
        from checkers.classroom import hook

        if args.facts or not hook.joined():  # re-evaluated saved facts are no new run of the machine
            return []
        return hook.after_run(submission, course)
    return send


def render(result: Result, as_json: bool, report: TerminalReport) -> int:
    if as_json:
        if result.document is not None:
            json_report.emit(result.document)
    elif result.show is not None:
        result.show(report)
    for warning in result.warnings:
        report.warning(warning)
    return int(result.exit_code)


def internal_error(wants_json: bool, report: TerminalReport) -> int:
    """An unexpected crash (called in an except block): logged to a file, reported without a traceback."""
    log = state_dir() / f"chyba-{datetime.now():%Y%m%d-%H%M%S}.log"
    try:
        write_atomic(log, traceback.format_exc())
        where = f"Podrobnosti jsou v souboru {log}."
    except OSError:
        where = ""
    message = "Checker narazil na vnitřní chybu. To není chyba vašeho řešení."
    hint = f"{where} Pošlete ho prosím vyučujícímu.".strip()
    if wants_json:
        json_report.emit(json_report.error_document(message, hint, int(ExitCode.CANNOT_CHECK)))
    else:
        report.error(message, hint)
    return int(ExitCode.CANNOT_CHECK)
