"""The checker run right after `systemctl restart`: gunicorn's main process is seconds old and the
app does not answer within the time-out (its workers still booting on a slow VM). That is "cannot
verify yet", not a broken gunicorn; an app that does not answer long after its start fails."""

from __future__ import annotations

import pytest

from checkers.checks.base import Status
from tests.helpers.recorded import all_results, recorded_facts
from tests.unit.test_checks_on_recorded_facts import COURSE

TIMED_OUT = {"status": None, "error": "timeout", "attempts": 1, "path": "/", "method": "GET", "host": "127.0.0.1"}


def _no_answer(started_ago: float, through_nginx_only: bool = False) -> dict:
    facts = recorded_facts("vm-solved")
    facts["systemd"]["units"][facts["app"]["unit"]]["main_started_ago"] = started_ago
    if not through_nginx_only:  # else gunicorn answered directly, the request through nginx timed out
        facts["http"]["upstream"]["home"] = dict(TIMED_OUT)
    facts["http"]["web"]["home"] = dict(TIMED_OUT)
    return facts


@pytest.mark.parametrize("check_id, nginx_only", [("gunicorn.E002", False), ("gunicorn.E003", True)])
def test_an_app_seconds_old_that_does_not_answer_yet_cannot_be_verified(check_id, nginx_only):
    result = all_results(COURSE, _no_answer(4.2, nginx_only))[check_id]
    assert (result.status, result.reason) == (Status.UNVERIFIED, "service_starting")
    assert "4.2 s" in result.message and "znovu" in result.message


@pytest.mark.parametrize("check_id, nginx_only", [("gunicorn.E002", False), ("gunicorn.E003", True)])
def test_an_app_long_up_that_does_not_answer_fails(check_id, nginx_only):
    result = all_results(COURSE, _no_answer(600, nginx_only))[check_id]
    assert result.status is Status.FAILED


def test_a_refused_connection_is_no_slow_start():
    facts = _no_answer(4.2)
    facts["http"]["upstream"]["home"] = dict(TIMED_OUT, error="Connection refused (errno 111)")
    assert all_results(COURSE, facts)["gunicorn.E002"].status is Status.FAILED
