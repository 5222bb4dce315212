"""Another program holds port 80 (a python -m http.server left running as a service), so nginx
cannot start. Recorded on the real course VM (corpus port80-taken): step 7 and doctor name the
program and how to stop it; nothing read from that program's answers is blamed on the site."""

from __future__ import annotations


import pytest

from checkers.checks.base import Status
from checkers.doctor import diagnose
from tests.helpers.recorded import all_results, corpus_facts
from tests.unit.test_checks_on_recorded_facts import COURSE





def _nginx_running(facts: dict):
    return all_results(COURSE, facts)["nginx.E002"]


def _causes(facts: dict) -> list:
    return [d for d in diagnose(facts, COURSE) if d.id.startswith("doctor.D")]


def _holder(facts: dict) -> int:
    return next(pid for row in facts["listening"]["tcp"] if row["port"] == 80 for pid in row["pids"])


@pytest.mark.parametrize("variant", ["reference", "conf-d"])
def test_the_program_on_port_80_is_named_with_its_service(variant):
    facts = corpus_facts(f"{variant}/port80-taken.json.gz")
    running = _nginx_running(facts)
    assert (running.status, running.reason) == (Status.FAILED, "port_taken_service")
    assert "http.server 80" in running.message and "other-web.service" in running.hint
    causes = _causes(facts)
    assert [(c.id, c.reason) for c in causes] == [("doctor.D039", "service_log")]  # no 404 "static path" guess
    assert "Address already in use" in causes[0].evidence


def test_a_program_outside_any_service_is_ended_by_its_pid():
    facts = corpus_facts("reference/port80-taken.json.gz")
    pid = _holder(facts)
    for proc in facts["processes"]:
        if proc["pid"] == pid:
            proc["unit"] = None  # started in a terminal
    running = _nginx_running(facts)
    assert running.reason == "port_taken" and f"sudo kill {pid}" in running.hint
    assert _causes(facts)[0].reason == "process_log"
    facts["nginx"]["error_log"] = {}  # no bind() line to quote: the listening socket is the evidence
    cause = _causes(facts)[0]
    assert (cause.id, cause.reason) == ("doctor.D039", "process") and f"PID {pid}" in cause.evidence


def test_nginx_stopped_with_port_80_free_is_only_stopped():
    facts = corpus_facts("reference/port80-taken.json.gz")
    facts["listening"]["tcp"] = [row for row in facts["listening"]["tcp"] if row["port"] != 80]
    running = _nginx_running(facts)
    assert (running.status, running.reason) == (Status.FAILED, "")
    assert "doctor.D039" not in [c.id for c in _causes(facts)]


def test_nginx_on_port_80_is_not_another_program():
    facts = corpus_facts("reference/ok.json.gz")
    assert _nginx_running(facts).status == Status.PASSED
    assert "doctor.D039" not in [c.id for c in diagnose(facts, COURSE)]
