"""Step 8: gunicorn in the project's venv serves the Django app on the socket or port that
nginx proxies to, and a request through nginx reaches it."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed
from checkers.checks.webfacts import (describe_endpoint, error_log_lines, last_matching, listeners, status_text,
                                      upstream, web)
from checkers.facts import dig

CONNECT_REASONS = {2: "no_socket", 111: "refused", 13: "denied"}


def installed(facts: dict):
    version = dig(facts, "django.packages.gunicorn")
    if version:
        return passed(version=version)
    return failed(interpreter=dig(facts, "app.interpreter", "?"))


def _errno(response: dict) -> int | None:
    error = response.get("error") or ""
    if "(errno " in error:
        return int(error.rsplit("(errno ", 1)[1].rstrip(")"))
    return None


def serves_app(facts: dict):
    endpoint = upstream(facts)
    if endpoint is None:
        return failed("no_proxy_pass")
    where = describe_endpoint(endpoint)
    response = dig(facts, "http.upstream.home", {})
    if response.get("status") is None:
        reason = CONNECT_REASONS.get(_errno(response), "connect")
        return failed(reason, where=where, error=response.get("error", "?"))
    owners = listeners(facts, endpoint)
    names = " ".join(" ".join(p["argv"]) for p in owners)
    if owners and "gunicorn" not in names:
        return failed("other_server", where=where, process=names[:120])
    if response["status"] >= 500 or not response.get("django_headers"):
        return failed("bad_answer", where=where, status=status_text(response))
    return passed(where=where, status=status_text(response))


def proxy_reaches_app(facts: dict):
    home = web(facts, "home")
    if not home:
        return failed("no_port80")
    if home.get("status") is None:
        return failed("no_answer", status=status_text(home))
    if "nginx_welcome" in home.get("markers", []):
        return failed("welcome_page")
    if home["status"] in (502, 503, 504):
        log = last_matching(error_log_lines(facts), "upstream") or last_matching(error_log_lines(facts), "connect()")
        return failed("bad_gateway", status=status_text(home), log=log or "(error.log je prázdný)")
    if not home.get("django_headers"):
        return failed("not_django", status=status_text(home))
    return passed(status=status_text(home))


CHECKS = (
    Check("gunicorn.E001", installed, requires=("project.E002",)),
    Check("gunicorn.E002", serves_app, requires=("gunicorn.E001", "nginx.E005")),
    Check("gunicorn.E003", proxy_reaches_app, requires=("gunicorn.E002", "nginx.E002")),
)
