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
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import re
import stat

from checkers.probe import access, system
from checkers.probe import app as app_mod
from checkers.probe.runtime import base_env, is_root, read_text, run
from checkers.probe.systemd import is_secret_name, parse_env_file, parse_exec, parse_environment, parse_show, \
    redact_argv

CADDY_ROOTS = "/var/caddy.root.d"
CADDY_CONFS = "/var/caddy.conf.d"
LINGER_DIR = "/var/lib/systemd/linger"
DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
PORT_RE = re.compile(r"reverse_proxy\s+(?:@\S+\s+)?(?:https?://)?(?:[\w.\-]+|\[[0-9a-fA-F:]+\])?:(\d{2,5})\b")
PLACEHOLDER_MARKERS = ("Výchozí stránka AVAVA", "Vaše stánka funguje")
APP_SERVER_WORDS = ("gunicorn", "uwsgi", "uvicorn", "daphne", "manage.py", "waitress")
UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "Result", "ExecMainStatus",
                   "MainPID", "WorkingDirectory", "ExecStart", "Environment", "EnvironmentFiles", "FragmentPath",
                   "NRestarts", "ActiveEnterTimestamp", "NeedDaemonReload")
MAX_ENTRIES = 60


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


# ----------------------------------------------------------------------------- Caddy root
def caddy_conf(domain: str) -> dict:
    path = os.path.join(CADDY_CONFS, domain)
    text = read_text(path)
    if text is None:
        return {"path": path, "readable": False, "exists": os.path.exists(path), "port": None}
    match = PORT_RE.search(text)
    return {"path": path, "readable": True, "exists": True, "port": int(match.group(1)) if match else None,
            "serves_files_first": "file_server" in text and "not file" in text}


def caddy_root(domain: str) -> dict:
    root = os.path.join(CADDY_ROOTS, domain)
    info = access.describe(root)
    facts = {"path": root, "exists": info is not None and info.get("type") == "dir", "owner": (info or {}).get("owner"),
             "mode": (info or {}).get("mode"), "entries": []}
    if not facts["exists"]:
        return facts
    try:
        names = sorted(os.listdir(root))
    except OSError as exc:
        facts["error"] = str(exc)
        return facts
    for name in names[:MAX_ENTRIES]:
        path = os.path.join(root, name)
        described = access.describe(path) or {}
        entry = {"name": name, "type": described.get("type"), "mode": described.get("mode")}
        if described.get("type") == "link":
            entry["target"] = os.readlink(path)
            entry["resolved"] = os.path.realpath(path)
            entry["target_exists"] = os.path.exists(path)
        facts["entries"].append(entry)
    index = os.path.join(root, "index.html")
    text = read_text(index, limit=200_000)
    facts["index_html"] = {"exists": text is not None,
                           "placeholder": bool(text) and any(m in text for m in PLACEHOLDER_MARKERS)}
    return facts


# ----------------------------------------------------------------------------- access as Caddy
def user_ids(name: str) -> tuple:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None, set()
    gids = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if name in g.gr_mem}
    return entry.pw_uid, gids


def permission_chain(user: str, path: str, need: str) -> dict:
    """Can `user` reach `path` (following symlinks) judging by owner/group/mode bits? (no ACLs)"""
    uid, gids = user_ids(user)
    if uid is None:
        return {"user": user, "ok": None, "error": "unknown-user"}
    real = os.path.realpath(path)
    current = "/"
    parts = [p for p in real.split("/") if p]
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            st = os.stat(current)
        except OSError as exc:
            return {"user": user, "ok": False, "path": real, "denied_at": current, "error": exc.strerror}
        last = index == len(parts) - 1
        if uid == 0:
            continue
        if st.st_uid == uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in gids:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        wanted = 1 if not last else (4 | (1 if stat.S_ISDIR(st.st_mode) else 0))
        if need == "traverse" and last:
            wanted = 1 if stat.S_ISDIR(st.st_mode) else 0
        if bits & wanted != wanted:
            return {"user": user, "ok": False, "path": real, "denied_at": current,
                    "mode": oct(stat.S_IMODE(st.st_mode)), "error": "EACCES"}
    return {"user": user, "ok": True, "path": real}


def caddy_user(processes: list) -> str:
    for proc in processes or []:
        argv = proc.get("argv") or []
        if argv and os.path.basename(argv[0]) == "caddy" and proc.get("user") not in (None, "root"):
            return proc["user"]
    return "caddy"


def media_facts(domain_root: str, django: dict, processes: list) -> dict:
    media = (django or {}).get("media") or {}
    root, url = media.get("root"), media.get("url") or "/media/"
    if "://" in url:
        return {"url": url, "root": root, "external": True}
    link = os.path.join(domain_root, url.strip("/"))
    described = access.describe(link)
    facts = {"url": url, "root": root, "link": link, "link_type": (described or {}).get("type"),
             "link_exists": os.path.exists(link), "resolved": os.path.realpath(link) if described else None,
             "same_as_media_root": bool(root and described and os.path.realpath(link) == os.path.realpath(root)),
             "web_user": caddy_user(processes)}
    target = link
    sample = media.get("sample")
    if sample:
        target = os.path.join(link, sample["path"])
    if described:
        if is_root():
            tested = access.test_as(facts["web_user"], [{"path": target, "need": "read"}])
            result = (tested.get("results") or [{}])[0]
            facts["web_user_access"] = {"user": facts["web_user"], "ok": result.get("ok"), "path": target,
                                        "denied_at": result.get("denied_at"), "error": result.get("error"),
                                        "tested": True}
        else:
            facts["web_user_access"] = permission_chain(facts["web_user"], target, "read")
            facts["web_user_access"]["tested"] = False
        facts["chain"] = access.describe_chain(os.path.realpath(link))
    return facts


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


def journal_tail(account: dict, unit: str) -> list:
    result = as_account(account, ["journalctl", "--user", "-u", unit, "-n", "40", "--no-pager", "-o", "cat"],
                        timeout=15)
    if result.rc != 0:
        return []
    return [line[:500] for line in result.out.splitlines()[-40:]]


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

