"""systemd cannot even start the service's process: the unit names a program, a user or an
environment file the machine does not have. Recorded on the real course VM (corpus
exec-path-wrong, user-missing, envfile-missing): step 9 names what is missing (systemd.E001),
the project's own steps are judged on their own, doctor names the cause (D038) before the 502."""

from __future__ import annotations

import copy

import pytest

from checkers.checks.base import Status
from checkers.doctor import diagnose
from tests.helpers.recorded import all_results, corpus_facts
from tests.unit.test_checks_on_recorded_facts import COURSE


def _first_cause(facts: dict):
    found = [d for d in diagnose(facts, COURSE) if d.id.startswith("doctor.D")]
    return found[0] if found else None


@pytest.mark.parametrize("name, reason, words", [
    ("reference/exec-path-wrong.json.gz", "exec_missing_venv", ["/srv/my_project/venv/bin/gunicorn", "203/EXEC",
                                                               "/srv/my_project/.venv/bin/gunicorn"]),
    ("reference/user-missing.json.gz", "user_missing", ["django", "217/USER"]),
    ("env-file/envfile-missing.json.gz", "env_file_missing", ["/etc/my_project/.env", "není"]),
])
def test_what_the_unit_names_and_the_machine_lacks_is_named_in_step_9(name, reason, words):
    facts = corpus_facts(name)
    results = all_results(COURSE, facts)
    valid = results["systemd.E001"]
    assert (valid.status, valid.reason) == (Status.FAILED, reason)
    assert all(w in valid.message for w in words), valid.message
    # the project itself is fine: its venv works, its settings load (as the project's owner)
    assert results["project.E002"].status == Status.PASSED
    assert results["systemd.E003"].status != Status.FAILED  # behind E001: one red line
    cause = _first_cause(facts)
    assert cause.id == "doctor.D038", [d.id for d in diagnose(facts, COURSE)]


def test_the_same_unit_on_the_solved_vm_is_valid_and_doctor_names_nothing_of_the_kind():
    facts = corpus_facts("reference/ok.json.gz")
    assert all_results(COURSE, facts)["systemd.E001"].status == Status.PASSED
    assert "doctor.D038" not in [d.id for d in diagnose(facts, COURSE)]


def test_an_optional_environment_file_that_is_missing_is_no_mistake():
    facts = corpus_facts("env-file/envfile-missing.json.gz")
    for entry in facts["systemd"]["units"]["gunicorn.service"]["environment_files"]:
        entry["optional"] = True  # EnvironmentFile=-/etc/my_project/.env
    assert all_results(COURSE, facts)["systemd.E001"].reason != "env_file_missing"


@pytest.mark.parametrize("name, reason, step", [
    ("reference/exec-path-wrong.json.gz", "other", "EXEC"),
    ("reference/user-missing.json.gz", "other", "USER"),
    ("env-file/envfile-missing.json.gz", "refused", None),
])
def test_doctor_reads_systemds_own_line_when_the_probe_could_not_tell(name, reason, step):
    # An older probe (or a cause the probe does not look for): only the journal says it.
    facts = corpus_facts(name)
    facts["app"].pop("exec_missing", None)
    facts["app"].pop("exec_in_venv", None)
    facts["app"].pop("user_missing", None)
    for entry in facts["systemd"]["units"]["gunicorn.service"]["environment_files"]:
        entry.pop("error", None)
    cause = _first_cause(facts)
    assert (cause.id, cause.reason) == ("doctor.D038", reason)
    if step:
        assert f"krok {step}" in cause.message


def test_a_crash_of_the_program_itself_is_not_a_refused_start():
    # gunicorn ran and exited with an import error: D011 names it, D038 does not
    facts = corpus_facts("reference/import-error-crash-loop.json.gz")
    assert "doctor.D038" not in [d.id for d in diagnose(facts, COURSE)]
    facts = copy.deepcopy(corpus_facts("reference/workdir-wrong.json.gz"))  # 200/CHDIR has its own cause
    ids = [d.id for d in diagnose(facts, COURSE)]
    assert "doctor.D032" in ids and "doctor.D038" not in ids


def test_a_variable_missing_because_its_environment_file_is_not_there_says_so():
    settings = all_results(COURSE, corpus_facts("env-file/envfile-missing.json.gz"))["project.E003"]
    assert (settings.status, settings.reason) == (Status.UNVERIFIED, "service_env_file")
    assert "/etc/my_project/.env" in settings.message and "DJANGO_SECRET_KEY" in settings.message
    # the EnvironmentFile= line removed altogether: nothing to name but the variable
    settings = all_results(COURSE, corpus_facts("env-file/secret-missing-for-service.json.gz"))["project.E003"]
    assert (settings.status, settings.reason) == (Status.UNVERIFIED, "service_env")


@pytest.mark.parametrize("name, words", [
    ("reference/workdir-wrong.json.gz", "Changing to the requested working directory failed"),
    ("reference/project-dir-0700.json.gz", "Permission denied"),
])
def test_a_service_systemd_never_started_is_not_told_to_be_started_again(name, words):
    service = all_results(COURSE, corpus_facts(name))["systemd.E003"]
    assert (service.status, service.reason) == (Status.FAILED, "inactive_spawn")
    assert words in service.message and "nepomůže" in service.hint
    # one stopped by hand: starting it is the advice
    service = all_results(COURSE, corpus_facts("reference/service-stopped.json.gz"))["systemd.E003"]
    assert (service.status, service.reason) == (Status.FAILED, "inactive")
    assert "systemctl start" in service.hint


def test_an_old_refused_start_is_history_once_the_program_ran_again():
    # the ExecStart typo fixed, gunicorn ran, then stopped by hand: the refusal before is history
    refused = corpus_facts("reference/exec-path-wrong.json.gz")["systemd"]["journal"]["gunicorn.service"]
    facts = corpus_facts("reference/service-stopped.json.gz")
    own = facts["systemd"]["journal"]["gunicorn.service"]
    assert any(e["pid"] not in ("1", None) for e in own)  # gunicorn's own lines: it ran
    facts["systemd"]["journal"]["gunicorn.service"] = refused + own
    service = all_results(COURSE, facts)["systemd.E003"]
    assert (service.status, service.reason) == (Status.FAILED, "inactive")
    assert "doctor.D038" not in [d.id for d in diagnose(facts, COURSE)]


def test_an_old_refused_working_directory_is_history_once_the_program_ran_again():
    refused = corpus_facts("reference/workdir-wrong.json.gz")["systemd"]["journal"]["gunicorn.service"]
    assert "doctor.D032" in [d.id for d in diagnose(corpus_facts("reference/workdir-wrong.json.gz"), COURSE)]
    facts = corpus_facts("reference/service-stopped.json.gz")
    own = facts["systemd"]["journal"]["gunicorn.service"]
    facts["systemd"]["journal"]["gunicorn.service"] = refused + own
    ids = [d.id for d in diagnose(facts, COURSE)]
    assert "doctor.D032" not in ids and "doctor.D010" not in ids, ids
