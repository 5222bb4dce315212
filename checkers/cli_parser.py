"""The command line's grammar: argparse sub-commands with Czech help and Czech errors.

Options that say where the facts come from and how to show them (--target, --json…) are accepted
before and after the command; each command adds its own. `./kurz 3` and `./kurz step3` are a
shorthand for `./kurz check step3`.
"""

from __future__ import annotations

import argparse

from checkers.arguments import CzechArgumentParser, CzechHelpFormatter, number_in
from checkers.errors import CheckerError

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
  new-check ID --step KROK  (autor kurzu) založí novou kontrolu (kód, texty, krok, fixture)
  submit [--out SOUBOR]  zkontroluje všechny kroky a uloží odevzdání pro Moodle
  class join|status|leave  připojení ke třídě: kontroly se odesílají vyučujícímu
  class serve|export  (učitel) server třídy s živým přehledem a výsledky

Volby u jednotlivých příkazů vypíše např. `./kurz watch --help`.
"""


COMMON_DEFAULTS = {"target": None, "project": None, "identity": None, "ssh_config": None, "host_key": "accept-new",
                   "json": False, "timeout": 180, "no_color": False, "facts": None, "save_facts": None,
                   "profile": "vm", "ca_file": None, "svs_domain": None}


def add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """The options every command accepts. On the sub-commands their defaults are suppressed, so a
    value given before the command is not overwritten by a default after it."""
    def default(name):
        return argparse.SUPPRESS if suppress else COMMON_DEFAULTS[name]

    parser.add_argument("--target", default=default("target"),
                        help="kde web běží: vagrant (výchozí), vagrant:JMÉNO, lab, local, ssh://uživatel@stroj[:port]")
    parser.add_argument("--project", default=default("project"),
                        help="cesta k Django projektu na cílovém stroji (výchozí /srv/my_project)")
    parser.add_argument("--identity", default=default("identity"), help="soubor se soukromým SSH klíčem (pro ssh://)")
    parser.add_argument("--ssh-config", default=default("ssh_config"),
                        help="SSH konfigurace (např. výstup `vagrant ssh-config`)")
    parser.add_argument("--host-key", choices=("accept-new", "strict", "off"), default=default("host_key"),
                        help="ověřování klíče stroje: accept-new (výchozí) zapamatuje nový stroj a odmítne změněný klíč")
    parser.add_argument("--json", action="store_true", default=default("json"), help="výstup jako JSON")
    parser.add_argument("--timeout", type=number_in(1, 86400, "limit v sekundách", "--timeout 300"),
                        default=default("timeout"), help="limit pro sondu v sekundách (výchozí 180)")
    parser.add_argument("--no-color", action="store_true", default=default("no_color"), help="bez barev")
    parser.add_argument("--facts", default=default("facts"),
                        help="vyhodnotí uložená fakta ze souboru místo připojení ke stroji")
    parser.add_argument("--save-facts", default=default("save_facts"), help="uloží zjištěná fakta do souboru")
    parser.add_argument("--profile", choices=("vm", "appengine", "svs"), default=default("profile"),
                        help="druh nasazení: vm (kurzový stroj), appengine, svs")
    parser.add_argument("--ca-file", default=default("ca_file"),
                        help="u `web`: certifikát certifikační autority pro HTTPS")
    parser.add_argument("--svs-domain", default=default("svs_domain"),
                        help="u profilu svs: doména webu (jinak ze souboru .svs v projektu)")


def _parser(cls_kwargs: dict, **kwargs) -> argparse.ArgumentParser:
    parser = CzechArgumentParser(formatter_class=CzechHelpFormatter, add_help=False, **cls_kwargs, **kwargs)
    parser._positionals.title = "argumenty"
    parser._optionals.title = "volby"
    parser.add_argument("-h", "--help", action="help", help="vypíše tuto nápovědu")
    return parser


# name → (help, how to add its own arguments); the order is the order of `--help`
def _check(p):
    p.add_argument("step", help="krok (step3 nebo 3)")


def _watch(p):
    p.add_argument("step", nargs="?", help="krok (výchozí: první nesplněný)")
    p.add_argument("--interval", type=number_in(0.5, 86400, "pauza v sekundách", "--interval 5"), default=5,
                   help="pauza mezi kontrolami v sekundách")


def _hint(p):
    p.add_argument("step", nargs="?", help="krok (step3 nebo 3)")
    p.add_argument("--more", action="store_true", help="odkryje další nápovědu")


def _target(p):
    p.add_argument("spec", nargs="?", metavar="CÍL", help="nový výchozí cíl")


def _book(p):
    p.add_argument("--serve", action="store_true", help="spustí server na 127.0.0.1")
    p.add_argument("--port", type=number_in(1, 65535, "port", "--port 8000", integer=True), default=8000,
                   help="port serveru knihy")


def _out(p):
    p.add_argument("--out", help="adresář s výsledky a databází hodnocení (výchozí hodnoceni)")


def _policy(p):
    p.add_argument("--policy", metavar="SOUBOR",
                   help="pravidla hodnocení (omluvy, termín, známky), soubor TOML")


def _grade(p):
    p.add_argument("roster_file", nargs="?", metavar="SOUPISKA", help="soupiska třídy (CSV)")
    _out(p)
    p.add_argument("--concurrency", type=number_in(1, 64, "strojů najednou", "--concurrency 8", integer=True),
                   default=8, help="kolik strojů najednou")
    p.add_argument("--import", dest="import_path", metavar="CESTA",
                   help="soubory odevzdání ze složky nebo ZIPu z Moodlu místo připojení ke strojům")
    p.add_argument("--roster", metavar="SOUBOR", help="u `grade --import`: soupiska třídy (CSV)")
    _policy(p)


def _regrade(p):
    _out(p)
    p.add_argument("--run", type=number_in(1, 10**9, "číslo běhu", "--run 3", integer=True),
                   help="číslo běhu hodnocení")
    _policy(p)


def _submit(p):
    p.add_argument("--out", metavar="SOUBOR", help="kam odevzdání uložit (soubor nebo adresář; výchozí "
                                                    "aktuální adresář)")


def _class(p):
    """join, status, leave, serve, export: each a parser of its own under `class`."""
    from checkers.commands.classroom import HELP

    p.description = HELP
    subs = p.add_subparsers(dest="class_command", metavar="PODPŘÍKAZ", title="podpříkazy",
                            parser_class=CzechArgumentParser)
    for name, (help_text, add_own) in CLASS_COMMANDS.items():
        sub = _sub_parser(subs, name, help_text, f"./kurz class {name}")
        add_own(sub)
        if name != "serve":  # serve runs until Ctrl-C: there is no document to print
            sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="výstup jako JSON")
        sub.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS, help="bez barev")


def _class_join(p):
    p.add_argument("address", metavar="ADRESA", help="adresa serveru třídy, jak ji ukazuje vyučující")
    p.add_argument("--code", required=True, metavar="KÓD", help="kód třídy (např. ABCD-1234)")
    p.add_argument("--name", metavar="JMÉNO", help="vaše jméno, jak je na soupisce (jinak se zeptá)")
    p.add_argument("--fingerprint", metavar="SHA256:…", help="otisk certifikátu serveru (u HTTPS)")


def _class_status(p):
    p.add_argument("--send", action="store_true", help="nejdřív odešle, co čeká ve frontě")


def _class_serve(p):
    p.add_argument("--roster", metavar="SOUPISKA", help="připojit se smí jen studenti ze soupisky (jako u grade)")
    p.add_argument("--host", default="0.0.0.0", metavar="ADRESA",
                   help="kde server poslouchá (výchozí 0.0.0.0 = celá síť učebny)")
    p.add_argument("--port", type=number_in(0, 65535, "port", "--port 8765", integer=True), default=8765,
                   help="port (výchozí 8765; 0 = volný port)")
    p.add_argument("--tls", action="store_true", help="HTTPS s vlastním certifikátem; studenti si ověří jeho otisk")
    p.add_argument("--out", default="hodnoceni", metavar="ADRESÁŘ",
                   help="databáze hodnocení a klíče serveru (výchozí hodnoceni, stejná jako u grade)")
    p.add_argument("--stuck-minutes", type=number_in(0.001, 1440, "minuty", "--stuck-minutes 10"), default=10.0,
                   metavar="N", help="po kolika minutách na stejné chybě je student na nástěnce zvýrazněný (10)")
    _policy(p)
    p.epilog = "Heslo učitele se zadá při startu, nebo v proměnné KURZ_TEACHER_PASSWORD."


def _class_export(p):
    p.add_argument("--out", default="hodnoceni", metavar="ADRESÁŘ",
                   help="adresář serveru třídy (jeho --out; výchozí hodnoceni); sem se zapíšou výsledky")
    p.add_argument("--roster", metavar="SOUPISKA", help="soupiska třídy (CSV): kdo do třídy patří")
    _policy(p)


def _roster(p):
    p.add_argument("--vagrant", type=int, nargs="?", const=0, metavar="N",
                   help="soupiska pro N strojů z Vagrantfilu (jinak podle KURZ_STUDENTS)")


def _new_check(p):
    p.add_argument("check_id", nargs="?", metavar="ID", help="id nové kontroly, např. nginx.E010")
    p.add_argument("--step", help="krok, do kterého kontrola patří (např. step7)")


def _nothing(p):
    pass


COMMANDS = {
    "check": ("zkontroluje jeden krok (zkráceně: ./kurz step3, ./kurz 3)", _check),
    "all": ("zkontroluje všechny kroky", _nothing),
    "next": ("zkontroluje první nesplněný krok", _nothing),
    "list": ("seznam kroků a jejich kontrol", _nothing),
    "status": ("uložený postup (bez připojení ke stroji)", _nothing),
    "hint": ("nápověda ke kroku", _hint),
    "watch": ("kontroluje znovu a znovu, dokud krok nesplníte", _watch),
    "doctor": ("najde příčinu, proč web nejede", _nothing),
    "book": ("sestaví knihu kurzu", _book),
    "grade": ("(učitel) oznámkuje celou třídu", _grade),
    "regrade": ("(učitel) přepočítá uložené výsledky", _regrade),
    "roster": ("(učitel) vypíše soupisku strojů", _roster),
    "web": ("zkontroluje živý web na adrese --target", _nothing),
    "target": ("ukáže nebo nastaví výchozí cíl", _target),
    "lint": ("(autor kurzu) zkontroluje data kurzu", _nothing),
    "new-check": ("(autor kurzu) založí novou kontrolu", _new_check),
    "submit": ("zkontroluje všechny kroky a uloží odevzdání pro Moodle", _submit),
    "class": ("připojení ke třídě (join, status, leave); server třídy (serve, export)", _class),
}
CLASS_COMMANDS = {
    "join": ("připojí se ke třídě; od té doby se každá kontrola odešle vyučujícímu", _class_join),
    "status": ("připojení ke třídě a fronta odevzdání", _class_status),
    "leave": ("odešle, co čeká, a odpojí se od třídy", _nothing),
    "serve": ("(učitel) spustí server třídy s živou nástěnkou", _class_serve),
    "export": ("(učitel) zapíše výsledky třídy (grades.csv, moodle.csv, grades.json, report.html)",
               _class_export),
}
NO_COMMON = {"class"}  # the class server's commands take no target: only --json and --no-color


def build_parser() -> argparse.ArgumentParser:
    parser = _parser({}, prog="./kurz", usage=USAGE, description=DESCRIPTION)
    add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="PŘÍKAZ", title="příkazy",
                                     parser_class=CzechArgumentParser)
    for name, (help_text, add_own) in COMMANDS.items():
        sub = _sub_parser(commands, name, help_text, f"./kurz {name}")
        add_own(sub)
        if name not in NO_COMMON:
            add_common(sub, suppress=True)
    return parser


def _sub_parser(subparsers, name: str, help_text: str, prog: str) -> argparse.ArgumentParser:
    sub = subparsers.add_parser(name, help=help_text, description=help_text, formatter_class=CzechHelpFormatter,
                                add_help=False, prog=prog)
    sub._positionals.title = "argumenty"
    sub._optionals.title = "volby"
    sub.add_argument("-h", "--help", action="help", help="vypíše tuto nápovědu")
    return sub


def with_step_shorthand(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """`./kurz 3 --json` → `./kurz check 3 --json`: the first word that is no command is a step."""
    index = _command_index(argv, parser)
    if index is None or argv[index] in COMMANDS:
        return argv
    return argv[:index] + ["check"] + argv[index:]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args, unknown = parser.parse_known_args(with_step_shorthand(list(argv), parser))
    if unknown:  # argparse would name the top parser; the help that lists the options is the command's
        words = ["./kurz", args.command, getattr(args, "class_command", None)]
        raise CheckerError(f"Neplatné parametry: neznámé parametry: {' '.join(unknown)}",
                           f"Nápovědu vypíše `{' '.join(w for w in words if w)} --help`.")
    return args


def _takes_value(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions if action.option_strings and action.nargs is None
            and not isinstance(action, (argparse._StoreTrueAction, argparse._HelpAction))
            for option in action.option_strings}


def _command_index(argv: list[str], parser: argparse.ArgumentParser) -> int | None:
    """Where the first word that is not an option (nor an option's value) stands."""
    takes_value = _takes_value(parser)
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            return None
        if not word.startswith("-"):
            return index
        index += 2 if word in takes_value else 1
    return None
