"""Causes on the app server's side: the service cannot enter its directory, crashes at start or
cannot create its socket, will not start after a reboot, runs stale code, cannot write uploads;
runserver still running; gunicorn's worker count."""

from __future__ import annotations

import re

from checkers.checks.base import cause, failed, passed
from checkers.checks.causes.helpers import classified, gunicorn_masters, home_status, last_attempt_error
from checkers.checks.service import (app_unit, exec_options, fell_during_probe, journal, missing_from_machine,
                                     sockets, spawn_failure, stability)
from checkers.checks.webfacts import describe_endpoint, gunicorn_processes, upstream
from checkers.factsview import Facts

_BEHIND_502 = ("doctor.D003", "doctor.D005", "doctor.D006", "doctor.D016")


def _working_directory(facts: dict) -> list:
    """systemd could not change to the unit's WorkingDirectory on its last attempt: refused (D010)
    or missing (D032)."""
    unit = app_unit(facts)
    refused = spawn_failure(facts, unit) if unit and unit.get("active_state") != "active" else None
    if not refused or "Changing to the requested working directory failed" not in refused[0]:
        return []
    # systemd's own words tell a refused directory from one that is not there
    missing = "No such file or directory" in refused[0]
    return [("doctor.D032" if missing else "doctor.D010", "", {
        "unit": unit["name"], "line": refused[0], "user": unit.get("user") or "root",
        "workdir": unit.get("working_directory") or "?"})]


# gunicorn's own words when it cannot bind its address (gunicorn/sock.py): "Connection in use: ADDR",
# or "connection to ADDR failed: [Errno N] …"; it retries for a while, then gives up.
BIND_IN_USE = re.compile(r"Connection in use: (.+)$")
BIND_FAILED = re.compile(r"connection to (.+?) failed: \[Errno (\d+)\]")


def socket_not_created(facts: dict):
    """gunicorn started and could not create its socket: the directory is missing (2), its user may
    not write there (13), or the address is taken (98)."""
    unit = app_unit(facts)
    line, _ = _explaining_error(facts, unit) if unit else (None, None)
    in_use, refused = BIND_IN_USE.search(line or ""), BIND_FAILED.search(line or "")
    if not (in_use or refused):
        return passed()
    address = (in_use or refused).group(1).strip()
    reason = "in_use" if in_use else {"2": "missing_dir", "13": "denied", "98": "in_use"}.get(refused.group(2), "other")
    directory = address.rsplit("/", 1)[0] if address.startswith("/") else ""
    runtime = directory[len("/run/"):] if directory.startswith("/run/") else ""
    if reason in ("missing_dir", "denied") and not directory:  # a TCP address (a port below 1024…)
        reason = "other"
    elif reason == "missing_dir" and runtime:
        reason = "missing_run_dir"
    return failed(reason, unit=unit["name"], line=line, address=address, directory=directory or "?",
                  user=unit.get("user") or "root", runtime=runtime)


def _explaining_error(facts: dict, unit: dict):
    """The error of the unit's last start attempt that can explain what the site shows, and how the
    unit behaved (a unit up and serving has no such error: an old one is history)."""
    entries = journal(facts, unit)
    seen = stability(facts, unit)
    if seen.up:
        if home_status(facts) not in (502, 503, 504):
            return None, seen
        if not unit.get("n_restarts"):
            # Caught between a restart and its crash: only the run that is up now can explain the 502.
            entries = [e for e in entries if e.get("inv") == entries[-1].get("inv")] if entries else []
    return last_attempt_error(entries), seen


def gunicorn_crashes(facts: dict):
    unit = app_unit(facts)
    if not unit:
        return passed()
    error, seen = _explaining_error(facts, unit)
    if error is None and not seen.up:
        later = fell_during_probe(facts, unit)
        if later is not None:  # it fell before our eyes, and its log did not say why (yet)
            return failed("unexplained", unit=unit["name"], state=seen.state,
                          later=f"{later.get('active_state')}/{later.get('sub_state')}")
    if error is None or "working directory" in error:
        return passed()
    if seen.kind == "gave_up":
        if seen.socket:
            return failed("gave_up_socket", unit=unit["name"], line=error, state=seen.state, socket=seen.socket)
        return failed("gave_up", unit=unit["name"], line=error, state=seen.state)
    reason = seen.kind if seen.kind in ("crash_loop", "restarted", "inactive") else "other"
    return failed(reason, unit=unit["name"], line=error, failures=seen.failures, state=seen.state)


def _held_by(facts: dict, pid: int) -> set[str]:
    held = {f"unix:{row['path']}" for row in Facts(facts).listening.unix if pid in (row.get("pids") or [])}
    held |= {f"{row['addr']}:{row['port']}" for row in Facts(facts).listening.tcp if pid in (row.get("pids") or [])}
    return held


