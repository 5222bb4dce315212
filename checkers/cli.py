"""`./kurz`: the student's (and teacher's) command line.

Commands return exit codes; every CheckerError is caught here, once, and rendered in Czech.
An unexpected crash is written to a log file and reported without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from checkers.classroom import hook as class_hook
from checkers.course import Course, load_course
from checkers.errors import CheckerError, ExitCode, hide_url_passwords
from checkers.paths import state_dir
from checkers.progress import ProgressStore, write_atomic
from checkers.report import json_report
from checkers.report.terminal import TerminalReport, first_unfinished
from checkers.targets import TargetOptions, default_target
from checkers.texts import plural

USAGE = "./kurz [PŘÍKAZ | KROK] [volby]"
DESCRIPTION = """Kontroluje, jak máte na svém stroji nasazený Django projekt.

příkazy:
  (bez příkazu)       přehled kurzu s ukazatelem postupu
  step3 nebo 3        zkontroluje jeden krok
  all                 zkontroluje všechny kroky
  next                zkontroluje první nesplněný krok
  list                seznam kroků a jejich kontrol
  status              uložený postup (bez připojení ke stroji)
  hint KROK [--more]  nápověda ke kroku, --more odkryje další
  watch [KROK]        kontroluje znovu a znovu, dokud krok nesplníte (Ctrl-C končí)
  doctor              najde příčinu, proč web nejede (502, 403, 404…)
  book [--serve]      sestaví knihu kurzu a vypíše její adresu
  grade SOUPISKA      (učitel) oznámkuje celou třídu
  grade --import CESTA  (učitel) oznámkuje odevzdání z Moodlu (ZIP nebo složka)
  regrade [--run ID]  (učitel) přepočítá uložené výsledky bez připojení
  roster --vagrant N  (učitel) vypíše soupisku strojů student01 … z Vagrantfilu
  web --target URL    zkontroluje živý web na adrese URL
  target [CÍL]        ukáže nebo nastaví výchozí cíl (vagrant, lab, ssh://…)
  lint                (autor kurzu) zkontroluje data kurzu, texty a knihu
  submit [--out SOUBOR]  zkontroluje všechny kroky a uloží odevzdání pro Moodle
  class join|status|leave  připojení ke třídě: kontroly se odesílají vyučujícímu
"""


class CzechArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CheckerError(f"Neplatné parametry: {translate_argparse(message)}",
                           "Nápovědu vypíše `./kurz --help`.")


class CzechHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "použití: " if prefix is None else prefix)


def translate_argparse(message: str) -> str:
    replacements = (("unrecognized arguments", "neznámé parametry"), ("expected one argument", "chybí hodnota"),
                    ("argument ", "parametr "), ("invalid choice", "neplatná volba"), ("choose from", "možnosti"),
                    ("invalid int value", "není celé číslo"), ("invalid float value", "není číslo"),
                    ("the following arguments are required", "chybí povinné parametry"),
                    ("ambiguous option", "nejednoznačná volba"), ("could match", "může znamenat"),
                    ("not allowed with argument", "nejde použít spolu s"),
                    ("expected at most one argument", "čeká nejvýš jednu hodnotu"))
    for old, new in replacements:
        message = message.replace(old, new)
    return message


def number_in(low: float, high: float, what: str, example: str, integer: bool = False):
    """An argparse type: a finite number from `low` to `high`, refused in Czech otherwise."""

    def convert(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"„{text}“ není {'celé ' if integer else ''}číslo ({what}, např. "
                                             f"{example})") from None
        if value != value or not low <= value <= high:  # NaN, inf, out of range
            raise argparse.ArgumentTypeError(f"{text} není v rozsahu {czech_number(low)} až {czech_number(high)} "
                                             f"({what}, např. {example})")
        return value

    return convert


def czech_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def build_parser() -> argparse.ArgumentParser:
    parser = CzechArgumentParser(prog="./kurz", usage=USAGE, description=DESCRIPTION,
                                 formatter_class=CzechHelpFormatter, add_help=False)
    parser._positionals.title = "argumenty"
    parser._optionals.title = "volby"
    parser.add_argument("-h", "--help", action="help", help="vypíše tuto nápovědu")
    parser.add_argument("command", nargs="?", help="příkaz nebo krok (step3, 3)")
    parser.add_argument("args", nargs="*", help="argumenty příkazu")
    parser.add_argument("--target", help="kde web běží: vagrant (výchozí), vagrant:JMÉNO, lab, local, ssh://uživatel@stroj[:port]")
    parser.add_argument("--project", help="cesta k Django projektu na cílovém stroji (výchozí /srv/my_project)")
    parser.add_argument("--identity", help="soubor se soukromým SSH klíčem (pro ssh://)")
    parser.add_argument("--ssh-config", help="SSH konfigurace (např. výstup `vagrant ssh-config`)")
    parser.add_argument("--host-key", choices=("accept-new", "strict", "off"), default="accept-new",
                        help="ověřování klíče stroje: accept-new (výchozí) zapamatuje nový stroj a odmítne změněný klíč")
    parser.add_argument("--json", action="store_true", help="výstup jako JSON")
    parser.add_argument("--timeout", type=number_in(1, 86400, "limit v sekundách", "--timeout 300"), default=180,
                        help="limit pro sondu v sekundách (výchozí 180)")
    parser.add_argument("--no-color", action="store_true", help="bez barev")
    parser.add_argument("--more", action="store_true", help="u `hint`: odkryje další nápovědu")
    parser.add_argument("--interval", type=number_in(0.5, 86400, "pauza v sekundách", "--interval 5"), default=5,
                        help="u `watch`: pauza mezi kontrolami v sekundách")
    parser.add_argument("--serve", action="store_true", help="u `book`: spustí server na 127.0.0.1")
    parser.add_argument("--port", type=number_in(1, 65535, "port", "--port 8000", integer=True), default=8000,
                        help="u `book --serve`: port")
    parser.add_argument("--facts", help="vyhodnotí uložená fakta ze souboru místo připojení ke stroji")
    parser.add_argument("--save-facts", help="uloží zjištěná fakta do souboru")
    parser.add_argument("--out", help="u `grade` a `regrade`: adresář s výsledky a databází hodnocení (výchozí hodnoceni)")
    parser.add_argument("--concurrency", type=number_in(1, 64, "strojů najednou", "--concurrency 8", integer=True),
                        default=8, help="u `grade`: kolik strojů najednou")
    parser.add_argument("--run", type=number_in(1, 10**9, "číslo běhu", "--run 3", integer=True),
                        help="u `regrade`: číslo běhu hodnocení")
    parser.add_argument("--policy", metavar="SOUBOR",
                        help="u `grade` a `regrade`: pravidla hodnocení (omluvy, termín, známky), soubor TOML")
    parser.add_argument("--import", dest="import_path", metavar="CESTA",
                        help="u `grade`: soubory odevzdání ze složky nebo ZIPu z Moodlu místo připojení ke strojům")
    parser.add_argument("--roster", metavar="SOUBOR", help="u `grade --import`: soupiska třídy (CSV)")
    parser.add_argument("--vagrant", type=int, nargs="?", const=0, metavar="N",
                        help="u `roster`: soupiska pro N strojů z Vagrantfilu (jinak podle KURZ_STUDENTS)")
    parser.add_argument("--profile", choices=("vm", "appengine", "svs"), default="vm",
                        help="druh nasazení: vm (kurzový stroj), appengine, svs")
    parser.add_argument("--ca-file", help="u `web`: certifikát certifikační autority pro HTTPS")
    parser.add_argument("--svs-domain", help="u profilu svs: doména webu (jinak ze souboru .svs v projektu)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in argv
    report = TerminalReport(no_color="--no-color" in argv)
    try:
        if argv[:1] == ["class"]:
            from checkers.classroom.commands import class_command

            return int(class_command(argv[1:]))
        args = build_parser().parse_intermixed_args(argv)
        return int(dispatch(args, report))
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
        from checkers.progress import path_problem

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


def dispatch(args: argparse.Namespace, report: TerminalReport) -> int:
    course = load_course()
    command = (args.command or "").strip()
    if not command:
        return show_overview(course, args, report)
    if command == "list":
        return show_list(course, args, report)
    if command == "status":
        return show_status(course, args, report)
    if command == "hint":
        return show_hint(course, args, report)
    if command == "target":
        from checkers.targets import save_default_target

        extra_args(args, 1)
        if args.args:
            save_default_target(args.args[0])
        report.note(f"Výchozí cíl: {default_target()}")
        return int(ExitCode.OK)
    if command == "lint":
        from checkers.course_lint import lint

        problems = lint(course)
        for problem in problems:
            report.error(problem, "")
        if not problems:
            checks = sum(len(s.checks) for s in course.steps)
            report.note(f"Data kurzu jsou v pořádku: {plural(len(course.steps), 'krok', 'kroky', 'kroků')}, "
                        f"{plural(checks, 'kontrola', 'kontroly', 'kontrol')}.")
        return int(ExitCode.TO_FIX if problems else ExitCode.OK)
    if command == "book":
        from checkers.book import run_book

        return run_book(serve=args.serve, port=args.port)
    if command == "doctor":
        from checkers.doctor_cli import run_doctor

        return run_doctor(course, args, report)
    if command in ("grade", "regrade", "roster"):
        from checkers.grading.cli import run_grading

        return run_grading(command, course, args, report)
    if command == "web":
        from checkers.web.cli import run_web

        return run_web(course, args, report)
    if command == "all":
        return check_steps(course, list(course.required_steps), "all", args, report)
    if command == "next":
        state = ProgressStore(state_dir()).load()
        upcoming = first_unfinished(course, state)
        if upcoming is None:
            report.note("Všechny kroky jsou splněné. Ověřit je znovu můžete příkazem `./kurz all`.")
            return int(ExitCode.OK)
        return check_steps(course, [upcoming], upcoming.id, args, report)
    if command == "watch":
        return watch(course, args, report)
    if command == "submit":
        from checkers.classroom.submit import run_submit

        return run_submit(course, args, report)
    step = course.step(command)
    extra_args(args, 0)
    if args.profile == "vm" and step.profile in ("appengine", "svs"):
        args.profile = step.profile  # `svs` alone means `--profile svs svs`
    steps = [step]
    if args.profile == "svs" and step.profile == "svs":
        steps.append(course.step("web"))  # the same run checks https://<domain>/ as a visitor
    return check_steps(course, steps, step.id, args, report)


def extra_args(args: argparse.Namespace, allowed: int) -> None:
    if len(args.args) > allowed:
        raise CheckerError(f"Nečekaný argument „{args.args[allowed]}“.", "Nápovědu vypíše `./kurz --help`.")


def target_options(args: argparse.Namespace) -> TargetOptions:
    return TargetOptions(spec=args.target or default_target(), identity=args.identity, ssh_config=args.ssh_config,
                         host_key=args.host_key, connect_timeout=min(15.0, args.timeout))


def gather_facts(course: Course, args: argparse.Namespace, report: TerminalReport, transport=None) -> tuple[dict, str]:
    """Facts from --facts, or from the target through one probe run; returns (facts, target label)."""
    from checkers import facts as facts_mod
    from checkers import session

    if args.facts:
        loaded = facts_mod.load(args.facts)
        return loaded, facts_mod.dig(loaded, "gathered.target", "uložená fakta")
    from checkers.probe_bundle import prepare_in_background
    from checkers.targets import open_transport

    options = target_options(args)
    if args.save_facts:
        writable_file(Path(args.save_facts), "--save-facts")
    owned = transport is None
    if owned:
        prepare_in_background()
        with report.spinner(f"Připojuji se k {options.spec}…"):
            transport = open_transport(options)
    project = args.project
    if project and transport.label == "local":
        project = os.path.abspath(project)  # "--project ." means the current directory
        if os.path.exists(project) and not os.path.isdir(project):
            raise CheckerError(f"{args.project} zadaný v --project je soubor, ne adresář s projektem.",
                               "Zadejte adresář, ve kterém je manage.py, např. `--project /srv/my_project`.")
    params = session.probe_params(course, project, args.profile, transport)
    if args.svs_domain:
        params["svs_domain"] = args.svs_domain
    try:
        with report.spinner(f"Zkoumám stroj {transport.label}…"):
            found = session.collect(transport, params, args.timeout)
    finally:
        if owned:
            transport.close()
    if args.profile == "svs":
        from checkers.web.cli import add_live_facts

        add_live_facts(found, args, report)
    if args.save_facts:
        try:
            facts_mod.save(found, Path(args.save_facts))
        except OSError as exc:
            from checkers.progress import storage_problem

            session.STORAGE_WARNINGS.append(storage_problem(exc, Path(args.save_facts)))
    return found, transport.label


def writable_file(path: Path, option: str) -> None:
    """Refuse, before anything is done, a file we could not write (a directory, no such directory
    that can be made, no rights)."""
    try:
        is_dir = path.is_dir()
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        usable = parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)
    except OSError as exc:  # a name too long, a loop of links…
        raise CheckerError(f"Cesta zadaná v {option} nejde použít ({exc.strerror}).",
                           f"Zadejte kratší a platnou cestu, např. `{option} fakta.json`.") from exc
    if is_dir:
        raise CheckerError(f"{path} zadaný v {option} je adresář, ne soubor.",
                           f"Zadejte jméno souboru, např. `{option} fakta.json`.")
    if not usable:
        raise CheckerError(f"Do {path} zadaného v {option} nejde zapisovat (adresář {parent} "
                           f"{'není adresář' if not parent.is_dir() else 'nemá právo zápisu'}).",
                           f"Zadejte soubor v adresáři, kam smíte zapisovat, např. `{option} fakta.json`.")


def require_project(facts: dict, args: argparse.Namespace) -> None:
    """An explicit --project that is not a Django project is bad input, not the student's step."""
    from checkers.facts import dig

    if args.project and dig(facts, "app.source") == "project" and not dig(facts, "app.manage_py", False):
        where = "neexistuje" if not dig(facts, "app.exists", False) else "neobsahuje manage.py"
        raise CheckerError(f"Adresář {args.project} zadaný v --project {where}, takže to není Django projekt.",
                           "Zadejte adresář, ve kterém je manage.py, např. `--project /srv/my_project`.")


def check_steps(course: Course, steps, label: str, args: argparse.Namespace, report: TerminalReport) -> int:
    from checkers import session
    from checkers.engine import exit_code

    facts, target = gather_facts(course, args, report)
    require_project(facts, args)
    runs = session.evaluate(facts, course, steps)
    warnings = session.record(runs, course, target) if not args.facts else []
    warnings = warnings + class_hook.after_check(course, args, facts, runs, target, label)
    if args.json:
        json_report.emit(json_report.runs_document(runs, target, label))
    else:
        report.runs(runs, course, target)
    for warning in session.STORAGE_WARNINGS + warnings:
        report.warning(warning)
    return int(exit_code([r for run in runs for r in run.results]))


def watch(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    """Re-check one step over a single SSH connection until it passes (or Ctrl-C)."""
    from checkers import session

    extra_args(args, 1)
    if args.args:
        step = course.step(args.args[0])
    else:
        step = first_unfinished(course, ProgressStore(state_dir()).load()) or course.required_steps[-1]
    report.note(f"Hlídám krok {step.id} – {step.title}. Ukončíte Ctrl-C.")
    with session.connected(target_options(args)) as transport:
        previous = None
        while True:
            facts, target = gather_facts(course, args, report, transport)
            run = session.evaluate(facts, course, [step])[0]
            signature = [(r.id, r.status) for r in run.results]
            if signature != previous:
                session.record([run], course, target)
                for warning in class_hook.after_check(course, args, facts, [run], target, step.id):
                    report.warning(warning)
                if not args.json:
                    report.note(f"[dim]{time.strftime('%H:%M:%S')}[/dim]")
                    report.runs([run], course, target)
                previous = signature
            if run.status == "passed":
                if args.json:
                    json_report.emit(json_report.runs_document([run], target, step.id))
                return int(ExitCode.OK)
            time.sleep(max(0.5, args.interval))


def show_overview(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    return show_stored_progress(course, args, report, report.overview)


def show_status(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    return show_stored_progress(course, args, report, report.status)


def show_stored_progress(course: Course, args: argparse.Namespace, report: TerminalReport, render) -> int:
    """The stored progress, without contacting the target (overview or per-step status)."""
    store = ProgressStore(state_dir())
    state = store.load()
    if args.json:
        json_report.emit(json_report.status_document(course, state))
    else:
        render(course, state)
    for warning in store.warnings:
        report.warning(warning)
    return int(ExitCode.OK)


def show_list(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    if args.json:
        json_report.emit(json_report.list_document(course))
    else:
        report.step_list(course)
    return int(ExitCode.OK)


def show_hint(course: Course, args: argparse.Namespace, report: TerminalReport) -> int:
    if not args.args:
        raise CheckerError("Ke kterému kroku chcete nápovědu?", "Napište např. `./kurz hint step3`.")
    extra_args(args, 1)
    step = course.step(args.args[0])
    revealed = ProgressStore(state_dir()).reveal_hints(step.id, len(step.hints), args.more)
    if args.json:
        json_report.emit({"schema": json_report.SCHEMA, "step": step.id, "hints": list(step.hints[:revealed]),
                          "revealed": revealed, "total": len(step.hints)})
    else:
        report.hints(step, revealed)
    return int(ExitCode.OK)
