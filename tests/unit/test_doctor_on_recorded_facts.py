"""`doctor` on facts recorded from the real VM: healthy when solved, and each diagnosis found from
the evidence that names it (the VM tier proves the same against real breakages)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from checkers.doctor import diagnose
from checkers.texts import table
from tests.helpers.recorded import nginx_log_line
from tests.unit.test_checks_on_recorded_facts import recorded

SOCKET = "/tmp/gunicorn.sock"


def _502(f, errno, text):
    f["http"]["web"]["home"].update(status=502, markers=["nginx_error_page"])
    log = next(iter(f["nginx"]["error_log"]))
    f["nginx"]["error_log"][log] = [nginx_log_line(
        f, "crit", f'*1 connect() to unix:{SOCKET} failed ({errno}: {text}) while connecting '
        f'to upstream, client: 127.0.0.1, server: 127.0.0.1, request: "GET / HTTP/1.1", '
        f'upstream: "http://unix:{SOCKET}:/", host: "127.0.0.1"')]


def _no_gunicorn(f):
    f["processes"] = [p for p in f["processes"] if "gunicorn" not in " ".join(p["argv"])]


def _unit(f):
    return f["systemd"]["units"][f["app"]["unit"]]


def _journal(f, *messages):
    f["systemd"]["journal"][f["app"]["unit"]] = [{"t": 1.0, "prio": 3, "pid": "1", "inv": "a", "msg": m}
                                                for m in messages]


def _crash(f):
    _unit(f).update(active_state="failed", sub_state="failed", n_restarts=5)
    _journal(f, "[ERROR] Control server error: [Errno 13] Permission denied: '/var/www/.gunicorn'",
             "Traceback (most recent call last):", "ModuleNotFoundError: No module named 'my_projekt'",
             "gunicorn.service: Start request repeated too quickly.")
    _no_gunicorn(f)
    _502(f, 111, "Connection refused")


def _site_on(f, port):
    """The student's site listens on `port` only, so nothing answers on 80 (the probe asks nothing)."""
    for server in f["nginx"]["config"]["servers"]:
        if server["file"] not in ("/etc/nginx/sites-available/default", "/etc/nginx/sites-enabled/default"):
            for listen in server["listen"]:
                listen["port"] = port
    f["http"]["web"] = {}


def _hand_started_gunicorn(f):
    """The service fails; step 8's gunicorn (user vagrant, re-parented to PID 1) holds its socket."""
    _unit(f).update(active_state="failed", sub_state="failed", n_restarts=5, main_pid=0)
    _no_gunicorn(f)
    f["processes"].append({"pid": 4321, "ppid": 1, "user": "vagrant", "started": 1.0,
                           "argv": [".venv/bin/gunicorn", "--bind", f"unix:{SOCKET}", "my_project.wsgi"]})
    f["listening"]["unix"] = [r for r in f["listening"]["unix"] if r["path"] != SOCKET] + [
        {"path": SOCKET, "pids": [4321]}]


def _https_redirect(f):
    """SECURE_SSL_REDIRECT on a machine without HTTPS: the app itself answers 301 to https://."""
    moved = {"status": 301, "markers": [], "django_headers": False}
    f["http"]["web"]["home"].update(moved, headers={"location": "https://127.0.0.1:8080/"})
    f["http"]["upstream"]["home"].update(moved, headers={"location": "https://127.0.0.1/"})


