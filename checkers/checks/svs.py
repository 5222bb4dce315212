"""Bonus step `svs`: a deployment on the school's student server SVS (svs.gyarab.cz).

Facts from the probe profile "svs" (checkers/probe/svs.py): facts['svs'] (domain, the Caddy root
and its config, the user service, linger, who listens on the domain's port, ~/.pgpass names,
media link), facts['app'] and facts['django'] (the project run with the service's own
environment). The live part of the same run (facts['live']) is graded by the `web` step.
"""

from __future__ import annotations

import posixpath

from checkers.checks.base import Check, failed, passed, unknown, word
from checkers.checks.common import collectstatic_outcome, setting, settings_problem
from checkers.factsview import Facts, fallback

MIN_KEY_LENGTH = 50
SOURCES = ("service", "process", "default")  # where the settings module was named: [_seen] settings_from_*


def _svs(facts: dict):
    return Facts(facts).svs


def domain(facts: dict) -> str:
    return Facts(facts).svs.domain.name or "?"


def domain_known(facts: dict):
    svs = _svs(facts)
    if not svs:
        return unknown("no_facts")
    found = svs.get("domain") or {}
    if not found.get("name"):
        candidates = ", ".join(found.get("candidates") or []) or word("none_feminine")
        return failed("no_domain", candidates=candidates)
    if not found.get("valid"):
        return failed("invalid", domain=found["name"])
    if not fallback(svs.caddy_root.exists, False):
        return failed("not_registered", domain=found["name"])
    port = svs.caddy_conf.port
    return passed(domain=found["name"], port=port or "?", source=found.get("source") or "?")


def unit_exists(facts: dict):
    svs = _svs(facts)
    unit = svs.get("unit")
    if not unit:
        files = ", ".join(u["name"] for u in svs.get("unit_files", [])) or word("none_neuter")
        return failed("missing", domain=domain(facts), files=files)
    manager = svs.get("user_manager") or {}
    if not manager.get("ok"):
        return unknown("manager", error=manager.get("error") or "?")
    if unit.get("load_state") != "loaded":
        return failed("not_loaded", unit=unit["name"], state=unit.get("load_state") or "?")
    if unit.get("need_daemon_reload"):
        return failed("reload", unit=unit["name"])
    if not unit.get("app_server"):
        return failed("no_app_server", unit=unit["name"], command=" ".join(unit.get("exec_start") or [])[:200])
    return passed(unit=unit["name"], path=unit.get("path") or "?")


def unit_enabled(facts: dict):
    unit = Facts(facts).svs.unit
    state = unit.get("unit_file_state") or "?"
    if not unit.get("wanted_by"):
        return failed("no_install", unit=unit.get("name", "?"))
    if state not in ("enabled", "enabled-runtime", "linked", "linked-runtime"):
        return failed("disabled", unit=unit.get("name", "?"), state=state)
    return passed(unit=unit["name"], wanted_by=", ".join(unit["wanted_by"]))


def unit_active(facts: dict):
    unit = Facts(facts).svs.unit
    state = unit.get("active_state") or "?"
    if state == "active":
        return passed(unit=unit["name"], state=unit.get("sub_state") or state)
    journal = [line for line in unit.get("journal") or [] if line.strip()]
    last = journal[-1] if journal else word("log_empty")
    if state == "activating" or unit.get("n_restarts", 0) > 2:
        return failed("crash_loop", unit=unit.get("name", "?"), state=state, log=last)
    return failed("inactive", unit=unit.get("name", "?"), state=state, result=unit.get("result") or "?", log=last)


def linger(facts: dict):
    value = Facts(facts).svs.linger
    user = fallback(Facts(facts).svs.account.name, "?")
    if value.get("file") or value.get("loginctl") == "yes":
        return passed(user=user)
    return failed(user=user)


