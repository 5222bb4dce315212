"""Shared outcomes for checks that read the Django facts."""

from __future__ import annotations

from checkers.checks.base import Outcome, failed, passed, unknown
from checkers.facts import dig


def settings_problem(facts: dict) -> Outcome | None:
    """Why the project's settings could not be read, as an outcome, or None when they were."""
    django = facts.get("django") or {}
    if django.get("not_run"):
        return unknown("django_not_run", why=django["not_run"])
    error = django.get("settings_error") or django.get("inspect_error")
    if error:
        return failed("settings_error", error=error.get("message"), file=error.get("file") or "?",
                      line=error.get("line") or "?")
    if not django.get("settings"):
        return unknown("django_not_run", why="no-settings")
    return None


def setting(facts: dict, name: str, default=None):
    return dig(facts, f"django.settings.{name}", default)


def collectstatic_outcome(facts: dict, show_root=lambda root: root) -> Outcome:
    """Has `collectstatic` gathered every static file, and none of them outdated? (`show_root`
    turns STATIC_ROOT into the form the student knows it under, e.g. relative to app.yaml.)"""
    static = dig(facts, "django.static", {})
    if "error" in static:
        return unknown("static_error", error=dig(static, "error.message", "?"))
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
