"""Read an OpenSSH client config (as `vagrant ssh-config` or `./kurz lab up` writes it)."""

from __future__ import annotations

from pathlib import Path

import paramiko

from checkers.errors import CheckerError
from checkers.targets.ssh import SSHParams


def params_from_config(text: str, alias: str, source: str, host_key: str, known_hosts: Path | None) -> SSHParams:
    try:
        config = paramiko.SSHConfig.from_text(text)
    except (paramiko.ssh_exception.ConfigParseError, ValueError, TypeError) as exc:
        raise CheckerError(f"SSH konfigurace {source} není ve tvaru ssh_config ({exc}).",
                           "Zadejte soubor, jaký vypíše `vagrant ssh-config` (řádky `Host …`, `HostName …`, `Port …`).") from exc
    if alias not in config.get_hostnames() and "*" not in config.get_hostnames():
        known = ", ".join(sorted(h for h in config.get_hostnames() if h != "*")) or "žádný"
        raise CheckerError(f"V SSH konfiguraci {source} není stroj „{alias}“ (jsou tam: {known}).",
                           "Zadejte jméno stroje z konfigurace, např. `--target ssh://default`.")
    try:
        entry = config.lookup(alias)
        port = int(entry.get("port", 22))
        if not 1 <= port <= 65535:
            raise ValueError(port)
    except (ValueError, TypeError, paramiko.ssh_exception.ConfigParseError) as exc:
        raise CheckerError(f"Záznam stroje „{alias}“ v SSH konfiguraci {source} nejde použít ({exc}).",
                           "Zkontrolujte v něm řádky HostName, Port (číslo 1 až 65535) a User.") from exc
    strict = entry.get("stricthostkeychecking", "").lower()
    known_file = entry.get("userknownhostsfile", "")
    # A Vagrant-style local VM re-keys on every `vagrant up`; follow the config as `vagrant ssh` does.
    effective = "off" if strict == "no" or known_file == "/dev/null" else host_key
    return SSHParams(
        host=entry.get("hostname", alias),
        port=port,
        user=entry.get("user"),
        identity=entry.get("identityfile") or None,
        host_key=effective,
        known_hosts=known_hosts,
        label=f"{alias} ({source})",
        proxy_command=entry.get("proxycommand"),
    )


def read_config(path: Path) -> str:
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckerError(f"SSH konfiguraci {path} nejde přečíst ({exc.strerror}).",
                           "Zkontrolujte cestu v --ssh-config.") from exc