def port_served(facts: dict):
    svs = _svs(facts)
    port = svs.caddy_conf.port
    if not port:
        return failed("no_port", domain=domain(facts), conf=fallback(svs.caddy_conf.path, "?"))
    unit = svs.get("unit") or {}
    binds = unit.get("binds") or []
    bound_ports = {b.rsplit(":", 1)[-1] for b in binds if ":" in b and not b.startswith("unix:")}
    if binds and str(port) not in bound_ports:
        return failed("wrong_port", unit=unit.get("name", "?"), binds=", ".join(binds), port=port)
    listener = svs.get("listener") or {}
    kind = listener.get("kind")
    command = " ".join((listener.get("processes") or [{}])[0].get("argv", []))[:160] if listener.get("processes") else ""
    if kind == "none" or not listener.get("listening"):
        return failed("nothing", port=port)
    if kind == "runserver":
        return failed("runserver", port=port, command=command)
    if kind == "other":
        return failed("other", port=port, command=command)
    if kind == "unknown":
        return failed("foreign", port=port)
    return passed(port=port, kind="gunicorn" if kind == "gunicorn" else command or kind)


def settings_load(facts: dict):
    app = facts.get("app") or {}
    if not app.get("exists"):
        where = Facts(facts).svs.project.dir or "?"
        return failed("no_project", project=where)
    if not app.get("manage_py"):
        return failed("no_manage", project=app["project_dir"])
    if not app.get("interpreter"):
        return failed("no_venv", project=app["project_dir"])
    problem = settings_problem(facts)
    if problem:
        return problem
    named = app.get("settings_source") or ""
    source = word(f"settings_from_{named}") if named in SOURCES else "?"
    return passed(module=fallback(Facts(facts).django.settings_module, "?"), source=source)


def debug_off(facts: dict):
    if setting(facts, "DEBUG") is False:
        return passed(module=fallback(Facts(facts).django.settings_module, "?"))
    return failed(module=fallback(Facts(facts).django.settings_module, "?"))


def host_allowed(name: str, allowed: list) -> bool:
    for entry in allowed:
        entry = entry.lower()
        if entry == name or (entry.startswith(".") and (name.endswith(entry) or name == entry[1:])):
            return True
    return False


def allowed_hosts(facts: dict):
    hosts = [str(h) for h in setting(facts, "ALLOWED_HOSTS", []) or []]
    shown = ", ".join(repr(h) for h in hosts) or word("empty")
    name = domain(facts)
    if "*" in hosts:
        return failed("wildcard", hosts=shown, domain=name)
    if not host_allowed(name, hosts):
        return failed("missing", hosts=shown, domain=name, module=fallback(Facts(facts).django.settings_module, "?"))
    return passed(hosts=shown)


def _caddy_root(facts: dict) -> str:
    return Facts(facts).svs.caddy_root.path or f"/var/caddy.root.d/{domain(facts)}"


def static_root(facts: dict):
    root = Facts(facts).django.static.root
    caddy = _caddy_root(facts)
    if not root:
        return failed("unset", caddy=caddy)
    real_root, real_caddy = posixpath.normpath(root), posixpath.normpath(caddy)
    if not real_root.startswith(real_caddy + "/"):
        return failed("outside", root=root, caddy=caddy)
    url = Facts(facts).django.static.url or "/static/"
    if "://" in url:
        return passed(root=root)
    relative = posixpath.relpath(real_root, real_caddy)
    if relative != url.strip("/"):
        return failed("url_mismatch", root=root, url=url, caddy=caddy, expected=posixpath.join(caddy, url.strip("/")))
    return passed(root=root)


def placeholder_gone(facts: dict):
    index = Facts(facts).svs.caddy_root.index_html
    caddy = _caddy_root(facts)
    if index.get("placeholder"):
        return failed("placeholder", caddy=caddy)
    if index.get("exists"):
        return failed("other_index", caddy=caddy)
    return passed(caddy=caddy)


def _account_databases(facts: dict) -> list:
    pgpass = Facts(facts).svs.pgpass
    names = []
    for entry in pgpass.get("entries") or []:
        for value in (entry.get("user"), entry.get("database")):
            if value and value != "*" and value not in names:
                names.append(value)
    if pgpass.get("pguser") and pgpass["pguser"] not in names:
        names.append(pgpass["pguser"])
    return names


