"""From the command line's options to a facts source (checkers.sources.Spec), with the checks of
bad input that must come before anything is done."""

from __future__ import annotations

import os
from pathlib import Path

from checkers import session
from checkers.commands.base import Context
from checkers.errors import CheckerError
from checkers.facts import dig
from checkers.sources import Gathered, Spec, gather
from checkers.targets import TargetOptions, default_target


def target_options(args) -> TargetOptions:
    return TargetOptions(spec=args.target or default_target(), identity=args.identity, ssh_config=args.ssh_config,
                         host_key=args.host_key, connect_timeout=min(15.0, args.timeout))


def facts_for(ctx: Context, transport=None) -> Gathered:
    """Facts from --facts, or from the target through one probe run (reusing `transport` if given)."""
    args = ctx.args
    if args.facts:
        return gather(Spec("file", path=Path(args.facts)), ctx.report)
    save_to = Path(args.save_facts) if args.save_facts else None
    if save_to:
        writable_file(save_to, "--save-facts")
    options = target_options(args)
    project = args.project
    if project and (transport.label if transport else options.spec) == "local":
        project = os.path.abspath(project)  # "--project ." means the current directory
        if os.path.exists(project) and not os.path.isdir(project):
            raise CheckerError(f"{args.project} zadaný v --project je soubor, ne adresář s projektem.",
                               "Zadejte adresář, ve kterém je manage.py, např. `--project /srv/my_project`.")
    params = session.probe_params(ctx.course, project, args.profile)
    if args.svs_domain:
        params["svs_domain"] = args.svs_domain
    spec = Spec("probe", target=options, transport=transport, params=params, timeout=args.timeout,
                live=args.profile == "svs", ca_file=args.ca_file, request_timeout=args.timeout, save_to=save_to)
    gathered = gather(spec, ctx.report)
    require_project(gathered.facts, args)
    return gathered


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


def require_project(facts: dict, args) -> None:
    """An explicit --project that is not a Django project is bad input, not the student's step."""
    if args.project and dig(facts, "app.source") == "project" and not dig(facts, "app.manage_py", False):
        where = "neexistuje" if not dig(facts, "app.exists", False) else "neobsahuje manage.py"
        raise CheckerError(f"Adresář {args.project} zadaný v --project {where}, takže to není Django projekt.",
                           "Zadejte adresář, ve kterém je manage.py, např. `--project /srv/my_project`.")
