"""Targets: where the checked deployment lives, and how to open ONE transport to it.

  vagrant / vagrant:NAME   a (multi-machine) Vagrantfile's VM, SSH settings from Vagrant
  lab                      the course VM started without Vagrant (`./kurz lab up`)
  ssh://[user@]host[:port] any SSH host (--identity KEY or --ssh-config FILE)
  local                    this machine
  http(s)://…              a live web site (only for `web`)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from checkers.errors import CheckerError
from checkers.paths import cache_dir, state_dir
from checkers.targets.base import Transport

SCHEMES = "vagrant, vagrant:JMÉNO, lab, local, ssh://uživatel@stroj[:port], https://adresa"


@dataclass
class TargetOptions:
    spec: str
    identity: str | None = None
    ssh_config: str | None = None
    host_key: str = "accept-new"
    connect_timeout: float = 15


@dataclass(frozen=True)
class TargetSpec:
    kind: str  # vagrant | lab | local | ssh | url
    value: str  # machine name, ssh URL, or web URL


def lab_ssh_config() -> Path:
    return cache_dir() / "lab" / "course" / "ssh-config"


def known_hosts_file() -> Path:
    return state_dir() / "known_hosts"


def parse_target(spec: str) -> TargetSpec:
    text = (spec or "").strip()
    if text == "vagrant":
        return TargetSpec("vagrant", "default")
    if text.startswith("vagrant:"):
        name = text.split(":", 1)[1]
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise CheckerError(f"Jméno stroje „{name}“ v cíli {spec} není platné.", "Použijte např. `--target vagrant:student01`.")
        return TargetSpec("vagrant", name)
    if text in ("lab", "local"):
        return TargetSpec(text, text)
    if text.startswith("ssh://"):
        ssh_parts(text)  # refuses what is not ssh://[user@]host[:port]
        return TargetSpec("ssh", text)
    if text.startswith(("http://", "https://")):
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018  (raises for a port out of range)
        except ValueError as exc:
            raise CheckerError(f"Adresa webu {display(text)} není platná.", "Tvar je `https://adresa[:port]/`.") from exc
        if not parts.hostname:
            raise CheckerError(f"V adrese webu {display(text)} chybí jméno stroje.", "Tvar je `https://adresa[:port]/`.")
        return TargetSpec("url", text)
    raise CheckerError(f"Cíl „{spec}“ neznám.", f"Možné cíle: {SCHEMES}.")


SSH_FORM = "Tvar je `ssh://uživatel@stroj[:port]`, např. `ssh://vagrant@192.168.56.10:22`."
HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$")
USER_NAME = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$")


def ssh_parts(spec: str):
    """urlsplit() of an ssh:// target, every part checked: a host name or IP address, a user name,
    a port from 1 to 65535, nothing else (no path, query or password)."""
    import ipaddress

    shown = display(spec)
    try:
        parts = urlsplit(spec)
        hostname = parts.hostname
    except ValueError as exc:  # "[zz]", "[::1;id]": not an IPv6 address in brackets
        raise CheckerError(f"Adresa stroje v cíli {shown} není platná (v hranatých závorkách smí být jen "
                           "IPv6 adresa).", SSH_FORM) from exc
    if not hostname:
        raise CheckerError(f"V cíli {shown} chybí jméno stroje.", SSH_FORM)
    netloc_host = parts.netloc.rpartition("@")[2]
    if netloc_host.startswith("["):
        try:
            ipaddress.IPv6Address(hostname.split("%")[0])
        except ValueError as exc:
            raise CheckerError(f"„{display(hostname)}“ v cíli {shown} není IPv6 adresa.", SSH_FORM) from exc
    elif not HOST_NAME.match(hostname):
        raise CheckerError(f"„{display(hostname)}“ v cíli {shown} není jméno stroje ani IP adresa.", SSH_FORM)
    if parts.username is not None and not USER_NAME.match(parts.username):
        raise CheckerError(f"Uživatel „{display(parts.username)}“ v cíli {shown} není platné jméno uživatele.", SSH_FORM)
    port_text = netloc_host.rpartition("]")[2] if netloc_host.startswith("[") else netloc_host
    if ":" in port_text:
        port = port_text.rsplit(":", 1)[1]
        if not port.isdigit():
            raise CheckerError(f"Port „{display(port)}“ v cíli {shown} není číslo.", SSH_FORM)
        if not 1 <= int(port) <= 65535:
            raise CheckerError(f"Port {int(port)} v cíli {shown} neexistuje: port je číslo od 1 do 65535.", SSH_FORM)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise CheckerError(f"Cíl {shown} má za adresou stroje ještě další text.", SSH_FORM)
    return parts


def display(text: str, limit: int = 80) -> str:
    """A user's text in a message: control characters visible, long text cut."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def open_transport(options: TargetOptions) -> Transport:
    """Connect to the target (one SSH connection at most)."""
    target = parse_target(options.spec)
    if target.kind == "local":
        from checkers.targets.local import LocalTransport

        return LocalTransport()
    if target.kind == "url":
        raise CheckerError("Adresa webu jako cíl funguje jen pro kontrolu živého webu.",
                           f"Použijte `./kurz web --target {options.spec}`.")
    from checkers.targets.ssh import SSHParams, SSHTransport
    from checkers.targets.sshconfig import params_from_config, read_config

    if target.kind == "ssh":
        parts = ssh_parts(target.value)
        if parts.password is not None:  # never repeated in the message
            raise CheckerError("V cíli ssh:// je heslo. Checker se heslem nepřihlašuje (a do příkazové řádky ani "
                               "do soupisky nepatří).", "Přihlaste se SSH klíčem: `--target ssh://uživatel@stroj "
                               "--identity cesta/ke/klíči`.")
        if options.ssh_config:
            params = params_from_config(read_config(Path(options.ssh_config)), parts.hostname, options.ssh_config,
                                        options.host_key, known_hosts_file())
            params.user = parts.username or params.user
            params.port = parts.port or params.port
        else:
            params = SSHParams(host=parts.hostname, port=parts.port or 22, user=parts.username,
                               identity=[options.identity] if options.identity else None,
                               host_key=options.host_key, known_hosts=known_hosts_file())
        if options.identity:
            params.identity = [options.identity]
        params.label = options.spec
        return SSHTransport(params, options.connect_timeout)
    if target.kind == "lab":
        path = lab_ssh_config()
        if not path.exists():
            raise CheckerError("Kurzový stroj bez Vagrantu (lab) neběží – chybí jeho SSH konfigurace.",
                               "Spusťte ho příkazem `./kurz lab up` (nebo `make start`).")
        params = params_from_config(read_config(path), "default", "lab", options.host_key, known_hosts_file())
        params.label = "lab"
        try:
            return SSHTransport(params, options.connect_timeout)
        except CheckerError as exc:
            raise CheckerError(f"Kurzový stroj (lab) neodpovídá: {exc.message}",
                               "Spusťte ho znovu příkazem `./kurz lab up`.") from exc
    return _open_vagrant(target.value, options)


