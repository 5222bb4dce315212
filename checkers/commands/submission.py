"""`submit`: the offline path to the teacher, one file for Moodle (the online one is `class`)."""

from __future__ import annotations

from checkers import session
from checkers.classroom.submit import output_path, write_submission
from checkers.commands.base import Context, Result
from checkers.commands.gathering import facts_for, writable_file
from checkers.errors import CheckerError, ExitCode
from checkers.report import json_report


def submit(ctx: Context) -> Result:
    """Check every step once (as `all`) and write one submission document for Moodle. When joined to
    a class, the run is also sent (command "submit")."""
    from checkers.classroom import hook
    from checkers.classroom.config import load_config

    args, course = ctx.args, ctx.course
    if args.facts:
        raise CheckerError("`submit` zkoumá váš stroj; uložená fakta (--facts) odevzdat nejde.",
                           "Spusťte `./kurz submit` bez --facts.")
    config = load_config()
    out = output_path(args.out, config.name if config else None)
    writable_file(out, "--out")
    gathered = facts_for(ctx)
    runs = session.evaluate(gathered.facts, course, list(course.required_steps))
    warnings = gathered.warnings + session.record(runs, course, gathered.label)
    verdicts = json_report.runs_document(runs, gathered.label, "all")
    document = hook.build(course, "submit", gathered.label, gathered.facts, verdicts)
    if config is not None:
        document["student"] = {"name": config.name}  # a reader may show it; protocol.normalize drops it
    write_submission(out, document)

    def show(report):
        report.runs(runs, course, gathered.label)
        report.note("")
        report.note(f"Odevzdání je uložené v souboru [bold]{out}[/bold] "
                    f"({verdicts['points']} z {verdicts['max_points']} bodů podle vašeho checkeru).")
        report.note("Nahrajte tento soubor do úkolu v Moodlu (nebo ho pošlete vyučujícímu). Vyučující ho "
                    "oznámkuje vlastním checkerem. Soubor neobsahuje hesla ani tajné klíče; neupravujte ho.")

    return Result(int(ExitCode.OK), {**verdicts, "submission_file": str(out)}, show, warnings,
                  {"command": "submit", "facts": gathered.facts, "verdicts": verdicts})

