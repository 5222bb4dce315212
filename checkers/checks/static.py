"""Step 3: STATIC_ROOT is set, does not collide with STATICFILES_DIRS, and collectstatic is current."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown
from checkers.checks.common import collectstatic_outcome
from checkers.factsview import Facts, fallback


def static_root_set(facts: dict):
    static = Facts(facts).django.static
    if "error" in static:  # the probe could not read the state: not "unset"
        return unknown("static_error", error=fallback(static.error.message, "?"))
    root = static.root
    if not root:
        return failed("unset")
    if not root.startswith("/"):
        return failed("relative", root=root)
    return passed(root=root)


def no_collision(facts: dict):
    static = Facts(facts).django.static
    if static.get("collides"):
        return failed(root=static["root"], dirs=", ".join(static.get("dirs", [])))
    return passed()


CHECKS = (
    Check("static.E001", static_root_set, requires=("project.E003",)),
    Check("static.E002", no_collision, requires=("static.E001",)),
    Check("static.E003", collectstatic_outcome, requires=("static.E002",)),
)
