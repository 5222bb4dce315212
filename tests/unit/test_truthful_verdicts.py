"""Verdicts that say only what the facts show (issue 13), each with a failing and a passing case,
on facts recorded from the real course VM and changed the way the real breakage changes them."""

from __future__ import annotations

import copy

import pytest


from checkers.checks.base import Status
from tests.helpers.recorded import nginx_log_line
from tests.unit.test_checks_on_recorded_facts import COURSE, recorded, status_of


@pytest.fixture
def facts():
    return copy.deepcopy(recorded("solved"))


def _unit(f):
    return f["systemd"]["units"][f["app"]["unit"]]


def _upstream_home(f, **changes):
    home = f["http"]["upstream"]["home"]
    home.update(changes)
    return home


def _failures(f, *ages):
    """systemd's own failure lines in the unit's journal, `ages` seconds before the probe started."""
    started = f["probe"]["started_at"]
    f["systemd"]["journal"][f["app"]["unit"]] += [
        {"t": started - age, "prio": 4, "pid": "1", "inv": None,
         "msg": "gunicorn.service: Failed with result 'exit-code'."} for age in ages]


# --- step 8: Django answering any status is Django serving -----------------------------------

@pytest.mark.parametrize("status, marker", [(400, "django_400"), (500, "django_500")])
def test_django_error_pages_are_django_serving(facts, status, marker):
    headers = {"server": "gunicorn", "content-type": "text/html", "cross-origin-opener-policy": "same-origin",
               "referrer-policy": "same-origin"}
    _upstream_home(facts, status=status, markers=[marker], django_headers=False, headers=headers)
    facts["http"]["web"]["home"].update(status=status, markers=[marker], django_headers=False, headers=headers)
    assert status_of(facts, "gunicorn.E002") == (Status.PASSED, "")
    assert status_of(facts, "gunicorn.E003") == (Status.PASSED, "")


def test_an_answer_that_is_not_django_still_fails(facts):
    _upstream_home(facts, status=200, markers=[], django_headers=False, headers={"server": "SimpleHTTP"})
    assert status_of(facts, "gunicorn.E002") == (Status.FAILED, "bad_answer")


def test_a_stopped_service_leaves_step_8_unverified_and_fails_step_9(facts):
    _unit(facts).update(active_state="inactive", sub_state="dead", result="success", main_pid=0)
    facts["http"]["upstream"]["home"] = {"status": None, "error": "connect: No such file or directory (errno 2)"}
    facts["http"]["web"]["home"].update(status=502, markers=["nginx_error_page"], django_headers=False, headers={})
    assert status_of(facts, "gunicorn.E002") == (Status.UNVERIFIED, "service_down")
    assert status_of(facts, "gunicorn.E003")[0] is Status.UNVERIFIED
    assert status_of(facts, "systemd.E003") == (Status.FAILED, "inactive")


def test_without_a_service_a_dead_gunicorn_fails_step_8(facts):
    facts["systemd"].update(app_units=[])
    facts["app"].update(unit=None, source="project")
    facts["http"]["upstream"]["home"] = {"status": None, "error": "connect: Connection refused (errno 111)"}
    assert status_of(facts, "gunicorn.E002") == (Status.FAILED, "refused")


# --- step 9: a service is running only if it stays up ------------------------------------------

def test_a_steady_service_runs(facts):
    assert status_of(facts, "systemd.E003") == (Status.PASSED, "")


def test_a_service_that_fell_twice_in_the_last_minute_is_crash_looping(facts):
    _failures(facts, 20, 5)
    assert status_of(facts, "systemd.E003") == (Status.FAILED, "crash_loop")


def test_a_service_whose_process_changed_during_the_probe_is_not_running_fine(facts):
    unit = _unit(facts)
    facts["systemd"]["resampled"] = {unit["name"]: {"active_state": "active", "sub_state": "running",
                                                    "n_restarts": unit["n_restarts"] + 1,
                                                    "main_pid": unit["main_pid"] + 7, "main_started_ago": 0.5}}
    assert status_of(facts, "systemd.E003") == (Status.FAILED, "restarted")


