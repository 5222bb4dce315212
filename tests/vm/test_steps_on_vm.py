"""Proof on the real VM: every step fails before its reference solution and passes after it,
while all earlier steps keep passing (issue 4, point 4). Leaves the snapshot "solved"."""

from __future__ import annotations

import pytest

from checkers.course import load_course
from tests.helpers.vm_checker import check_vm, step_statuses

COURSE = load_course()

pytestmark = pytest.mark.vm
STEPS = [f"step{k}" for k in range(12)]


def test_fresh_vm_passes_step0_and_nothing_else(course_states, checkers_home):
    vm = course_states.vm
    vm.reset()
    result = check_vm(vm, "all", "--json", home=checkers_home)
    statuses = step_statuses(result)
    assert statuses["step0"] == "passed", result.stdout
    assert all(statuses[s] == "failed" for s in STEPS[1:]), statuses
    assert result.rc == 1


def test_step0_fails_when_the_starter_venv_is_broken(course_states, checkers_home):
    vm = course_states.vm
    vm.reset()
    vm.run("mv /srv/my_project/.venv /srv/my_project/.venv-pryc")
    result = check_vm(vm, "step0", "--json", home=checkers_home)
    assert result.rc == 1
    assert result.statuses()["project.E002"] == "failed"


def test_each_step_fails_before_and_passes_after_its_solution(course_states, checkers_home):
    """Walk the recorded progression: after solution k, steps 0..k pass; a working step k+1 still
    fails. A checkpoint step (6, 11) changes nothing itself: it fails until the steps it verifies
    are done, then passes for good."""
    progression = course_states.progression
    for k, statuses in enumerate(progression):
        for earlier in STEPS[:k + 1]:
            assert statuses[earlier] == "passed", (f"after step{k}", earlier, statuses)
    for k, step in enumerate(COURSE.required_steps[1:], start=1):
        before = progression[k - 1][step.id]
        if step.checkpoint:
            first = next(i for i, s in enumerate(progression) if s[step.id] == "passed")
            assert first <= k and all(s[step.id] == "failed" for s in progression[:first]), (step.id, first)
            assert first > 0
        else:
            assert before == "failed", (f"{step.id} before its solution", progression[k - 1])


def test_a_typo_in_the_unit_fails_systemd_e001_with_systemd_s_own_words(course_states, checkers_home):
    """systemd ignores an unknown key with a warning, and the setting the student meant (here
    Restart=) silently does not apply: the check names the line. Only the unit's own settings are
    judged, not every unit it depends on."""
    vm = course_states.vm
    vm.at_step("step11")
    result = check_vm(vm, "step9", "--json", home=checkers_home)
    assert result.statuses()["systemd.E001"] == "passed", result.stdout
    vm.run("sudo sed -i 's/^Restart=on-failure/Restrat=on-failure/' /etc/systemd/system/gunicorn.service && "
           "sudo systemctl daemon-reload")
    result = check_vm(vm, "step9", "--json", home=checkers_home)
    check = next(c for c in result.json["checks"] if c["id"] == "systemd.E001")
    assert check["status"] == "failed" and "Restrat" in check["message"], result.stdout
