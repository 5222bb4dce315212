"""Shared outcomes for checks that read the Django facts."""

from __future__ import annotations

from checkers.checks.base import Outcome, failed, unknown
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