def test_a_service_in_auto_restart_is_crash_looping(facts):
    _unit(facts).update(active_state="activating", sub_state="auto-restart", n_restarts=3)
    assert status_of(facts, "systemd.E003") == (Status.FAILED, "crash_loop")


def test_a_service_that_fell_once_and_came_back_for_good_runs(facts):
    _failures(facts, 40)
    unit = _unit(facts)
    facts["systemd"]["resampled"] = {unit["name"]: {"active_state": "active", "sub_state": "running",
                                                    "n_restarts": unit["n_restarts"], "main_pid": unit["main_pid"]}}
    assert status_of(facts, "systemd.E003") == (Status.PASSED, "recovered")


def test_restart_is_a_recommendation_and_a_socket_satisfies_it(facts):
    unit = _unit(facts)
    unit.update(restart="no")
    assert status_of(facts, "systemd.W001")[0] is Status.ADVICE
    step9 = {r.id: r for r in __import__("checkers.session", fromlist=["evaluate"]).evaluate(
        facts, COURSE, [COURSE.step("step9")])[0].results}
    assert {r.status for r in step9.values()} == {Status.PASSED, Status.ADVICE}
    unit.update(triggered_by=["gunicorn.socket"])
    facts["systemd"]["units"]["gunicorn.socket"] = {"name": "gunicorn.socket", "unit_file_state": "enabled",
                                                    "active_state": "active"}
    assert status_of(facts, "systemd.W001") == (Status.PASSED, "socket")


def test_a_working_directory_that_is_not_there_is_named_missing(facts):
    for row in facts["paths"]["app_user_access"]["results"]:
        if row["need"] in ("traverse", "read"):
            row.update(ok=False, error="ENOENT")
    assert status_of(facts, "systemd.E005") == (Status.FAILED, "missing")


def test_a_working_directory_the_user_may_not_enter_is_named_denied(facts):
    for row in facts["paths"]["app_user_access"]["results"]:
        if row["need"] == "traverse":
            row.update(ok=False, error="EACCES", denied_at="/srv/my_project")
    assert status_of(facts, "systemd.E005") == (Status.FAILED, "")


# --- "not allowed to look" is not "missing" ----------------------------------------------------

def test_a_static_root_the_app_user_may_not_enter_is_unverified_not_missing(facts):
    facts["django"]["static"].update(root_exists=False, missing_count=None, missing=[],
                                     root_denied={"state": "denied", "user": "www-data", "denied_at": "/srv/my_project"})
    assert status_of(facts, "static.E003") == (Status.UNVERIFIED, "root_denied")


def test_a_static_root_compared_by_the_privileged_probe_passes(facts):
    facts["django"]["static"].update(root_denied={"state": "denied", "user": "www-data", "denied_at": "/srv/x"},
                                     checked_by="root")
    assert status_of(facts, "static.E003") == (Status.PASSED, "")


def test_a_media_root_the_app_user_may_not_enter_is_unverified_not_missing(facts):
    facts["django"]["media"].update(exists=False, is_dir=False,
                                    root_denied={"state": "denied", "user": "www-data", "denied_at": "/srv/my_project"})
    assert status_of(facts, "media.E002") == (Status.UNVERIFIED, "root_denied")
    facts["django"]["media"].update(exists=True, is_dir=True, checked_by="root")
    assert status_of(facts, "media.E002") == (Status.PASSED, "")


def test_a_venv_the_user_may_not_run_is_unverified_not_broken(facts):
    facts["django"] = {"not_run": "crashed", "rc": 126,
                       "stderr": "PermissionError: [Errno 13] Permission denied: '/srv/my_project/.venv/bin/python'"}
    assert status_of(facts, "project.E002") == (Status.UNVERIFIED, "denied")
    facts["django"]["stderr"] = "ImportError: libpython3.11.so.1.0: cannot open shared object file"
    assert status_of(facts, "project.E002") == (Status.FAILED, "crashed")


