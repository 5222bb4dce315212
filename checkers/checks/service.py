"""The app server's systemd units as facts show them over time: which unit runs the app, its
sockets, and whether it really keeps running (not just "active" at the one moment it was asked).

Shared by the systemd checks (step 9), the app-server checks (step 8) and doctor, so that all
three answer the same question the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from checkers.factsview import Facts, plain

# A failure systemd logged for the unit ("gunicorn.service: Failed with result 'exit-code'.").
FAILURE_MARK = "Failed with result"
# Failures this recent (seconds before the probe started) count as "the service keeps falling".
RECENT = 90


def app_unit(facts: dict) -> dict | None:
    """The unit that runs the app: the one the app was resolved from, else the first app unit."""
    f = Facts(facts)
    name = f.app.unit or next(iter(f.systemd.app_units), None)
    return plain(f.systemd.units.get(name)) if name else None


def exec_options(unit: dict, *names: str) -> list[str]:
    """The values of the options `names` (e.g. "--bind", "-b") in the unit's ExecStart, in order;
    both `--opt VALUE` and `--opt=VALUE`."""
    argv = unit.get("exec_start") or []
    argv = argv.split() if isinstance(argv, str) else argv
    found = []
    for i, arg in enumerate(argv):
        if arg in names and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif "=" in arg and arg.split("=", 1)[0] in names:
            found.append(arg.split("=", 1)[1])
    return found


def sockets(facts: dict, unit: dict) -> list:
    units = Facts(facts).systemd.units
    return [plain(units[s]) for s in unit.get("triggered_by", []) if s in units]


def journal(facts: dict, unit: dict | None) -> list:
    """The unit's journal tail; the one read again at the probe's end when the unit changed
    meanwhile (it holds the crash the first read came too early for)."""
    if not unit:
        return []
    systemd = Facts(facts).systemd
    entries = (plain(systemd.resampled.get(unit["name"])) or {}).get("journal") or systemd.journal.get(unit["name"]) or []
    return [e for e in entries if isinstance(e, dict)]


def fell_during_probe(facts: dict, unit: dict) -> dict | None:
    """The unit's later state when it fell during the probe: systemd restarted it, is about to
    (activating/auto-restart) or marked it failed. Not when it was restarted or stopped by hand
    (that changes the process or ends in inactive/dead, and counts no restart)."""
    later = plain(Facts(facts).systemd.resampled.get(unit["name"]))
    if not later:
        return None
    if later.get("n_restarts", 0) > unit.get("n_restarts", 0) or (
            unit.get("active_state") == "active" and later.get("active_state") in ("failed", "activating")):
        return later
    return None


# systemd's words when it could not start the unit's process at all (before any Python ran):
# a status of 200–243 from the spawn ("status=203/EXEC"), or a refusal before the spawn.
SPAWN_STATUS = re.compile(r"status=2[0-4]\d/([A-Z_]+)")
SPAWN_STEP = re.compile(r"Failed at step ([A-Z_]+) spawning")
REFUSALS = ("Changing to the requested working directory failed", "Failed to load environment files", "Failed at step", "Failed to determine user credentials",
            "Failed to locate executable", "Failed to run 'start' task")


def spawn_failure(facts: dict, unit: dict) -> tuple[str, str | None] | None:
    """systemd's line about the last attempt when that attempt never became the unit's process
    (the most telling one of that attempt: the environment file rather than "start task"), and
    the spawn step that failed (EXEC, USER, …) when systemd named it."""
    entries = journal(facts, unit)
    for i in range(len(entries) - 1, -1, -1):
        message = entries[i].get("msg", "")
        spawn = SPAWN_STATUS.search(message) or any(r in message for r in REFUSALS)
        if not spawn and ("Main process exited" in message or entries[i].get("pid") not in ("1", None)):
            return None  # the program itself ran after that (and exited, or was stopped): not a refused start
        if spawn:
            attempt = [e.get("msg", "") for e in entries[max(0, i - 5):i + 1]]
            line = next((m for r in REFUSALS[:-1] for m in attempt if r in m), message).strip()
            steps = [found[1] for m in attempt for found in [SPAWN_STEP.search(m) or SPAWN_STATUS.search(m)] if found]
            return line, (steps or [None])[0]
    return None


def missing_from_machine(facts: dict, unit: dict) -> tuple[str, dict] | None:
    """What the unit names and the machine does not have, as the probe saw it, so systemd cannot
    start it as written: (kind, seen) for the program of ExecStart ("exec", or "exec_venv" when
    the project's venv has it), the user of User= ("user"), a required EnvironmentFile= ("env_file")."""
    app = Facts(facts).app
    if app.unit == unit["name"] and app.exec_missing:
        if app.exec_in_venv:
            return "exec_venv", {"path": app.exec_missing, "suggestion": app.exec_in_venv}
        return "exec", {"path": app.exec_missing}
    if app.unit == unit["name"] and app.user_missing:
        return "user", {"user": unit.get("user") or "?"}
    absent = [f["path"] for f in unit.get("environment_files") or [] if f.get("error") == "ENOENT" and not f.get("optional")]
    if absent:
        return "env_file", {"path": absent[0]}
    return None


# Results systemd gives when it stops starting a unit after too many starts in StartLimitIntervalSec=
# (the service's own, and the one its socket gets when it may not start the service any more).
START_LIMIT_RESULTS = ("start-limit-hit", "service-start-limit-hit", "trigger-limit-hit")


def _gave_up(facts: dict, unit: dict) -> str | None:
    """None, or "" when systemd stopped starting the service, or the name of its socket systemd
    closed for the same reason (no request reaches anything then)."""
    closed = next((s["name"] for s in sockets(facts, unit) if s.get("active_state") == "failed"
                   and s.get("result") in START_LIMIT_RESULTS), None)
    if closed:
        return closed
    return "" if unit.get("active_state") == "failed" and unit.get("result") in START_LIMIT_RESULTS else None


@dataclass(frozen=True)
class Stability:
    """How the unit behaved around the probe. `kind`: running · recovered (fell once, is up and
    stayed up during the whole probe) · socket (inactive, its socket starts it on demand) ·
    crash_loop · restarted (changed its process during the probe) · gave_up (started too often,
    systemd refuses to start it again; `socket` names its socket systemd closed for that) ·
    inactive."""

    kind: str
    state: str
    failures: int = 0  # failures systemd logged in the last RECENT seconds
    ago: float | None = None  # seconds since the last of them
    socket: str = ""

    @property
    def up(self) -> bool:
        return self.kind in ("running", "recovered", "socket")


def stability(facts: dict, unit: dict) -> Stability:
    state = f"{unit.get('active_state')}/{unit.get('sub_state')}"
    started = Facts(facts).probe.started_at
    failures = [e["t"] for e in journal(facts, unit) if FAILURE_MARK in e.get("msg", "")
                and started and e.get("t", 0) >= started - RECENT]
    ago = round(started - failures[-1], 1) if failures and started else None
    later = plain(Facts(facts).systemd.resampled.get(unit["name"]))
    listening = [s["name"] for s in sockets(facts, unit) if s.get("active_state") == "active"]
    if unit.get("active_state") == "active":
        changed = bool(later) and (later.get("main_pid") != unit.get("main_pid")
                                   or later.get("n_restarts", 0) > unit.get("n_restarts", 0)
                                   or later.get("active_state") != "active")
        if len(failures) >= 2:
            return Stability("crash_loop", state, len(failures), ago)
        if changed:
            return Stability("restarted", state, len(failures), ago)
        if failures:
            return Stability("recovered", state, 1, ago)
        return Stability("running", state)
    if unit.get("sub_state") == "auto-restart" or (unit.get("active_state") == "activating"
                                                   and unit.get("n_restarts", 0) > 0):
        return Stability("crash_loop", state, max(len(failures), 1), ago)
    gave_up = _gave_up(facts, unit)
    if gave_up is not None:
        return Stability("gave_up", state, max(len(failures), 1), ago, gave_up)
    if listening and later and (later.get("active_state") == "failed" or later.get("sub_state") == "auto-restart"):
        return Stability("crash_loop", state, max(len(failures), 1), ago, listening[0])  # the probe's request started it
    if listening and not failures:
        return Stability("socket", state, socket=listening[0])
    if listening and len(failures) >= 2:
        return Stability("crash_loop", state, len(failures), ago, listening[0])
    if listening:  # started by a request once, fell, and is waiting for the next one
        return Stability("socket", state, len(failures), ago, listening[0])
    return Stability("inactive", state, len(failures), ago)
