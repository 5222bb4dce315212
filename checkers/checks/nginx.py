"""Step 7: nginx installed, running, enabled, a valid enabled site that is not shadowed, and
/static/ and /media/ served by nginx itself (a real request for a real file)."""

from __future__ import annotations

import posixpath
import re

from checkers.checks.base import Check, Status, failed, passed, unknown, word
from checkers.checks.webfacts import (chosen_server, error_log_lines, ignored_twins, is_default_site, is_django,
                                      last_matching, nginx_runs, nginx_test_error, nothing_on_port80, passes_to_app,
                                      port80_holder, site_host, status_text, student_servers, web)
from checkers.factsview import Facts, fallback, plain
from checkers.probe import nginx_conf

NGINX_PACKAGES = ("nginx", "nginx-core", "nginx-light", "nginx-full")


def _unit(facts: dict) -> dict:
    return Facts(facts).systemd.units.get("nginx.service", {})


def installed(facts: dict):
    f = Facts(facts)
    versions = f.packages.versions
    version = next((versions[p] for p in NGINX_PACKAGES if versions.get(p)), None)
    if version or f.nginx.installed:
        return passed(version=version or "?")
    return failed()


def running(facts: dict):
    if nginx_runs(facts):
        return passed()
    unit = _unit(facts)
    state = {"state": unit.get("active_state"), "result": unit.get("result")} if unit else {
        "state": word("not_running"), "result": "?"}
    if Facts(facts).nginx.test.rc not in (0, None):  # starting it would fail: the configuration first
        return failed("invalid", **state)
    holder = port80_holder(facts)
    if holder:  # starting it would fail too: the port is taken
        who, service = holder
        if service:
            return failed("port_taken_service", **state, **who, service=service)
        return failed("port_taken", **state, **who)
    return failed(**state)


def enabled(facts: dict):
    unit = _unit(facts)
    if not Facts(facts).systemd.available:
        return unknown("no_systemd")
    if unit.get("unit_file_state") == "enabled":
        return passed()
    return failed(state=unit.get("unit_file_state", "?"))


def config_valid(facts: dict):
    test = Facts(facts).nginx.test
    if test.get("rc") == 0:
        return passed()
    if test.get("timed_out"):  # a busy machine: no verdict on the configuration
        return unknown("timed_out")
    error = nginx_test_error(facts)
    return failed(error=error) if nginx_runs(facts) else failed("stopped", error=error)  # nothing to reload


def site_enabled(facts: dict):
    nginx = Facts(facts).nginx
    enabled_entries = nginx.sites_enabled + nginx.conf_d
    broken = [e for e in enabled_entries if e.get("symlink_to") and not e.get("exists")]
    if broken:
        available = [e["name"] for e in nginx.sites_available if e["name"] != "default"]
        return failed("broken_link", names=", ".join(f"{e['name']} → {e['symlink_to']}" for e in broken),
                      first=broken[0]["name"], available=", ".join(available) or word("none_plural"))
    servers = student_servers(facts)
    if servers:
        return passed(file=servers[0]["file"])
    available = [e["name"] for e in nginx.sites_available if e["name"] != "default"]
    if available:
        return failed("not_enabled", names=", ".join(available), first=available[0])
    return failed("missing")


def not_shadowed(facts: dict):
    server, why = chosen_server(facts)
    host = site_host(facts)
    if server is None and why == "none":  # no server block listens on port 80 at all
        return nothing_on_port80(facts)
    if server is not None and not is_default_site(server):
        passing = [s["file"] for s in ignored_twins(facts, server) if passes_to_app(s)]
        if passing and not passes_to_app(server):  # a copy with the same name, loaded first, answers
            return failed("twin", host=host, used=server["file"], ignored=", ".join(passing))
        return passed(file=server["file"], host=host)
    names = ", ".join(n for s in student_servers(facts) for n in s["server_names"] if n) or word("none_plural")
    return failed(host=host, names=names)


def loaded_change(facts: dict) -> dict | None:
    """The configuration change nginx has not loaded yet (edited or linked after its workers
    started: no reload since), or None."""
    change = plain(Facts(facts).nginx.newest_change)
    workers = [p for p in facts.get("processes") or []
               if p.get("argv") and p["argv"][0] == "nginx: worker process" and p.get("started")]
    if not change or not workers:
        return None
    loaded = max(p["started"] for p in workers)
    return change if change["mtime"] > loaded + 1 else None


def config_loaded(facts: dict):
    if not any(p.get("argv") and p["argv"][0] == "nginx: worker process" for p in facts.get("processes") or []):
        return unknown("no_workers")
    if not Facts(facts).nginx.newest_change:
        return unknown("no_workers")
    change = loaded_change(facts)
    if change:
        return failed(file=change["path"])
    return passed()


