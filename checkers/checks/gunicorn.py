"""Step 8: gunicorn in the project's venv serves the Django app on the socket or port that
nginx proxies to, and a request through nginx reaches it.

"Serves the app" means Django answers, with any status: a 400 (ALLOWED_HOSTS, step 2) or a 500
(the database, step 10) is Django serving, and those steps say what is wrong. Once the app runs
as a systemd service (step 9), a stopped or crashing service is that step's failure: here it
makes the serving impossible to verify, not a failure of gunicorn's own setup."""

from __future__ import annotations

from checkers.checks.base import Check, Level, failed, passed, unknown, word
from checkers.checks.service import app_unit, stability
from checkers.checks.webfacts import (app_endpoint, describe_endpoint, error_log_lines, is_django, last_matching,
                                      gunicorn_processes, nothing_on_port80,
                                      listeners, status_text, upstream, web)
from checkers.factsview import Facts, fallback

CONNECT_REASONS = {2: "no_socket", 111: "refused", 13: "denied"}


def installed(facts: dict):
    f = Facts(facts)
    version = f.django.packages.get("gunicorn")
    if version:
        return passed(version=version)
    return failed(interpreter=fallback(f.app.interpreter, "?"))


def _errno(response: dict) -> int | None:
    error = response.get("error") or ""
    if "(errno " in error:
        return int(error.rsplit("(errno ", 1)[1].rstrip(")"))
    return None


def service_down(facts: dict):
    """The service that should run gunicorn (step 9) is down or falling: nothing here to verify."""
    unit = app_unit(facts)
    if not unit:
        return None
    seen = stability(facts, unit)
    if seen.up:
        return None
    if seen.kind in ("crash_loop", "restarted"):  # "active" caught between two crashes says nothing
        return unknown("service_falling", unit=unit["name"])
    return unknown("service_down", unit=unit["name"], state=seen.state)


# A main process younger than this whose app does not answer in time may still be booting its
# workers (the checker run right after `systemctl restart`): not yet a verdict.
STARTING_SECONDS = 30


def still_starting(facts: dict, response: dict):
    """The request timed out and the service's main process had started only seconds before."""
    unit = app_unit(facts)
    if not unit or response.get("error") != "timeout" or not stability(facts, unit).up:
        return None
    ago = unit.get("main_started_ago")
    if ago is None or ago > STARTING_SECONDS:
        return None
    return unknown("service_starting", unit=unit["name"], ago=ago)


def serves_app(facts: dict):
    endpoint = app_endpoint(facts)
    if endpoint is None:
        return failed("no_proxy_pass")
    where = describe_endpoint(endpoint)
    response = Facts(facts).http.upstream.home
    if response.get("status") is None:
        down = service_down(facts) or still_starting(facts, response)
        if down:
            return down
        reason = CONNECT_REASONS.get(_errno(response), "connect")
        gunicorns = {p["pid"] for p in gunicorn_processes(facts)}
        holders = [p for p in listeners(facts, endpoint) if p["pid"] in gunicorns]
        if reason == "no_socket" and holders:  # it listens there, yet nginx does not find the path
            unit = app_unit(facts) or {}
            name = unit.get("name") or "gunicorn"
            private = "PrivateTmp" in (unit.get("fragment_text") or "") or unit.get("drop_ins")
            if endpoint["path"].startswith(("/tmp/", "/var/tmp/")) and private:  # its own /tmp, or removed
                return failed("socket_not_visible", where=where, unit=name,
                              files=", ".join([unit.get("fragment_path") or name, *(unit.get("drop_ins") or [])]))
            return failed("socket_file_gone", where=where, unit=name)
        return failed(reason, where=where, error=response.get("error", "?"))
    owners = listeners(facts, endpoint)
    names = " ".join(" ".join(p["argv"]) for p in owners)
    if owners and "gunicorn" not in names:
        return failed("other_server", where=where, process=names[:120])
    if not is_django(response):
        return service_down(facts) or failed("bad_answer", where=where, status=status_text(response))
    return passed(where=where, status=status_text(response))


def proxy_reaches_app(facts: dict):
    """Behaviour first: Django answering through nginx is proof (the files may say otherwise, e.g.
    an invalid edit nginx has not loaded)."""
    home = web(facts, "home")
    if not home:
        return nothing_on_port80(facts)
    if home.get("status") is None:
        return still_starting(facts, home) or failed("no_answer", status=status_text(home))
    if is_django(home):
        return passed(status=status_text(home))
    if upstream(facts) is None:
        return failed("no_proxy_pass")
    if "nginx_welcome" in home.get("markers", []):
        return failed("welcome_page")
    if home["status"] in (502, 503, 504):
        down = service_down(facts)
        if down:
            return down
        log = last_matching(error_log_lines(facts), "upstream") or last_matching(error_log_lines(facts), "connect()")
        return failed("bad_gateway", status=status_text(home), log=log or word("error_log_empty"))
    if not is_django(home):
        return failed("not_django", status=status_text(home))
    return passed(status=status_text(home))


def listens_locally(facts: dict):
    """gunicorn listens only where nginx reaches it (a unix socket or loopback), not on every network
    interface, where anyone who knows the machine's address bypasses nginx. Beyond the lesson: advice."""
    gunicorns = {p["pid"] for p in gunicorn_processes(facts)}
    if not gunicorns:
        return unknown("no_gunicorn")
    public = [f"{row['addr']}:{row['port']}" for row in Facts(facts).listening.tcp
              if gunicorns & set(row.get("pids") or []) and row["addr"] in ("0.0.0.0", "::", "*")]
    if public:
        return failed(where=", ".join(public))
    return passed()


CHECKS = (
    Check("gunicorn.E001", installed, requires=("project.E002",)),
    Check("gunicorn.E002", serves_app, requires=("gunicorn.E001", "nginx.E005")),
    Check("gunicorn.E003", proxy_reaches_app, requires=("gunicorn.E002", "nginx.E002", "nginx.E006")),
    Check("gunicorn.W001", listens_locally, requires=("gunicorn.E002",), level=Level.RECOMMENDED),
)
