"""Running `./kurz web` against servers on loopback, and reading its answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.servers import free_port


@dataclass
class Ports:
    app: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)
    https: int = field(default_factory=free_port)


def connect_to(host: str, ports: Ports) -> str:
    """Standard ports of `host` go to our loopback ports; any other port of it to 127.0.0.1 as is."""
    return f"{host}:443:127.0.0.1:{ports.https},{host}:80:127.0.0.1:{ports.http},{host}::127.0.0.1:"


def check_web(home: Path, ports: Ports, *args: str, ca_file: Path | None = None, host: str = "kurz.test",
              url: str | None = None) -> CliRun:
    extra = ["--ca-file", str(ca_file)] if ca_file else []
    return run_cli("web", "--target", url or f"https://{host}/", "--json", "--timeout", "10", *extra, *args,
                   home=home, env={"CHECKERS_CONNECT_TO": connect_to(host, ports)}, timeout=120)


def message(run: CliRun, check_id: str) -> str:
    return next(c["message"] for c in run.json["checks"] if c["id"] == check_id)


def not_passed(run: CliRun) -> dict[str, str]:
    return {c["id"]: c["status"] for c in run.json["checks"] if c["status"] != "passed"}


def saved_facts(home: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (home / "facts").glob("web-*.json"))
