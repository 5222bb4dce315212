"""Step 10: PostgreSQL installed and running, the app's database and role exist (the role owns
the database), the psycopg driver is in the venv, Django uses PostgreSQL, connects, and all
migrations are applied."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown, word
from checkers.factsview import Facts, fallback
from checkers.probe.engines import POSTGRES_ENGINES

SERVER_PACKAGES = ("postgresql", "postgresql-15")
DRIVERS = ("psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary")


def _database(facts: dict) -> dict:
    return Facts(facts).django.database


def installed(facts: dict):
    versions = Facts(facts).packages.versions
    version = next((versions[p] for p in SERVER_PACKAGES if versions.get(p)), None)
    return passed(version=version) if version else failed()


def running(facts: dict):
    units = Facts(facts).systemd.units
    clusters = [u for name, u in units.items() if name.startswith("postgresql@")]
    if any(u.get("active_state") == "active" for u in clusters):
        return passed()
    if Facts(facts).postgres.version:
        return passed()
    state = ", ".join(f"{u['name']}: {u.get('active_state')}" for u in clusters) or word("no_cluster")
    return failed(state=state)


def _pg_error(facts: dict):
    error = Facts(facts).postgres.error
    if error == "needs-root":
        return unknown("no_root")
    if error:
        return unknown("postgres_error", error=error)
    return None


def database_exists(facts: dict):
    problem = _pg_error(facts)
    if problem:
        return problem
    name = _database(facts).get("name")
    names = [d["name"] for d in Facts(facts).postgres.databases]
    if name in names:
        return passed(name=name)
    return failed(name=name, existing=", ".join(n for n in names if n not in ("postgres",)) or word("none_feminine"))


def role_owns_database(facts: dict):
    database = _database(facts)
    role = database.get("user")
    roles = {r["name"]: r for r in Facts(facts).postgres.roles}
    if not role:
        return failed("no_user")
    if role not in roles:
        return failed("no_role", role=role)
    owner = next((d["owner"] for d in Facts(facts).postgres.databases if d["name"] == database.get("name")), None)
    if owner != role:
        return failed("not_owner", role=role, owner=owner, name=database.get("name"))
    return passed(role=role, name=database.get("name"))


def driver_installed(facts: dict):
    f = Facts(facts)
    packages = f.django.packages
    found = [f"{name} {packages[name]}" for name in DRIVERS if packages.get(name)]
    return passed(driver=found[0]) if found else failed(interpreter=fallback(f.app.interpreter, "?"))


def uses_postgresql(facts: dict):
    engine = _database(facts).get("engine") or "?"
    if engine.endswith(POSTGRES_ENGINES):
        return passed(name=_database(facts).get("name"))
    return failed(engine=engine)


def connects(facts: dict):
    connect = _database(facts).get("connect") or {}
    if connect.get("ok"):
        return passed()
    error = (connect.get("error") or {}).get("message") or connect.get("skipped") or "?"
    lowered = error.lower()
    reason = ("password" if "password authentication failed" in lowered
              else "peer" if "peer authentication failed" in lowered
              else "no_database" if "does not exist" in lowered and "database" in lowered
              else "refused" if "connection refused" in lowered or "could not connect" in lowered
              else "")
    return failed(reason, error=error, user=_database(facts).get("user") or "?", name=_database(facts).get("name") or "?")


def migrated(facts: dict):
    database = _database(facts)
    if "migrations_error" in database:
        return unknown("migrations_error", error=database["migrations_error"].get("message"))
    pending = database.get("unapplied_migrations", [])
    if pending:
        return failed(count=len(pending), examples=", ".join(pending[:4]))
    return passed()


CHECKS = (
    Check("postgres.E001", installed),
    Check("postgres.E002", running, requires=("postgres.E001",)),
    Check("postgres.E003", database_exists, requires=("postgres.E002", "postgres.E006")),
    Check("postgres.E004", role_owns_database, requires=("postgres.E003",)),
    Check("postgres.E005", driver_installed, requires=("project.E002",)),
    Check("postgres.E006", uses_postgresql, requires=("project.E003",)),
    Check("postgres.E007", connects, requires=("postgres.E005", "postgres.E006", "postgres.E002")),
    Check("postgres.E008", migrated, requires=("postgres.E007",)),
)
