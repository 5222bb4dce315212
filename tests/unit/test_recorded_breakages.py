"""True verdicts on breakages recorded on the real course VM (tests/fixtures/facts/vm-*.json), each
with the solved VM's facts as the passing or the neighbouring case: settings that fail to load, a
site on another port, a socket file removed, no location for /media/."""

from __future__ import annotations

import copy

import pytest

from checkers.checks.base import Status
from checkers.doctor import diagnose
from checkers.engine import Evaluator
from tests.helpers.recorded import corpus_facts, recorded_facts
from tests.unit.test_checks_on_recorded_facts import COURSE, recorded, status_of
from tests.unit.test_truthful_verdicts import _failures

ALL_CHECKS = [c for step in COURSE.required_steps for c in step.checks]


@pytest.fixture
def facts():
    return copy.deepcopy(recorded("solved"))



# --- settings that do not load: one cause, reported once, in its own step ------------------------
# Recorded on the real VM: a syntax error in settings.py, gunicorn.service (Restart=on-failure)
# restarted, so it crash-loops and nginx answers 502.

def test_a_service_falling_on_broken_settings_names_the_inferred_cause_and_sends_no_one_to_start_it():
    facts = recorded_facts("vm-settings-syntax-error")
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    assert (results["project.E003"].status, results["project.E003"].reason) == (Status.FAILED, "settings_error")
    service = results["systemd.E003"]
    assert service.status is Status.FAILED and service.reason in ("crash_loop_settings", "restarted_settings")
    assert "odvozeno" in service.message and "settings.py" in service.message and "řádek 28" in service.message
    assert "systemctl start" not in service.hint and "krok 0" in service.hint
    assert (results["gunicorn.E002"].status, results["gunicorn.E002"].reason) == (Status.UNVERIFIED, "service_falling")
    assert "active/running" not in results["gunicorn.E002"].message
    loads = results["systemd.E009"]
    assert (loads.status, loads.reason) == (Status.UNVERIFIED, "settings_broken") and "řádek 28" in loads.message


def test_a_service_falling_because_its_user_cannot_read_a_settings_file_says_so_as_inferred():
    facts = recorded_facts("vm-service-user-denied")  # recorded on the VM: chmod 600 db_password.txt
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    service = results["systemd.E003"]
    assert service.reason in ("crash_loop_denied", "restarted_denied")
    assert "odvozeno" in service.message and "db_password.txt" in service.message and "www-data" in service.message
    assert (results["systemd.E009"].status, results["systemd.E009"].reason) == (Status.FAILED, "denied")


def test_a_service_falling_with_loadable_settings_blames_no_settings(facts):
    _failures(facts, 20, 5)
    results = {r.id: r for r in Evaluator(facts, COURSE).results(list(COURSE.step_of_check("systemd.E003").checks))}
    assert results["systemd.E003"].reason == "crash_loop" and "nastavení" not in results["systemd.E003"].message
    assert "systemctl start" not in results["systemd.E003"].hint  # systemd starts it again by itself


@pytest.mark.parametrize("not_run, words", [("timeout", "zaseklo"), ("crashed", "spadl"),
                                            ("no-interpreter", "není Python"), ("something-new", "krok 0")])
def test_settings_not_known_says_why_in_czech_never_a_bare_token(facts, not_run, words):
    facts["django"] = {"not_run": not_run, "stderr": ""}
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    loads = results["systemd.E009"]
    assert loads.status is Status.UNVERIFIED and words in loads.message
    shown = " ".join(r.message + r.hint for r in results.values())
    assert not_run not in shown and "(?)" not in shown


# --- nothing on port 80: nginx down, or the site listening elsewhere ------------------------------

def test_a_site_listening_on_another_port_is_told_so_not_to_start_nginx():
    facts = recorded_facts("vm-site-on-8081")  # recorded on the VM: `listen 8081;`, nginx running
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    for check_id in ("nginx.E006", "web.E001"):
        assert (results[check_id].status, results[check_id].reason) == (Status.FAILED, "no_port80_site_elsewhere")
        assert "8081" in results[check_id].message and "listen 80;" in results[check_id].hint
        assert "systemctl start nginx" not in results[check_id].hint
    assert "výchozí web NGINX" not in results["nginx.E006"].message  # no default site is enabled there


def test_nothing_on_port_80_with_nginx_stopped_says_start_it(facts):
    facts["systemd"]["units"]["nginx.service"].update(active_state="inactive")
    facts["http"]["web"] = {}
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    assert results["web.E001"].reason == "no_port80" and "systemctl start nginx" in results["web.E001"].hint


