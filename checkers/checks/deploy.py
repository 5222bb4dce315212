"""Step 6: `manage.py check --deploy`, run with the app's own settings and environment.

The lesson's three warnings must be gone; the HTTPS-only ones are explained (the course VM
has no TLS); anything else fails with Django's own message."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed
from checkers.factsview import Facts

LESSON_IDS = ("security.W009", "security.W018", "security.W020")
HTTPS_IDS = ("security.W004", "security.W008", "security.W012", "security.W016")
WARNING = 30


def _messages(facts: dict) -> list:
    return Facts(facts).django.deploy_check.messages


def deploy_check_ran(facts: dict):
    check = Facts(facts).django.deploy_check
    if "error" in check:
        return failed(error=check["error"].get("message"))
    return passed(count=len(_messages(facts)))


def lesson_warnings_gone(facts: dict):
    present = [m for m in _messages(facts) if m["id"] in LESSON_IDS]
    silenced = [m["id"] for m in present if m.get("silenced")]
    if silenced:
        return failed("silenced", ids=", ".join(silenced))
    if present:
        return failed(ids=", ".join(m["id"] for m in present))
    return passed()


def nothing_else(facts: dict):
    others = [m for m in _messages(facts)
              if m["id"] not in LESSON_IDS + HTTPS_IDS and m["level"] >= WARNING and not m.get("silenced")]
    if others:
        described = "; ".join(f"{m['id']}: {m['msg']}" for m in others[:3])
        return failed(ids=", ".join(m["id"] for m in others), messages=described)
    return passed()


def https_notes(facts: dict):
    present = [m["id"] for m in _messages(facts) if m["id"] in HTTPS_IDS]
    if present:
        return passed("present", ids=", ".join(present))
    return passed("none")


CHECKS = (
    Check("deploy.E001", deploy_check_ran, requires=("project.E003",)),
    Check("deploy.E002", lesson_warnings_gone, requires=("deploy.E001",)),
    Check("deploy.E003", nothing_else, requires=("deploy.E001",)),
    Check("deploy.I001", https_notes, requires=("deploy.E001",)),
)
