"""`doctor`: name the cause of a broken deployment from the facts, as a teacher would.

Each diagnosis is a pure function facts -> Finding | None with a stable id; its Czech title,
explanation and fix live in checkers/texts/diagnoses.toml. Symptoms give way to their causes:
when the unit's journal explains why gunicorn is down, the 502 it causes is not listed apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checkers.checks.service import app_unit as _app_unit, journal as _unit_journal, sockets, stability
from checkers.checks.webfacts import (chosen_server, describe_endpoint, error_log_lines, is_default_site, site_host,
                                      upstream, web)
from checkers.facts import dig
from checkers.probe import nginx_conf
from checkers.texts import fill, table

UPSTREAM_ERROR = re.compile(r"connect\(\) to (?:unix:)?(\S+?) failed \((\d+): ([^)]*)\)")
PERMISSION_ERROR = re.compile(r'open\(\) "([^"]+)" failed \(13: Permission denied\)')
EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception|Exit)): ?(.*)$")
HARMLESS = ("Control server error",)  # gunicorn 27 as www-data: cannot write ~/.gunicorn (field notes)
CRASH_MARKERS = ("Worker failed to boot", "[ERROR]", "Traceback", "Error:", "No module named")


@dataclass(frozen=True)
class Finding:
    id: str
    seen: dict = field(default_factory=dict)

    @property
    def advice(self) -> bool:
        return self.id.startswith("doctor.A")


@dataclass
class Diagnosis:
    id: str
    title: str
    explanation: str
    fix: str
    evidence: str
    advice: bool

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "explanation": self.explanation, "fix": self.fix,
                "evidence": self.evidence, "advice": self.advice}


# --- helpers ---------------------------------------------------------------------------------

def _gunicorn_processes(facts: dict) -> list:
    return [p for p in facts.get("processes") or [] if any("gunicorn" in a for a in p["argv"][:3])]


def _gunicorn_masters(facts: dict) -> list:
    procs = _gunicorn_processes(facts)
    pids = {p["pid"] for p in procs}
    return [p for p in procs if p["ppid"] not in pids]


def _last_upstream_error(facts: dict):
    for line in reversed(error_log_lines(facts)):
        match = UPSTREAM_ERROR.search(line)
        if match:
            return match.group(1), int(match.group(2)), line.strip()
    return None


def _home_status(facts: dict):
    return web(facts, "home").get("status")


def _journal(facts: dict, unit: dict | None) -> list:
    return _unit_journal(facts, unit)


def _last_attempt_error(entries: list) -> str | None:
    """The exception of the last start attempt that printed one (systemd's own lines often come last)."""
    groups: list[list] = []
    for entry in entries:
        if groups and groups[-1][0].get("inv") == entry.get("inv"):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    for group in reversed(groups):
        messages = [e["msg"] for e in group if not any(h in e["msg"] for h in HARMLESS)]
        exceptions = [m for m in messages if EXCEPTION_LINE.match(m) and "Traceback" not in m]
        if exceptions:
            return exceptions[-1].strip()
        flagged = [m for m in messages if any(k in m for k in CRASH_MARKERS)]
        if flagged:
            return flagged[0].strip()
    return None


# --- diagnoses -------------------------------------------------------------------------------

def nginx_missing(facts: dict):
    if not dig(facts, "nginx.installed"):
        return Finding("doctor.D001", {"state": "nenainstalovaný"})
    unit = dig(facts, "systemd.units", {}).get("nginx.service")
    if unit and unit.get("active_state") != "active":
        return Finding("doctor.D001", {"state": f"{unit.get('active_state')} ({unit.get('result')})"})
    return None


def nginx_config_invalid(facts: dict):
    test = dig(facts, "nginx.test", {})
    if dig(facts, "nginx.installed") and test.get("rc") not in (0, None):
        lines = [ln for ln in (test.get("output") or "").splitlines() if "[emerg]" in ln or "[crit]" in ln]
        running = dig(facts, "systemd.units", {}).get("nginx.service", {}).get("active_state") == "active"
        return Finding("doctor.D002", {"error": (lines or [test.get("output") or "?"])[0].strip(),
                                       "running": "NGINX zatím běží se starou konfigurací, ale po restartu nenaběhne."
                                       if running else "Proto NGINX ani nenaběhne."})
    return None


def nginx_not_reloaded(facts: dict):
    """The files say one thing, the running nginx another: a change without a reload. Named only
    when the site shows a symptom (an edited comment breaks nothing)."""
    from checkers.checks.nginx import loaded_change

    change = loaded_change(facts)
    if not change or dig(facts, "nginx.test.rc") not in (0, None):
        return None
    responses = [web(facts, name) for name in ("home", "static_file", "media_file", "media_missing")]
    home = responses[0]
    symptom = home.get("status") != 200 or "nginx_welcome" in home.get("markers", []) or any(
        r.get("status") not in (200, 404, None) or (r.get("expected_sha256") and r.get("status") != 200)
        for r in responses[1:] if r)
    if not symptom:
        return None
    return Finding("doctor.D027", {"file": change["path"]})


def bad_gateway(facts: dict):
    """502: which of socket missing (2), permission (13), refused (111), path mismatch, gunicorn down."""
    if _home_status(facts) not in (502, 504):
        return None
    error = _last_upstream_error(facts)
    endpoint = upstream(facts)
    where = describe_endpoint(endpoint)
    masters = _gunicorn_masters(facts)
    line = error[2] if error else "(v error.log nic není)"
    errno = error[1] if error else None
    if errno == 13:
        denied = next((r for r in dig(facts, "paths.web_user_access.results", []) if r["need"] == "connect"), {})
        return Finding("doctor.D004", {"where": where, "log": line, "user": dig(facts, "paths.web_user", "www-data"),
                                       "denied": denied.get("denied_at") or where, "chain": _chain(facts, endpoint)})
    if not masters:
        return Finding("doctor.D005", {"where": where, "log": line})
    served = _gunicorn_binds(facts)
    if endpoint and served and describe_endpoint(endpoint) not in served:
        return Finding("doctor.D006", {"nginx": where, "gunicorn": ", ".join(sorted(served)), "log": line})
    if errno == 2:
        return Finding("doctor.D003", {"where": where, "log": line})
    if errno == 111:
        return Finding("doctor.D005", {"where": where, "log": line})
    return Finding("doctor.D005", {"where": where, "log": line})


def _gunicorn_binds(facts: dict) -> set[str]:
    """Where the running gunicorn listens (from the sockets it holds, else from its --bind)."""
    pids = {p["pid"] for p in _gunicorn_processes(facts)}
    found = set()
    for row in dig(facts, "listening.unix", []):
        if pids & set(row["pids"]):
            found.add(f"unix:{row['path']}")
    for row in dig(facts, "listening.tcp", []):
        if pids & set(row["pids"]):
            found.add(f"{row['addr']}:{row['port']}")
    if not found:
        for proc in _gunicorn_masters(facts):
            argv = proc["argv"]
            for i, arg in enumerate(argv):
                if arg in ("-b", "--bind") and i + 1 < len(argv):
                    found.add(argv[i + 1])
                elif arg.startswith("--bind="):
                    found.add(arg.split("=", 1)[1])
    normalized = set()
    for bind in found:
        if bind.startswith("unix:"):
            normalized.add(bind)
        elif bind.startswith("0.0.0.0:") or bind.startswith(":"):
            normalized.add("127.0.0.1:" + bind.rsplit(":", 1)[1])
        else:
            normalized.add(bind)
    return normalized


def _chain(facts: dict, endpoint: dict | None) -> str:
    if not endpoint or endpoint.get("kind") != "unix":
        return ""
    chain = dig(facts, "paths.chains", {}).get(endpoint["path"], [])
    return "; ".join(f"{c['path']} {c.get('owner', '?')}:{c.get('group', '?')} {c.get('mode', '?')}"
                     for c in chain if not c.get("missing"))


def working_directory_denied(facts: dict):
    unit = _app_unit(facts)
    for entry in reversed(_journal(facts, unit)):
        if "Changing to the requested working directory failed" in entry["msg"]:
            if unit.get("active_state") == "active":
                return None
            # systemd's own words tell a refused directory from one that is not there
            missing = "No such file or directory" in entry["msg"]
            return Finding("doctor.D032" if missing else "doctor.D010", {
                "unit": unit["name"], "line": entry["msg"].strip(), "user": unit.get("user") or "root",
                "workdir": unit.get("working_directory") or "?"})
    return None


def gunicorn_crashes(facts: dict):
    unit = _app_unit(facts)
    if not unit:
        return None
    entries = _journal(facts, unit)
    seen = stability(facts, unit)
    if seen.up:
        if _home_status(facts) not in (502, 503, 504):
            return None
        if not unit.get("n_restarts"):
            # Caught between a restart and its crash: only the run that is up now can explain the 502.
            entries = [e for e in entries if e.get("inv") == entries[-1].get("inv")] if entries else []
    error = _last_attempt_error(entries)
    if error is None or "working directory" in error:
        return None
    described = {"crash_loop": f"pořád padá a systemd ji znovu spouští – za poslední minutu a půl {seen.failures}×",
                 "restarted": "během kontroly se restartovala", "inactive": f"neběží ({seen.state})"}
    return Finding("doctor.D011", {"unit": unit["name"], "line": error,
                                   "state": described.get(seen.kind, f"stav {seen.state}")})


def service_not_enabled(facts: dict):
    """Runs now, but nothing starts it after a reboot (neither the service nor a socket is enabled)."""
    unit = _app_unit(facts)
    if not unit or unit.get("unit_file_state") in ("enabled", "static", "generated", "indirect", "alias"):
        return None
    if any(s.get("unit_file_state") == "enabled" for s in sockets(facts, unit)):
        return None
    return Finding("doctor.D025", {"unit": unit["name"], "state": unit.get("unit_file_state") or "?"})


def postgres_down(facts: dict):
    """Django uses PostgreSQL and no cluster of it runs (its units say so)."""
    engine = str(dig(facts, "django.database.engine", ""))
    if not engine.endswith(("postgresql", "postgis")):
        return None
    units = dig(facts, "systemd.units", {})
    clusters = [u for name, u in units.items() if name.startswith("postgresql@")]
    if not clusters and "postgresql.service" in units:  # Debian's umbrella unit stops its clusters with it
        clusters = [units["postgresql.service"]]
    if not clusters or any(u.get("active_state") == "active" for u in clusters):
        return None
    return Finding("doctor.D029", {"units": ", ".join(f"{u['name']}: {u.get('active_state')}" for u in clusters)})


def schema_not_owned(facts: dict):
    """PostgreSQL 15: a database owned by another role leaves the app's role without the right to
    create tables in schema public, so migrate fails (the lesson's OWNER avoids it)."""
    database = dig(facts, "django.database", {})
    role, name = database.get("user"), database.get("name")
    owner = next((d["owner"] for d in dig(facts, "postgres.databases", []) if d["name"] == name), None)
    if not role or not owner or owner == role or not database.get("unapplied_migrations"):
        return None
    return Finding("doctor.D028", {"name": name, "owner": owner, "role": role})


def unapplied_migrations(facts: dict):
    pending = dig(facts, "django.database.unapplied_migrations", [])
    if not pending:
        return None
    return Finding("doctor.D024", {"count": len(pending), "names": ", ".join(pending[:5])})


def stale_collectstatic(facts: dict):
    static = dig(facts, "django.static", {})
    if not static.get("outdated_count") or static.get("missing_count"):
        return None
    return Finding("doctor.D026", {"count": static["outdated_count"], "examples": ", ".join(static.get("outdated", [])[:3]),
                                   "root": static.get("root") or "?"})


def static_problems(facts: dict):
    return _file_problem(facts, "static_file", "static_linked", "static")


def media_problems(facts: dict):
    return _file_problem(facts, "media_file", None, "media")


def _file_problem(facts: dict, sample_key: str, linked_key: str | None, kind: str):
    response = web(facts, sample_key) or (web(facts, linked_key) if linked_key else {})
    status = response.get("status")
    if status not in (403, 404):
        return None
    server, _ = chosen_server(facts)
    location = nginx_conf.select_location(server, response["path"])
    nginx_path = nginx_conf.file_for(server, location, response["path"])
    root = dig(facts, f"django.{kind}.root") or "?"
    label = "statické" if kind == "static" else "nahrané"
    if status == 403:
        log = next((m.group(1) for m in map(PERMISSION_ERROR.search, reversed(error_log_lines(facts))) if m), None)
        access = next((r for r in dig(facts, "paths.web_user_access.results", []) if r["path"] == root), {})
        denied = access.get("denied_at") or (log and log.rsplit("/", 1)[0]) or root
        chain = "; ".join(f"{c['path']} {c.get('owner', '?')} {c.get('mode', '?')}"
                          for c in dig(facts, "paths.chains", {}).get(root, []) if not c.get("missing"))
        return Finding("doctor.D009", {"url": response["path"], "denied": denied, "chain": chain,
                                       "user": dig(facts, "paths.web_user", "www-data"), "kind": label})
    if kind == "static" and (dig(facts, "django.static.missing_count", 0) or not dig(facts, "django.static.root_exists")):
        return Finding("doctor.D008", {"url": response["path"], "root": root})
    if location is None or location.get("proxy_pass"):
        return Finding("doctor.D007", {"url": response["path"], "nginx_path": "(žádný blok location, jde do Djanga)",
                                       "root": root, "kind": label, "prefix": kind})
    return Finding("doctor.D007", {"url": response["path"], "nginx_path": nginx_path or "?", "root": root,
                                   "kind": label, "prefix": kind})


def debug_on(facts: dict):
    not_found = web(facts, "not_found")
    if dig(facts, "django.settings.DEBUG") is True and (_app_unit(facts) or not_found):
        return Finding("doctor.D012", {"file": dig(facts, "django.settings_file", "settings.py")})
    if "django_debug" in not_found.get("markers", []):
        return Finding("doctor.D012", {"file": dig(facts, "django.settings_file", "settings.py")})
    return None


def host_not_allowed(facts: dict):
    home = web(facts, "home")
    if home.get("status") == 400 and "django_400" in home.get("markers", []):
        return Finding("doctor.D013", {"host": site_host(facts),
                                       "hosts": ", ".join(dig(facts, "django.settings.ALLOWED_HOSTS", [])) or "(prázdné)"})
    return None


def database_refuses(facts: dict):
    connect = dig(facts, "django.database.connect", {})
    if connect.get("ok") or not connect.get("error"):
        return None
    message = connect["error"].get("message", "")
    lowered = message.lower()
    name = dig(facts, "django.database.name", "?")
    user = dig(facts, "django.database.user", "?")
    if "password authentication failed" in lowered:
        return Finding("doctor.D014", {"user": user, "line": message})
    if "does not exist" in lowered and "database" in lowered:
        return Finding("doctor.D015", {"name": name, "line": message})
    return Finding("doctor.D023", {"line": message})


def stale_code(facts: dict):
    newest = dig(facts, "app.newest_source", {})
    masters = _gunicorn_masters(facts)
    if not newest.get("mtime") or not masters:
        return None
    if "/migrations/" in "/" + (newest.get("path") or "") and dig(facts, "django.database.unapplied_migrations", []):
        return None  # a new migration not yet applied: that is the cause to name (D024)
    started = min(p["started"] or 0 for p in masters)
    if started and newest["mtime"] > started + 2:
        return Finding("doctor.D016", {"file": newest.get("path"), "unit": (_app_unit(facts) or {}).get("name", "gunicorn")})
    return None


def runserver_running(facts: dict):
    for proc in facts.get("processes") or []:
        if "runserver" in proc["argv"]:
            return Finding("doctor.D017", {"pid": proc["pid"], "command": " ".join(proc["argv"])[:120],
                                           "user": proc.get("user") or "?"})
    return None


def default_site_wins(facts: dict):
    home = web(facts, "home")
    if "nginx_welcome" not in home.get("markers", []):
        return None
    server, _ = chosen_server(facts)
    if server is not None and not is_default_site(server):
        return None
    names = ", ".join(n for s in dig(facts, "nginx.config.servers", []) if not is_default_site(s)
                      for n in s["server_names"] if n) or "(žádný vlastní web)"
    return Finding("doctor.D019", {"host": site_host(facts), "names": names})


def no_proxy_pass(facts: dict):
    server, _ = chosen_server(facts)
    if server is None or is_default_site(server):
        return None
    location = nginx_conf.select_location(server, "/")
    if location and (location.get("proxy_pass") or location.get("uwsgi_pass")):
        return None
    return Finding("doctor.D021", {"file": server["file"]})


def media_root_missing(facts: dict):
    media = dig(facts, "django.media", {})
    if not media.get("root") or media.get("exists") is not False or media.get("root_denied"):
        return None
    return Finding("doctor.D030", {"root": media["root"]})


def host_without_port(facts: dict):
    """The admin login fails CSRF and nginx passes `Host $host`, which drops the port the browser
    uses on a port-forwarded VM (Origin 127.0.0.1:8080 vs Host 127.0.0.1)."""
    post = dig(facts, "http.web.admin_login.post", {}) or {}
    if post.get("status") != 403 and "csrf_failure" not in post.get("markers", []):
        return None
    server, _ = chosen_server(facts)
    location = nginx_conf.select_location(server, "/")
    value = (location or {}).get("host_header")
    if value not in ("$host", "$server_name") or not dig(facts, "params.browser_port"):
        return None
    return Finding("doctor.D031", {"value": value, "file": (location or {}).get("file") or (server or {}).get("file"),
                                   "port": dig(facts, "params.browser_port")})


def media_not_writable(facts: dict):
    root = dig(facts, "django.media.root")
    if dig(facts, "django.media.exists") is False:
        return None  # not there at all: D030 says so
    for row in dig(facts, "paths.app_user_access.results", []):
        if row["need"] == "write" and row["path"] == root and not row["ok"]:
            unit = _app_unit(facts) or {}
            return Finding("doctor.D022", {"root": root, "user": unit.get("user") or "root"})
    return None


def workers_advice(facts: dict):
    masters = _gunicorn_masters(facts)
    cpus = dig(facts, "system.cpus") or 1
    if not masters:
        return None
    master = masters[0]
    workers = sum(1 for p in _gunicorn_processes(facts) if p["ppid"] == master["pid"])
    recommended = 2 * cpus + 1
    if workers and (workers * 2 < recommended or workers > 2 * recommended):
        return Finding("doctor.A001", {"workers": workers, "cpus": cpus, "recommended": recommended})
    return None


def names_elsewhere(facts: dict):
    """Only where the site is visited under a name: the course VM is visited by its address, and a
    name in ALLOWED_HOSTS that leads elsewhere changes nothing for it."""
    if _is_address(site_host(facts)):
        return None
    wrong = {name: info for name, info in (facts.get("dns") or {}).items() if not info.get("local")}
    if not wrong:
        return None
    described = ", ".join(f"{name} → {', '.join(info['addresses']) or 'nic'}" for name, info in wrong.items())
    return Finding("doctor.A002", {"names": described})


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]").rsplit(":", 1)[0] if host.count(":") == 1 else host.strip("[]"))
        return True
    except ValueError:
        return host == "localhost"


