"""Causes on the web server's side: nginx down, invalid or not reloaded, the wrong site answering,
no proxy_pass, 502s (socket missing, refused, denied, mismatched), 403/404 for files, CSRF behind
a Host without the port."""

from __future__ import annotations

import re

from checkers.checks.base import cause, failed, passed
from checkers.checks.causes.helpers import (PERMISSION_ERROR, classified, gunicorn_binds, gunicorn_masters, home_status,
                                            last_upstream_error, permission_chain)
from checkers.checks.nginx import loaded_change
from checkers.checks.service import app_unit, stability
from checkers.checks.webfacts import (chosen_server, describe_endpoint, error_log_lines, https_redirect, ignored_twins,
                                      is_default_site, is_django, last_matching, nginx_runs, nginx_test_error, passes_to_app,
                                      port80_holder, site_host, site_ports, student_servers, upstream, web)
from checkers.factsview import Facts, fallback
from checkers.probe import nginx_conf


def nginx_missing(facts: dict):
    if not Facts(facts).nginx.installed:
        return failed("not_installed")
    unit = Facts(facts).systemd.units.get("nginx.service")
    if unit and unit.get("active_state") != "active":
        return failed(state=f"{unit.get('active_state')} ({unit.get('result')})")
    return passed()


def port80_taken(facts: dict):
    """nginx is not running and another program holds port 80: nginx cannot start while it does."""
    if not Facts(facts).nginx.installed or nginx_runs(facts):
        return passed()
    holder = port80_holder(facts)
    if not holder:
        return passed()
    bind = last_matching(error_log_lines(facts), "bind()", ":80 failed", "Address already in use")
    seen, service = holder
    if service:
        return failed("service_log" if bind else "service", **seen, service=service, line=bind or "")
    return failed("process_log" if bind else "process", **seen, line=bind or "")


def site_not_on_port80(facts: dict):
    """nginx runs, and no site of its configuration listens on port 80 (where the course VM's
    forwarded port 8080 arrives): the student's site listens elsewhere."""
    server, why = chosen_server(facts)
    if why != "none" or not nginx_runs(facts) or not Facts(facts).nginx.installed:
        return passed()
    ports = [p for p in site_ports(facts) if p != 80]
    if not ports:
        return passed()
    files = sorted({s["file"] for s in student_servers(facts)})
    seen = {"ports": ", ".join(map(str, ports)), "file": ", ".join(files)}
    browser_port = Facts(facts).params.browser_port
    if browser_port and browser_port != 80:  # the course VM: the computer's port forwarded to 80
        return failed("forwarded", **seen, port=browser_port)
    return failed(**seen)


def redirect_to_missing_https(facts: dict):
    """The site sends the browser to https:// and nothing on the machine listens on 443."""
    home = web(facts, "home")
    redirect = https_redirect(facts, home)
    if redirect is None:
        return passed()
    seen = {"location": redirect["location"], "status": home.get("status")}
    if redirect["by"] == "app":
        return failed("app", **seen)
    return failed("nginx", **seen)


MISSING_FILE = re.compile(r'open\(\) "([^"]+)" failed \(2: ')


def nginx_config_invalid(facts: dict):
    test = Facts(facts).nginx.test
    if not Facts(facts).nginx.installed or test.get("rc") in (0, None) or test.get("timed_out"):
        return passed()
    error, running = nginx_test_error(facts), nginx_runs(facts)
    missing = MISSING_FILE.search(error)  # an include (typically a sites-enabled link) whose file is gone
    if missing:
        return failed("missing_file_running" if running else "missing_file_stopped", error=error, file=missing[1])
    return failed("running" if running else "stopped", error=error)


def nginx_not_reloaded(facts: dict):
    """The files say one thing, the running nginx another: a change without a reload. Named only
    when the site shows a symptom (an edited comment breaks nothing)."""
    change = loaded_change(facts)
    if not change or Facts(facts).nginx.test.rc not in (0, None):
        return passed()
    responses = [web(facts, name) for name in ("home", "static_file", "media_file", "media_missing")]
    home = responses[0]
    symptom = home.get("status") != 200 or "nginx_welcome" in home.get("markers", []) or any(
        r.get("status") not in (200, 404, None) or (r.get("expected_sha256") and r.get("status") != 200)
        for r in responses[1:] if r)
    return failed(file=change["path"]) if symptom else passed()


