"""Step 0: the target answers, the probe has the rights it needs, the starter project works."""

from __future__ import annotations

import re

from checkers.checks.base import Check, failed, passed, unknown
from checkers.checks.common import settings_problem
from checkers.factsview import Facts, fallback


def target_reachable(facts: dict):
    f = Facts(facts)
    return passed(os=fallback(f.system.pretty_name, "?"), hostname=fallback(f.system.hostname, "?"),
                  seconds=fallback(f.gathered.seconds, "?"))


def probe_privileged(facts: dict):
    probe = Facts(facts).probe
    if probe.privileged:
        return passed()
    return failed(user=fallback(probe.user, "?"))


def project_present(facts: dict):
    app = facts.get("app") or {}
    if not app.get("exists"):
        return failed("missing_dir", project=app.get("project_dir", "?"))
    if not app.get("manage_py"):
        return failed("no_manage", project=app["project_dir"])
    return passed(project=app["project_dir"])


def venv_works(facts: dict):
    app = facts.get("app") or {}
    django = facts.get("django") or {}
    if not app.get("interpreter"):
        return failed("no_venv", project=app.get("project_dir", "?"))
    if django.get("not_run") == "crashed":
        output = last_line(django.get("stderr", ""))
        if any(word in django.get("stderr", "") for word in PERMISSION_WORDS):  # who may run it, not whether it works
            return unknown("denied", interpreter=app["interpreter"], user=django.get("ran_as") or app.get("user") or "?",
                           output=output)
        stopped = django.get("stopped_at") or {}
        printed = printed_line(django)
        if stopped.get("file"):  # the interpreter itself died (a signal) while running the project's code
            return failed("crashed_at_printed" if printed else "crashed_at", interpreter=app["interpreter"],
                          file=stopped["file"], line=stopped.get("line"), printed=printed)
        return failed("crashed", interpreter=app["interpreter"], output=output if output != "?" else printed or "?")
    if django.get("not_run") == "timeout":  # a hanging project, not a broken venv
        stopped = django.get("stopped_at") or {}
        printed = printed_line(django)
        suffix = "_printed" if printed else ""
        if stopped.get("file"):
            return unknown("timeout_at" + suffix, interpreter=app["interpreter"], file=stopped["file"],
                           line=stopped.get("line") or "?", printed=printed)
        return unknown("timeout" + suffix, interpreter=app["interpreter"], printed=printed)
    if django.get("not_run"):
        return failed("not_run", interpreter=app["interpreter"])
    error = django.get("settings_error") or {}
    if not django.get("django_version") and re.search(r"No module named '?django\b", error.get("message") or ""):
        return failed("no_django", interpreter=app["interpreter"], error=error.get("message"))
    return passed(interpreter=app["interpreter"], python=django.get("python", "?"),
                  django=django.get("django_version", "?"))


def settings_load(facts: dict):
    problem = settings_problem(facts)
    if problem:
        return problem
    return passed(module=fallback(Facts(facts).django.settings_module, "?"))


PERMISSION_WORDS = ("Permission denied", "PermissionError", "EACCES")


def printed_line(django: dict) -> str | None:
    """The last line the project printed before its interpreter died (masked by the probe)."""
    line = last_line(django.get("output_tail") or "")
    return None if line == "?" else (line.strip()[:200] + ("…" if len(line.strip()) > 200 else ""))


def last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "?"


CHECKS = (
    Check("target.E001", target_reachable),
    Check("target.E002", probe_privileged, requires=("target.E001",)),
    Check("project.E001", project_present, requires=("target.E001",)),
    Check("project.E002", venv_works, requires=("project.E001",)),
    Check("project.E003", settings_load, requires=("project.E002",)),
)