def test_a_hanging_project_is_unverified_not_a_broken_venv(facts):
    facts["django"] = {"not_run": "timeout", "stderr": ""}
    assert status_of(facts, "project.E002") == (Status.UNVERIFIED, "timeout")


# --- /media/ without a file to fetch: proven by behaviour ---------------------------------------

def _empty_media(f, status=404, looked_in="/srv/my_project/media", by_django=False):
    web = f["http"]["web"]
    web.pop("media_file", None)
    name = "kurz-overeni-0a1b2c3d.txt"
    web["media_missing"] = {"path": f"/media/{name}", "status": status, "markers": ["nginx_error_page"],
                            "headers": {"server": "nginx/1.22.1"}, "django_headers": by_django}
    if by_django:
        web["media_missing"].update(markers=["django_default_404"], headers={"server": "nginx/1.22.1"})
    log = next(iter(f["nginx"]["error_log"]))
    f["nginx"]["error_log"][log].append(nginx_log_line(f, "error", f'*7 open() "{looked_in}/{name}" failed '
                                                       f'(2: No such file or directory), client: 127.0.0.1'))


def test_empty_media_root_is_proven_by_nginx_answering_itself(facts):
    _empty_media(facts)
    assert status_of(facts, "nginx.E008") == (Status.PASSED, "behaviour")
    assert status_of(facts, "web.E006") == (Status.PASSED, "behaviour")


def test_empty_media_root_with_nginx_looking_elsewhere_fails(facts):
    _empty_media(facts, looked_in="/srv/my_project/mediamedia")
    assert status_of(facts, "nginx.E008") == (Status.FAILED, "other_dir")


def test_empty_media_root_served_by_django_fails(facts):
    _empty_media(facts, by_django=True)
    assert status_of(facts, "nginx.E008") == (Status.FAILED, "by_django")


def test_empty_media_root_without_any_evidence_is_unverified(facts):
    facts["http"]["web"].pop("media_file", None)
    assert status_of(facts, "nginx.E008") == (Status.UNVERIFIED, "no_sample")
    assert status_of(facts, "web.E006") == (Status.UNVERIFIED, "no_sample")


def test_the_csrf_hint_never_recommends_host_without_port(facts):
    facts["http"]["web"]["admin_login"]["post"].update(status=403, markers=["csrf_failure"])
    step = COURSE.step("step11")
    from checkers.session import evaluate

    result = {r.id: r for r in evaluate(facts, COURSE, [step])[0].results}["web.E007"]
    assert result.status is Status.FAILED
    assert "$http_host" in result.hint and "Host $host;" not in result.hint


# --- step 7: what runs is what the files say ---------------------------------------------------

def _changed(f, seconds_after_workers_started):
    workers = [p["started"] for p in f["processes"] if p["argv"][0] == "nginx: worker process"]
    f["nginx"]["newest_change"] = {"path": "/etc/nginx/sites-available/my_project",
                                   "mtime": max(workers) + seconds_after_workers_started}


def test_an_nginx_edit_after_the_last_load_fails_step_7(facts):
    _changed(facts, 60)
    assert status_of(facts, "nginx.E009") == (Status.FAILED, "")
    _changed(facts, -60)
    assert status_of(facts, "nginx.E009") == (Status.PASSED, "")


def test_when_nginx_loaded_its_config_is_unknown_without_its_workers(facts):
    _changed(facts, -60)
    facts["processes"] = [p for p in facts["processes"] if not p["argv"][0].startswith("nginx")]
    assert status_of(facts, "nginx.E009") == (Status.UNVERIFIED, "no_workers")


# --- the service's own environment and user --------------------------------------------------

