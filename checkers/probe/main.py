"""The probe's entry point: gather every fact once, print one JSON document.

A collector that fails records its error under facts["errors"] and the probe goes on.
Secret values seen on the way (SECRET_KEY, database passwords, secret-looking environment
variables) are masked everywhere in the output before it is printed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# Not imported here: `access`, `http_requests`, `names` and `traceback` (with http.client, hashlib,
# ipaddress…). Each is imported where first used, after Django's inspection has been started:
# every module imported up front delays that start, the probe's critical path (~0.25 s on an
# emulated VM).
from checkers.probe import app as app_mod, nginx, nginx_conf, postgres, system
from checkers.probe.envelope import mask, seal
from checkers.probe.runtime import end_escapees, guard_tree
from checkers.probe.systemd import SystemdFacts, is_secret_name, resample, unit_from_files

FAILED_RC = 70  # the probe failed itself (checkers.probe_bundle.PROBE_FAILED_RC)


class Probe:
    def __init__(self, params: dict):
        self.params = params
        self.errors = {}
        self.timings = {}
        self.scrub = set()

    def collect(self, name: str, func, *args):
        start = time.monotonic()
        try:
            return func(*args)
        except Exception as exc:  # noqa: BLE001  (a failing collector must not stop the probe)
            import traceback

            self.errors[name] = "%s: %s | %s" % (type(exc).__name__, exc,
                                                 traceback.format_exc(limit=3).strip().splitlines()[-2].strip())
            return None
        finally:
            self.timings[name] = round(time.monotonic() - start, 3)

    def run(self) -> dict:
        started = time.time()
        params = self.params
        systemd = SystemdFacts()
        # The processes and sockets first, while nothing of the probe's own is running.
        listening = self.collect("listening", system.listening)
        facts = {"processes": self.collect("processes", system.processes, system.web_port_holders(listening)),
                 "listening": listening}
        # Django's inspection is the probe's longest part: it starts from what the unit files say,
        # before systemd has been asked, and everything else is gathered meanwhile. What our own
        # requests and Django's connection add to (the unit's journal, PostgreSQL's log) is read
        # before them.
        postgres_logs = self.collect("postgres_logs", postgres.read_logs) or {}
        django_early = self.collect("django_start", self.start_inspection_early, systemd)
        with ThreadPoolExecutor(max_workers=6, initializer=yield_to_django) as pool:
            nginx_done = pool.submit(self.collect, "nginx", nginx.collect)
            units = self.collect("systemd", systemd.collect_units) or {}
            journal_done = pool.submit(self.collect, "systemd_journal", systemd.journal_of, units)
            later = {
                "system": pool.submit(self.collect, "system", system.os_release),
                "packages": pool.submit(self.collect, "packages", system.packages),
                "verify": pool.submit(self.collect, "systemd_verify", systemd.verify, units),
            }
            for env in systemd.private_env.values():
                self.scrub.update(v for k, v in env.items() if is_secret_name(k) and v)
            app = self.collect("app", app_mod.resolve, params, units, systemd.private_env, systemd.private_argv) or {}
            for key, value in app.get("_env", {}).items():
                if is_secret_name(key) and value:
                    self.scrub.add(value)
            self.add_project_secrets(app)
            facts["app"] = app  # "_env" (values!) is dropped once Django has been inspected with it
            # The pages through nginx do not depend on Django's facts: ask for them during the
            # inspection, for the course's site host, once the journal has been read.
            early_host = choose_host(params, {})
            pages_done = pool.submit(self.collect, "http_pages", self.http_pages_after, journal_done, nginx_done,
                                     facts["listening"], early_host, app, facts["processes"] or [])
            django, scrub = self.collect("django", app_mod.inspect_django, app, params.get("django_timeout", 90),
                                         django_early, frozenset(self.scrub)) or ({}, [])
            from checkers.probe.stopped import where_stopped

            self.collect("django_stopped", where_stopped, django, app.get("project_dir"))
            found_pages = pages_done.result()
            facts["nginx"] = nginx_done.result()
            facts.update({name: future.result() for name, future in later.items() if name != "verify"})
            facts["systemd"] = dict(units, journal=journal_done.result() or {}, verify=later["verify"].result() or {})
        app.pop("_env", None)
        self.scrub.update(scrub)
        from checkers.probe import denied

        self.collect("django_denied", denied.complete, django)
        facts["django"] = django
        database = django.get("database") or {}
        facts["postgres"] = self.collect("postgres", postgres.collect, postgres_logs, database)
        database.pop("server", None)  # now under facts["postgres"]
        host = choose_host(params, django)
        if host != early_host:  # Django does not allow the course's host: ask as its own host
            found_pages = self.collect("http_pages", self.http_pages, facts, host)
        if app.get("exists"):
            facts["app"]["newest_source"] = self.collect("newest_source", app_mod.newest_source_mtime,
                                                         app["project_dir"])
        facts["paths"] = self.collect("paths", self.path_facts, facts) or {}
        from checkers.probe import names

        facts["dns"] = self.collect("dns", names.resolve, (django.get("settings") or {}).get("ALLOWED_HOSTS") or []) or {}
        facts["http"] = self.collect("http", self.http_facts, facts, host, found_pages or {}) or {}
        if (facts.get("nginx") or {}).get("installed"):
            facts["nginx"]["error_log"] = self.collect("nginx_error_log", nginx.error_logs,
                                                       facts["nginx"]["config"]) or {}
        if facts["systemd"].get("available"):
            facts["systemd"]["resampled"] = self.collect("systemd_resample", resample, facts["systemd"]) or {}
        return seal(facts, self, started)

    def add_project_secrets(self, app: dict) -> None:
        """Secrets known before (or without) Django loading the settings: literals in the settings
        sources, the project's .env files, the app's environment (also passwords in URLs). Settings
        that fail to import, hang or crash may quote them in what the probe passes on."""
        from checkers.probe import secret_sources

        found = self.collect("project_secrets", secret_sources.project_secrets, app.get("project_dir"),
                             app.get("settings_module")) or set()
        self.scrub.update(found)
        self.scrub.update(secret_sources.environment_secrets(app.get("_env") or {}))

    def start_inspection_early(self, systemd: SystemdFacts):
        """Start Django's inspection for the app the unit files describe, ~0.3 s before `systemctl
        show` has answered (on an emulated VM). inspect_django() keeps it only if systemd's own
        view gives the very same command; otherwise it is stopped and started again."""
        names = systemd.app_units()
        units = {}
        for name in names:
            units[name] = unit_from_files(name)
            if units[name] is None:
                return None
        app = app_mod.resolve(self.params, {"units": units, "app_units": names},
                              {name: unit["env"] for name, unit in units.items()},
                              {name: unit["argv"] for name, unit in units.items()})
        command = app_mod.inspection_command(app, self.params.get("django_timeout", 90))
        return (command, app_mod.start_inspection(command)) if command else None

    def path_facts(self, facts: dict) -> dict:
        """Ownership of the important paths and what the web server and app users can do there."""
        from checkers.probe import access

        django = facts.get("django") or {}
        app = facts.get("app") or {}
        web_user = (facts.get("nginx") or {}).get("user") or "www-data"
        static_root = (django.get("static") or {}).get("root")
        media_root = (django.get("media") or {}).get("root")
        sockets = set()
        config = (facts.get("nginx") or {}).get("config") or {}
        host = choose_host(self.params, django)
        upstream = app_upstream(config, host, app, facts)
        if upstream and upstream.get("kind") == "unix":
            sockets.add(upstream["path"])
        for bind in ((app.get("gunicorn") or {}).get("binds") or []):
            if bind.startswith("unix:"):
                sockets.add(bind[5:])
        out = {"web_user": web_user, "chains": {}, "web_user_access": None, "app_user_access": None}
        for path in [p for p in (static_root, media_root, app.get("project_dir")) if p] + sorted(sockets):
            out["chains"][path] = access.describe_chain(path)
        wanted = {"web_user_access": (web_user, [{"path": p, "need": "read"} for p in (static_root, media_root) if p]
                                      + [{"path": p, "need": "connect"} for p in sorted(sockets)])}
        app_user = app.get("user")
        if app_user and app.get("source") == "unit":
            workdir = app.get("unit_workdir") or app["project_dir"]
            items = [{"path": workdir, "need": "traverse"}, {"path": workdir, "need": "read"}]
            if media_root:
                items.append({"path": media_root, "need": "write"})
            wanted["app_user_access"] = (app_user, items)
        # One child process per user (the web server and the service usually share www-data).
        per_user: dict = {}
        for user, items in wanted.values():
            per_user.setdefault(user, []).extend(i for i in items if i not in per_user.get(user, []))
        tested = {user: access.test_as(user, items) for user, items in per_user.items()}
        for key, (user, items) in wanted.items():
            result = tested[user]
            if "results" in result:
                result = {"user": user, "results": [r for r in result["results"]
                                                    if {"path": r["path"], "need": r["need"]} in items]}
            out[key] = result
        return out

    def web_endpoint(self, facts: dict):
        listening = facts.get("listening") or {}
        if any(row["port"] == 80 for row in listening.get("tcp", [])):
            return {"kind": "tcp", "host": "127.0.0.1", "port": 80}
        return None

    def http_pages_after(self, journal_done, nginx_done, listening, host: str, app: dict, processes: list) -> dict:
        journal_done.result()
        return self.http_pages({"nginx": nginx_done.result(), "listening": listening, "app": app,
                                "processes": processes}, host)

    def http_pages(self, facts: dict, host: str) -> dict:
        from checkers.probe import http_requests

        config = (facts.get("nginx") or {}).get("config") or {}
        upstream = app_upstream(config, host, facts.get("app"), facts)
        if not (upstream and upstream.get("kind") in ("unix", "tcp")):
            upstream = None
        listens = upstream is not None and http_requests.listens(upstream, facts.get("listening") or {})
        return http_requests.pages(self.web_endpoint(facts), host, self.params.get("browser_port"), upstream, listens)

    def http_facts(self, facts: dict, host: str, found: dict) -> dict:
        from checkers.probe import http_requests

        out = {"host": host}
        web = found.get("web")
        if web:
            web.update(http_requests.files(web["endpoint"], host, facts.get("django") or {},
                                           found.get("home_body", b""), self.params.get("browser_port")))
            out["web"] = web
        upstream = found.get("upstream")
        if upstream:
            if (web or {}).get("bad_host", {}).get("status") != 400:  # nginx did not show Django refusing it
                upstream["bad_host"] = http_requests.request(upstream["endpoint"], "/", "neplatny-host.invalid",
                                                             retries=1)
            out["upstream"] = upstream
        return out


def yield_to_django() -> None:
    """Lower this worker thread's priority (and its children's): on a busy target the scheduler
    then favours Django's inspection, the probe's critical path, over the collectors meanwhile."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def choose_host(params: dict, django: dict) -> str:
    """The Host header a student's browser sends. On a port-forwarded course VM that is always the
    course's site host (127.0.0.1); elsewhere the site host if Django allows it, else the first
    concrete name in ALLOWED_HOSTS (a real server is visited under its domain)."""
    wanted = params.get("site_host") or "127.0.0.1"
    if params.get("browser_port"):
        return wanted
    allowed = ((django or {}).get("settings") or {}).get("ALLOWED_HOSTS") or []
    concrete = [h for h in allowed if h and "*" not in h and not h.startswith(".")]
    if not allowed or wanted in allowed or "*" in allowed or not concrete:
        return wanted
    return concrete[0]


def app_upstream(config: dict, host: str, app: dict | None = None, facts: dict | None = None):
    """Where the app server should answer: where nginx sends the app's requests, else (no
    proxy_pass to be found) where gunicorn binds: its --bind, else a socket its processes hold
    (a bind from gunicorn's config file is not on its command line)."""
    found = nginx_conf.app_proxy_pass(config, host)
    if found is None and app:
        binds = (app.get("gunicorn") or {}).get("binds") or []
        found = nginx_conf.bind_endpoint(binds[0]) if binds else None
        if found is None and facts:
            found = gunicorn_listener(facts.get("processes") or [], facts.get("listening") or {})
        if found is not None:
            found["from"] = "bind"
    return found


def gunicorn_listener(processes: list, listening: dict):
    """The first unix socket, else TCP port, held by a gunicorn process."""
    pids = {p["pid"] for p in processes if any("gunicorn" in arg for arg in (p.get("argv") or [])[:3])}
    for row in listening.get("unix", []):
        if pids & set(row["pids"]):
            return {"kind": "unix", "path": row["path"]}
    for row in listening.get("tcp", []):
        if pids & set(row["pids"]):
            host = row["addr"] if row["addr"] not in ("0.0.0.0", "*", "::", "[::]") else "127.0.0.1"
            return {"kind": "tcp", "host": host, "port": row["port"]}
    return None


def main(params: dict) -> None:
    os.environ.update({"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
    guard_tree()  # our children end with us: on a signal, or when nobody reads our output
    profile = params.get("profile") or "vm"
    probe = Probe(params)
    try:
        if profile == "vm":
            facts = probe.run()
        else:  # bonus targets (App Engine project, SVS account): checkers/probe/profiles.py
            from checkers.probe import profiles

            facts = profiles.run(probe, profile)
    except BaseException:  # noqa: BLE001  (our own failure: its traceback, with every secret seen masked)
        import traceback

        sys.stderr.write(mask(traceback.format_exc(), probe.scrub))
        sys.stderr.flush()
        end_escapees()
        os._exit(FAILED_RC)
    end_escapees()  # whatever daemonized below us and is still around (see runtime.become_subreaper)
    sys.stdout.write(json.dumps(facts, ensure_ascii=False, default=str))
    sys.stdout.write("\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the facts are out: skip the interpreter's teardown (slow on an emulated VM)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"project": os.getcwd()})
