"""PostgreSQL facts: the server's version, databases with owners and roles.

Django's inspection reads them over the app's own connection. psql (as the postgres superuser)
asks only where that did not work, and only for an app that may use PostgreSQL at all.
"""

from __future__ import annotations

import glob
import json

from checkers.probe.engines import POSTGRES_ENGINES
from checkers.probe.runtime import is_root, run, tail_lines, which

# Django's engine names (ending) for PostgreSQL; postgres.E006 asks the same.


def read_logs() -> dict:
    """The server log's tail. Read before Django's inspection connects, so that what the log says
    is about the app's own attempts, never about the probe's."""
    return {path: tail_lines(path, 60) for path in sorted(glob.glob("/var/log/postgresql/postgresql-*-main.log"))[-1:]}


def collect(logs: dict, database: dict) -> dict:
    """`database`: the Django inspection's facts about the app's database (engine, connection, and
    the server's catalogue when it connected)."""
    facts = {"client": bool(which("psql")), "logs": logs}
    server = database.get("server") or {}
    if server and "error" not in server:
        facts.update(server, source="django")
        return facts
    engine = database.get("engine") or ""
    if engine and not engine.endswith(POSTGRES_ENGINES):
        facts["skipped"] = "app-not-postgresql"  # no check asks about databases and roles then
        return facts
    if not facts["client"]:
        return facts
    if not is_root():
        facts["error"] = "needs-root"
        return facts
    from checkers.probe.django_database import CATALOG_QUERY

    result = run(["psql", "-XAtq", "-c", CATALOG_QUERY], user="postgres", timeout=15, cwd="/")
    if not result.ok:
        facts["error"] = (result.err or result.out).strip()[-500:]
        return facts
    try:
        facts.update(json.loads(result.out), source="psql")
    except ValueError:
        facts["error"] = "unexpected psql output"
    return facts
