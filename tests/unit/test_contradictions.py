"""The contradiction finder itself must be able to fail: a message that calls an existing path
missing is caught, a true one is not."""

from __future__ import annotations

import copy

from checkers.checks.base import Status
from checkers.engine import Result
from tests.helpers.contradictions import contradictions
from tests.unit.test_checks_on_recorded_facts import recorded


def _result(message: str, check_id: str = "static.E003", status: Status = Status.FAILED) -> Result:
    return Result(check_id, status, "t", message, "", "step3")


def test_a_missing_claim_about_a_path_the_probe_found_is_a_contradiction():
    facts = copy.deepcopy(recorded("solved"))
    lie = _result("Adresář STATIC_ROOT (/srv/my_project/static) neexistuje – collectstatic zatím neproběhl.")
    assert contradictions(facts, [lie])


def test_a_missing_claim_about_a_path_nobody_found_is_not():
    facts = copy.deepcopy(recorded("solved"))
    truth = _result("Adresář STATIC_ROOT (/srv/jinde/static) neexistuje – collectstatic zatím neproběhl.")
    assert contradictions(facts, [truth]) == []


def test_a_service_said_down_while_it_ran_through_the_probe_is_a_contradiction():
    facts = copy.deepcopy(recorded("solved"))
    unit = facts["systemd"]["units"][facts["app"]["unit"]]
    facts["systemd"]["resampled"] = {unit["name"]: {"active_state": "active", "main_pid": unit["main_pid"]}}
    lie = _result(f"Služba {unit['name']} neběží (stav inactive/dead, výsledek success).", "systemd.E003")
    assert contradictions(facts, [lie])
    facts["systemd"]["resampled"][unit["name"]]["main_pid"] += 1
    assert contradictions(facts, [lie]) == []
