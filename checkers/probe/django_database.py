"""Part of the Django inspection (see django_inspect): the database through Django's own
connection (opened early, while the apps load), its server's catalog and unapplied migrations.
"""

import json
import os
import threading

if __name__ != "__main__":  # imported (the probe, tests); sent as one script, django_errors precedes this
    from checkers.probe.django_errors import error_facts


# The server's version, databases (with owners) and roles, as any role may read them. Asked over
# Django's own connection, they spare the probe a psql run of its own (a second server process,
# ~0.9 s of CPU on an emulated VM); the probe's psql asks the same when Django cannot connect.
CATALOG_QUERY = (
    "select json_build_object("
    "'version', current_setting('server_version'),"
    "'databases', (select coalesce(json_agg(json_build_object('name', datname, 'owner', pg_get_userbyid(datdba))"
    " order by datname), '[]') from pg_database where not datistemplate),"
    "'roles', (select coalesce(json_agg(json_build_object('name', rolname, 'login', rolcanlogin,"
    " 'superuser', rolsuper) order by rolname), '[]') from pg_roles where rolname !~ '^pg_'))::text"
)


def server_catalog(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute(CATALOG_QUERY)
            return json.loads(cursor.fetchone()[0])
    except Exception as exc:
        return {"error": error_facts(exc)}


def connect_early(settings, time_limit):
    """Open Django's default database connection in a thread while django.setup() loads the apps.
    A new PostgreSQL connection (a server process started, authentication) mostly waits for the
    server: ~0.35 s an emulated VM's inspection no longer waits for. Returns a function giving
    (connection, error) once setup is done, or None where the database is to be connected later.
    The backend is imported here, before the thread starts: two threads importing Django's modules
    at once could each hold a module the other needs."""
    from django.db import DEFAULT_DB_ALIAS, connections

    conf = settings.DATABASES.get(DEFAULT_DB_ALIAS, {})
    if conf.get("ENGINE") == "django.db.backends.sqlite3" or not hasattr(connections, "create_connection"):
        return None  # SQLite costs nothing to open (and must not be created); Django < 4.0
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    connection.inc_thread_sharing()  # used later by the main thread
    outcome = {}

    def connect():
        try:
            connection.ensure_connection()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="connect-early", daemon=True)
    thread.start()

    def result():
        thread.join(time_limit / 2)
        if thread.is_alive():  # a database host that never answers: the rest is still worth reporting
            return None, TimeoutError("the database did not answer within %d s" % (time_limit // 2))
        # From now on Django's own code (the migration recorder asks for the alias) uses this
        # connection in this thread, instead of opening a second one.
        connections[DEFAULT_DB_ALIAS] = connection
        return connection, outcome.get("error")

    return result


def database_facts(settings, scrub, early=None):
    """The default database: connection, unapplied migrations. `early`: (connection, error) of
    connect_early(), when the connection has already been tried."""
    from django.db import DEFAULT_DB_ALIAS, connections

    conf = settings.DATABASES.get(DEFAULT_DB_ALIAS, {})
    password = conf.get("PASSWORD")
    if password:
        scrub.append(str(password))
    facts = {"engine": conf.get("ENGINE"), "name": str(conf.get("NAME")) if conf.get("NAME") else None,
             "user": conf.get("USER") or None, "host": conf.get("HOST") or None, "port": str(conf.get("PORT") or ""),
             "password_set": bool(password)}
    if facts["engine"] == "django.db.backends.sqlite3" and not (facts["name"] and os.path.exists(facts["name"])):
        facts["connect"] = {"ok": False, "skipped": "sqlite file missing"}  # connecting would create it
        return facts
    connection, error = early or (connections[DEFAULT_DB_ALIAS], None)
    try:
        if error is not None:
            raise error
        connection.ensure_connection()
        facts["connect"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        facts["connect"] = {"ok": False, "error": error_facts(exc)}
        return facts
    if connection.vendor == "postgresql":
        facts["server"] = server_catalog(connection)
    try:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        facts["unapplied_migrations"] = ["%s.%s" % (m.app_label, m.name) for m, backwards in plan]
    except Exception as exc:
        facts["migrations_error"] = error_facts(exc)
    finally:
        connection.close()
    return facts