def _served(facts: dict, name: str, url_prefix_key: str, expect_css: bool):
    response = web(facts, name)
    if not response:
        return None
    host = site_host(facts)
    if response.get("status") != 200:
        log = last_matching(error_log_lines(facts), response["path"].rsplit("/", 1)[-1])
        opened = OPENED_PATH.search(log or "")
        if opened:  # what the running nginx really opened (its files may say otherwise until a reload)
            path = opened.group(1)
        else:
            server, _ = chosen_server(facts)
            location = nginx_conf.select_location(server, response["path"])
            path = nginx_conf.file_for(server, location, response["path"]) or "?"
            if path == "?" and response.get("django_headers"):  # no file location: nginx asked the app
                prefix = "/" + response["path"].strip("/").split("/", 1)[0] + "/"
                return failed("to_app", url=response["path"], status=status_text(response), prefix=prefix,
                              where=(location or {}).get("path") or "/")
        reason = {404: "not_found", 403: "forbidden"}.get(response.get("status"), "status")
        return failed(reason, url=response["path"], status=status_text(response), path=path,
                      log=log or word("error_log_silent"), host=host)
    if response.get("django_headers"):
        return failed("by_django", url=response["path"])
    if response.get("expected_sha256") and response.get("body_sha256") != response.get("expected_sha256"):
        return failed("other_file", url=response["path"])
    content_type = fallback((response.get("headers") or {}).get("content-type"), "")
    if expect_css and not content_type.startswith("text/css"):
        return failed("content_type", url=response["path"], content_type=content_type or word("missing"))
    return passed(url=response["path"], content_type=content_type)


def static_served(facts: dict):
    outcome = _served(facts, "static_file", "static", expect_css=True)
    if outcome is None:
        if not Facts(facts).http.web:
            return nothing_on_port80(facts)
        return failed("no_sample")
    if outcome.status is Status.PASSED and web(facts, "static_installed"):
        # The project's own file passed; one only collectstatic brings (the admin's) must pass too.
        installed = _served(facts, "static_installed", "static", expect_css=True)
        if installed.status is not Status.PASSED and installed.reason == "not_found":
            return failed("installed_not_found", url=installed.seen["url"], status=installed.seen["status"],
                          path=installed.seen["path"], root=fallback(Facts(facts).django.static.root, "?"),
                          own=web(facts, "static_file")["path"])
        return outcome if installed.status is Status.PASSED else installed
    return outcome


def media_served(facts: dict):
    outcome = _served(facts, "media_file", "media", expect_css=False)
    if outcome is None:
        if not Facts(facts).http.web:
            return nothing_on_port80(facts)
        return media_by_behaviour(facts)
    return outcome


OPENED_PATH = re.compile(r'open\(\) "([^"]+)" failed')
NOT_FOUND_LINE = re.compile(r'open\(\) "([^"]+)" failed \(2: No such file or directory\)')


def media_by_behaviour(facts: dict):
    """MEDIA_ROOT holds no file to fetch: a request for a file that cannot exist shows who serves
    /media/ - nginx answers 404 itself and its error log names the file it looked for on disk."""
    media = Facts(facts).django.media
    root = fallback(media.root, "?")
    response = web(facts, "media_missing")
    if not response or response.get("status") is None:
        return unknown("no_sample", root=root)
    if is_django(response):
        return failed("by_django", url=response["path"])
    if response["status"] != 404:
        return unknown("no_sample", root=root)
    name = response["path"].rsplit("/", 1)[-1]
    looked = next((m.group(1) for m in map(NOT_FOUND_LINE.search, reversed(error_log_lines(facts)))
                   if m and m.group(1).endswith("/" + name)), None)
    if looked is None:
        return passed("behaviour", url=response["path"], path="?")
    folder = looked[: -len(name)].rstrip("/")
    same = {posixpath.normpath(p) for p in (root, media.realpath) if p}
    if posixpath.normpath(folder) not in same:
        return failed("other_dir", url=response["path"], path=folder, root=root)
    return passed("behaviour", url=response["path"], path=folder)


CHECKS = (
    Check("nginx.E001", installed),
    Check("nginx.E002", running, requires=("nginx.E001",)),
    Check("nginx.E003", enabled, requires=("nginx.E001",)),
    Check("nginx.E004", config_valid, requires=("nginx.E001",)),
    Check("nginx.E005", site_enabled, requires=("nginx.E001",)),
    Check("nginx.E006", not_shadowed, requires=("nginx.E005",)),
    Check("nginx.E007", static_served, requires=("nginx.E002", "nginx.E006", "static.E003")),
    Check("nginx.E008", media_served, requires=("nginx.E002", "nginx.E006", "media.E002")),
    Check("nginx.E009", config_loaded, requires=("nginx.E002", "nginx.E004")),
)
