"""True verdicts on more states recorded on the real course VM (tests/fixtures/facts/vm-*.json and the
corpus): systemd giving up on a service, a crash loop caught on its first start, a dangling site link, Django's own 500, settings fixed but
not loaded, and correct deployments from other tutorials that must pass."""

from __future__ import annotations

import copy

import pytest

from checkers.checks.base import Status
from checkers.doctor import diagnose
from tests.helpers.recorded import all_results, corpus_facts, recorded_facts
from tests.unit.test_checks_on_recorded_facts import COURSE, recorded



@pytest.fixture
def facts():
    return copy.deepcopy(recorded("solved"))




# --- systemd gave up: started too often, refused, and with socket activation the socket closed ---
# Recorded on the real VM: a service restarted by hand again and again (each start cut short before
# gunicorn logged anything) until systemd refused (start-limit-hit), as a plain service
# (vm-restarted-until-refused) and behind gunicorn.socket, which systemd closed as well
# (vm-restarted-until-refused-socket); and a socket-activated service that could not enter its
# directory (corpus socket-activation:project-dir-0700). Starting the service alone opens no socket.



def _service_verdict(facts: dict):
    results = all_results(COURSE, facts)
    return results["systemd.E003"], results


@pytest.mark.parametrize("facts", [pytest.param(lambda: corpus_facts("socket-activation/project-dir-0700.json.gz"), id="workdir"),
                                   pytest.param(lambda: recorded_facts("vm-restarted-until-refused-socket"),
                                                id="restarted")])
def test_a_socket_closed_by_systemd_after_too_many_starts_is_named_with_how_to_open_it(facts):
    facts = facts()
    assert facts["systemd"]["units"]["gunicorn.socket"]["result"] == "service-start-limit-hit"
    service, _ = _service_verdict(facts)
    assert (service.status, service.reason) == (Status.FAILED, "gave_up_socket")
    assert "gunicorn.socket" in service.message and "přestal spouštět" in service.message
    assert "reset-failed gunicorn.service gunicorn.socket" in service.hint
    assert "systemctl restart gunicorn.socket" in service.hint and "systemctl start " not in service.hint


def test_a_service_systemd_refuses_to_start_says_so_and_names_reset_failed():
    facts = recorded_facts("vm-restarted-until-refused")
    assert facts["systemd"]["units"]["gunicorn.service"]["result"] == "start-limit-hit"
    service, results = _service_verdict(facts)
    assert (service.status, service.reason) == (Status.FAILED, "gave_up")
    assert "start-limit-hit" in service.message and "reset-failed gunicorn.service" in service.hint
    assert results["gunicorn.E002"].status is Status.UNVERIFIED


@pytest.mark.parametrize("name, reason, words", [
    ("vm-restarted-until-refused", "gave_up", "restart gunicorn.service"),
    ("vm-restarted-until-refused-socket", "gave_up_socket", "restart gunicorn.socket")])
def test_doctor_says_nobody_serves_because_systemd_stopped_starting_it(name, reason, words):
    found = diagnose(recorded_facts(name))  # nothing crashed in the journal: the restarts themselves hit the limit
    assert found[0].id == "doctor.D005" and found[0].reason == reason
    assert "přestal spouštět" in found[0].message and "přestal spouštět" in found[0].evidence
    assert words in found[0].hint and "systemctl start gunicorn" not in found[0].hint


def test_a_crash_loop_behind_a_socket_that_still_accepts_is_not_called_given_up():
    facts = corpus_facts("socket-activation/import-error-crash-loop.json.gz")  # recorded: the socket stayed active
    assert facts["systemd"]["units"]["gunicorn.socket"]["active_state"] == "active"
    service, _ = _service_verdict(facts)
    assert service.status is Status.FAILED and not service.reason.startswith("gave_up")
    found = diagnose(facts)
    assert found[0].id == "doctor.D011" and found[0].reason != "gave_up_socket"


# --- a crash loop caught on its first start after a restart ---------------------------------------
# Recorded on the VM: the database driver uninstalled, the service restarted (corpus
# reference:db-driver-missing, where the first look already saw five crashes). A fast machine can be
# probed on the first start after the restart: the unit "active", no restart counted, nothing in its
# log yet, a gunicorn master listed, nginx's last error "No such file" from the moment between two
# starts. The end of the probe then sees the unit fallen: its journal read again holds the crash.

