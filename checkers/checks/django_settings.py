"""Steps 1 and 2: DEBUG off, ALLOWED_HOSTS with concrete addresses."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed
from checkers.checks.common import setting
from checkers.factsview import Facts, fallback


def debug_off(facts: dict):
    """DEBUG off as Django reads it (`if settings.DEBUG`): False, or another false value (0, "");
    a string from the environment such as "False" is true for Django."""
    file = fallback(Facts(facts).django.settings_file, "settings.py")
    debug = setting(facts, "DEBUG")
    if debug is False:
        return passed(file=file)
    if not debug and debug is not None:
        return passed("falsy", debug=repr(debug), file=file)
    if isinstance(debug, str):
        return failed("string", debug=repr(debug), file=file)
    return failed(debug=debug, file=file)


def allowed_hosts(facts: dict):
    hosts = setting(facts, "ALLOWED_HOSTS", [])
    shown = ", ".join(repr(h) for h in hosts)
    if not hosts:
        return failed("empty")
    if "*" in hosts:
        return failed("wildcard", hosts=shown)
    # On the port-forwarded course VM the browser's address is known: it must be allowed.
    params = Facts(facts).params
    host = params.site_host
    if params.browser_port and host and not any(host_matches(p, host) for p in hosts):
        return failed("site_missing", hosts=shown, host=host)
    return passed(hosts=shown)


def host_matches(pattern: str, host: str) -> bool:
    """Django's own rule (django.http.request.validate_host): exact, '.domain' for it and its
    subdomains, '*' for anything."""
    pattern, host = pattern.lower(), host.lower()
    if pattern == "*" or pattern == host:
        return True
    return pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:])


CHECKS = (
    Check("django.E001", debug_off, requires=("project.E003",)),
    Check("django.E002", allowed_hosts, requires=("project.E003",)),
)
