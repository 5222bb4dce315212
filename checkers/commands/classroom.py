"""`./kurz class …`: join, status, leave (the student's side of the class server); serve and export
(the teacher's). Their options are in checkers.cli_parser, like every other command's."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from rich.markup import escape

from checkers.commands.base import Context, Result
from checkers.errors import ExitCode
from checkers.texts import plural, plural_form

HELP = """Třída: vaše kontroly se odesílají vyučujícímu.

  class join ADRESA --code KÓD [--name "Jméno Příjmení"] [--fingerprint SHA256:…]
                      připojí se ke třídě (jednou); od té doby se každá kontrola odešle vyučujícímu
  class status [--send] [--json]
                      ke které třídě jste připojeni, kolik odevzdání čeká ve frontě, kdy se naposledy
                      odeslalo a co se nepovedlo; --send nejdřív frontu odešle
  class leave         odešle, co čeká, a odpojí se od třídy
  class serve …       (učitel) spustí server třídy (volby vypíše `./kurz class serve --help`)
  class export [--out ADRESÁŘ] [--roster SOUPISKA] [--policy PRAVIDLA]
                      (učitel) zapíše výsledky třídy do grades.csv, moodle.csv, grades.json a report.html
"""


def run(ctx: Context) -> Result:
    command = COMMANDS.get(ctx.args.class_command)
    if command is None:  # `./kurz class` alone: what it can do, and no success
        return Result(int(ExitCode.CANNOT_CHECK), {"schema": 1, "help": HELP}, lambda report: report.note(HELP))
    return command(ctx)


def join(ctx: Context) -> Result:
    from checkers.classroom import membership

    args, report = ctx.args, ctx.report
    if args.json:  # stdout is the document: the questions and what they show go to stderr
        config = membership.join(args.address, args.code, args.name, args.fingerprint, ask=_ask_on_stderr,
                                 say=lambda text: report.errors.print(text, markup=False))
    else:
        config = membership.join(args.address, args.code, args.name, args.fingerprint, ask=input, say=report.note)
    course = f" „{escape(config.course)}“" if config.course else ""
    lines = [f"Připojeno ke třídě{course} na {escape(config.address)} jako {escape(config.name)}."]
    if config.fingerprint:
        lines.append(f"Otisk certifikátu serveru je uložený ({config.fingerprint}); jiný server odmítnu.")
    lines.append("Od teď se každá kontrola (stepN, all, next, watch, doctor) odešle vyučujícímu. "
                 "Stav ukáže `./kurz class status`.")
    document = {"schema": 1, "joined": True, "class": {"address": config.address, "name": config.name,
                                                       "course": config.course, "fingerprint": config.fingerprint}}
    return Result(int(ExitCode.OK), document, _notes(lines))


def leave(ctx: Context) -> Result:
    from checkers.classroom import membership

    config, sent, dropped, freed = membership.leave()
    document = {"schema": 1, "left": config is not None, "sent": sent, "dropped": dropped, "freed": freed}
    if config is None and not dropped:
        return Result(int(ExitCode.OK), document, _notes(["Nejste připojeni k žádné třídě."]))
    lines, warnings = [], []
    if sent:
        lines.append(f"Odeslal jsem {plural(sent, 'čekající odevzdání', 'čekající odevzdání', 'čekajících odevzdání')}.")
    if dropped:
        warnings.append(f"{plural(dropped, 'odevzdání se', 'odevzdání se', 'odevzdání se')} nepodařilo odeslat; "
                        f"zahodil jsem {plural_form(dropped, 'ho', 'je', 'je')}. Výsledky máte dál u sebe "
                        "(`./kurz status`).")
    where = f" na {escape(config.address)}" if config else ""
    lines.append(f"Odpojeno od třídy{where}. Kontroly se už nikam neodesílají.")
    if config is not None and not freed:
        lines.append("Server o odpojení neví: chcete-li se pod stejným jménem připojit znovu, "
                     "musí vás vyučující na nástěnce uvolnit.")
    return Result(int(ExitCode.OK), document, _notes(lines), warnings)


def status(ctx: Context) -> Result:
    from checkers.classroom import membership

    state = membership.status(send=ctx.args.send)
    send = state.get("send") or {}
    failed = send.get("error") or (ctx.args.send and state["queued"])
    return Result(int(ExitCode.CANNOT_CHECK if failed else ExitCode.OK), {"schema": 1, **state},
                  _notes(status_lines(state)))


def serve(ctx: Context) -> Result:
    """Long-running: prints where the dashboard is and serves until Ctrl-C."""
    from checkers.classroom.serve import serve as serve_class

    return Result(int(serve_class(ctx.args)))


def export(ctx: Context) -> Result:
    from checkers.grading.class_export import export_class
    from checkers.grading.exports import grades_document

    out_dir = Path(ctx.args.out)
    done = export_class(out_dir, ctx.course, ctx.args.roster, ctx.args.policy)
    summary = done.result.summary()
    lines = [f"Výsledky třídy: {summary['graded']} z {summary['students']} s výsledkem, bez připojení ke strojům.",
             f"Soubory: {escape(str(out_dir))}/ ({', '.join(p.name for p in done.written)})."]
    return Result(int(ExitCode.OK), grades_document(done.result), _notes(lines), done.warnings)


COMMANDS = {"join": join, "status": status, "leave": leave, "serve": serve, "export": export}


def _ask_on_stderr(question: str) -> str:
    sys.stderr.write(question)
    sys.stderr.flush()
    return input()


def _notes(lines: list[str]):
    def show(report):
        for line in lines:
            report.note(line)
    return show


def status_lines(state: dict) -> list[str]:
    if not state["joined"]:
        if state["config_unreadable"]:
            return ["Soubor s připojením ke třídě (class.json) nejde přečíst. Připojte se znovu: "
                    "`./kurz class leave` a `./kurz class join …`."]
        return ["Nejste připojeni k žádné třídě; kontroly se nikam neodesílají.",
                "Připojíte se příkazem `./kurz class join ADRESA --code KÓD` (adresu a kód ukazuje vyučující)."]
    joined = state["class"]
    course = f" „{escape(joined['course'])}“" if joined.get("course") else ""
    lines = [f"Připojeno ke třídě{course} na {escape(joined['address'])} jako {escape(joined['name'])} "
             f"(od {_when(joined.get('joined_at'))})."]
    if joined.get("fingerprint"):
        lines.append(f"Ověřený otisk certifikátu: {joined['fingerprint']}")
    if "send" in state:
        sent = state["send"]["sent"]
        lines.append(f"Teď odesláno: {plural(sent, 'odevzdání', 'odevzdání', 'odevzdání')}.")
    queued = state["queued"]
    if queued:
        lines.append(f"Ve frontě {plural_form(queued, 'čeká', 'čekají', 'čeká')} "
                     f"{plural(queued, 'odevzdání', 'odevzdání', 'odevzdání')} ({_size(state['queued_bytes'])}); "
                     "odešlou se při další kontrole nebo `./kurz class status --send`.")
    else:
        lines.append("Fronta je prázdná: vše je odeslané.")
    last = state.get("last_success_at")
    lines.append(f"Naposledy odesláno: {_when(last)} (celkem {state['sent_total']})." if last
                 else "Zatím se nic neodeslalo.")
    if state.get("last_error"):
        lines.append(f"[yellow]Poslední chyba ({_when(state.get('last_error_at'))}):[/yellow] "
                     f"{escape(state['last_error'])}")
    if state["dropped_total"]:
        last_drop = state.get("dropped_last") or {}
        lines.append(f"[yellow]Fronta byla plná (nejvýš {state['limits']['files']} odevzdání): zahodil jsem "
                     f"{plural(state['dropped_total'], 'nejstarší odevzdání', 'nejstarší odevzdání', 'nejstarších odevzdání')}"
                     f"[/yellow] (z čísel {last_drop.get('first')}–{last_drop.get('last')}, naposledy "
                     f"{_when(last_drop.get('at'))}); vyučující je neuvidí, výsledky máte dál u sebe.")
    if state["rejected_total"]:
        rejected = state.get("last_rejected") or {}
        lines.append(f"[yellow]{plural(state['rejected_total'], 'odevzdání', 'odevzdání', 'odevzdání')} se nedá "
                     f"odeslat[/yellow] (naposledy č. {rejected.get('sequence')}: {escape(str(rejected.get('why', '')))}); "
                     f"jsou odložená v {escape(state['queue_dir'])}/rejected.")
    return lines


def _when(iso: str | None) -> str:
    if not iso:
        return "nikdy"
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone()
    except ValueError:
        return str(iso)
    return f"{moment.day}. {moment.month}. {moment.year} {moment:%H:%M:%S}"


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{max(1, round(count / 1024))} KiB"
    return f"{count / (1024 * 1024):.1f} MiB".replace(".", ",")
