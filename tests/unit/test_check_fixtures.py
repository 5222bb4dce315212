"""Each check's own fixture (tests/fixtures/checks/ID.toml): its `pass` changes of the recorded facts
make the check pass and its `fail` changes make it fail, judged with its whole step as `./kurz`
judges it. Found by file name: a new check's fixture needs no edit here."""

from __future__ import annotations

import pytest

from checkers.checks import registry
from checkers.checks.base import Status
from checkers.course import load_course
from checkers.engine import Evaluator

from tests.helpers.check_fixtures import all_fixtures, changed, facts_for, split_path

COURSE = load_course()
FIXTURES = all_fixtures()


def verdict(facts: dict, check_id: str) -> Status:
    step = COURSE.step_of_check(check_id)
    results = {r.id: r for r in Evaluator(facts, COURSE).results(list(step.checks))}
    return results[check_id].status


def test_every_fixture_belongs_to_a_check_of_the_course():
    assert all(check_id in registry() and COURSE.step_of_check(check_id) for check_id in FIXTURES), sorted(FIXTURES)


@pytest.mark.parametrize("check_id", sorted(FIXTURES))
def test_the_fixture_makes_its_check_pass_and_fail(check_id):
    fixture = FIXTURES[check_id]
    assert fixture.get("fail"), "the fixture says nothing that makes the check fail"
    assert verdict(facts_for(fixture, "pass"), check_id) is Status.PASSED
    assert verdict(facts_for(fixture, "fail"), check_id) is Status(fixture.get("fail_status", "failed"))


def test_fixture_paths_reach_keys_with_dots_and_create_what_is_missing():
    assert split_path("systemd.units[nginx.service].active_state") == ["systemd", "units", "nginx.service",
                                                                       "active_state"]
    facts = {"systemd": {"units": {"nginx.service": {"active_state": "active"}}}}
    done = changed(facts, {"systemd.units[nginx.service].active_state": "failed", "nginx.config.directives.gzip": "on"})
    assert done["systemd"]["units"]["nginx.service"]["active_state"] == "failed"
    assert done["nginx"] == {"config": {"directives": {"gzip": "on"}}}
    assert facts["systemd"]["units"]["nginx.service"]["active_state"] == "active"  # the recording is untouched
