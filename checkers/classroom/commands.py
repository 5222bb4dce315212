"""`./kurz class …`: join, status, leave (the student's side) and serve (forwarded to the server).

cli.main hands over everything after `class`; each sub-command has its own Czech parser. Errors are
CheckerError, rendered by cli.main like any other.
"""

from __future__ import annotations

import argparse

from checkers.errors import CheckerError, ExitCode

USAGE = "./kurz class join ADRESA --code KÓD | status [--send] | leave | serve … | export …"
HELP = """Třída: vaše kontroly se odesílají vyučujícímu.

  class join ADRESA --code KÓD [--name "Jméno Příjmení"] [--fingerprint SHA256:…]
                      připojí se ke třídě (jednou); od té doby se každá kontrola odešle vyučujícímu
  class status [--send] [--json]
                      ke které třídě jste připojeni, kolik odevzdání čeká ve frontě, kdy se naposledy
                      odeslalo a co se nepovedlo; --send nejdřív frontu odešle
  class leave         odešle, co čeká, a odpojí se od třídy
  class serve …       (učitel) spustí server třídy
  class export [--out ADRESÁŘ] [--roster SOUPISKA] [--policy PRAVIDLA]
                      (učitel) zapíše výsledky třídy do grades.csv, moodle.csv, grades.json a report.html
"""


def class_command(argv: list[str]) -> int:
    from checkers.arguments import translate_argparse
    from checkers.report.terminal import TerminalReport

    report = TerminalReport(no_color="--no-color" in argv)
    argv = [a for a in argv if a != "--no-color"]
    sub = argv[0] if argv else ""
    if sub in ("", "-h", "--help", "help"):
        report.note(HELP)
        return int(ExitCode.OK if sub else ExitCode.CANNOT_CHECK)
    if sub == "serve":
        from checkers.classroom.serve import serve

        return int(serve(argv[1:]))
    if sub == "export":
        from checkers.grading.class_export import export_command

        return int(export_command(argv[1:]))
    if sub not in ("join", "status", "leave"):
        raise CheckerError(f"Neznámý příkaz „class {sub}“.", f"Použití: {USAGE}")
    parser = _parser(sub, translate_argparse)
    args = parser.parse_args(argv[1:])
    if sub == "join":
        return run_join(args, report)
    if sub == "status":
        return run_status(args, report)
    return run_leave(report)


def _parser(sub: str, translate) -> argparse.ArgumentParser:
    class Parser(argparse.ArgumentParser):
        def error(self, message: str):
            raise CheckerError(f"Neplatné parametry: {translate(message)}", f"Použití: {USAGE}")

    parser = Parser(prog=f"./kurz class {sub}", add_help=False)
    if sub == "join":
        parser.add_argument("address", metavar="ADRESA")
        parser.add_argument("--code", required=True)
        parser.add_argument("--name")
        parser.add_argument("--fingerprint")
    elif sub == "status":
        parser.add_argument("--send", action="store_true")
        parser.add_argument("--json", action="store_true")
    return parser


def run_join(args, report) -> int:
    from checkers.classroom import membership

    config = membership.join(args.address, args.code, args.name, args.fingerprint, ask=input, say=report.note)
    course = f" „{config.course}“" if config.course else ""
    report.note(f"Připojeno ke třídě{course} na {config.address} jako {config.name}.")
    if config.fingerprint:
        report.note(f"Otisk certifikátu serveru je uložený ({config.fingerprint}); jiný server odmítnu.")
    report.note("Od teď se každá kontrola (stepN, all, next, watch, doctor) odešle vyučujícímu. "
                "Stav ukáže `./kurz class status`.")
    return int(ExitCode.OK)


def run_leave(report) -> int:
    from checkers.classroom import membership
    from checkers.texts import plural, plural_form

    config, sent, dropped, freed = membership.leave()
    if config is None and not dropped:
        report.note("Nejste připojeni k žádné třídě.")
        return int(ExitCode.OK)
    if sent:
        report.note(f"Odeslal jsem {plural(sent, 'čekající odevzdání', 'čekající odevzdání', 'čekajících odevzdání')}.")
    if dropped:
        report.warning(f"{plural(dropped, 'odevzdání se', 'odevzdání se', 'odevzdání se')} nepodařilo odeslat; "
                       f"zahodil jsem {plural_form(dropped, 'ho', 'je', 'je')}. Výsledky máte dál u sebe (`./kurz status`).")
    where = f" na {config.address}" if config else ""
    report.note(f"Odpojeno od třídy{where}. Kontroly se už nikam neodesílají.")
    if config is not None and not freed:
        report.note("Server o odpojení neví: chcete-li se pod stejným jménem připojit znovu, "
                    "musí vás vyučující na nástěnce uvolnit.")
    return int(ExitCode.OK)


def run_status(args, report) -> int:
    from checkers.classroom import membership
    from checkers.report import json_report

    state = membership.status(send=args.send)
    if args.json:
        json_report.emit({"schema": 1, **state})
    else:
        for line in status_lines(state):
            report.note(line)
    send = state.get("send") or {}
    if send.get("error") or (args.send and state["queued"]):
        return int(ExitCode.CANNOT_CHECK)
    return int(ExitCode.OK)


def status_lines(state: dict) -> list[str]:
    from rich.markup import escape

    from checkers.texts import plural, plural_form

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
        lines.append(f"Ve frontě {plural_form(queued, 'čeká', 'čekají', 'čeká')} {plural(queued, 'odevzdání', 'odevzdání', 'odevzdání')} "
                     f"({_size(state['queued_bytes'])}); odešlou se při další kontrole nebo `./kurz class status --send`.")
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
                     f"[/yellow] (z čísel {last_drop.get('first')}–{last_drop.get('last')}, naposledy {_when(last_drop.get('at'))}); "
                     "vyučující je neuvidí, výsledky máte dál u sebe.")
    if state["rejected_total"]:
        rejected = state.get("last_rejected") or {}
        lines.append(f"[yellow]{plural(state['rejected_total'], 'odevzdání', 'odevzdání', 'odevzdání')} se nedá "
                     f"odeslat[/yellow] (naposledy č. {rejected.get('sequence')}: {escape(str(rejected.get('why', '')))}); "
                     f"jsou odložená v {escape(state['queue_dir'])}/rejected.")
    return lines


def _when(iso: str | None) -> str:
    if not iso:
        return "nikdy"
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone()
    except ValueError:
        return str(iso)
    return f"{moment.day}. {moment.month}. {moment.year} {moment:%H:%M:%S}"


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{max(1, round(count / 1024))} KiB"
    return f"{count / (1024 * 1024):.1f} MiB".replace(".", ",")