# --- a socket gunicorn listens on, which nginx does not find --------------------------------------



@pytest.mark.parametrize("facts_of, reason, words", [
    (lambda: recorded_facts("vm-socket-file-removed"),
     "socket_file_gone", "Nejspíš ho někdo smazal"),  # recorded on the VM: rm /tmp/gunicorn.sock
    (lambda: corpus_facts("reference/privatetmp-socket.json.gz"), "socket_not_visible", "PrivateTmp"),
])
def test_a_socket_gunicorn_holds_but_nginx_cannot_find_is_not_a_stopped_gunicorn(facts_of, reason, words):
    facts = facts_of()
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    served = results["gunicorn.E002"]
    assert (served.status, served.reason) == (Status.FAILED, reason) and words in served.message
    assert "Spusťte gunicorn" not in served.hint  # it runs


def test_a_socket_nobody_listens_on_is_still_a_missing_socket(facts):
    facts["http"]["upstream"]["home"] = {"status": None, "error": "No such file or directory (errno 2)"}
    facts["listening"]["unix"] = [r for r in facts["listening"]["unix"] if "gunicorn" not in r["path"]]
    assert status_of(facts, "gunicorn.E002") == (Status.FAILED, "no_socket")


# --- no location for /media/: nginx asked Django, it looked in no directory ----------------------

def test_a_missing_media_location_says_nginx_asked_the_app_not_where_it_looked():
    facts = recorded_facts("vm-no-media-location")  # recorded on the VM: the `location /media/` block removed
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    media = results["nginx.E008"]
    assert (media.status, media.reason) == (Status.FAILED, "to_app")
    assert "od Djanga" in media.message and "?" not in media.message + media.hint
    assert "location /media/ { alias /srv/my_project/media/; }" in media.hint
    found = diagnose(facts)
    assert found[0].id == "doctor.D007" and "nemá blok location" in found[0].title
    assert "neodpovídá adresáři" not in found[0].message  # there is no path to be wrong


def test_a_media_location_with_a_wrong_alias_still_names_where_nginx_looked(facts):
    server = next(s for s in facts["nginx"]["config"]["servers"] if s["file"].endswith("my_project"))
    location = next(loc for loc in server["locations"] if loc["path"] == "/media/")
    location["alias"] = "/srv/my_project/nahrane/"
    facts["http"]["web"]["media_file"].update(status=404, django_headers=False, markers=[])
    media = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["nginx.E008"]
    assert media.reason == "not_found" and "/srv/my_project/nahrane/" in media.message


# --- the gunicorn from step 8 still running: the service cannot take its socket -----------------

def test_a_hand_started_gunicorn_holding_the_services_socket_is_named_before_the_crash():
    facts = recorded_facts("vm-manual-gunicorn-holds-socket")  # recorded on the VM: step 8's daemon left running
    found = [r.id for r in diagnose(facts)]
    assert found[0] == "doctor.D034" and "doctor.D011" not in found  # the crash it explains is not repeated
    first = diagnose(facts)[0]
    assert "kill 5012" in first.hint and first.seen["user"] == "vagrant"


def test_a_crashing_service_without_another_gunicorn_is_not_blamed_on_one(facts):
    _failures(facts, 20, 5)
    assert "doctor.D034" not in [r.id for r in diagnose(facts)]


def test_another_gunicorn_on_another_address_is_not_the_cause():
    facts = recorded_facts("vm-manual-gunicorn-holds-socket")
    for row in facts["listening"]["unix"]:
        if row["path"] == "/tmp/gunicorn.sock":
            row["path"] = "/tmp/jiny.sock"
    assert "doctor.D034" not in [r.id for r in diagnose(facts)]


# --- a redirect to HTTPS the machine does not have ---------------------------------------------

@pytest.mark.parametrize("name, reason", [("vm-django-https-redirect", "https_redirect_app"),
                                          ("vm-nginx-https-redirect", "https_redirect_nginx")])
def test_a_redirect_to_missing_https_is_named_with_who_sends_it(name, reason):
    facts = recorded_facts(name)  # recorded on the VM: SECURE_SSL_REDIRECT = True / `return 301 https://…`
    home = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["web.E002"]
    assert (home.status, home.reason) == (Status.FAILED, reason) and "https://" in home.message
    first = diagnose(facts)[0]
    assert first.id == "doctor.D035" and first.reason == reason.removeprefix("https_redirect_")