def default_site_wins(facts: dict):
    if "nginx_welcome" not in web(facts, "home").get("markers", []):
        return passed()
    server, _ = chosen_server(facts)
    if server is not None and not is_default_site(server):
        return passed()
    names = ", ".join(n for s in Facts(facts).nginx.config.servers if not is_default_site(s)
                      for n in s.get("server_names", []) if n)
    return failed("" if names else "no_own_site", host=site_host(facts), names=names)


CONFLICT = re.compile(r'conflicting server name "([^"]*)" on ([^,]+), ignored')


def shadowing_site(facts: dict):
    """Two enabled server blocks with the site's name and port: nginx answers from the first it
    loads and ignores the other (`nginx -t` warns), and the one answering does not serve the site."""
    home = web(facts, "home")
    if home.get("status") == 200 and is_django(home):
        return passed()  # a harmless duplicate: the warning alone breaks nothing
    used, _ = chosen_server(facts)
    ignored = ignored_twins(facts, used)
    host = site_host(facts).lower()
    where = next((at for name, at in CONFLICT.findall(Facts(facts).nginx.test.get("output") or "")
                  if name.lower() == host), None)
    if not ignored or where is None:
        return passed()
    return failed(name=host, where=where, used=used["file"], ignored=", ".join(s["file"] for s in ignored),
                  line=f'conflicting server name "{host}" on {where}, ignored')


def no_proxy_pass(facts: dict):
    server, _ = chosen_server(facts)
    if server is None or is_default_site(server):
        return passed()
    if passes_to_app(server):
        return passed()
    return failed(file=server["file"])


def _gateway(facts: dict) -> list:
    """502/504: [(cause id, reason, seen)] — socket missing (2), denied (13), refused (111),
    addresses that do not meet, gunicorn down — or [] when the home page is no gateway error."""
    if home_status(facts) not in (502, 504):
        return []
    error = last_upstream_error(facts)
    found = _gateway_cause(facts, error)
    if found[0] == "doctor.D005":  # nobody serves: is it because systemd stopped starting the service?
        unit = app_unit(facts)
        seen = stability(facts, unit) if unit else None
        if seen is not None and seen.kind == "gave_up":
            reason = "gave_up_socket" if seen.socket else "gave_up"
            return [(found[0], reason, {**found[1], "unit": unit["name"], "socket": seen.socket})]
    return [(found[0], "" if error else "no_log", found[1])]


def _gateway_cause(facts: dict, error):
    endpoint = upstream(facts)
    where = describe_endpoint(endpoint)
    seen = {"where": where, "log": error[2] if error else ""}
    errno = error[1] if error else None
    if errno == 13:
        denied = next((r for r in Facts(facts).paths.web_user_access.results if r.get("need") == "connect"), {})
        chain = permission_chain(facts, endpoint["path"]) if endpoint and endpoint.get("kind") == "unix" else ""
        return "doctor.D004", {**seen, "user": fallback(Facts(facts).paths.web_user, "www-data"),
                               "denied": denied.get("denied_at") or where, "chain": chain}
    if not gunicorn_masters(facts) or not _serves_steadily(facts):
        return "doctor.D005", seen  # a gunicorn caught between crashes does not serve either
    served = gunicorn_binds(facts)
    if endpoint and served and describe_endpoint(endpoint) not in served:
        return "doctor.D006", {"nginx": where, "gunicorn": ", ".join(sorted(served)), "log": seen["log"]}
    if errno == 2:
        return "doctor.D003", seen
    return "doctor.D005", seen


def _serves_steadily(facts: dict) -> bool:
    """The app's unit stayed up during the whole probe (no unit: the processes are all we have)."""
    unit = app_unit(facts)
    return unit is None or stability(facts, unit).up


