"""Every correct variant passes (issue 4, point 2): each turns the solved VM into another good
deployment with its own solution script, and the checker accepts it and doctor is content."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.vm_checker import check_vm, step_statuses

pytestmark = pytest.mark.vm
VARIANTS = Path(__file__).resolve().parents[2] / "exercises" / "solutions" / "variants"
NAMES = ["socket-activation", "tcp-port", "conf-d", "env-file", "other-dir"]  # the other variants: the corpus (every recording in the unit tier, a daily VM slice)


@pytest.mark.parametrize("name", NAMES)
def test_variant_passes_every_step(course_states, checkers_home, name):
    vm = course_states.vm
    vm.at_step("step11")
    vm.run_script(VARIANTS / f"{name}.sh", extra_files=[VARIANTS / "lib.sh"], timeout=600)
    result = check_vm(vm, "all", "--json", home=checkers_home)
    failing = {c["id"]: c["message"] for c in result.json["checks"] if c["status"] != "passed"}
    assert result.rc == 0, failing
    assert set(step_statuses(result).values()) == {"passed"}
    doctor = check_vm(vm, "doctor", "--json", home=checkers_home)
    assert doctor.rc == 0, doctor.json["diagnoses"]
