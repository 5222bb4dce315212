"""Causes on Django's and the database's side: DEBUG on, a host not allowed, the database down,
refusing or missing, migrations not applied or not allowed, stale collectstatic; a name whose
DNS leads elsewhere."""

from __future__ import annotations

import ipaddress

from checkers.checks.base import cause, failed, passed
from checkers.checks.causes.helpers import classified
from checkers.checks.service import app_unit
from checkers.checks.webfacts import site_host, web
from checkers.factsview import Facts, fallback


def debug_on(facts: dict):
    not_found = web(facts, "not_found")
    file = fallback(Facts(facts).django.settings_file, "settings.py")
    if Facts(facts).django.settings.get("DEBUG") is True and (app_unit(facts) or not_found):
        return failed(file=file)
    if "django_debug" in not_found.get("markers", []):
        return failed(file=file)
    return passed()


def host_not_allowed(facts: dict):
    home = web(facts, "home")
    if home.get("status") != 400 or "django_400" not in home.get("markers", []):
        return passed()
    allowed = [str(h) for h in Facts(facts).django.settings.get("ALLOWED_HOSTS") or []]
    hosts, host = ", ".join(allowed), site_host(facts)
    if host_allowed(host, allowed):  # the settings as a restart would load them allow it: the process is older
        unit = app_unit(facts)
        return failed("stale", host=host, hosts=hosts, unit=unit["name"] if unit else "gunicorn")
    return failed("" if hosts else "empty", host=host, hosts=hosts)


def host_allowed(host: str, patterns: list[str]) -> bool:
    """Django's own rule (django.http.request.validate_host): the host without its port equals a
    pattern, is under a ".domain" pattern, or the pattern is "*"."""
    name = host.lower()
    if name.startswith("["):  # [::1]:8080
        name = name[:name.find("]") + 1]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    name = name.removesuffix(".")
    for pattern in (p.lower() for p in patterns):
        if pattern == "*" or name == pattern or (pattern.startswith(".") and
                                                 (name.endswith(pattern) or name == pattern[1:])):
            return True
    return False


def _database_error(facts: dict) -> list:
    """Django could not connect: a refused password (D014), no such database (D015), other (D023)."""
    connect = Facts(facts).django.database.connect
    if connect.get("ok") or not connect.get("error"):
        return []
    message = (connect["error"] or {}).get("message", "")
    lowered = message.lower()
    if "password authentication failed" in lowered:
        return [("doctor.D014", "", {"user": fallback(Facts(facts).django.database.user, "?"), "line": message})]
    if "does not exist" in lowered and "database" in lowered:
        return [("doctor.D015", "", {"name": fallback(Facts(facts).django.database.name, "?"), "line": message})]
    if "peer authentication failed" in lowered:  # HOST empty: the unix socket, where the OS user must match
        return [("doctor.D023", "peer", {"line": message, "user": fallback(Facts(facts).django.database.user, "?"),
                                          "os_user": fallback(Facts(facts).django.ran_as, "?")})]
    return [("doctor.D023", "", {"line": message})]


def postgres_down(facts: dict):
    """Django uses PostgreSQL and no cluster of it runs (its units say so)."""
    engine = str(fallback(Facts(facts).django.database.engine, ""))
    if not engine.endswith(("postgresql", "postgis")):
        return passed()
    units = Facts(facts).systemd.units
    clusters = [u for name, u in units.items() if name.startswith("postgresql@")]
    if not clusters and "postgresql.service" in units:  # Debian's umbrella unit stops its clusters with it
        clusters = [units["postgresql.service"]]
    if not clusters or any(u.get("active_state") == "active" for u in clusters):
        return passed()
    return failed(units=", ".join(f"{u.get('name')}: {u.get('active_state')}" for u in clusters))


def schema_not_owned(facts: dict):
    """PostgreSQL 15: a database owned by another role leaves the app's role without the right to
    create tables in schema public, so migrate fails (the lesson's OWNER avoids it)."""
    database = Facts(facts).django.database
    role, name = database.get("user"), database.get("name")
    owner = next((d.get("owner") for d in Facts(facts).postgres.databases if d.get("name") == name), None)
    if not role or not owner or owner == role or not database.get("unapplied_migrations"):
        return passed()
    return failed(name=name, owner=owner, role=role)


def unapplied_migrations(facts: dict):
    pending = Facts(facts).django.database.unapplied_migrations
    return failed(count=len(pending), names=", ".join(pending[:5])) if pending else passed()


def stale_collectstatic(facts: dict):
    static = Facts(facts).django.static
    if not static.get("outdated_count") or static.get("missing_count"):
        return passed()
    return failed(count=static["outdated_count"], examples=", ".join(static.get("outdated", [])[:3]),
                  root=static.get("root") or "?")


def django_server_error(facts: dict):
    """The home page is Django's own 500 page and no known cause explains it (those supersede this):
    an exception in the app that Django, with DEBUG off, logs nowhere by default."""
    home = web(facts, "home")
    if home.get("status") != 500 or "django_500" not in home.get("markers", []):
        return passed()
    unit = app_unit(facts) or {}
    return failed(host=site_host(facts), project=fallback(Facts(facts).app.project_dir, "/srv/my_project"),
                  user=unit.get("user") or "www-data", python=fallback(Facts(facts).app.interpreter, ".venv/bin/python"))


def names_elsewhere(facts: dict):
    """Only where the site is visited under a name: the course VM is visited by its address, and a
    name in ALLOWED_HOSTS that leads elsewhere changes nothing for it."""
    if _is_address(site_host(facts)):
        return passed()
    wrong = {name: info for name, info in (facts.get("dns") or {}).items() if not info.get("local")}
    if not wrong:
        return passed()
    return failed(names=", ".join(f"{name} → {', '.join(info.get('addresses') or []) or '–'}"
                                  for name, info in wrong.items()))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").rsplit(":", 1)[0] if host.count(":") == 1 else host.strip("[]"))
        return True
    except ValueError:
        return host == "localhost"


CHECKS = (
    cause("doctor.D013", host_not_allowed, ["doctor.A002"]),
    cause("doctor.D029", postgres_down, ["doctor.D023", "doctor.D036"]),
    cause("doctor.D014", classified("doctor.D014", _database_error), ["doctor.D036"]),
    cause("doctor.D015", classified("doctor.D015", _database_error), ["doctor.D036"]),
    cause("doctor.D023", classified("doctor.D023", _database_error), ["doctor.D036"]),
    cause("doctor.D028", schema_not_owned, ["doctor.D024", "doctor.D036"]),
    cause("doctor.D024", unapplied_migrations, ["doctor.D036"]),
    cause("doctor.D012", debug_on),
    cause("doctor.D026", stale_collectstatic),
    cause("doctor.D036", django_server_error),
    cause("doctor.A002", names_elsewhere),
)