def _first_start_after_restart(with_later_journal: bool) -> dict:
    facts = corpus_facts("reference/db-driver-missing.json.gz")
    unit = facts["systemd"]["units"]["gunicorn.service"]
    crashed = facts["systemd"]["journal"]["gunicorn.service"]
    assert any("Error loading psycopg" in e["msg"] for e in crashed)
    unit.update(n_restarts=0, main_started_ago=0.4)
    facts["systemd"]["journal"]["gunicorn.service"] = [
        {"t": facts["probe"]["started_at"] - 1, "prio": 6, "pid": "1", "inv": "first",
         "msg": "Started gunicorn.service - gunicorn daemon for Django project."}]
    later = {"active_state": "activating", "sub_state": "auto-restart", "n_restarts": 1, "main_pid": 0}
    facts["systemd"]["resampled"] = {"gunicorn.service": {**later, **({"journal": crashed} if with_later_journal else {})}}
    return facts


def test_a_service_caught_up_on_its_first_start_is_named_by_the_crash_read_at_the_probes_end():
    facts = _first_start_after_restart(with_later_journal=True)
    found = diagnose(facts)
    assert found[0].id == "doctor.D011" and "psycopg" in found[0].evidence
    assert "doctor.D003" not in [f.id for f in found]  # not "gunicorn runs, the socket is missing"
    assert all_results(COURSE, facts)["systemd.E003"].status is Status.FAILED


def test_a_service_that_fell_during_the_probe_without_a_logged_reason_says_it_does_not_know_why():
    facts = _first_start_after_restart(with_later_journal=False)
    found = diagnose(facts)
    assert (found[0].id, found[0].reason) == ("doctor.D011", "unexplained")
    assert "active/running" in found[0].evidence and "activating/auto-restart" in found[0].evidence
    assert "neznám" in found[0].message and "journalctl -u gunicorn.service" in found[0].hint
    assert "doctor.D003" not in [f.id for f in found]


def test_a_restart_or_stop_by_hand_during_the_probe_is_not_a_fall():
    facts = _first_start_after_restart(with_later_journal=False)
    unit = facts["systemd"]["units"]["gunicorn.service"]
    facts["systemd"]["resampled"]["gunicorn.service"].update(
        active_state="active", sub_state="running", n_restarts=0, main_pid=unit["main_pid"] + 40)
    assert "unexplained" not in [f.reason for f in diagnose(facts) if f.id == "doctor.D011"]
    facts["systemd"]["resampled"]["gunicorn.service"].update(active_state="inactive", sub_state="dead", main_pid=0)
    assert "unexplained" not in [f.reason for f in diagnose(facts) if f.id == "doctor.D011"]  # stopped by hand


def test_a_gunicorn_that_stays_up_while_nginx_finds_no_socket_file_is_the_missing_socket():
    facts = corpus_facts("reference/privatetmp-socket.json.gz")  # recorded: PrivateTmp=true, the socket in /tmp
    assert diagnose(facts)[0].id == "doctor.D003"


# --- correct deployments from other tutorials, recorded on the VM ---------------------------------

@pytest.mark.parametrize("name", [
    "vm-gunicorn-cmd-args",   # no --bind in ExecStart: Environment="GUNICORN_CMD_ARGS=--bind=unix:… --workers=3"
    "vm-static-by-root",      # location /static/ { root /srv/my_project; } (and /media/) instead of alias
    "vm-site-enabled-copy",   # sites-enabled/my_project is a copy of the file, not a symlink
    "vm-proxy-to-localhost",  # gunicorn on 127.0.0.1:8000, proxy_pass http://localhost:8000
    "vm-runtime-directory-socket",  # RuntimeDirectory=gunicorn, --bind unix:/run/gunicorn/gunicorn.sock
])
def test_a_correct_deployment_from_another_tutorial_passes_every_check_and_doctor_finds_nothing(name):
    facts = recorded_facts(name)
    results = all_results(COURSE, facts)
    assert [(r.id, r.message) for r in results.values() if r.status is not Status.PASSED and r.kind.name == "CHECK"
            and not r.id.split(".")[1].startswith("W")] == []
    assert [r.id for r in diagnose(facts) if r.id.startswith("doctor.D")] == []


# --- the site's link in sites-enabled leads nowhere (the file renamed), nginx restarted -----------
# Recorded on the VM: sites-available/my_project renamed to my_project.old, `systemctl restart nginx`.

def test_a_dangling_site_link_names_the_missing_file_and_starting_before_fixing_is_not_advised():
    facts = recorded_facts("vm-site-link-dangling")
    results = all_results(COURSE, facts)
    link = results["nginx.E005"]
    assert (link.status, link.reason) == (Status.FAILED, "broken_link")
    assert "my_project → /etc/nginx/sites-available/my_project" in link.message and "my_project.old" in link.hint
    assert results["nginx.E002"].reason == "invalid" and "Nejdřív opravte konfiguraci" in results["nginx.E002"].hint
    assert results["nginx.E004"].reason == "stopped" and "reload" not in results["nginx.E004"].hint
    port = results["web.E001"]
    assert port.reason == "no_port80_nginx_invalid" and "nginx -t" in port.message
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D002", "missing_file_stopped")
    assert "/etc/nginx/sites-enabled/my_project" in first.message and "středník" not in first.hint
    assert "systemctl start nginx" in first.hint and "reload" not in first.hint


