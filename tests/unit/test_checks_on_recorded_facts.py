"""Every check on facts recorded from the real course VM (tests/fixtures/facts/, refreshed by the
VM tier): it passes on the solved VM, and a targeted change of the recorded facts makes it fail
(asserting ids and statuses, never wording). A check may instead bring its own fixture
(tests/fixtures/checks/ID.toml, see tests/helpers/check_fixtures.py; tests/unit/test_check_fixtures.py
runs them): then it passes on the solved VM with the fixture's `pass` changes (a fact the recording
predates)."""

from __future__ import annotations

import copy

import pytest

from checkers.checks import registry
from checkers.checks.base import Status
from checkers.course import load_course
from checkers.engine import Evaluator

from tests.helpers.check_fixtures import all_fixtures, changed
from tests.helpers.recorded import recorded_facts

COURSE = load_course()


def recorded(name: str) -> dict:
    return recorded_facts(f"vm-{name}")


def status_of(facts: dict, check_id: str) -> tuple[Status, str]:
    # Shown alone, a check whose prerequisite fails reports that as its own failure; evaluate the
    # check together with its whole step so only the check's own verdict is asserted here.
    step = COURSE.step_of_check(check_id)
    results = {r.id: r for r in Evaluator(facts, COURSE).results(list(step.checks))}
    return results[check_id].status, results[check_id].reason


def _units(f):
    return f["systemd"]["units"]


def _app_unit(f):
    return _units(f)[f["app"]["unit"]]


def _web(f, name):
    return f["http"]["web"][name]


def _set_default_site_first(f):
    f["nginx"]["config"]["servers"].append({
        "file": "/etc/nginx/sites-enabled/default", "line": 1, "server_names": ["_"], "root": "/var/www/html",
        "listen": [{"addr": "*", "port": 80, "default_server": True}], "locations": []})
    for server in f["nginx"]["config"]["servers"][:-1]:
        server["server_names"] = ["example.com"]


def _access(f, need, ok=False):
    for row in f["paths"]["app_user_access"]["results"]:
        if row["need"] == need:
            row["ok"] = ok
            row["denied_at"] = row["path"]