# In order of precedence: the cause that explains the others comes first.
DIAGNOSES = (
    nginx_config_invalid, nginx_missing, nginx_not_reloaded, default_site_wins, no_proxy_pass, working_directory_denied,
    gunicorn_crashes, bad_gateway, host_not_allowed, postgres_down, database_refuses, schema_not_owned,
    unapplied_migrations,
    debug_on, static_problems, media_problems, stale_collectstatic, media_root_missing, media_not_writable, host_without_port,
    stale_code,
    runserver_running, service_not_enabled, workers_advice, names_elsewhere,
)
# A cause listed on the left hides these symptoms.
SUPERSEDES = {
    "doctor.D002": {"doctor.D001"},
    "doctor.D010": {"doctor.D003", "doctor.D005", "doctor.D006", "doctor.D016"},
    "doctor.D032": {"doctor.D003", "doctor.D005", "doctor.D006", "doctor.D016"},
    "doctor.D011": {"doctor.D003", "doctor.D005", "doctor.D006", "doctor.D016"},
    "doctor.D021": {"doctor.D019"},
    "doctor.D019": {"doctor.D007", "doctor.D008", "doctor.D009"},  # the default site answers instead
    "doctor.D001": {"doctor.D019", "doctor.D021"},
    "doctor.D013": {"doctor.A002"},
    "doctor.D029": {"doctor.D023"},
    "doctor.D028": {"doctor.D024"},
    # what the files say is not what runs: symptoms read from the files would mislead
    "doctor.D027": {"doctor.D003", "doctor.D006", "doctor.D007", "doctor.D019", "doctor.D021"},
    "doctor.D008": {"doctor.D026"},
}


def diagnose(facts: dict) -> list[Finding]:
    findings = []
    for diagnosis in DIAGNOSES:
        try:
            found = diagnosis(facts)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # missing facts: this diagnosis cannot speak, the others still can
        if found:
            findings.append(found)
    hidden = set().union(*(SUPERSEDES.get(f.id, set()) for f in findings)) if findings else set()
    return [f for f in findings if f.id not in hidden]


def render(finding: Finding) -> Diagnosis:
    texts = table("diagnoses")[finding.id]
    return Diagnosis(finding.id, fill(texts["title"], finding.seen), fill(texts["explanation"], finding.seen),
                     fill(texts["fix"], finding.seen), fill(texts.get("evidence", ""), finding.seen), finding.advice)
