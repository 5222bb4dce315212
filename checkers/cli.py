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


def _grading(name: str):
    def run(ctx: Context) -> Result:
        from checkers.grading import cli as grading_cli

        return getattr(grading_cli, name)(ctx)
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
    "grade": _grading("grade"),
    "regrade": _grading("regrade"),
    "roster": _grading("roster"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in argv
    report = TerminalReport(no_color="--no-color" in argv)
    try:
        args = parse(argv)
        result = COMMANDS[args.command](Context(load_course(), args, report))
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
