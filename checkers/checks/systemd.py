"""Step 9: gunicorn as a systemd service – valid, enabled, active, not root, can reach its
project and MEDIA_ROOT, restarts on failure, and the whole chain comes back after a reboot.

Socket activation (gunicorn.socket + gunicorn.service) is as good as a plain service."""

from __future__ import annotations

from checkers.checks.base import Check, Level, failed, passed, unknown
from checkers.checks.common import missing_service_variable, settings_unknown
from checkers.checks.service import (app_unit as _app_unit, exec_options, missing_from_machine, sockets as _sockets,
                                     spawn_failure, stability)
from checkers.checks.webfacts import is_django
from checkers.factsview import Facts, fallback

RESTARTING = ("on-failure", "always", "on-abnormal", "on-abort", "on-watchdog")
BOOT_TARGETS = ("multi-user.target", "graphical.target", "default.target")


def unit_valid(facts: dict):
    if not Facts(facts).systemd.available:
        return unknown("no_systemd")
    unit = _app_unit(facts)
    if unit is None:
        return failed("missing")
    if unit.get("load_state") != "loaded":
        return failed("not_loaded", unit=unit["name"], state=unit.get("load_state"))
    if unit.get("need_daemon_reload"):
        return failed("reload", unit=unit["name"])
    kind, missing = missing_from_machine(facts, unit) or (None, {})
    if kind == "exec":  # systemd cannot start it as written
        return failed("exec_missing", unit=unit["name"], **missing)
    if kind == "exec_venv":
        return failed("exec_missing_venv", unit=unit["name"], **missing)
    if kind == "user":
        return failed("user_missing", unit=unit["name"], **missing)
    if kind == "env_file":
        return failed("env_file_missing", unit=unit["name"], **missing)
    verify = Facts(facts).systemd.verify.get(unit["name"], {})
    if verify.get("timed_out"):  # systemd loaded it; the deeper check of its settings did not finish
        return passed("unverified", unit=unit["name"], file=unit.get("fragment_path"), seconds=verify_limit(verify))
    if verify.get("rc", 0) != 0:
        first = next((line for line in verify.get("output", "").splitlines() if line.strip()), "?")
        return failed("invalid", unit=unit["name"], error=first)
    return passed(unit=unit["name"], file=unit.get("fragment_path"))


def verify_limit(verify: dict) -> str:
    """The seconds `systemd-analyze verify` was given, as its timeout line says ("timed out after 20s")."""
    words = (verify.get("output") or "").split()
    return next((w[:-1] for w in words if w.endswith("s") and w[:-1].isdigit()), "?")


def unit_enabled(facts: dict):
    unit = _app_unit(facts)
    if unit.get("unit_file_state") == "enabled":
        return passed(unit=unit["name"])
    enabled_sockets = [s["name"] for s in _sockets(facts, unit) if s.get("unit_file_state") == "enabled"]
    if enabled_sockets:
        return passed("socket", unit=unit["name"], socket=enabled_sockets[0])
    return failed(unit=unit["name"], state=unit.get("unit_file_state"))


def unit_active(facts: dict):
    """Running, and still running: a unit caught "active" between two crashes is not."""
    unit = _app_unit(facts)
    seen = stability(facts, unit)
    common = {"unit": unit["name"], "state": seen.state, "failures": seen.failures, "ago": seen.ago or "?"}
    if seen.kind == "running":
        return passed(unit=unit["name"], since=unit.get("active_enter") or "?")
    if seen.kind == "recovered":
        return passed("recovered", **common)
    if seen.kind == "socket":
        return passed("socket", unit=unit["name"], socket=seen.socket)
    if seen.kind in ("crash_loop", "restarted"):
        broken = Facts(facts).django.settings_error
        if broken and not Facts(facts).django.settings:  # inferred: what makes every start fail
            where = {"error": broken.get("message") or "?", "file": broken.get("file") or "?",
                     "line": broken.get("line") or "?"}
            if seen.kind == "crash_loop":
                return failed("crash_loop_settings", **common, **where)
            return failed("restarted_settings", **common, **where)
        denied = Facts(facts).django.app_user_denied
        if denied:  # inferred: the service's user cannot read what the settings read
            who = {"user": denied.get("user") or "?", "error": denied.get("error") or "?"}
            if seen.kind == "crash_loop":
                return failed("crash_loop_denied", **common, **who)
            return failed("restarted_denied", **common, **who)
        if seen.kind == "crash_loop":
            return failed("crash_loop", **common)
        return failed("restarted", **common)
    if seen.kind == "gave_up":
        result = unit.get("result") or "?"
        if seen.socket:
            return failed("gave_up_socket", unit=unit["name"], state=seen.state, result=result, socket=seen.socket)
        return failed("gave_up", unit=unit["name"], state=seen.state, result=result)
    spawn = spawn_failure(facts, unit)
    if spawn:  # systemd never ran the program: starting it again fails the same way
        return failed("inactive_spawn", unit=unit["name"], state=seen.state, line=spawn[0])
    return failed("inactive", unit=unit["name"], state=seen.state, result=unit.get("result") or "?")


