"""PostgreSQL facts: databases with owners and roles, read as the postgres superuser."""

from __future__ import annotations

import glob
import json

from checkers.probe.runtime import is_root, run, tail_lines, which

QUERY = (
    "select json_build_object("
    "'version', current_setting('server_version'),"
    "'databases', (select coalesce(json_agg(json_build_object('name', datname, 'owner', pg_get_userbyid(datdba))"
    " order by datname), '[]') from pg_database where not datistemplate),"
    "'roles', (select coalesce(json_agg(json_build_object('name', rolname, 'login', rolcanlogin,"
    " 'superuser', rolsuper, 'has_password', rolpassword is not null) order by rolname), '[]')"
    " from pg_authid where rolname !~ '^pg_'))"
)


def read_logs() -> dict:
    """The server log's tail. Read before Django's inspection connects, so that what the log says
    is about the app's own attempts, never about the probe's."""
    return {path: tail_lines(path, 60) for path in sorted(glob.glob("/var/log/postgresql/postgresql-*-main.log"))[-1:]}


def collect(logs: dict) -> dict:
    if not which("psql"):
        return {"client": False}
    facts = {"client": True, "logs": logs}
    if not is_root():
        facts["error"] = "needs-root"
        return facts
    result = run(["psql", "-XAtq", "-c", QUERY], user="postgres", timeout=15, cwd="/")
    if not result.ok:
        facts["error"] = (result.err or result.out).strip()[-500:]
        return facts
    try:
        facts.update(json.loads(result.out))
    except ValueError:
        facts["error"] = "unexpected psql output"
    return facts
