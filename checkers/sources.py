"""Where facts come from: one interface for every command, `gather(spec) -> Gathered`.

Kinds of source:
  probe        the probe, run once over a transport (ssh, vagrant, lab, local); with `live` also
               https://<domain>/ looked at from here afterwards (the SVS profile)
  file         facts saved by an earlier run (--facts)
  live         a URL looked at from here (`web`, a roster row with a URL)
  submission   the facts inside a document a student's checker sent to the class server or
               that a teacher imports (already validated by checkers.class_protocol)
  stored       facts a gradebook holds (regrade)
Every probe and live source keeps a copy under state_dir()/facts (`keep`); what could not be
stored is a warning of the result, never an error of the run.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from checkers.errors import CheckerError
from checkers.facts import SCHEMA, dig, slug
from checkers.paths import state_dir
from checkers.storage import storage_problem, write_atomic
from checkers.targets import TargetOptions
from checkers.targets.base import Transport

KINDS = ("probe", "file", "live", "submission", "stored")


@dataclass(frozen=True)
class Spec:
    kind: str
    target: TargetOptions | None = None  # probe: where to connect (unless `transport` is given)
    transport: Transport | None = None  # probe: an open connection to reuse (watch, class grading)
    params: dict = field(default_factory=dict)  # probe: what to look for (session.probe_params)
    timeout: float = 180.0  # probe: the whole run's limit
    live: bool = False  # probe: also look at https://<svs domain>/ from here
    path: Path | None = None  # file
    url: str | None = None  # live
    ca_file: str | None = None  # live
    request_timeout: float = 30.0  # live: per request
    document: dict | None = None  # submission: the whole document; stored: the facts
    keep: bool = True  # store a copy under state_dir()/facts
    save_to: Path | None = None  # --save-facts


@dataclass
class Gathered:
    facts: dict
    label: str  # the target as the student knows it
    warnings: list[str] = field(default_factory=list)


class _Quiet:
    @contextlib.contextmanager
    def spinner(self, text: str):
        yield


def gather(spec: Spec, progress=None) -> Gathered:
    """The facts `spec` names. `progress.spinner(text)` shows what is going on (a terminal's spinner)."""
    progress = progress or _Quiet()
    if spec.kind == "file":
        facts = load(spec.path)
        gathered = Gathered(facts, dig(facts, "gathered.target", "uložená fakta"))
    elif spec.kind == "submission":
        facts = (spec.document or {}).get("facts")
        if not isinstance(facts, dict) or facts.get("schema") != SCHEMA:
            raise CheckerError("Odevzdání neobsahuje fakta, kterým checker rozumí.", "Odevzdejte znovu "
                               "příkazem `python -m checkers submit`.")
        gathered = Gathered(facts, str((spec.document or {}).get("target") or dig(facts, "gathered.target", "?")))
    elif spec.kind == "stored":
        gathered = Gathered(spec.document or {}, dig(spec.document, "gathered.target", "uložená fakta"))
    elif spec.kind == "live":
        gathered = _live(spec, progress)
    elif spec.kind == "probe":
        gathered = _probe(spec, progress)
    else:
        raise ValueError(f"unknown facts source {spec.kind!r}")
    if spec.save_to:
        _store(gathered, spec.save_to, "")
    return gathered


def submission_facts(document: dict) -> dict:
    """The facts of a class submission (the server's and `grade --import`'s one way in)."""
    return gather(Spec("submission", document=document, keep=False)).facts


def _probe(spec: Spec, progress) -> Gathered:
    from checkers.gather import gather as run_probe
    from checkers.probe_bundle import prepare_in_background
    from checkers.targets import open_transport

    transport = spec.transport
    if transport is None:
        prepare_in_background()
        with progress.spinner(f"Připojuji se k {spec.target.spec}…"):
            transport = open_transport(spec.target)
    # A course VM reached on loopback is port-forwarded: the browser sends Host/Origin with its port.
    params = dict(spec.params, browser_port=spec.params.get("browser_port") if getattr(transport, "loopback", False) else None)
    try:
        with progress.spinner(f"Zkoumám stroj {transport.label}…"):
            facts = run_probe(transport, params, spec.timeout)
    finally:
        if spec.transport is None:
            transport.close()
    gathered = Gathered(facts, transport.label)
    if spec.keep:
        _store(gathered, state_dir() / "facts" / f"{slug(transport.label)}.json",
               " Fakta z této kontroly se neuložila.")
    if spec.live:
        from checkers.web.live import add_live_facts

        add_live_facts(facts, spec.ca_file, spec.request_timeout, progress)
    return gathered


def _live(spec: Spec, progress) -> Gathered:
    from checkers.web.live import collect_live, fatal_error, live_document

    url = spec.url or ""
    live = collect_live(url, spec.ca_file, spec.request_timeout, progress)
    if live.get("fatal"):
        raise fatal_error(live)
    facts = live_document(url, live, {"url": url, "profile": "url", "ca_file": bool(spec.ca_file)})
    gathered = Gathered(facts, url)
    if spec.keep:
        _store(gathered, state_dir() / "facts" / f"web-{slug(urlsplit(url).hostname or url)}.json", "")
    return gathered


def _store(gathered: Gathered, path: Path, consequence: str) -> None:
    """A full or read-only disk must not hide the results: it becomes a warning."""
    try:
        save(gathered.facts, path)
    except OSError as exc:
        gathered.warnings.append(storage_problem(exc, path if not consequence else path.parent) + consequence)


def save(facts: dict, path: Path) -> Path:
    write_atomic(path, json.dumps(facts, ensure_ascii=False, indent=1) + "\n")
    return path


def load(path: Path) -> dict:
    try:
        facts = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckerError(f"Soubor s fakty {path} neexistuje.", "Zkontrolujte cestu v parametru --facts.") from exc
    except (OSError, ValueError) as exc:
        raise CheckerError(f"Soubor s fakty {path} nejde přečíst jako JSON: {exc}.",
                           "Použijte soubor uložený checkerem (--save-facts).") from exc
    if not isinstance(facts, dict) or facts.get("schema") != SCHEMA:
        raise CheckerError(f"Soubor {path} nejsou fakta ve verzi {SCHEMA}.", "Použijte soubor uložený checkerem.")
    return facts