def not_root(facts: dict):
    unit = _app_unit(facts)
    user = unit.get("user")
    if user and user not in ("root", "0"):
        return passed(user=user)
    return failed(unit=unit["name"])


def _access(facts: dict, need: str, path: str | None) -> dict | None:
    for row in Facts(facts).paths.app_user_access.results:
        if row["need"] == need and (path is None or row["path"] == path):
            return row
    return None


def workdir_reachable(facts: dict):
    unit = _app_unit(facts)
    workdir = unit.get("working_directory") or next(iter(exec_options(unit, "--chdir")), None)  # the same
    if not workdir and stability(facts, unit).up and is_django(Facts(facts).http.upstream.home):
        workdir = Facts(facts).app.project_dir or None  # it finds the project some other way (--pythonpath…)
    if not workdir:
        return failed("unset", unit=unit["name"])
    if Facts(facts).paths.app_user_access.error:
        return unknown("no_root")
    results = [_access(facts, "traverse", workdir), _access(facts, "read", workdir)]
    if results == [None, None]:
        return unknown("no_root")
    bad = next((r for r in results if r and not r["ok"]), None)
    user = unit.get("user") or "root"
    if bad and bad.get("error") == "ENOENT":
        return failed("missing", user=user, path=workdir, unit=unit["name"])
    if bad:
        return failed(user=user, path=workdir, denied=bad.get("denied_at") or workdir, error=bad.get("error") or "?")
    return passed(user=user, path=workdir)


def user_loads_settings(facts: dict):
    """As the service runs it (its user, its environment) the project's settings load."""
    unit = _app_unit(facts)
    variable = missing_service_variable(facts)
    if variable:
        return failed("env", unit=unit["name"], name=variable)
    django = Facts(facts).django
    denied = django.app_user_denied
    if denied:
        return failed("denied", unit=unit["name"], user=denied.get("user") or "?", error=denied.get("error") or "?",
                      owner=fallback(django.ran_as, "?"))
    if not django.settings:
        return settings_unknown(facts)
    return passed(user=django.ran_as or unit.get("user") or "root")


def restarts(facts: dict):
    """Comes back after a crash: by Restart= or by its socket (the next request starts it again).
    The lesson's unit has neither, so this is a recommendation, never a failure."""
    unit = _app_unit(facts)
    if unit.get("restart") in RESTARTING:
        return passed(restart=unit["restart"])
    socket = next((s["name"] for s in _sockets(facts, unit) if s.get("unit_file_state") == "enabled"), None)
    if socket:
        return passed("socket", socket=socket)
    return failed(unit=unit["name"], restart=unit.get("restart") or "no")


def survives_reboot(facts: dict):
    unit = _app_unit(facts)
    units = Facts(facts).systemd.units
    missing = []
    wanted = any(t in unit.get("wanted_by", []) + unit.get("required_by", []) for t in BOOT_TARGETS)
    socket_ok = any(s.get("unit_file_state") == "enabled" for s in _sockets(facts, unit))
    if not (unit.get("unit_file_state") == "enabled" and wanted) and not socket_ok:
        missing.append(unit["name"])
    if units.get("nginx.service", {}).get("unit_file_state") not in ("enabled", None):
        missing.append("nginx.service")
    if str(fallback(Facts(facts).django.database.engine, "")).endswith("postgresql"):
        postgres = [u for n, u in units.items() if n.startswith("postgresql@")]
        if postgres and not any(u.get("unit_file_state") in ("enabled", "enabled-runtime") or
                                "multi-user.target" in u.get("wanted_by", []) for u in postgres):
            missing.append(postgres[0]["name"])
    if missing:
        return failed(units=", ".join(missing))
    return passed()


def media_writable(facts: dict):
    unit = _app_unit(facts)
    root = Facts(facts).django.media.root
    if Facts(facts).paths.app_user_access.error:
        return unknown("no_root")
    row = _access(facts, "write", root)
    if row is None:
        return unknown("no_root")
    if row["ok"]:
        return passed(user=unit.get("user") or "root", root=root)
    return failed(user=unit.get("user") or "root", root=root)


CHECKS = (
    Check("systemd.E001", unit_valid),
    Check("systemd.E002", unit_enabled, requires=("systemd.E001",)),
    Check("systemd.E003", unit_active, requires=("systemd.E001",)),
    Check("systemd.E004", not_root, requires=("systemd.E001",)),
    Check("systemd.E005", workdir_reachable, requires=("systemd.E001",)),
    Check("systemd.W001", restarts, requires=("systemd.E001",), level=Level.RECOMMENDED),
    Check("systemd.E007", survives_reboot, requires=("systemd.E002",)),
    Check("systemd.E008", media_writable, requires=("systemd.E001", "media.E002")),
    Check("systemd.E009", user_loads_settings, requires=("systemd.E001", "systemd.E005")),
)