def test_a_variable_the_service_does_not_give_fails_step_9_not_step_0(facts):
    facts["django"] = {"settings_error": {"type": "KeyError", "message": "KeyError: 'DJANGO_SECRET_KEY'",
                                          "file": "/srv/my_project/my_project/settings.py", "line": 23}}
    facts["app"]["env_names"] = []
    assert status_of(facts, "project.E003") == (Status.UNVERIFIED, "service_env")
    assert status_of(facts, "systemd.E009") == (Status.FAILED, "env")
    facts["app"]["env_names"] = ["DJANGO_SECRET_KEY"]  # given, yet missing: the settings' own bug
    assert status_of(facts, "project.E003") == (Status.FAILED, "settings_error")


def test_settings_the_service_user_may_not_read_fail_step_9(facts):
    facts["django"]["app_user_denied"] = {"user": "www-data", "error": "PermissionError: 'secret_key.txt'"}
    facts["django"]["ran_as"] = "vagrant"
    assert status_of(facts, "systemd.E009") == (Status.FAILED, "denied")
    assert status_of(facts, "project.E003") == (Status.PASSED, "")


def test_django_missing_from_the_venv_is_told_by_the_import_error_only(facts):
    facts["django"] = {"settings_error": {"type": "ModuleNotFoundError", "message": "ModuleNotFoundError: No module "
                                          "named 'django'", "file": None, "line": None}}
    assert status_of(facts, "project.E002") == (Status.FAILED, "no_django")
    facts["django"]["settings_error"]["message"] = "KeyError: 'DJANGO_SECRET_KEY'"
    assert status_of(facts, "project.E002") == (Status.PASSED, "")


def test_an_unverified_chain_names_its_root_once(facts):
    _unit(facts).update(active_state="inactive", sub_state="dead", result="success", main_pid=0)
    facts["http"]["upstream"]["home"] = {"status": None, "error": "connect: No such file or directory (errno 2)"}
    facts["http"]["web"]["home"].update(status=502, markers=["nginx_error_page"], django_headers=False, headers={})
    from checkers.session import evaluate

    result = {r.id: r for r in evaluate(facts, COURSE, [COURSE.step("step8")])[0].results}["gunicorn.E003"]
    assert result.status is Status.UNVERIFIED
    assert result.message.count("nejde ověřit") == 1 and "gunicorn.service" in result.message


def test_a_step_blocked_by_another_steps_failure_is_not_failed(facts):
    from checkers.session import evaluate

    facts["systemd"]["units"]["nginx.service"].update(active_state="inactive", sub_state="dead")
    facts["processes"] = [p for p in facts["processes"] if "nginx" not in p["argv"][0]]
    facts["http"]["web"] = None
    alone = evaluate(facts, COURSE, [COURSE.step("step8")])[0]
    assert alone.status == "unverified"
    blocked = {r.id: r for r in alone.results}["gunicorn.E003"]
    assert blocked.reason == "prerequisite_failed" and "krok 7" in blocked.message and blocked.hint
    together = {run.step.id: run.status for run in evaluate(facts, COURSE, [COURSE.step("step7"), COURSE.step("step8")])}
    assert together == {"step7": "failed", "step8": "unverified"}
    from checkers.engine import exit_code

    assert int(exit_code(alone.results)) == 1  # something to fix, in step 7


# --- where the app is, when nginx's files do not say it ---------------------------------------

def test_without_proxy_pass_gunicorn_is_judged_on_its_own_bind_and_the_proxy_fails(facts):
    for server in facts["nginx"]["config"]["servers"]:
        for location in server["locations"]:
            location.pop("proxy_pass", None)
    facts["http"]["upstream"]["endpoint"] = {"kind": "unix", "path": "/tmp/gunicorn.sock", "from": "bind"}
    facts["http"]["web"]["home"].update(status=200, markers=["nginx_welcome"], django_headers=False,
                                        headers={"server": "nginx/1.22.1"})
    assert status_of(facts, "gunicorn.E002") == (Status.PASSED, "")
    assert status_of(facts, "gunicorn.E003") == (Status.FAILED, "no_proxy_pass")


