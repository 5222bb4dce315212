"""Profile "svs", the account side: whose account it is, its systemd *user* units (files and
state, asked through `systemctl --user` as that user), its journal and ~/.pgpass (names only).
See checkers/probe/svs.py for the platform."""

from __future__ import annotations

import os
import pwd
import re
import stat

from checkers.probe.runtime import base_env, is_root, read_text, run
from checkers.probe.svs_caddy import CADDY_ROOTS
from checkers.probe.systemd import parse_environment, parse_exec, parse_show

LINGER_DIR = "/var/lib/systemd/linger"
APP_SERVER_WORDS = ("gunicorn", "uwsgi", "uvicorn", "daphne", "manage.py", "waitress")
UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "Result", "ExecMainStatus",
                   "MainPID", "WorkingDirectory", "ExecStart", "Environment", "EnvironmentFiles", "FragmentPath",
                   "NRestarts", "ActiveEnterTimestamp", "NeedDaemonReload")


# ----------------------------------------------------------------------------- account
def account_facts(params: dict) -> dict:
    """Whose account: the probe's own user, or (as root) the owner of the project / Caddy root."""
    me = pwd.getpwuid(os.geteuid())
    if not is_root():
        return {"name": me.pw_name, "uid": me.pw_uid, "home": me.pw_dir, "probe_is_account": True}
    candidates = []
    if params.get("project_explicit"):
        candidates.append(params["project"])
    if params.get("svs_domain"):
        candidates.append(os.path.join(CADDY_ROOTS, params["svs_domain"]))
    for path in candidates:
        try:
            entry = pwd.getpwuid(os.stat(path).st_uid)
        except (OSError, KeyError):
            continue
        if entry.pw_uid != 0:
            return {"name": entry.pw_name, "uid": entry.pw_uid, "home": entry.pw_dir, "probe_is_account": False}
    return {"name": me.pw_name, "uid": me.pw_uid, "home": me.pw_dir, "probe_is_account": True, "root_only": True}


def user_env(account: dict) -> dict:
    env = base_env()
    runtime_dir = "/run/user/%d" % account["uid"]
    env.update({"HOME": account["home"], "XDG_RUNTIME_DIR": runtime_dir,
                "DBUS_SESSION_BUS_ADDRESS": "unix:path=%s/bus" % runtime_dir, "USER": account["name"]})
    return env


def as_account(account: dict, args: list, timeout: float = 15):
    user = None if account.get("probe_is_account") else account["name"]
    return run(args, timeout=timeout, user=user, env=user_env(account), cwd=account["home"])


# ----------------------------------------------------------------------------- user units
def unit_file_facts(path: str, home: str) -> dict:
    """What the unit file itself says (works even when the user's systemd is not reachable)."""
    text = read_text(path) or ""
    section, facts = None, {"name": os.path.basename(path), "path": path, "exec_start": [], "working_directory": None,
                            "environment_files": [], "environment": {}, "wanted_by": []}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if section == "Service" and key == "ExecStart":
            facts["exec_start"] = parse_exec(value.lstrip("@-:+!"))
        elif section == "Service" and key == "WorkingDirectory":
            value = value.lstrip("-").replace("%h", home)
            facts["working_directory"] = home + value[1:] if value == "~" or value.startswith("~/") else value
        elif section == "Service" and key == "EnvironmentFile":
            facts["environment_files"].append(value.lstrip("-").replace("%h", home))
        elif section == "Service" and key == "Environment":
            facts["environment"].update(parse_environment(value))
        elif section == "Install" and key == "WantedBy":
            facts["wanted_by"] += value.split()
    facts["app_server"] = any(word in " ".join(facts["exec_start"]) for word in APP_SERVER_WORDS)
    return facts


def show_units(account: dict, names: list) -> tuple:
    """(systemctl --user show per unit, manager facts)."""
    if not names:
        result = as_account(account, ["systemctl", "--user", "is-system-running"])
        return {}, {"ok": result.rc in (0, 1) and bool(result.out.strip()), "state": result.out.strip() or None,
                    "error": None if result.out.strip() else (result.err.strip()[-300:] or None)}
    result = as_account(account, ["systemctl", "--user", "show", "--no-pager", "-p", ",".join(UNIT_PROPERTIES)]
                        + names)
    if result.rc != 0 and not result.out.strip():
        return {}, {"ok": False, "error": (result.err or result.out).strip()[-300:]}
    return {name: props for name, props in zip(names, parse_show(result.out))}, {"ok": True, "error": None}


# ----------------------------------------------------------------------------- databases
def pgpass_facts(home: str) -> dict:
    path = os.path.join(home, ".pgpass")
    text = read_text(path)
    if text is None:
        return {"exists": os.path.exists(path), "readable": False, "entries": []}
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = re.split(r"(?<!\\):", line)
        if len(fields) >= 4:  # host:port:database:username:password – the password is never kept
            entries.append({"host": fields[0], "port": fields[1], "database": fields[2], "user": fields[3]})
    try:
        mode = oct(stat.S_IMODE(os.stat(path).st_mode))
    except OSError:
        mode = None
    profile = read_text(os.path.join(home, ".profile")) or ""
    match = re.search(r"^\s*(?:export\s+)?PGUSER=['\"]?([\w-]+)", profile, re.MULTILINE)
    return {"exists": True, "readable": True, "mode": mode, "entries": entries,
            "pguser": match.group(1) if match else None}


def journal_tail(account: dict, unit: str) -> list:
    result = as_account(account, ["journalctl", "--user", "-u", unit, "-n", "40", "--no-pager", "-o", "cat"],
                        timeout=15)
    if result.rc != 0:
        return []
    return [line[:500] for line in result.out.splitlines()[-40:]]
