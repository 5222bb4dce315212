"""Profile "svs": a student's account on SVS (svs.gyarab.cz, the "AVAVA" server).

The platform (see the course notes): `sudo avava-web register DOMAIN` makes
/var/caddy.root.d/DOMAIN/ (owned by the student, with a placeholder index.html) and
/var/caddy.conf.d/DOMAIN (world-readable; Caddy serves files from the root first and proxies
everything else to 127.0.0.1:PORT). The student runs gunicorn on PORT as a systemd *user*
service with linger, with settings for SVS (DEBUG off, the domain in ALLOWED_HOSTS, STATIC_ROOT in
the Caddy root, the account's PostgreSQL database dbNNNN with the password in ~/.pgpass).

Usually runs as the student over SSH (no sudo there). As root (a teacher's machine, tests) it
looks at the account that owns the project or the domain's Caddy root and runs systemctl
--user and Django as that user. Never reads a password: ~/.pgpass gives only the database and
user names, EnvironmentFile values stay private (only names are reported).

The account's side is in svs_account, Caddy's in svs_caddy; this module chooses the domain, the
unit and the project and gathers the profile (`collect`).
"""

from __future__ import annotations

import glob
import os
import re

from checkers.probe import app as app_mod, system
from checkers.probe.runtime import read_text, run
from checkers.probe.svs_account import (LINGER_DIR, account_facts, journal_tail, pgpass_facts, show_units,
                                        unit_file_facts)
from checkers.probe.svs_caddy import CADDY_ROOTS, caddy_conf, caddy_root, media_facts
from checkers.probe.systemd import is_secret_name, parse_env_file, redact_argv

DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


# ----------------------------------------------------------------------------- domain and project
def read_svs_file(project: str) -> str | None:
    text = read_text(os.path.join(project, ".svs")) or ""
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "domain" and value.strip():
            return value.strip().lower()
    return None


def owned_roots(account: dict) -> list:
    found = []
    for path in sorted(glob.glob(os.path.join(CADDY_ROOTS, "*"))):
        try:
            if os.stat(path).st_uid == account["uid"] and os.path.isdir(path):
                found.append(os.path.basename(path))
        except OSError:
            continue
    return found


def choose_domain(params: dict, units: list, account: dict) -> dict:
    if params.get("svs_domain"):
        return {"name": params["svs_domain"].strip().lower(), "source": "option"}
    if params.get("project_explicit"):
        found = read_svs_file(params["project"])
        if found:
            return {"name": found, "source": "file", "file": os.path.join(params["project"], ".svs")}
    for unit in units:
        workdir = unit.get("working_directory")
        found = read_svs_file(workdir) if workdir else None
        if found:
            return {"name": found, "source": "file", "file": os.path.join(workdir, ".svs")}
    for unit in units:
        name = unit["name"][:-len(".service")]
        if DOMAIN_RE.match(name) and os.path.isdir(os.path.join(CADDY_ROOTS, name)):
            return {"name": name, "source": "unit"}
    roots = owned_roots(account)
    if len(roots) == 1:
        return {"name": roots[0], "source": "caddy_root"}
    return {"name": None, "source": None, "candidates": roots}


def choose_unit(units: list, domain: str | None, port: int | None) -> dict | None:
    if domain:
        for unit in units:
            if unit["name"] == domain + ".service":
                return unit
    if port:
        for unit in units:
            binds = app_mod.parse_gunicorn_argv(unit["exec_start"])["binds"] if unit["exec_start"] else []
            if any(bind.rsplit(":", 1)[-1] == str(port) for bind in binds):
                return unit
    servers = [u for u in units if u["app_server"]]
    return servers[0] if len(servers) == 1 else None