def test_a_shadowed_site_still_shows_where_the_app_is(facts):
    from tests.unit.test_checks_on_recorded_facts import _set_default_site_first

    _set_default_site_first(facts)
    facts["http"]["web"]["home"].update(status=200, markers=["nginx_welcome"], django_headers=False,
                                        headers={"server": "nginx/1.22.1"})
    assert status_of(facts, "nginx.E006")[0] is Status.FAILED
    assert status_of(facts, "gunicorn.E002") == (Status.PASSED, "")
    from checkers.session import evaluate

    step8 = evaluate(facts, COURSE, [COURSE.step("step8")])[0]
    assert step8.status == "unverified"  # blocked by step 7, not failed


def test_django_through_nginx_is_proof_even_when_the_files_cannot_be_read(facts):
    facts["nginx"]["config"]["servers"] = []  # an invalid edit nobody loaded: the files parse to nothing
    facts["nginx"]["test"] = {"rc": 1, "output": "nginx: [emerg] unexpected end of file"}
    from checkers.checks.gunicorn import proxy_reaches_app

    assert proxy_reaches_app(facts).status is Status.PASSED


def test_a_static_404_names_the_file_the_running_nginx_opened(facts):
    facts["http"]["web"]["static_file"].update(status=404)
    log = next(iter(facts["nginx"]["error_log"]))
    facts["nginx"]["error_log"][log].append(nginx_log_line(facts, "error", '*2 open() "/srv/my_project/staticgalerie/'
                                                           'styl.css" failed (2: No such file or directory), client: 127.0.0.1'))
    from checkers.session import evaluate

    result = {r.id: r for r in evaluate(facts, COURSE, [COURSE.step("step7")])[0].results}["nginx.E007"]
    assert result.status is Status.FAILED and "NGINX ho hledal v /srv/my_project/staticgalerie/styl.css" in result.message


def test_allowed_hosts_must_hold_the_address_the_browser_uses_on_the_course_vm(facts):
    facts["django"]["settings"]["ALLOWED_HOSTS"] = ["example.com"]
    facts["params"]["browser_port"] = 8080
    assert status_of(facts, "django.E002") == (Status.FAILED, "site_missing")
    facts["django"]["settings"]["ALLOWED_HOSTS"] = ["example.com", ".0.0.1", "127.0.0.1"]
    assert status_of(facts, "django.E002") == (Status.PASSED, "")
    facts["django"]["settings"]["ALLOWED_HOSTS"] = ["example.com"]
    facts["params"]["browser_port"] = None  # a real server, visited under its own name
    assert status_of(facts, "django.E002") == (Status.PASSED, "")


def test_a_missing_database_driver_is_step_10_not_broken_settings(facts):
    facts["django"] = {"settings_error": {"type": "ImproperlyConfigured", "message": "django.core.exceptions."
                                          "ImproperlyConfigured: Error loading psycopg2 or psycopg module"},
                       "packages": {"Django": "5.2.19"}, "django_version": "5.2.19"}
    assert status_of(facts, "project.E003") == (Status.UNVERIFIED, "db_driver")
    assert status_of(facts, "postgres.E005")[0] is Status.FAILED
    facts["django"]["settings_error"]["message"] = "ImproperlyConfigured: The SECRET_KEY setting must not be empty."
    assert status_of(facts, "project.E003") == (Status.FAILED, "settings_error")


def test_port_80_accepting_but_not_answering_says_so(facts):
    facts["http"]["web"]["home"] = {"path": "/", "status": None, "error": "timeout", "attempts": 3}
    assert status_of(facts, "web.E001") == (Status.FAILED, "no_answer_listening")
    facts["listening"]["tcp"] = [row for row in facts["listening"]["tcp"] if row["port"] != 80]
    assert status_of(facts, "web.E001") == (Status.FAILED, "no_answer")

