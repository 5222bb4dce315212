"""The app server's systemd units as facts show them over time: which unit runs the app, its
sockets, and whether it really keeps running (not just "active" at the one moment it was asked).

Shared by the systemd checks (step 9), the app-server checks (step 8) and doctor, so that all
three answer the same question the same way.
"""

from __future__ import annotations

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
    if not unit:
        return []
    entries = Facts(facts).systemd.journal.get(unit["name"]) or []
    return [e for e in entries if isinstance(e, dict)]


@dataclass(frozen=True)
class Stability:
    """How the unit behaved around the probe. `kind`: running · recovered (fell once, is up and
    stayed up during the whole probe) · socket (inactive, its socket starts it on demand) ·
    crash_loop · restarted (changed its process during the probe) · inactive."""

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
    if listening and later and (later.get("active_state") == "failed" or later.get("sub_state") == "auto-restart"):
        return Stability("crash_loop", state, max(len(failures), 1), ago, listening[0])  # the probe's request started it
    if listening and not failures:
        return Stability("socket", state, socket=listening[0])
    if listening and len(failures) >= 2:
        return Stability("crash_loop", state, len(failures), ago, listening[0])
    if listening:  # started by a request once, fell, and is waiting for the next one
        return Stability("socket", state, len(failures), ago, listening[0])
    return Stability("inactive", state, len(failures), ago)
