"""Helpers over the HTTP, nginx and listening-socket facts shared by the server-side checks."""

from __future__ import annotations

import re

from urllib.parse import urlsplit

from checkers.checks.base import Outcome, failed, word
from checkers.factsview import Facts, plain
from checkers.probe import nginx_conf

DEFAULT_SITE_FILES = ("/etc/nginx/sites-available/default", "/etc/nginx/sites-enabled/default")


def nginx_config(facts: dict) -> dict:
    return plain(Facts(facts).nginx.config)


def site_host(facts: dict) -> str:
    f = Facts(facts)
    return f.http.host or f.params.site_host or "127.0.0.1"


def is_default_site(server: dict | None) -> bool:
    return bool(server) and server.get("file") in DEFAULT_SITE_FILES


def student_servers(facts: dict) -> list:
    return [s for s in nginx_config(facts).get("servers", []) if not is_default_site(s)]


def processes(facts: dict) -> list:
    return [p for p in facts.get("processes") or [] if isinstance(p, dict) and isinstance(p.get("argv"), list)]


def gunicorn_processes(facts: dict) -> list:
    return [p for p in processes(facts) if any("gunicorn" in str(a) for a in p["argv"][:3])]


def nginx_test_error(facts: dict) -> str:
    """The line of `nginx -t` that says why it refuses the configuration (its first [emerg]/[crit])."""
    output = Facts(facts).nginx.test.get("output") or ""
    lines = [line for line in output.splitlines() if "[emerg]" in line or "[crit]" in line]
    return (lines or [output or "?"])[0].strip()


def nginx_runs(facts: dict) -> bool:
    unit = Facts(facts).systemd.units.get("nginx.service", {})
    if unit:
        return unit.get("active_state") == "active"
    return any(p["argv"] and p["argv"][0].startswith("nginx: master") for p in processes(facts))


def port80_holder(facts: dict) -> tuple[dict, str | None] | None:
    """A program other than nginx listening on port 80 (where nginx must listen): its pid, command
    and user, and its systemd service when the probe saw one."""
    by_pid = {p["pid"]: p for p in processes(facts)}
    for row in Facts(facts).listening.tcp:
        if row.get("port") != 80:
            continue
        for pid in row.get("pids") or []:
            proc = by_pid.get(pid) or {}
            argv = proc.get("argv") or []
            if argv and argv[0].startswith("nginx"):
                continue
            return ({"pid": pid, "command": " ".join(argv)[:120] or "?", "user": proc.get("user") or "?"},
                    proc.get("unit"))
    return None


def site_ports(facts: dict) -> list[int]:
    """The ports the student's own nginx sites listen on."""
    return sorted({listen["port"] for server in student_servers(facts) for listen in server["listen"]})


def nothing_on_port80(facts: dict) -> Outcome:
    """Nothing answers on port 80: nginx is down, or it runs and the site listens elsewhere."""
    ports = [p for p in site_ports(facts) if p != 80]
    if nginx_runs(facts) and ports:
        return failed("no_port80_site_elsewhere", ports=", ".join(map(str, ports)))
    if nginx_runs(facts):  # e.g. `listen 10.0.2.15:80;`: port 80, but not where the browser arrives
        return failed("no_port80_nginx_runs")
    if Facts(facts).nginx.installed and Facts(facts).nginx.test.rc not in (0, None):
        return failed("no_port80_nginx_invalid")  # starting it would fail: the configuration first
    return failed("no_port80")


def https_redirect(facts: dict, response: dict) -> dict | None:
    """A redirect of `response` to https:// while nothing on the machine listens on 443:
    {"location", "by": "app" | "nginx"}; None otherwise (no redirect, or HTTPS may be there)."""
    location = ((response or {}).get("headers") or {}).get("location") or ""
    if response.get("status") not in (301, 302, 303, 307, 308) or not location.lower().startswith("https://"):
        return None
    if urlsplit(location).hostname != urlsplit(f"http://{site_host(facts)}").hostname:
        return None  # to another site: this machine's HTTPS is not the question
    if any(row["port"] == 443 for row in Facts(facts).listening.tcp):
        return None
    upstream_home = Facts(facts).http.upstream.home
    upstream_location = ((upstream_home.get("headers") or {}).get("location") or "").lower()
    by = "app" if upstream_location.startswith("https://") else "nginx"
    return {"location": location, "by": by}