def foreign_gunicorn(facts: dict):
    """The service cannot stay up, and a gunicorn it did not start (typically the one run by hand in
    step 8) holds the address the service's ExecStart binds: that explains its crashes."""
    unit = app_unit(facts)
    if not unit or stability(facts, unit).up:
        return passed()
    binds = set(exec_options(unit, "-b", "--bind")) or {describe_endpoint(upstream(facts))}
    for master in gunicorn_masters(facts):
        if master.get("pid") == unit.get("main_pid"):
            continue
        held = _held_by(facts, master["pid"]) & binds
        if held:
            return failed(pid=master["pid"], user=master.get("user") or "?", unit=unit["name"],
                          where=", ".join(sorted(held)), command=" ".join(master["argv"])[:120])
    return passed()


def service_not_enabled(facts: dict):
    """Runs now, but nothing starts it after a reboot (neither the service nor a socket is enabled)."""
    unit = app_unit(facts)
    if not unit or unit.get("unit_file_state") in ("enabled", "static", "generated", "indirect", "alias"):
        return passed()
    if any(s.get("unit_file_state") == "enabled" for s in sockets(facts, unit)):
        return passed()
    return failed(unit=unit["name"], state=unit.get("unit_file_state") or "?")


def systemd_cannot_start(facts: dict):
    """systemd does not even start the service's program: what the unit names is not on the
    machine (program, user, environment file) or another step of the spawn fails."""
    unit = app_unit(facts)
    behaviour = stability(facts, unit) if unit else None
    if not unit or behaviour.up:
        return passed()
    line, step = spawn_failure(facts, unit) or (None, None)
    seen = {"unit": unit["name"], "state": behaviour.state}
    missing = missing_from_machine(facts, unit)
    if missing:
        kind, what = missing
        unit_line = {"exec": "ExecStart={path}", "exec_venv": "ExecStart={path}", "user": "User={user}",
                     "env_file": "EnvironmentFile={path}"}[kind].format(**what)
        return failed(kind, line=line or unit_line, **what, **seen)
    if not line or step == "CHDIR":  # the working directory has its own causes (D010, D032)
        return passed()
    if step:
        return failed("other", step=step, line=line, **seen)
    return failed("refused", line=line, **seen)


def stale_code(facts: dict):
    newest = Facts(facts).app.newest_source
    masters = gunicorn_masters(facts)
    if not newest.get("mtime") or not masters:
        return passed()
    if "/migrations/" in "/" + (newest.get("path") or "") and Facts(facts).django.database.unapplied_migrations:
        return passed()  # a new migration not yet applied: that is the cause to name (D024)
    started = min(p.get("started") or 0 for p in masters)
    if started and newest["mtime"] > started + 2:
        return failed(file=newest.get("path"), unit=(app_unit(facts) or {}).get("name", "gunicorn"))
    return passed()


def runserver_running(facts: dict):
    for proc in facts.get("processes") or []:
        if "runserver" in (proc.get("argv") or []):
            return failed(pid=proc.get("pid"), command=" ".join(proc["argv"])[:120], user=proc.get("user") or "?")
    return passed()


def media_root_missing(facts: dict):
    media = Facts(facts).django.media
    if not media.get("root") or media.get("exists") is not False or media.get("root_denied"):
        return passed()
    return failed(root=media["root"])


def media_not_writable(facts: dict):
    root = Facts(facts).django.media.root
    if Facts(facts).django.media.exists is False:
        return passed()  # not there at all: D030 says so
    for row in Facts(facts).paths.app_user_access.results:
        if row.get("need") == "write" and row.get("path") == root and not row.get("ok"):
            return failed(root=root, user=(app_unit(facts) or {}).get("user") or "root")
    return passed()


def workers_advice(facts: dict):
    masters = gunicorn_masters(facts)
    if not masters:
        return passed()
    cpus = Facts(facts).system.cpus or 1
    workers = sum(1 for p in gunicorn_processes(facts) if p.get("ppid") == masters[0].get("pid"))
    recommended = 2 * cpus + 1
    if workers and (workers * 2 < recommended or workers > 2 * recommended):
        return failed(workers=workers, cpus=cpus, recommended=recommended)
    return passed()


CHECKS = (
    cause("doctor.D010", classified("doctor.D010", _working_directory), _BEHIND_502),
    cause("doctor.D032", classified("doctor.D032", _working_directory), _BEHIND_502),
    cause("doctor.D038", systemd_cannot_start, ["doctor.D011", *_BEHIND_502]),
    cause("doctor.D034", foreign_gunicorn, ["doctor.D011", *_BEHIND_502]),
    cause("doctor.D040", socket_not_created, ["doctor.D011", *_BEHIND_502]),
    cause("doctor.D011", gunicorn_crashes, _BEHIND_502),
    cause("doctor.D030", media_root_missing),
    cause("doctor.D022", media_not_writable),
    cause("doctor.D016", stale_code, ["doctor.D036"]),
    cause("doctor.D017", runserver_running),
    cause("doctor.D025", service_not_enabled),
    cause("doctor.A001", workers_advice),
)
