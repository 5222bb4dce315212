"""`./kurz submit [--out FILE]`: the offline path. Checks every step once (as `all`) and writes one
submission document (protocol.py: facts + verdicts + time, masked, no token) that the student uploads
to a Moodle assignment; the teacher's `grade --import` grades it with regrade's engine.

File name: kurz-odevzdani-<name slug or "student">-<YYYYmmdd-HHMMSS>.json in the current directory
(or in --out when it is a directory; --out FILE names it). When joined to a class, the run is also
queued and sent like any other run (command "submit").
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from checkers.errors import CheckerError, ExitCode

FILE_PREFIX = "kurz-odevzdani"


def run_submit(course, args, report) -> int:
    from checkers import session
    from checkers.classroom import hook
    from checkers.classroom.config import load_config
    from checkers.cli import extra_args, gather_facts, require_project, writable_file
    from checkers.report import json_report

    extra_args(args, 0)
    if args.facts:
        raise CheckerError("`submit` zkoumá váš stroj; uložená fakta (--facts) odevzdat nejde.",
                           "Spusťte `./kurz submit` bez --facts.")
    config = load_config()
    out = output_path(args.out, config.name if config else None)
    writable_file(out, "--out")
    facts, target = gather_facts(course, args, report)
    require_project(facts, args)
    steps = list(course.required_steps)
    runs = session.evaluate(facts, course, steps)
    warnings = session.record(runs, course, target)
    verdicts = json_report.runs_document(runs, target, "all")
    document = hook.build(course, "submit", target, facts, verdicts)
    if config is not None:
        document["student"] = {"name": config.name}  # a reader may show it; protocol.normalize drops it
    write_submission(out, document)
    warnings = warnings + hook.after_check(course, args, facts, runs, target, "all")
    if args.json:
        json_report.emit({**verdicts, "submission_file": str(out)})
    else:
        report.runs(runs, course, target)
        report.note("")
        report.note(f"Odevzdání je uložené v souboru [bold]{out}[/bold] "
                    f"({verdicts['points']} z {verdicts['max_points']} bodů podle vašeho checkeru).")
        report.note("Nahrajte tento soubor do úkolu v Moodlu (nebo ho pošlete vyučujícímu). Vyučující ho "
                    "oznámkuje vlastním checkerem. Soubor neobsahuje hesla ani tajné klíče; neupravujte ho.")
    for warning in session.STORAGE_WARNINGS + warnings:
        report.warning(warning)
    return int(ExitCode.OK)


def output_path(out: str | None, name: str | None) -> Path:
    default = f"{FILE_PREFIX}-{slug(name) if name else 'student'}-{datetime.now():%Y%m%d-%H%M%S}.json"
    if not out:
        return Path.cwd() / default
    path = Path(out).expanduser()
    return path / default if path.is_dir() else path


def slug(name: str) -> str:
    """„Jana Nováková“ -> jana-novakova (ASCII, safe in every file system and in Moodle's zip)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "student"


def write_submission(path: Path, document: dict) -> None:
    from checkers.progress import storage_problem, write_atomic

    try:
        write_atomic(path, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise CheckerError(f"{storage_problem(exc, path)} Odevzdání se neuložilo.",
                           "Zadejte jiné místo: `./kurz submit --out ~/odevzdani.json`.") from None
