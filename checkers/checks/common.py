"""Shared outcomes for checks that read the Django facts."""

from __future__ import annotations

import re

from checkers.checks.base import Outcome, failed, passed, unknown
from checkers.checks.service import app_unit
from checkers.factsview import Facts, fallback


ENV_KEY_ERROR = re.compile(r"""^KeyError: ['"]([A-Z][A-Z0-9_]*)['"]$""")
# Django cannot load the database backend: the driver is missing from the venv (step 10), the
# settings themselves may be fine.
DRIVER_ERROR = re.compile(r"Error loading (?:psycopg2|psycopg|MySQLdb|mysqlclient|oracledb|cx_Oracle)[\w ]* module"
                          r"|No module named '(?:psycopg2|psycopg|MySQLdb)'")


def missing_service_variable(facts: dict) -> str | None:
    """The environment variable the settings asked for and the service does not give (the
    settings were read with the service's environment, as gunicorn reads them)."""
    f = Facts(facts)
    error = f.django.settings_error
    match = ENV_KEY_ERROR.match((error.get("message") or "").strip())
    if not match or f.app.source != "unit":
        return None
    name = match.group(1)
    return None if name in f.app.env_names else name


def unread_environment_file(facts: dict) -> str | None:
    """A required EnvironmentFile= of the app's unit that the probe could not read (so neither
    could the service: systemd reads it as root)."""
    unit = app_unit(facts) or {}
    return next((f["path"] for f in unit.get("environment_files") or []
                 if not f.get("readable", True) and not f.get("optional")), None)


# Why the project's own Python did not give its settings (probe's `not_run`) → the text's variant
NOT_RUN_VARIANTS = {"timeout": "django_hung", "crashed": "django_crashed", "no-interpreter": "django_no_python",
                    "no-project": "django_no_project"}


def settings_unknown(facts: dict) -> Outcome:
    """Why the settings are not known, for a check that needs them and is not about loading them:
    "cannot verify", naming the cause that step 0 reports (never a bare placeholder)."""
    django = facts.get("django") or {}
    error = django.get("settings_error") or django.get("inspect_error")
    if not django.get("not_run") and error:
        return unknown("settings_broken", error=error.get("message") or "?", file=error.get("file") or "?",
                       line=error.get("line") or "?")
    return unknown(NOT_RUN_VARIANTS.get(django.get("not_run") or "", "django_not_run"))


def settings_problem(facts: dict) -> Outcome | None:
    """Why the project's settings could not be read, as an outcome, or None when they were."""
    django = facts.get("django") or {}
    if django.get("not_run"):
        return settings_unknown(facts)
    variable = missing_service_variable(facts)
    if variable:  # the service's environment lacks it (step 9); the project itself may be fine
        unit = fallback(Facts(facts).app.unit, "?")
        absent = unread_environment_file(facts)
        if absent:  # the file that would give it is not there (or not readable): that is why
            return unknown("service_env_file", name=variable, unit=unit, path=absent)
        return unknown("service_env", name=variable, unit=unit)
    error = django.get("settings_error") or django.get("inspect_error")
    if error and DRIVER_ERROR.search(error.get("message") or ""):
        return unknown("db_driver", error=error.get("message"))
    if error:
        return failed("settings_error", error=error.get("message"), file=error.get("file") or "?",
                      line=error.get("line") or "?")
    if not django.get("settings"):
        return settings_unknown(facts)
    return None


def setting(facts: dict, name: str, default=None):
    return fallback(Facts(facts).django.settings.get(name), default)


def collectstatic_outcome(facts: dict, show_root=lambda root: root) -> Outcome:
    """Has `collectstatic` gathered every static file, and none of them outdated? (`show_root`
    turns STATIC_ROOT into the form the student knows it under, e.g. relative to app.yaml.)"""
    static = Facts(facts).django.static
    if "error" in static:
        return unknown("static_error", error=fallback(static.error.message, "?"))
    root = show_root(static.get("root") or "?")
    denied = static.get("root_denied")
    if denied and static.get("checked_by") != "root":  # the app's user may not look, nobody else did
        return unknown("root_denied", root=root, user=denied.get("user") or "?", at=denied.get("denied_at") or root)
    if not static.get("root_exists"):
        return failed("no_root", root=root)
    for problem in ("missing", "outdated"):
        if static.get(f"{problem}_count"):
            return failed(problem, root=root, count=static[f"{problem}_count"],
                          examples=", ".join(static.get(problem, [])[:5]))
    return passed(root=root, count=static.get("source_files", 0))
