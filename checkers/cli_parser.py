"""The command line's grammar: argparse sub-commands with Czech help and Czech errors.

Options that say where the facts come from and how to show them (--target, --json…) are accepted
before and after the command; each command adds its own. `./kurz 3` and `./kurz step3` are a
shorthand for `./kurz check step3`.
"""

from __future__ import annotations

import argparse

from checkers.arguments import CzechArgumentParser, CzechHelpFormatter, number_in

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
    p.add_argument("rest", nargs=argparse.REMAINDER, metavar="join|status|leave|serve|export …",
                   help="podpříkaz a jeho volby (`./kurz class --help`)")


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
OWN_GRAMMAR = {"class"}  # commands that parse their own options (no common ones)


def build_parser() -> argparse.ArgumentParser:
    parser = _parser({}, prog="./kurz", usage=USAGE, description=DESCRIPTION)
    add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="PŘÍKAZ", title="příkazy",
                                     parser_class=CzechArgumentParser)
    for name, (help_text, add_own) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text, formatter_class=CzechHelpFormatter,
                                  add_help=False, prog=f"./kurz {name}")
        sub._positionals.title = "argumenty"
        sub._optionals.title = "volby"
        if name not in OWN_GRAMMAR:  # those print their own help (`./kurz class --help`)
            sub.add_argument("-h", "--help", action="help", help="vypíše tuto nápovědu")
        add_own(sub)
        if name not in OWN_GRAMMAR:
            add_common(sub, suppress=True)
    return parser


def with_step_shorthand(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """`./kurz 3 --json` → `./kurz check 3 --json`: the first word that is no command is a step."""
    index = _command_index(argv, parser)
    if index is None or argv[index] in COMMANDS:
        return argv
    return argv[:index] + ["check"] + argv[index:]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    argv = with_step_shorthand(list(argv), parser)
    index = _command_index(argv, parser)
    if index is not None and argv[index] in OWN_GRAMMAR:  # all after the word is theirs, --help too
        args = parser.parse_args(argv[:index])
        args.command, args.rest = argv[index], argv[index + 1:]
        return args
    return parser.parse_args(argv)


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