CASES = {
    "doctor.D035": _https_redirect,
    "doctor.D034": _hand_started_gunicorn,
    "doctor.D033": lambda f: _site_on(f, 8081),
    "doctor.D001": lambda f: f["systemd"]["units"]["nginx.service"].update(active_state="inactive"),
    "doctor.D002": lambda f: f["nginx"].update(test={"rc": 1, "output": "nginx: [emerg] unexpected \";\" in x:3"}),
    "doctor.D003": lambda f: _502(f, 2, "No such file or directory"),
    "doctor.D004": lambda f: _502(f, 13, "Permission denied"),
    "doctor.D005": lambda f: (_502(f, 111, "Connection refused"), _no_gunicorn(f)),
    "doctor.D010": lambda f: (_unit(f).update(active_state="failed"), _no_gunicorn(f),
                              _journal(f, "gunicorn.service: Changing to the requested working directory failed: "
                                          "Permission denied")),
    "doctor.D011": _crash,
    "doctor.D032": lambda f: (_unit(f).update(active_state="failed"), _no_gunicorn(f),
                              _journal(f, "gunicorn.service: Changing to the requested working directory failed: "
                                          "No such file or directory")),
    "doctor.D012": lambda f: f["django"]["settings"].update(DEBUG=True),
    "doctor.D013": lambda f: f["http"]["web"]["home"].update(status=400, markers=["django_400"]),
    "doctor.D014": lambda f: f["django"]["database"].update(connect={"ok": False, "error": {
        "message": 'OperationalError: FATAL:  password authentication failed for user "myprojectuser"'}}),
    "doctor.D015": lambda f: f["django"]["database"].update(connect={"ok": False, "error": {
        "message": 'OperationalError: FATAL:  database "myproject" does not exist'}}),
    "doctor.D016": lambda f: f["app"]["newest_source"].update(mtime=4102444800.0, path="galerie/views.py"),
    "doctor.D008": lambda f: (f["http"]["web"]["static_file"].update(status=404),
                              f["django"]["static"].update(missing_count=3)),
    "doctor.D023": lambda f: f["django"]["database"].update(connect={"ok": False, "error": {
        "message": 'connection to server at "127.0.0.2", port 5432 failed: Connection refused'}}),
    "doctor.D017": lambda f: f["processes"].append({"pid": 4242, "ppid": 1, "user": "vagrant", "started": 1.0,
                                                    "argv": [".venv/bin/python", "manage.py", "runserver"], "cwd": "/"}),
    "doctor.D022": lambda f: [r.update(ok=False) for r in f["paths"]["app_user_access"]["results"]
                              if r["need"] == "write"],
    "doctor.D024": lambda f: f["django"]["database"].update(unapplied_migrations=["galerie.0002_obrazek_popis"]),
    "doctor.D025": lambda f: _unit(f).update(unit_file_state="disabled"),
    "doctor.D026": lambda f: f["django"]["static"].update(outdated_count=1, outdated=["galerie/styl.css"]),
    "doctor.D028": lambda f: (f["django"]["database"].update(unapplied_migrations=["galerie.0001_initial"]),
                              [d.update(owner="postgres") for d in f["postgres"]["databases"]]),
    "doctor.D029": lambda f: ([u.update(active_state="inactive") for n, u in f["systemd"]["units"].items()
                               if n.startswith("postgresql")],
                              f["django"]["database"].update(connect={"ok": False, "error": {
                                  "message": "OperationalError: connection to server at \"localhost\" (127.0.0.1), "
                                             "port 5432 failed: Connection refused"}})),
    "doctor.D030": lambda f: f["django"]["media"].update(exists=False, is_dir=False, files=0, sample=None),
    "doctor.D031": lambda f: (_host_header(f, "$host"), f["http"]["web"]["admin_login"]["post"].update(
        status=403, markers=["csrf_failure"])),
    "doctor.A002": lambda f: (f.update(dns={"kurz.example": {"addresses": [], "local": False}}),
                              f["http"].update(host="kurz.example")),
}


def _edited_after_load(f, seconds):
    workers = [p["started"] for p in f["processes"] if p["argv"][0] == "nginx: worker process"]
    f["nginx"]["newest_change"] = {"path": "/etc/nginx/sites-enabled/my_project", "mtime": max(workers) + seconds}