# check id -> (change of the solved facts, expected status)
BREAKS = {
    "target.E002": (lambda f: f["probe"].update(privileged=False), Status.FAILED),
    "project.E001": (lambda f: f["app"].update(exists=False), Status.FAILED),
    "project.E002": (lambda f: f["app"].update(interpreter=None), Status.FAILED),
    "project.E003": (lambda f: f["django"].update(settings_error={"type": "NameError", "message": "NameError: x",
                                                                   "file": "settings.py", "line": 3}), Status.FAILED),
    "django.E001": (lambda f: f["django"]["settings"].update(DEBUG=True), Status.FAILED),
    "django.E002": (lambda f: f["django"]["settings"].update(ALLOWED_HOSTS=["*"]), Status.FAILED),
    "static.E001": (lambda f: f["django"]["static"].update(root=None), Status.FAILED),
    "static.E002": (lambda f: f["django"]["static"].update(collides=True), Status.FAILED),
    "static.E003": (lambda f: f["django"]["static"].update(missing_count=2, missing=["a.css", "b.css"]), Status.FAILED),
    "media.E001": (lambda f: f["django"]["media"].update(overlaps_static=True), Status.FAILED),
    "media.E002": (lambda f: f["django"]["media"].update(exists=False), Status.FAILED),
    "media.E003": (lambda f: f["django"]["media"].update(url=f["django"]["static"]["url"]), Status.FAILED),
    "secret.E001": (lambda f: f["django"]["secret_key"].update(insecure_prefix=True), Status.FAILED),
    "secret.E002": (lambda f: f["django"]["secret_key"].update(length=20), Status.FAILED),
    "secret.E003": (lambda f: f["django"]["secret_key"].update(in_versioned_files=["my_project/settings.py"]),
                    Status.FAILED),
    "deploy.E001": (lambda f: f["django"].update(deploy_check={"error": {"message": "RuntimeError: x"}}), Status.FAILED),
    "deploy.E002": (lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W018", "level": 30, "msg": "DEBUG", "silenced": False}), Status.FAILED),
    "deploy.E003": (lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W019", "level": 30, "msg": "X_FRAME_OPTIONS", "silenced": False}), Status.FAILED),
    "nginx.E001": (lambda f: (f["packages"]["versions"].update({p: None for p in f["packages"]["versions"]
                                                                 if p.startswith("nginx")}),
                              f["nginx"].update(installed=False)), Status.FAILED),
    "nginx.E002": (lambda f: _units(f)["nginx.service"].update(active_state="inactive"), Status.FAILED),
    "nginx.E003": (lambda f: _units(f)["nginx.service"].update(unit_file_state="disabled"), Status.FAILED),
    # nginx.E004: tests/fixtures/checks/nginx.E004.toml
    "nginx.E005": (lambda f: f["nginx"]["config"].update(servers=[]), Status.FAILED),
    "nginx.E006": (_set_default_site_first, Status.FAILED),
    "nginx.E007": (lambda f: _web(f, "static_file").update(status=404), Status.FAILED),
    "nginx.E008": (lambda f: _web(f, "media_file").update(status=403), Status.FAILED),
    "nginx.E009": (lambda f: f["nginx"].update(newest_change={"path": "/etc/nginx/sites-enabled/my_project",
                                                              "mtime": 4e9}), Status.FAILED),
    "gunicorn.E001": (lambda f: f["django"]["packages"].update(gunicorn=None), Status.FAILED),
    "gunicorn.E002": (lambda f: f["http"]["upstream"].update(home={"status": None,
                                                                    "error": "No such file or directory (errno 2)"}),
                      Status.FAILED),
    "gunicorn.E003": (lambda f: _web(f, "home").update(status=502, django_headers=False, markers=["nginx_error_page"],
                                                       headers={"server": "nginx/1.22.1"}), Status.FAILED),
    "systemd.E001": (lambda f: f["systemd"].update(app_units=[]) or f["app"].update(unit=None), Status.FAILED),
    "systemd.E002": (lambda f: (_app_unit(f).update(unit_file_state="disabled", triggered_by=[])), Status.FAILED),
    "systemd.E003": (lambda f: _app_unit(f).update(active_state="failed", sub_state="failed", triggered_by=[]),
                     Status.FAILED),
    "systemd.E004": (lambda f: _app_unit(f).update(user=None), Status.FAILED),
    "systemd.E005": (lambda f: _access(f, "traverse"), Status.FAILED),
    "systemd.W001": (lambda f: _app_unit(f).update(restart="no"), Status.ADVICE),
    "systemd.E009": (lambda f: f["django"].update(app_user_denied={"user": "www-data", "error": "Permission denied"}),
                     Status.FAILED),
    "systemd.E007": (lambda f: _units(f)["nginx.service"].update(unit_file_state="disabled"), Status.FAILED),
    "systemd.E008": (lambda f: _access(f, "write"), Status.FAILED),
    "postgres.E001": (lambda f: f["packages"]["versions"].update(postgresql=None, **{"postgresql-15": None}),
                      Status.FAILED),
    "postgres.E002": (lambda f: ([u.update(active_state="inactive") for n, u in _units(f).items()
                                 if n.startswith("postgresql@")], f["postgres"].pop("version", None)), Status.FAILED),
    "postgres.E003": (lambda f: f["postgres"].update(databases=[{"name": "postgres", "owner": "postgres"}]),
                      Status.FAILED),
    "postgres.E004": (lambda f: [d.update(owner="postgres") for d in f["postgres"]["databases"]], Status.FAILED),
    "postgres.E005": (lambda f: f["django"]["packages"].update({k: None for k in f["django"]["packages"]
                                                                if k.startswith("psycopg")}), Status.FAILED),
    "postgres.E006": (lambda f: f["django"]["database"].update(engine="django.db.backends.sqlite3"), Status.FAILED),
    "postgres.E007": (lambda f: f["django"]["database"].update(connect={"ok": False, "error": {
        "message": 'OperationalError: FATAL:  password authentication failed for user "myprojectuser"'}}),
                      Status.FAILED),
    "postgres.E008": (lambda f: f["django"]["database"].update(unapplied_migrations=["galerie.0003_x"]), Status.FAILED),
    "web.E001": (lambda f: f["http"].pop("web"), Status.FAILED),
    "web.E002": (lambda f: _web(f, "home")["markers"].append("nginx_welcome"), Status.FAILED),
    "web.E003": (lambda f: _web(f, "not_found")["markers"].append("django_debug"), Status.FAILED),
    "web.E004": (lambda f: _web(f, "bad_host").update(status=200, django_headers=True), Status.FAILED),
    "web.E005": (lambda f: _web(f, "static_linked").update(status=404), Status.FAILED),
    "web.E006": (lambda f: _web(f, "media_file").update(status=404), Status.FAILED),
    "web.E007": (lambda f: f["http"]["web"]["admin_login"]["post"].update(status=403), Status.FAILED),
}
# Checks that cannot fail as checks, and where their failing case is proven instead.
NEVER_FAIL = {
    "target.E001": "an unreachable target is exit 2 before any check (tests/probe/test_ssh.py)",
    "deploy.I001": "informational: explains the HTTPS warnings, see test_https_note_variants",
}
VM_CHECKS = [c for s in COURSE.required_steps for c in s.checks]
FIXTURES = all_fixtures()


def test_every_vm_check_has_a_failing_case_or_a_stated_reason():
    assert set(BREAKS) | set(NEVER_FAIL) | (set(FIXTURES) & set(VM_CHECKS)) == set(VM_CHECKS)


@pytest.mark.parametrize("check_id", VM_CHECKS)
def test_check_passes_on_the_solved_vm(check_id):
    fixture = FIXTURES.get(check_id, {})
    status, _ = status_of(changed(recorded("solved"), fixture.get("pass", {})), check_id)
    assert status is Status.PASSED


@pytest.mark.parametrize("check_id", sorted(BREAKS))
def test_check_fails_when_its_fact_is_broken(check_id):
    facts = copy.deepcopy(recorded("solved"))
    change, expected = BREAKS[check_id]
    change(facts)
    status, _ = status_of(facts, check_id)
    assert status is expected


def test_the_fresh_vm_fails_every_step_but_step0():
    evaluator = Evaluator(recorded("fresh"), COURSE)
    for step in COURSE.required_steps:
        statuses = {r.status for r in evaluator.results(list(step.checks))}
        if step.id == "step0":
            assert statuses == {Status.PASSED}
        else:
            assert Status.FAILED in statuses, step.id


def test_https_note_variants():
    facts = copy.deepcopy(recorded("solved"))
    assert status_of(facts, "deploy.I001") == (Status.PASSED, "present")
    facts["django"]["deploy_check"]["messages"] = []
    assert status_of(facts, "deploy.I001") == (Status.PASSED, "none")