def _open_vagrant(machine_name: str, options: TargetOptions) -> Transport:
    from checkers.targets.ssh import SSHTransport
    from checkers.targets.sshconfig import params_from_config
    from checkers.targets.vagrant import VagrantMachine

    machine = VagrantMachine(machine_name, state_dir())
    was_cached = machine.cached_config() is not None
    label = "vagrant" if machine_name == "default" else f"vagrant:{machine_name}"

    def connect(text: str) -> Transport:
        params = params_from_config(text, _first_host(text), f"vagrant {machine_name}", options.host_key,
                                    known_hosts_file())
        params.label = label
        return SSHTransport(params, options.connect_timeout)

    try:
        return connect(machine.ssh_config())
    except CheckerError:
        if not was_cached:
            raise
        machine.forget()  # the VM changed under the cache: ask Vagrant, which also explains a halted VM
        return connect(machine.ssh_config())


def _first_host(config_text: str) -> str:
    for line in config_text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].lower() == "host":
            return words[1]
    return "default"


def default_target() -> str:
    return os.environ.get("CHECKERS_TARGET") or _configured_target() or "vagrant"


def _configured_target() -> str | None:
    try:
        return json.loads((state_dir() / "config.json").read_text(encoding="utf-8")).get("target")
    except (OSError, ValueError, AttributeError):
        return None


def save_default_target(spec: str) -> None:
    """Remember the target used when --target is not given (`./kurz target SPEC`)."""
    from checkers.storage import write_atomic

    parse_target(spec)  # refuse nonsense before storing it
    write_atomic(state_dir() / "config.json", json.dumps({"target": spec}) + "\n")