def account_database(facts: dict):
    database = Facts(facts).django.database
    if "error" in database:
        return unknown("database_error", error=fallback(database.error.message, "?"))
    engine = database.get("engine") or "?"
    if engine != "django.db.backends.postgresql":
        return failed("not_postgres", engine=engine)
    name = database.get("name") or "?"
    expected = _account_databases(facts)
    if expected and name not in expected:
        return failed("other_db", name=name, expected=", ".join(expected))
    if not expected and not (name.startswith("db") and name[2:].isdigit()):
        return failed("other_db", name=name, expected="dbNNNN")
    connect = database.connect
    if not connect.get("ok"):
        return failed("connect", name=name, error=connect.error.message or connect.get("skipped") or "?")
    return passed(name=name)


def migrations(facts: dict):
    database = Facts(facts).django.database
    if "migrations_error" in database:
        return unknown("migrations_error", error=fallback(database.migrations_error.message, "?"))
    pending = database.get("unapplied_migrations")
    if pending is None:
        return unknown("migrations_error", error=word("migrations_state_missing"))
    if pending:
        return failed(count=len(pending), examples=", ".join(pending[:3]), name=database.get("name") or "?",
                      module=fallback(Facts(facts).django.settings_module, "?"))
    return passed(name=database.get("name") or "?")


def media_reachable(facts: dict):
    media = Facts(facts).svs.media
    if media.get("external"):
        return passed("external", url=media.get("url"))
    if not Facts(facts).django.media.root:
        return failed("unset", caddy=_caddy_root(facts))
    root = Facts(facts).django.media.root
    link = media.get("link") or posixpath.join(_caddy_root(facts), "media")
    if not media.get("link_type"):
        return failed("no_link", link=link, root=root)
    if not media.get("same_as_media_root"):
        return failed("wrong_target", link=link, resolved=media.get("resolved") or "?", root=root)
    live = Facts(facts).live.extra.media_sample
    if live:
        url = live.get("url", "?")
        if live.get("status") == 200 and live.get("body_sha256") == live.get("expected_sha256"):
            return passed("live", url=url)
        if live.get("status") is not None:
            access = media.get("web_user_access") or {}
            return failed("live_status", url=url, status=f"HTTP {live['status']}",
                          denied=access.get("denied_at") or "?", user=access.get("user") or "caddy")
    access = media.get("web_user_access") or {}
    if access.get("ok") is False:
        return failed("denied", user=access.get("user") or "caddy", denied=access.get("denied_at") or "?",
                      mode=access.get("mode") or "?", root=root)
    return passed("permissions", link=link, user=access.get("user") or "caddy")


def secret_key(facts: dict):
    key = Facts(facts).django.secret_key
    if "error" in key:
        return unknown("secret_error", error=fallback(key.error.message, "?"))
    if key.get("insecure_prefix"):
        return failed("insecure", module=fallback(Facts(facts).django.settings_module, "?"))
    if key.get("placeholder") or key.get("length", 0) < MIN_KEY_LENGTH:
        return failed("short", length=key.get("length", 0), minimum=MIN_KEY_LENGTH)
    return passed(length=key["length"])


CHECKS = (
    Check("svs.E001", domain_known),
    Check("svs.E002", unit_exists, requires=("svs.E001",)),
    Check("svs.E003", unit_enabled, requires=("svs.E002",)),
    Check("svs.E004", unit_active, requires=("svs.E002",)),
    Check("svs.E005", linger, requires=("svs.E001",)),
    Check("svs.E006", port_served, requires=("svs.E001",)),
    Check("svs.E007", settings_load, requires=("svs.E001",)),
    Check("svs.E008", debug_off, requires=("svs.E007",)),
    Check("svs.E009", allowed_hosts, requires=("svs.E007",)),
    Check("svs.E010", static_root, requires=("svs.E007",)),
    Check("svs.E011", collectstatic_outcome, requires=("svs.E010",)),
    Check("svs.E012", placeholder_gone, requires=("svs.E001",)),
    Check("svs.E013", account_database, requires=("svs.E007",)),
    Check("svs.E014", migrations, requires=("svs.E013",)),
    Check("svs.E015", media_reachable, requires=("svs.E007",)),
    Check("svs.E016", secret_key, requires=("svs.E007",)),
)