def test_a_redirect_to_https_that_is_there_is_not_called_missing():
    facts = recorded_facts("vm-nginx-https-redirect")
    facts["listening"]["tcp"].append({"addr": "0.0.0.0", "port": 443, "pids": [1]})
    home = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["web.E002"]
    assert home.reason == "status"
    assert "doctor.D035" not in [r.id for r in diagnose(facts)]


# --- gunicorn --chdir instead of WorkingDirectory: a correct deployment --------------------------

def test_gunicorn_chdir_in_place_of_working_directory_is_accepted():
    facts = recorded_facts("vm-gunicorn-chdir")  # recorded on the VM: no WorkingDirectory, `--chdir /srv/my_project`
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    assert [r.id for r in results.values() if r.status is Status.FAILED] == []
    assert results["systemd.E005"].status is Status.PASSED and "/srv/my_project" in results["systemd.E005"].message


def test_neither_working_directory_nor_chdir_on_a_service_that_serves_nothing_fails(facts):
    unit = facts["systemd"]["units"][facts["app"]["unit"]]
    unit.update(working_directory=None, active_state="failed", sub_state="failed", main_pid=0)
    result = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["systemd.E005"]
    assert (result.status, result.reason) == (Status.FAILED, "unset") and "--chdir" in result.message


# --- a collected static file nginx may not read (mode 600) -------------------------------------

def test_an_unreadable_collected_file_fails_nginx_not_collectstatic():
    facts = recorded_facts("vm-static-file-unreadable")  # recorded on the VM: chmod 600 static/galerie/styl.css
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    assert [results[c].status for c in ("static.E001", "static.E002", "static.E003")] == [Status.PASSED] * 3
    assert (results["nginx.E007"].status, results["nginx.E007"].reason) == (Status.FAILED, "forbidden")
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D009", "static_file") and "chmod -R o+rX" in first.hint


def test_a_static_section_the_probe_could_not_read_is_never_an_unset_static_root():
    facts = recorded_facts("vm-static-section-error")  # the same state, seen by the probe before its fix
    results = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}
    assert (results["static.E001"].status, results["static.E001"].reason) == (Status.UNVERIFIED, "static_error")
    assert results["web.E005"].status is Status.UNVERIFIED and "neodkazuje" not in results["web.E005"].message


def test_a_closed_static_root_is_still_named_as_the_directory(facts):
    root = facts["django"]["static"]["root"]
    facts["http"]["web"]["static_file"].update(status=403)
    for row in facts["paths"]["web_user_access"]["results"]:
        if row["path"] == root:
            row.update(ok=False, error="EACCES", denied_at=root)
    found = [r for r in diagnose(facts) if r.id == "doctor.D009"]
    assert found and found[0].reason == "static"


# --- an empty DATABASES HOST: peer authentication on the unix socket ------------------------------

def test_peer_authentication_is_explained_not_called_a_wrong_password():
    facts = recorded_facts("vm-postgres-peer")  # recorded on the VM: 'HOST': '' in DATABASES
    connect = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["postgres.E007"]
    assert (connect.status, connect.reason) == (Status.FAILED, "peer") and "'HOST': 'localhost'" in connect.hint
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D023", "peer") and first.seen["os_user"] == "www-data"
    assert "heslo" not in first.title


def test_a_refused_password_is_still_the_password(facts):
    facts["django"]["database"]["connect"] = {"ok": False, "error": {
        "message": 'FATAL:  password authentication failed for user "myprojectuser"'}}
    connect = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["postgres.E007"]
    assert connect.reason == "password"
    assert diagnose(facts)[0].id == "doctor.D014"


def test_a_redirect_to_another_sites_https_is_not_this_machines_missing_https():
    facts = recorded_facts("vm-nginx-https-redirect")
    facts["http"]["web"]["home"]["headers"]["location"] = "https://www.example.org/"
    assert {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["web.E002"].reason == "status"
    assert "doctor.D035" not in [r.id for r in diagnose(facts)]


def test_nothing_on_port_80_with_nginx_running_and_no_other_port_does_not_say_start_nginx():
    facts = recorded_facts("vm-site-on-8081")
    for server in facts["nginx"]["config"]["servers"]:
        for listen in server["listen"]:
            listen.update(port=80, addr="10.0.2.15")  # port 80, but not where the browser arrives
    answers = {r.id: r for r in Evaluator(facts, COURSE).results(ALL_CHECKS)}["web.E001"]
    assert answers.reason == "no_port80_nginx_runs" and "systemctl start nginx" not in answers.hint