def test_an_invalid_configuration_of_a_running_nginx_still_advises_a_reload(facts):
    facts["nginx"]["test"].update(rc=1, output='nginx: [emerg] unexpected "}" in /etc/nginx/sites-enabled/my_project:20')
    results = all_results(COURSE, facts)
    assert results["nginx.E004"].reason == "" and "reload" in results["nginx.E004"].hint
    assert results["nginx.E002"].status is Status.PASSED
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D002", "running") and "středník" in first.hint


# --- Django's own 500 with no cause in the facts: say so, and how to see the exception -------------
# Recorded on the VM: the app's templates directory renamed (TemplateDoesNotExist), DEBUG off.

def test_a_django_500_without_a_known_cause_is_named_as_an_exception_in_the_app():
    facts = recorded_facts("vm-template-missing-500")
    results = all_results(COURSE, facts)
    assert results["web.E002"].status is Status.FAILED and "500" in results["web.E002"].message
    found = [r for r in diagnose(facts) if r.id.startswith("doctor.D")]
    assert [r.id for r in found] == ["doctor.D036"]
    assert "není" in found[0].message and "sudo -u www-data /srv/my_project/.venv/bin/python manage.py shell" in found[0].hint
    assert "HTTP_HOST='127.0.0.1'" in found[0].hint


def test_a_django_500_a_known_cause_explains_is_not_named_twice():
    facts = recorded_facts("vm-template-missing-500")
    facts["django"]["database"]["unapplied_migrations"] = ["galerie.0002_obrazek"]
    assert [r.id for r in diagnose(facts) if r.id.startswith("doctor.D")] == ["doctor.D024"]


# --- settings fixed in the file, the running gunicorn not restarted --------------------------------
# Recorded on the VM: ALLOWED_HOSTS = ['example.com'] and a restart (400), then the file put back
# WITHOUT a restart. The file allows the address, the running process does not.

def test_a_400_for_an_address_the_settings_allow_says_restart_not_add_it():
    facts = recorded_facts("vm-allowed-hosts-fixed-not-restarted")
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D013", "stale")
    assert "odvozeno" in first.message and "systemctl restart gunicorn.service" in first.hint
    assert "Přidejte" not in first.hint
    facts["django"]["settings"]["ALLOWED_HOSTS"] = ["example.com"]  # the file does not allow it: add it
    first = diagnose(facts)[0]
    assert (first.id, first.reason) == ("doctor.D013", "") and "Přidejte 127.0.0.1" in first.hint


@pytest.mark.parametrize("host, patterns, allowed", [
    ("127.0.0.1:8080", ["127.0.0.1"], True), ("www.skola.cz", [".skola.cz"], True), ("skola.cz", [".skola.cz"], True),
    ("evil.cz", [".skola.cz"], False), ("anything", ["*"], True), ("[::1]:8080", ["[::1]"], True),
    ("LOCALHOST.", ["localhost"], True), ("localhost", ["127.0.0.1"], False), ("x", [], False)])
def test_the_allowed_hosts_rule_is_djangos(host, patterns, allowed):
    from checkers.checks.causes.django import host_allowed

    assert host_allowed(host, patterns) is allowed


# --- an old copy of the site enabled too, loaded first, with the same server_name -----------------
# Recorded on the VM: sites-enabled/000-stary (the site with `return 503;` instead of proxy_pass);
# nginx -t warns "conflicting server name … ignored" and the copy answers.

def test_a_site_copy_loaded_first_is_named_in_step_7_and_by_doctor_not_as_a_missing_proxy_pass():
    facts = recorded_facts("vm-old-site-copy-shadows")
    results = all_results(COURSE, facts)
    answers = results["nginx.E006"]
    assert (answers.status, answers.reason) == (Status.FAILED, "twin")
    assert "000-stary" in answers.message and "sudo rm /etc/nginx/sites-enabled/000-stary" in answers.hint
    assert results["gunicorn.E003"].status is Status.SKIPPED  # a consequence of step 7, not step 8's fault
    found = [r.id for r in diagnose(facts) if r.id.startswith("doctor.D")]
    assert found == ["doctor.D037"]


