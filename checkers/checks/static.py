"""Step 3: STATIC_ROOT is set, does not collide with STATICFILES_DIRS, and collectstatic is current."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown
from checkers.facts import dig


def static_root_set(facts: dict):
    root = dig(facts, "django.static.root")
    if not root:
        return failed("unset")
    if not root.startswith("/"):
        return failed("relative", root=root)
    return passed(root=root)


def no_collision(facts: dict):
    static = dig(facts, "django.static", {})
    if static.get("collides"):
        return failed(root=static["root"], dirs=", ".join(static.get("dirs", [])))
    return passed()


def collected(facts: dict):
    static = dig(facts, "django.static", {})
    if "error" in static:
        return unknown("static_error", error=static["error"].get("message"))
    if not static.get("root_exists"):
        return failed("no_root", root=static.get("root"))
    if static.get("missing_count"):
        return failed("missing", count=static["missing_count"], examples=", ".join(static["missing"]),
                      root=static["root"])
    if static.get("outdated_count"):
        return failed("outdated", count=static["outdated_count"], examples=", ".join(static["outdated"]))
    return passed(count=static.get("source_files", 0), root=static.get("root"))


CHECKS = (
    Check("static.E001", static_root_set, requires=("project.E003",)),
    Check("static.E002", no_collision, requires=("static.E001",)),
    Check("static.E003", collected, requires=("static.E002",)),
)
