"""Target → transport → probe → facts: one remote execution per run."""

from __future__ import annotations

import json
import time

from checkers.errors import CheckerError
from checkers.probe_bundle import NO_PYTHON_MARKER, NO_SUDO_MARKER, REMOTE_COMMAND, build_script
from checkers.targets.base import Transport

SCHEMA = 1


def gather(transport: Transport, params: dict, timeout: float) -> dict:
    """Run the probe once on the target and return its facts (with our own metadata)."""
    start = time.monotonic()
    if "django_timeout" not in params:
        # Django's inspection gets half of the run: a project that hangs is then reported as hanging
        # (where it hangs, when known) by a probe that still finishes in time.
        params = dict(params, django_timeout=max(4, min(90, int(timeout / 2))))
    script = build_script(params).encode("utf-8")
    result = transport.run(REMOTE_COMMAND, script, timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.rc == 127 and NO_PYTHON_MARKER in stderr:
        raise CheckerError(
            f"Na cíli {transport.label} chybí python3, takže sonda nemůže běžet.",
            "Nainstalujte ho na cílovém stroji: `sudo apt install python3`.",
        )
    facts = _parse(result.stdout)
    if facts is None:
        from checkers.errors import hide_url_passwords
        from checkers.probe.envelope import MASK, SECRET_ASSIGNMENT

        tail = "\n".join(stderr.strip().splitlines()[-8:])
        tail = hide_url_passwords(SECRET_ASSIGNMENT.sub(lambda m: m.group("name") + m.group("q") + MASK + m.group("q"),
                                                        tail))
        raise CheckerError(
            f"Sonda na cíli {transport.label} nedoběhla (návratový kód {result.rc}).",
            "Tohle není chyba vašeho řešení. Pošlete prosím vyučujícímu tento výpis:\n" + tail,
        )
    if facts.get("schema") != SCHEMA:
        raise CheckerError(f"Sonda vrátila fakta ve verzi {facts.get('schema')}, checker umí verzi {SCHEMA}.",
                           "Aktualizujte checker (git pull).")
    facts["probe"]["sudo"] = "missing" if NO_SUDO_MARKER in stderr else "ok"
    facts["gathered"] = {"target": transport.label, "remote_executions": transport.executions,
                         "seconds": round(time.monotonic() - start, 3), "at": time.time()}
    return facts


def _parse(stdout: bytes) -> dict | None:
    for line in reversed(stdout.decode("utf-8", "replace").strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None