def process_env(pid: int) -> dict:
    """The environment of a process of the same user (/proc/PID/environ), values kept private."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            raw = handle.read(200_000).decode("utf-8", "replace")
    except OSError:
        return {}
    env = {}
    for item in raw.split("\0"):
        key, sep, value = item.partition("=")
        if sep and key:
            env[key] = value
    return env


def listener_facts(port: int | None, listening: dict, processes: list) -> dict:
    if not port:
        return {"port": None}
    rows = [row for row in (listening or {}).get("tcp", []) if row["port"] == port]
    pids = []
    for row in rows:
        pids += [p for p in row.get("pids", []) if p not in pids]
    by_pid = {p["pid"]: p for p in processes or []}
    procs = [by_pid[p] for p in pids if p in by_pid]
    joined = " ".join(" ".join(p.get("argv", [])) for p in procs)
    if not rows:
        kind = "none"
    elif "runserver" in joined:
        kind = "runserver"
    elif "gunicorn" in joined:
        kind = "gunicorn"
    elif any(w in joined for w in ("uvicorn", "uwsgi", "daphne", "waitress")):
        kind = "app_server"
    elif procs:
        kind = "other"
    else:
        kind = "unknown"  # someone else's process (we cannot see whose)
    return {"port": port, "listening": bool(rows), "addresses": sorted({r["addr"] for r in rows}), "kind": kind,
            "processes": [{"pid": p["pid"], "user": p.get("user"), "argv": redact_argv(p.get("argv", []))[:12],
                           "cwd": p.get("cwd")} for p in procs][:4], "_pids": [p["pid"] for p in procs]}


# ----------------------------------------------------------------------------- the profile
def collect(probe) -> dict:
    params = probe.params
    account = account_facts(params)
    out = {"account": {k: v for k, v in account.items()}}
    unit_dir = os.path.join(account["home"], ".config", "systemd", "user")
    unit_files = [unit_file_facts(p, account["home"]) for p in sorted(glob.glob(os.path.join(unit_dir, "*.service")))]
    domain = choose_domain(params, unit_files, account)
    name = domain.get("name")
    domain["valid"] = bool(name and DOMAIN_RE.match(name))
    out["domain"] = domain
    conf = caddy_conf(name) if domain["valid"] else {"port": None}
    root = caddy_root(name) if domain["valid"] else {"exists": False}
    out["caddy_conf"], out["caddy_root"] = conf, root

    unit = choose_unit(unit_files, name, conf.get("port"))
    shown, manager = show_units(account, [unit["name"]] if unit else [])
    out["user_manager"] = manager
    unit_env = {}
    if unit:
        props = shown.get(unit["name"], {})
        env = dict(unit["environment"])
        env_files = []
        for path in unit["environment_files"]:
            text = read_text(path)
            env_files.append({"path": path, "readable": text is not None})
            if text is not None:
                env.update(parse_env_file(text))
        gunicorn = app_mod.parse_gunicorn_argv(unit["exec_start"]) if unit["exec_start"] else {"binds": [], "env": {}}
        env.update(gunicorn.get("env") or {})
        unit_env = env
        out["unit"] = {
            "name": unit["name"], "path": unit["path"], "load_state": props.get("LoadState"),
            "active_state": props.get("ActiveState"), "sub_state": props.get("SubState"),
            "unit_file_state": props.get("UnitFileState"), "result": props.get("Result"),
            "main_pid": int(props.get("MainPID") or 0), "n_restarts": int(props.get("NRestarts") or 0),
            "need_daemon_reload": props.get("NeedDaemonReload") == "yes",
            "exec_start": redact_argv(unit["exec_start"]), "working_directory": unit["working_directory"],
            "environment_files": env_files, "environment_names": sorted(env), "wanted_by": unit["wanted_by"],
            "binds": gunicorn.get("binds", []), "app_server": unit["app_server"],
            "settings_module": env.get("DJANGO_SETTINGS_MODULE"),
            "journal": journal_tail(account, unit["name"]) if props.get("ActiveState") in ("failed", "activating")
            else [],
        }
    else:
        out["unit"] = None
    out["unit_files"] = [{"name": u["name"], "app_server": u["app_server"],
                          "working_directory": u["working_directory"]} for u in unit_files]
    linger_file = os.path.join(LINGER_DIR, account["name"])
    shown_linger = run(["loginctl", "show-user", account["name"], "-p", "Linger", "--value"], timeout=10)
    out["linger"] = {"file": os.path.exists(linger_file), "loginctl": shown_linger.out.strip() or None,
                     "loginctl_error": shown_linger.err.strip()[-200:] if shown_linger.rc else None}

    processes = probe.collect("processes", system.processes) or []
    listening = probe.collect("listening", system.listening) or {}
    port = conf.get("port")
    listener = listener_facts(port, listening, processes)
    pids = listener.pop("_pids", [])
    out["listener"] = listener

    # Which project and settings: the unit's, else the process listening on the port, else --project.
    project, source, settings_env = None, None, {}
    if params.get("project_explicit"):
        project, source = params["project"], "option"
    if unit and unit.get("working_directory") and project is None:
        project, source = unit["working_directory"], "unit"
    if unit:
        settings_env = unit_env
    elif pids:
        settings_env = process_env(pids[0])
        cwd = next((p.get("cwd") for p in processes if p["pid"] == pids[0]), None)
        if project is None and cwd:
            project, source = cwd, "process"
        settings_env = {k: v for k, v in settings_env.items() if k.startswith(("DJANGO", "DATABASE")) or
                        is_secret_name(k)}
    out["project"] = {"dir": project, "source": source}
    for key, value in settings_env.items():
        if is_secret_name(key) and value:
            probe.scrub.add(value)
    interpreter = None
    if unit and unit["exec_start"]:
        interpreter = app_mod.interpreter_for(unit["exec_start"][0])
    if (not interpreter or not os.path.exists(interpreter)) and project:
        for venv in app_mod.VENV_NAMES:
            candidate = os.path.join(project, venv, "bin", "python")
            if os.path.exists(candidate):
                interpreter = candidate
                break
    module = settings_env.get("DJANGO_SETTINGS_MODULE")
    settings_source = "service" if module and unit else "process" if module else "default"
    if not module and project:
        app_arg = (app_mod.parse_gunicorn_argv(unit["exec_start"])["app"] if unit and unit["exec_start"] else None)
        module = app_mod.settings_from_source(project, app_arg.split(":")[0] if app_arg else None)
    app = {"source": "unit" if unit else ("process" if pids else "project"), "unit": unit["name"] if unit else None,
           "project_dir": project or "", "exists": bool(project and os.path.isdir(project)),
           "manage_py": bool(project and os.path.isfile(os.path.join(project, "manage.py"))),
           "interpreter": interpreter, "user": None if account.get("probe_is_account") else account["name"],
           "group": None, "settings_module": module, "settings_source": settings_source, "gunicorn": None,
           "env_names": sorted(settings_env), "_env": dict(settings_env)}
    if project and app["exists"]:
        django, scrub = probe.collect("django", app_mod.inspect_django, app, params.get("django_timeout", 90)) \
            or ({}, [])
        probe.scrub.update(scrub)
    else:
        django = {"not_run": "no-project"}
    app.pop("_env")
    out["pgpass"] = pgpass_facts(account["home"])
    if root.get("exists"):
        out["media"] = probe.collect("media", media_facts, root["path"], django, processes) or {}
    return {"svs": out, "app": app, "django": django, "processes": processes, "listening": listening}
