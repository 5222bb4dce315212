"""Readings shared by several causes: gunicorn's processes and binds, nginx's upstream errors,
the exception of the app unit's last start attempt."""

from __future__ import annotations

import re

from checkers.checks.base import failed, passed
from checkers.checks.webfacts import error_log_lines, gunicorn_processes, web
from checkers.factsview import Facts

UPSTREAM_ERROR = re.compile(r"connect\(\) to (?:unix:)?(\S+?) failed \((\d+): ([^)]*)\)")
PERMISSION_ERROR = re.compile(r'open\(\) "([^"]+)" failed \(13: Permission denied\)')
EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception|Exit)): ?(.*)$")
HARMLESS = ("Control server error",)  # gunicorn 27 as www-data: cannot write ~/.gunicorn (field notes)
CRASH_MARKERS = ("Worker failed to boot", "[ERROR]", "Traceback", "Error:", "No module named")


def gunicorn_masters(facts: dict) -> list:
    procs = gunicorn_processes(facts)
    pids = {p.get("pid") for p in procs}
    return [p for p in procs if p.get("ppid") not in pids]


def last_upstream_error(facts: dict):
    """(socket or address, errno, the log line) of nginx's last failed connection to the app."""
    for line in reversed(error_log_lines(facts)):
        match = UPSTREAM_ERROR.search(line)
        if match:
            return match.group(1), int(match.group(2)), line.strip()
    return None


def home_status(facts: dict):
    return web(facts, "home").get("status")


def last_attempt_error(entries: list) -> str | None:
    """The exception of the last start attempt that printed one (systemd's own lines often come last)."""
    groups: list[list] = []
    for entry in entries:
        if groups and groups[-1][0].get("inv") == entry.get("inv"):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    for group in reversed(groups):
        messages = [e.get("msg", "") for e in group if not any(h in e.get("msg", "") for h in HARMLESS)]
        exceptions = [m for m in messages if EXCEPTION_LINE.match(m) and "Traceback" not in m]
        if exceptions:
            return exceptions[-1].strip()
        flagged = [m for m in messages if any(k in m for k in CRASH_MARKERS)]
        if flagged:
            return flagged[0].strip()
    return None


def gunicorn_binds(facts: dict) -> set[str]:
    """Where the running gunicorn listens (from the sockets it holds, else from its --bind)."""
    pids = {p.get("pid") for p in gunicorn_processes(facts)}
    found = set()
    for row in Facts(facts).listening.unix:
        if pids & set(row.get("pids", [])):
            found.add(f"unix:{row['path']}")
    for row in Facts(facts).listening.tcp:
        if pids & set(row.get("pids", [])):
            found.add(f"{row['addr']}:{row['port']}")
    if not found:
        for proc in gunicorn_masters(facts):
            argv = proc["argv"]
            for i, arg in enumerate(argv):
                if arg in ("-b", "--bind") and i + 1 < len(argv):
                    found.add(argv[i + 1])
                elif arg.startswith("--bind="):
                    found.add(arg.split("=", 1)[1])
    normalized = set()
    for bind in found:
        if bind.startswith("unix:"):
            normalized.add(bind)
        elif bind.startswith("0.0.0.0:") or bind.startswith(":"):
            normalized.add("127.0.0.1:" + bind.rsplit(":", 1)[1])
        else:
            normalized.add(bind)
    return normalized


def permission_chain(facts: dict, path: str, with_group: bool = True) -> str:
    """The directories on the way to `path` with owner and mode, as the probe saw them."""
    chain = Facts(facts).paths.chains.get(path, [])
    owner = (lambda c: f"{c.get('owner', '?')}:{c.get('group', '?')}") if with_group else (lambda c: c.get("owner", "?"))
    return "; ".join(f"{c['path']} {owner(c)} {c.get('mode', '?')}" for c in chain if not c.get("missing"))


def classified(cause_id: str, classify):
    """One cause out of a classification that tells several apart: `classify(facts)` gives
    [(cause id, reason, seen)] for what it found; the cause is found when its id is among them."""
    def check(facts: dict):
        for found_id, reason, seen in classify(facts):
            if found_id == cause_id:
                return failed(reason, **seen)
        return passed()
    return check
