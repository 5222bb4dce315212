"""Checking steps: one step, all, the next unfinished one, watching a step, a live site (`web`)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from checkers import session
from checkers.commands.base import Context, Result
from checkers.commands.gathering import facts_for, target_options
from checkers.engine import exit_code
from checkers.errors import CheckerError, ExitCode
from checkers.paths import state_dir
from checkers.progress import ProgressStore
from checkers.report import json_report
from checkers.report.terminal import first_unfinished
from checkers.sources import Spec, gather

WEB_STEP = "web"


def check(ctx: Context) -> Result:
    args, course = ctx.args, ctx.course
    step = course.step(args.step)
    if args.profile == "vm" and step.profile in ("appengine", "svs"):
        args.profile = step.profile  # `svs` alone means `--profile svs svs`
    steps = [step]
    if args.profile == "svs" and step.profile == "svs":
        steps.append(course.step(WEB_STEP))  # the same run checks https://<domain>/ as a visitor
    return check_steps(ctx, steps, step.id)


def check_all(ctx: Context) -> Result:
    return check_steps(ctx, list(ctx.course.required_steps), "all")


def check_next(ctx: Context) -> Result:
    upcoming = first_unfinished(ctx.course, ProgressStore(state_dir()).load())
    if upcoming is None:
        return Result(int(ExitCode.OK), {"schema": json_report.SCHEMA, "step": None, "all_passed": True},
                      lambda report: report.note("Všechny kroky jsou splněné. Ověřit je znovu můžete "
                                                 "příkazem `./kurz all`."))
    return check_steps(ctx, [upcoming], upcoming.id, command="next")


def check_steps(ctx: Context, steps, label: str, command: str | None = None) -> Result:
    gathered = facts_for(ctx)
    return _verdicts(ctx, gathered.facts, gathered.label, steps, label, gathered.warnings, command or label)


def _verdicts(ctx: Context, facts: dict, target: str, steps, label: str, warnings: list, command: str) -> Result:
    runs, result = _judged(ctx, facts, target, steps, label, warnings, command)
    if result.submission is not None:  # saved facts (--facts) say nothing new about the student
        result.warnings += session.record(runs, ctx.course, target)
    return result


def _judged(ctx: Context, facts: dict, target: str, steps, label: str, warnings: list, command: str):
    """The steps evaluated on the facts: (runs, their Result), nothing recorded yet."""
    runs = session.evaluate(facts, ctx.course, steps)
    stored = ctx.args.facts is not None
    document = json_report.runs_document(runs, target, label)
    return runs, Result(int(exit_code([r for run in runs for r in run.results])), document,
                        lambda report: report.runs(runs, ctx.course, target), list(warnings),
                        None if stored else {"command": command, "facts": facts, "verdicts": document})


def watch(ctx: Context) -> Result:
    """Re-check one step over a single SSH connection until it passes (or Ctrl-C). Each change of
    the verdict is shown as it happens and handed to the class server's client (ctx.send)."""
    from checkers.targets import open_transport

    args, course, report = ctx.args, ctx.course, ctx.report
    if args.step:
        step = course.step(args.step)
    else:
        step = first_unfinished(course, ProgressStore(state_dir()).load()) or course.required_steps[-1]
    report.note(f"Hlídám krok {step.id} – {step.title}. Ukončíte Ctrl-C.")
    transport = open_transport(target_options(args)) if not args.facts else None
    try:
        previous = None
        while True:
            gathered = facts_for(ctx, transport)
            runs, result = _judged(ctx, gathered.facts, gathered.label, [step], step.id, gathered.warnings, "watch")
            signature = [(c["id"], c["status"]) for c in result.document["checks"]]
            if signature != previous:  # recorded (and shown) only when the verdict changes
                if result.submission is not None:
                    result.warnings += session.record(runs, course, gathered.label)
                if not args.json:
                    report.note(f"[dim]{time.strftime('%H:%M:%S')}[/dim]")
                    result.show(report)
                for warning in ctx.send(result.submission) if result.submission else []:
                    report.warning(warning)
                previous = signature
            if result.document["steps"][0]["status"] == "passed":
                return Result(result.exit_code, result.document, None, result.warnings, None)
            time.sleep(max(0.5, args.interval))
    finally:
        if transport is not None:
            transport.close()


def web(ctx: Context) -> Result:
    """`./kurz web --target https://…`: the live site, looked at from here."""
    args, course = ctx.args, ctx.course
    step = course.step(WEB_STEP)
    if args.facts:
        gathered = gather(Spec("file", path=Path(args.facts)))
        if "live" not in gathered.facts:
            raise CheckerError(f"V souboru {args.facts} nejsou fakta o živém webu.",
                               "Použijte soubor uložený příkazem `web --save-facts` nebo profilem svs.")
    else:
        url = parse_url(args.target)
        gathered = gather(Spec("live", url=url, ca_file=ca_file(args.ca_file), request_timeout=args.timeout,
                               save_to=Path(args.save_facts) if args.save_facts else None), ctx.report)
    return _verdicts(ctx, gathered.facts, gathered.label, [step], step.id, gathered.warnings, "web")


def parse_url(spec: str | None) -> str:
    text = (spec or "").strip()
    if not text:
        raise CheckerError("Chybí adresa webu.", "Zadejte ji parametrem --target, např. "
                           "`./kurz web --target https://jmeno.svs.gyarab.cz`.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError as exc:
        raise CheckerError(f"Port v adrese {spec} není číslo.", "Tvar je `https://domena[:port]/`.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CheckerError(f"„{spec}“ není adresa webu.",
                           "Zadejte celou adresu, např. `--target https://jmeno.svs.gyarab.cz`.")
    return text


def ca_file(path: str | None) -> str | None:
    if path and not Path(path).is_file():
        raise CheckerError(f"Soubor s certifikační autoritou {path} neexistuje.",
                           "Zadejte v --ca-file cestu k certifikátu autority ve formátu PEM.")
    return path