def chosen_server(facts: dict):
    return nginx_conf.select_server(nginx_config(facts), site_host(facts))


def ignored_twins(facts: dict, server: dict | None) -> list:
    """Enabled server blocks with the site's name that nginx ignores because `server`, loaded first,
    has the same name and port (`nginx -t` warns "conflicting server name … ignored")."""
    host = site_host(facts).lower()
    if server is None or host not in {n.lower() for n in server.get("server_names", [])}:
        return []
    ports = {listen["port"] for listen in server["listen"]}
    return [s for s in nginx_config(facts).get("servers", []) if s is not server
            and host in {n.lower() for n in s.get("server_names", [])}
            and ports & {listen["port"] for listen in s["listen"]}]


def passes_to_app(server: dict | None) -> bool:
    location = nginx_conf.select_location(server, "/") if server else None
    return bool(location and (location.get("proxy_pass") or location.get("uwsgi_pass")))


def upstream(facts: dict):
    """Where nginx sends the app's requests (the picked server's `location /`, else the student's own
    server's), or None when no proxy_pass is to be found."""
    return nginx_conf.app_proxy_pass(nginx_config(facts), site_host(facts))


def app_endpoint(facts: dict):
    """Where the probe asked the app server itself: nginx's upstream, or gunicorn's own bind when
    nginx sends the app's requests nowhere."""
    return plain(Facts(facts).http.upstream.endpoint) or upstream(facts)


def describe_endpoint(endpoint: dict | None) -> str:
    if not endpoint:
        return "?"
    if endpoint.get("kind") == "unix":
        return f"unix:{endpoint['path']}"
    if endpoint.get("kind") == "tcp":
        return f"{endpoint['host']}:{endpoint['port']}"
    return str(endpoint.get("value", "?"))


def listeners(facts: dict, endpoint: dict | None) -> list:
    """Processes listening on the endpoint (unix path or TCP port)."""
    if not endpoint:
        return []
    listening = facts.get("listening") or {}
    pids: list[int] = []
    if endpoint.get("kind") == "unix":
        for row in listening.get("unix", []):
            if row["path"] == endpoint["path"]:
                pids += row["pids"]
    elif endpoint.get("kind") == "tcp":
        for row in listening.get("tcp", []):
            if row["port"] == endpoint["port"]:
                pids += row["pids"]
    processes = {p["pid"]: p for p in facts.get("processes") or []}
    return [processes[pid] for pid in dict.fromkeys(pids) if pid in processes]


# Pages only Django writes: its own error pages and forms (DEBUG off and on).
DJANGO_MARKERS = ("django_400", "django_500", "django_default_404", "django_debug", "csrf_failure",
                  "admin_login_form", "django_install_worked")


def is_django(response: dict | None) -> bool:
    """Did Django answer, whatever the status? A 400 for a foreign Host or a 500 for a failing
    database is Django serving; its security middleware's headers or its own pages tell."""
    if not response or response.get("status") is None:
        return False
    headers = response.get("headers") or {}
    return bool(response.get("django_headers")
                or any(m in response.get("markers", []) for m in DJANGO_MARKERS)
                or ("cross-origin-opener-policy" in headers and "referrer-policy" in headers))


def web(facts: dict, name: str) -> dict:
    return plain(Facts(facts).http.web.get(name)) or {}


LOG_PID = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\w+\] (\d+)#")


def error_log_lines(facts: dict) -> list:
    """nginx's error.log tail. While nginx runs, only the lines its present processes wrote: a line
    of a worker gone since the last reload or restart is about a configuration no longer loaded."""
    lines = []
    for tail in Facts(facts).nginx.error_log.values():
        lines += tail or []
    current = {p["pid"] for p in processes(facts) if p["argv"] and p["argv"][0].startswith("nginx:")}
    if not current or not nginx_runs(facts):
        return lines
    return [line for line in lines if not (m := LOG_PID.match(line)) or int(m.group(1)) in current]


def last_matching(lines: list, *needles: str) -> str | None:
    for line in reversed(lines):
        if all(n in line for n in needles):
            return line.strip()
    return None


def status_text(response: dict) -> str:
    if not response:
        return word("no_response")
    if response.get("status") is None:
        return word("connection_failed", error=response.get("error", "?"))
    return f"HTTP {response['status']}"