def _file_problem(facts: dict, sample_key: str, linked_key: str | None, kind: str):
    """A static or media file answered 403/404: (cause id, reason, seen) or None."""
    response = web(facts, sample_key) or (web(facts, linked_key) if linked_key else {})
    status = response.get("status")
    if status not in (403, 404):
        return None
    server, _ = chosen_server(facts)
    location = nginx_conf.select_location(server, response["path"])
    nginx_path = nginx_conf.file_for(server, location, response["path"])
    root = (Facts(facts).django.static if kind == "static" else Facts(facts).django.media).root or "?"
    if status == 403:
        log = next((m.group(1) for m in map(PERMISSION_ERROR.search, reversed(error_log_lines(facts))) if m), None)
        access = next((r for r in Facts(facts).paths.web_user_access.results if r.get("path") == root), {})
        if access.get("ok") and log:  # every directory up to the root lets it through: the file is closed
            return "doctor.D009", kind + "_file", {"url": response["path"], "file": log, "root": root,
                                                   "user": fallback(Facts(facts).paths.web_user, "www-data")}
        denied = access.get("denied_at") or (log and log.rsplit("/", 1)[0]) or root
        return "doctor.D009", kind, {"url": response["path"], "denied": denied,
                                     "chain": permission_chain(facts, root, with_group=False),
                                     "user": fallback(Facts(facts).paths.web_user, "www-data")}
    if kind == "static" and (fallback(Facts(facts).django.static.missing_count, 0) or not Facts(facts).django.static.root_exists):
        return "doctor.D008", "", {"url": response["path"], "root": root}
    proxied = location is None or bool(location.get("proxy_pass"))
    return "doctor.D007", kind + ("_proxied" if proxied else ""), {
        "url": response["path"], "nginx_path": "" if proxied else (nginx_path or "?"), "root": root, "prefix": kind}


def _files(facts: dict) -> list:
    static = (_file_problem(facts, "static_file", "static_linked", "static")
              or _file_problem(facts, "static_installed", None, "static"))  # only collectstatic brings it
    return [found for found in (static, _file_problem(facts, "media_file", None, "media")) if found]


def host_without_port(facts: dict):
    """The admin login fails CSRF and nginx passes `Host $host`, which drops the port the browser
    uses on a port-forwarded VM (Origin 127.0.0.1:8080 vs Host 127.0.0.1)."""
    post = (web(facts, "admin_login").get("post") or {})
    if post.get("status") != 403 and "csrf_failure" not in post.get("markers", []):
        return passed()
    server, _ = chosen_server(facts)
    location = nginx_conf.select_location(server, "/")
    value = (location or {}).get("host_header")
    if value not in ("$host", "$server_name") or not Facts(facts).params.browser_port:
        return passed()
    return failed(value=value, file=(location or {}).get("file") or (server or {}).get("file"),
                  port=Facts(facts).params.browser_port)


# what the files say is not what runs: symptoms read from the files would mislead
_NOT_RELOADED_HIDES = ("doctor.D003", "doctor.D006", "doctor.D007", "doctor.D019", "doctor.D021")

# What another program on port 80 answers is not the site's: no cause read from those answers holds
# (causes read from files and settings still do).
_ANSWERED_BY_ANOTHER = ("doctor.D001", "doctor.D004", "doctor.D005", "doctor.D006", "doctor.D003", "doctor.D009",
                        "doctor.D008", "doctor.D007", "doctor.D013", "doctor.D035", "doctor.D036")

CHECKS = (
    cause("doctor.D002", nginx_config_invalid, ["doctor.D001"]),
    cause("doctor.D039", port80_taken, _ANSWERED_BY_ANOTHER),
    cause("doctor.D001", nginx_missing, ["doctor.D019", "doctor.D021"]),
    cause("doctor.D033", site_not_on_port80, ["doctor.D019", "doctor.D021"]),
    cause("doctor.D027", nginx_not_reloaded, _NOT_RELOADED_HIDES),
    cause("doctor.D037", shadowing_site, ["doctor.D019", "doctor.D021", "doctor.D007", "doctor.D008", "doctor.D009"]),
    cause("doctor.D019", default_site_wins, ["doctor.D007", "doctor.D008", "doctor.D009"]),  # it answers instead
    cause("doctor.D021", no_proxy_pass, ["doctor.D019"]),
    cause("doctor.D035", redirect_to_missing_https),
    cause("doctor.D004", classified("doctor.D004", _gateway)),
    cause("doctor.D005", classified("doctor.D005", _gateway)),
    cause("doctor.D006", classified("doctor.D006", _gateway)),
    cause("doctor.D003", classified("doctor.D003", _gateway)),
    cause("doctor.D009", classified("doctor.D009", _files)),
    cause("doctor.D008", classified("doctor.D008", _files), ["doctor.D026"]),
    cause("doctor.D007", classified("doctor.D007", _files)),
    cause("doctor.D031", host_without_port),
)
