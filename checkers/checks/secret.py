"""Step 5: SECRET_KEY is not the default, is long and random, and is not written in a versioned file."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown
from checkers.factsview import Facts, fallback

MIN_LENGTH = 50  # Django's own security.W009 limit
MIN_DISTINCT = 10  # Django asks for 5; a generated key has ~30


def _key(facts: dict) -> dict:
    return Facts(facts).django.secret_key


def not_default(facts: dict):
    key = _key(facts)
    if "error" in key:
        return unknown("secret_error", error=key["error"].get("message"))
    if key.get("insecure_prefix"):
        return failed()
    return passed()


def long_and_random(facts: dict):
    key = _key(facts)
    if key.get("placeholder"):
        return failed("placeholder")
    if key.get("length", 0) < MIN_LENGTH:
        return failed("short", length=key.get("length", 0), minimum=MIN_LENGTH)
    if key.get("distinct", 0) < MIN_DISTINCT:
        return failed("repetitive", distinct=key.get("distinct", 0), minimum=MIN_DISTINCT)
    return passed(length=key["length"], distinct=key["distinct"])


def not_versioned(facts: dict):
    key = _key(facts)
    files = key.get("in_versioned_files") or []
    if files:
        return failed("in_git", files=", ".join(files))
    if not key.get("git_repository") and key.get("literal_in_settings"):
        return failed("literal_no_git", file=fallback(Facts(facts).django.settings_file, "settings.py"))
    source = "environment" if key.get("from_environment") else "file"
    return passed(source, file=fallback(Facts(facts).django.settings_file, "settings.py"))


CHECKS = (
    Check("secret.E001", not_default, requires=("project.E003",)),
    Check("secret.E002", long_and_random, requires=("project.E003",)),
    Check("secret.E003", not_versioned, requires=("project.E003",)),
)
