"""DEBUG as Django reads it (`if settings.DEBUG`), on the solved VM's recorded facts: the lesson's
False passes, another false value passes with a note, a string from the environment ("False") is
true for Django and fails, saying why."""

from __future__ import annotations

import pytest

from checkers.checks.base import Status
from tests.helpers.recorded import all_results, recorded_facts
from tests.unit.test_checks_on_recorded_facts import COURSE


@pytest.mark.parametrize("value, status, reason", [
    (False, Status.PASSED, ""),
    (0, Status.PASSED, "falsy"),
    ("", Status.PASSED, "falsy"),
    ("False", Status.FAILED, "string"),
    ("0", Status.FAILED, "string"),
    (True, Status.FAILED, ""),
])
def test_debug_is_judged_as_django_reads_it(value, status, reason):
    facts = recorded_facts("vm-solved")
    facts["django"]["settings"]["DEBUG"] = value
    result = all_results(COURSE, facts)["django.E001"]
    assert (result.status, result.reason) == (status, reason)
    if reason == "string":
        assert repr(value) in result.message and "pravdu" in result.message
        assert "== '1'" in result.hint
