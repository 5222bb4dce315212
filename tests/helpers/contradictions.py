"""Messages that contradict the facts they were made from (issue 13: "no message contradicts the
facts"). Each rule pairs a claim a message can make with the fact that would refute it, as seen
by the privileged probe: a path said to be missing that the probe found, a service said to be
down that ran during the whole probe, an app server said not to run that answered.
"""

from __future__ import annotations

import re

PATH = re.compile(r"(/[\w.@+-]+(?:/[\w.@+-]+)*)")
ABSENT = ("neexistuje", "není žádný", "tam nic není", "chybí")


def _existing_paths(facts: dict) -> set[str]:
    found = set()
    for chain in ((facts.get("paths") or {}).get("chains") or {}).values():
        for link in chain:
            if not link.get("missing"):
                found.add(link["path"])
    return found


def _service_ran_throughout(facts: dict) -> bool:
    systemd = facts.get("systemd") or {}
    name = (facts.get("app") or {}).get("unit") or next(iter(systemd.get("app_units") or []), None)
    unit = (systemd.get("units") or {}).get(name) or {}
    later = (systemd.get("resampled") or {}).get(name)
    return (unit.get("active_state") == "active" and bool(later) and later.get("active_state") == "active"
            and later.get("main_pid") == unit.get("main_pid"))


def contradictions(facts: dict, results, diagnoses=()) -> list[str]:
    """Human-readable contradictions between failing results / doctor's findings and the facts."""
    existing = _existing_paths(facts)
    found = []
    texts = [(r.id, r.message) for r in results if r.status.value in ("failed", "advice")]
    texts += [(d.id, f"{d.title} {d.evidence} {d.message}") for d in diagnoses]
    for check_id, message in texts:
        lowered = message.lower()
        for path in PATH.findall(message):
            clause = lowered[lowered.find(path.lower()):][:120]
            if path.rstrip("/") in existing and any(word in clause for word in ABSENT):
                found.append(f"{check_id}: says {path} is missing, the privileged probe found it: {message}")
        if check_id == "systemd.E003" and _service_ran_throughout(facts) and "neběží" in lowered:
            found.append(f"{check_id}: says the service is down, it ran through the whole probe: {message}")
        if "venv" in check_id or check_id == "project.E002":
            if (facts.get("django") or {}).get("django_version") and "spadl" in lowered:
                found.append(f"{check_id}: says the venv crashed, Django ran in it: {message}")
    return found