def test_an_edit_without_reload_is_named_when_the_site_shows_it():
    facts = copy.deepcopy(recorded("solved"))
    _edited_after_load(facts, 30)
    assert diagnose(facts) == []  # an edit that changes nothing visible is no cause
    facts["http"]["web"]["static_file"].update(status=404)
    assert [f.id for f in diagnose(facts)][0] == "doctor.D027"
    _edited_after_load(facts, -30)  # reloaded after the edit: the 404 has another cause
    assert "doctor.D027" not in [f.id for f in diagnose(facts)]


def test_no_dns_advice_when_the_site_is_visited_by_its_address():
    facts = copy.deepcopy(recorded("solved"))
    facts.update(dns={"kurz.example": {"addresses": [], "local": False}})
    assert facts["http"]["host"] == "127.0.0.1"
    assert "doctor.A002" not in [f.id for f in diagnose(facts)]


def test_no_dns_advice_when_allowed_hosts_is_the_cause():
    facts = copy.deepcopy(recorded("solved"))
    CASES["doctor.A002"](facts)
    CASES["doctor.D013"](facts)
    assert [f.id for f in diagnose(facts)] == ["doctor.D013"]


def test_an_unapplied_migration_is_not_named_stale_code():
    facts = copy.deepcopy(recorded("solved"))
    started = min(p["started"] for p in facts["processes"] if "gunicorn" in " ".join(p["argv"]))
    facts["app"]["newest_source"] = {"mtime": started + 60, "path": "galerie/migrations/0002_obrazek_popis.py"}
    assert [f.id for f in diagnose(facts)] == ["doctor.D016"]  # without the pending migration: stale code
    CASES["doctor.D024"](facts)
    assert [f.id for f in diagnose(facts)] == ["doctor.D024"]


def test_a_socket_enabled_in_place_of_the_service_is_not_a_disabled_unit():
    facts = copy.deepcopy(recorded("solved"))
    unit = _unit(facts)
    unit.update(unit_file_state="disabled", triggered_by=["gunicorn.socket"])
    facts["systemd"]["units"]["gunicorn.socket"] = {"name": "gunicorn.socket", "unit_file_state": "enabled",
                                                    "active_state": "active"}
    assert "doctor.D025" not in [f.id for f in diagnose(facts)]


def _host_header(f, value):
    for server in f["nginx"]["config"]["servers"]:
        for location in server["locations"]:
            location["host_header"] = value


def test_host_with_port_is_not_blamed_for_a_csrf_failure():
    facts = copy.deepcopy(recorded("solved"))
    CASES["doctor.D031"](facts)
    _host_header(facts, "$http_host")
    assert "doctor.D031" not in [f.id for f in diagnose(facts)]


def test_a_solved_vm_is_healthy():
    assert diagnose(recorded("solved")) == []


@pytest.mark.parametrize("expected", sorted(CASES))
def test_diagnosis_found_from_its_evidence(expected):
    facts = copy.deepcopy(recorded("solved"))
    CASES[expected](facts)
    ids = [f.id for f in diagnose(facts)]
    assert ids and ids[0] == expected, ids


def test_the_harmless_control_server_line_is_never_the_cause():
    facts = copy.deepcopy(recorded("solved"))
    _crash(facts)
    found = diagnose(facts)
    assert found[0].id == "doctor.D011"
    assert "my_projekt" in found[0].evidence and "Control server" not in found[0].evidence


def _journal_runs(f, *runs):
    """The unit's journal as consecutive invocations, each a list of messages."""
    f["systemd"]["journal"][f["app"]["unit"]] = [{"t": 1.0, "prio": 3, "pid": "1", "inv": f"run{i}", "msg": m}
                                                for i, run in enumerate(runs) for m in run]


def test_a_crash_of_the_run_just_restarted_is_named_before_its_first_automatic_restart():
    facts = copy.deepcopy(recorded("solved"))
    _unit(facts).update(active_state="active", n_restarts=0)
    _journal_runs(facts, ["Started gunicorn.service"], ["Started gunicorn.service", "Traceback (most recent call last):",
                                                         "ModuleNotFoundError: No module named 'my_projekt'"])
    _502(facts, 2, "No such file or directory")
    assert [f.id for f in diagnose(facts)][0] == "doctor.D011"


