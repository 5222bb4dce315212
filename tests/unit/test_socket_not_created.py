"""gunicorn starts and cannot create its socket (doctor.D040): recorded on the real course VM
(corpus socket-dir-missing: /run/gunicorn/ without RuntimeDirectory=; socket-in-run-denied:
/run/gunicorn.sock, where the service's user may not write). doctor names the directory and what
makes it, not D011's import-error explanation."""

from __future__ import annotations

import json

import pytest

from checkers.doctor import diagnose
from tests.helpers.recorded import corpus_facts
from tests.unit.test_checks_on_recorded_facts import COURSE


def _causes(facts: dict) -> list:
    return [d for d in diagnose(facts, COURSE) if d.id.startswith("doctor.D")]


@pytest.mark.parametrize("variant", ["reference", "home-dir"])
@pytest.mark.parametrize("breakage, reason, words", [
    ("socket-dir-missing", "missing_run_dir", ["/run/gunicorn/gunicorn.sock", "/run/gunicorn neexistuje",
                                                "RuntimeDirectory=gunicorn"]),
    ("socket-in-run-denied", "denied", ["/run/gunicorn.sock", "v adresáři /run nesmí"]),
])
def test_doctor_names_the_socket_gunicorn_could_not_create(variant, breakage, reason, words):
    facts = corpus_facts(f"{variant}/{breakage}.json.gz")
    causes = _causes(facts)
    first = causes[0]
    assert (first.id, first.reason) == ("doctor.D040", reason), [(c.id, c.reason) for c in causes]
    text = first.message + " " + (first.hint or "")
    assert all(w in text for w in words), text
    assert "doctor.D011" not in [c.id for c in causes]  # superseded: no "typo in the module name"


def test_a_crash_of_another_kind_stays_with_d011():
    ids = [c.id for c in _causes(corpus_facts("reference/import-error-crash-loop.json.gz"))]
    assert "doctor.D011" in ids and "doctor.D040" not in ids


def test_an_old_bind_failure_is_history_once_the_site_works():
    refused = corpus_facts("reference/socket-dir-missing.json.gz")["systemd"]["journal"]["gunicorn.service"]
    facts = corpus_facts("reference/ok.json.gz")
    assert "doctor.D040" not in [c.id for c in _causes(facts)]
    facts["systemd"]["journal"]["gunicorn.service"] = refused + facts["systemd"]["journal"]["gunicorn.service"]
    assert "doctor.D040" not in [c.id for c in _causes(facts)]


@pytest.mark.parametrize("line, reason", [
    ("[ERROR] connection to ('0.0.0.0', 80) failed: [Errno 13] Permission denied", "other"),
    ("[ERROR] Connection in use: ('127.0.0.1', 8000)", "in_use"),
    ("[ERROR] connection to /srv/sock/gunicorn.sock failed: [Errno 2] No such file or directory", "missing_dir"),
])
def test_other_addresses_are_told_apart_by_gunicorns_own_words(line, reason):
    # gunicorn's two message forms (gunicorn/sock.py) put into the recorded journal of a bind failure
    facts = corpus_facts("reference/socket-in-run-denied.json.gz")
    recorded = "[ERROR] connection to /run/gunicorn.sock failed: [Errno 13] Permission denied"
    text = json.dumps(facts, ensure_ascii=False)
    assert recorded in text
    first = _causes(json.loads(text.replace(recorded, line.replace('"', '\\"'))))[0]
    assert (first.id, first.reason) == ("doctor.D040", reason)
    assert "adresáři ?" not in first.message