def test_two_identical_site_copies_break_nothing_and_are_not_named(facts):
    twin = copy.deepcopy(facts["nginx"]["config"]["servers"][-1])
    twin["file"] = "/etc/nginx/sites-enabled/000-kopie"
    facts["nginx"]["config"]["servers"].insert(0, twin)
    facts["nginx"]["test"]["output"] = ('nginx: [warn] conflicting server name "127.0.0.1" on 0.0.0.0:80, ignored\n'
                                        + (facts["nginx"]["test"].get("output") or ""))
    results = all_results(COURSE, facts)
    assert results["nginx.E006"].status is Status.PASSED
    assert diagnose(facts) == []


# --- old error.log lines are not evidence of what nginx does now ---------------------------------

def test_an_error_log_line_of_a_worker_gone_since_the_last_reload_is_not_quoted():
    facts = recorded_facts("vm-old-site-copy-shadows")  # the log's last lines are from an earlier nginx
    from checkers.checks.webfacts import error_log_lines

    every = [line for tail in facts["nginx"]["error_log"].values() for line in tail]
    assert any("[::1]:8000" in line for line in every) and not any("[::1]:8000" in line for line in error_log_lines(facts))


# --- nginx serves /static/ from the app's source directory, not STATIC_ROOT -----------------------
# Recorded on the VM (corpus static-alias-to-source): the project's own CSS loads, a file
# collectstatic brings from an installed package (the admin's) does not.

@pytest.mark.parametrize("name", ["reference/static-alias-to-source.json.gz", "other-dir/static-alias-to-source.json.gz"])
def test_a_static_directory_without_the_installed_apps_files_fails_step_7(name):
    facts = corpus_facts(name)
    served = all_results(COURSE, facts)["nginx.E007"]
    assert (served.status, served.reason) == (Status.FAILED, "installed_not_found")
    assert "/galerie/static/admin/css/" in served.message and "STATIC_ROOT" in served.message
    assert "/static/galerie/styl.css se načte" in served.message and "/my_project/static/;" in served.hint
    first = diagnose(facts)[0]
    assert first.id == "doctor.D007" and "/static/admin/css/" in first.evidence


def test_the_installed_apps_file_served_from_static_root_passes():
    facts = corpus_facts("reference/settings-fixed-not-restarted.json.gz")  # recorded with the second sample
    assert facts["http"]["web"]["static_installed"]["status"] == 200
    result = all_results(COURSE, facts)["nginx.E007"]
    assert result.status is Status.PASSED and "/static/galerie/styl.css" in result.message


# --- systemd-analyze verify that did not finish (a crash loop kept the VM busy past its 20 s) ---

def test_a_unit_whose_verify_did_not_finish_is_not_called_invalid():
    facts = corpus_facts("reference/unit-typo-user.json.gz")
    valid = all_results(COURSE, facts)["systemd.E001"]
    assert (valid.status, valid.reason) == (Status.FAILED, "invalid")  # the recorded complaint about Userr=
    facts["systemd"]["verify"]["gunicorn.service"] = {"rc": 124, "output": "timed out after 20s", "timed_out": True}
    valid = all_results(COURSE, facts)["systemd.E001"]
    assert (valid.status, valid.reason) == (Status.PASSED, "unverified")
    assert "nedoběhla do 20 s" in valid.message and "ověřit nemohu" in valid.message


def test_an_nginx_test_that_did_not_finish_is_unverified_not_invalid():
    facts = corpus_facts("reference/nginx-invalid-not-reloaded.json.gz")
    valid = all_results(COURSE, facts)["nginx.E004"]
    assert valid.status == Status.FAILED  # nginx -t's recorded refusal
    assert "doctor.D002" in [d.id for d in diagnose(facts, COURSE)]
    facts["nginx"]["test"] = {"rc": 124, "output": "timed out after 15s", "timed_out": True}
    valid = all_results(COURSE, facts)["nginx.E004"]
    assert (valid.status, valid.reason) == (Status.UNVERIFIED, "timed_out")
    assert "doctor.D002" not in [d.id for d in diagnose(facts, COURSE)]


def test_a_killed_gunicorn_that_systemd_restarted_is_told_from_one_that_never_fell():
    # Recorded on the VM: gunicorn's master killed (SIGKILL), systemd restarted it (Restart=on-failure).
    # Only systemd's own journal line (PID 1, "Failed with result 'signal'") shows the fall.
    facts = corpus_facts("reference/gunicorn-sigkill.json.gz")
    assert any(e["pid"] == "1" and "Failed with result" in e["msg"] for e in facts["systemd"]["journal"]["gunicorn.service"])
    service, _ = _service_verdict(facts)
    assert (service.status, service.reason) == (Status.PASSED, "recovered")
    assert "jednou spadla" in service.message
    facts["systemd"]["journal"]["gunicorn.service"] = [e for e in facts["systemd"]["journal"]["gunicorn.service"]
                                                       if e["pid"] != "1"]
    service, _ = _service_verdict(facts)
    assert (service.status, service.reason) == (Status.PASSED, "")