def test_an_old_crash_does_not_explain_a_502_of_the_healthy_run():
    facts = copy.deepcopy(recorded("solved"))
    _unit(facts).update(active_state="active", n_restarts=0)
    _journal_runs(facts, ["ModuleNotFoundError: No module named 'my_projekt'"], ["Started gunicorn.service"])
    _502(facts, 13, "Permission denied")
    assert [f.id for f in diagnose(facts)][0] == "doctor.D004"


def test_every_diagnosis_has_czech_texts_and_every_text_a_cause():
    from checkers.checks import cause_ids

    texts = {key: value for key, value in table("diagnoses").items() if key != "_common"}
    assert set(texts) == set(cause_ids())
    for entry in texts.values():
        assert entry["title"].strip() and entry["explanation"].strip() and entry["fix"].strip()


def test_every_cause_has_a_breaking_fixture():
    """Like every check: each cause is found on recorded facts of a really broken VM (the corpus,
    tests/fixtures/facts/vm-*.json) or on the solved VM's facts with exactly that breakage applied
    (CASES)."""
    import gzip
    import json
    from pathlib import Path

    from checkers.checks import cause_ids

    found = set(CASES)
    for path in sorted(Path(__file__).parents[1].joinpath("fixtures", "corpus").glob("*/*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            found.update(r.id for r in diagnose(json.load(stream)))
    for path in sorted(Path(__file__).parents[1].joinpath("fixtures", "facts").glob("vm-*.json")):
        found.update(r.id for r in diagnose(json.loads(path.read_text(encoding="utf-8"))))
    assert set(cause_ids()) - found == set()


def test_a_cause_that_crashes_is_an_error_not_silence(monkeypatch):
    """The engine's rule for causes too: a bug in a diagnosis is shown, never swallowed."""
    from checkers import doctor
    from checkers.checks import registry
    from checkers.checks.base import Check, Status

    def broken(facts):
        raise KeyError("argv")

    original = registry()["doctor.D017"]
    monkeypatch.setitem(registry(), "doctor.D017", Check(original.id, broken, kind=original.kind))
    report = doctor.examine(copy.deepcopy(recorded("solved")))
    assert [r.id for r in report.errors] == ["doctor.D017"]
    assert report.errors[0].status is Status.ERROR and "KeyError" in report.errors[0].message
    assert doctor.document(report, "x")["healthy"] is False


DOCTOR_VM = Path(__file__).resolve().parents[1] / "fixtures" / "doctor-vm"


@pytest.mark.parametrize("path", sorted(DOCTOR_VM.glob("*.json.gz")), ids=lambda p: p.name.split(".json")[0])
def test_a_breakage_recorded_on_the_vm_is_named_first(path):
    """The VM tier's doctor scenarios, replayed: the facts recorded right after the breakage give
    its cause first (doctor.A### advice: named, and no cause before it)."""
    import gzip
    import json

    expected = path.name.split(".json")[0]
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        found = [r.id for r in diagnose(json.load(stream))]
    causes = [i for i in found if i.startswith("doctor.D")]
    if expected.startswith("doctor.D"):
        assert causes and causes[0] == expected, found
    else:
        assert expected in found and not causes, found


def test_a_site_listening_elsewhere_is_named_and_a_stopped_nginx_is_not_it():
    from tests.helpers.recorded import recorded_facts

    found = [r.id for r in diagnose(recorded_facts("vm-site-on-8081"))]  # recorded on the VM: listen 8081
    assert found[:1] == ["doctor.D033"]
    facts = recorded_facts("vm-solved")
    _site_on(facts, 8081)
    facts["systemd"]["units"]["nginx.service"].update(active_state="inactive")
    found = [r.id for r in diagnose(facts)]
    assert "doctor.D001" in found and "doctor.D033" not in found  # nginx down: that is the cause
