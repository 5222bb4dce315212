"""Session fixture `course_states`: the course VM walked through every reference solution once
(the `vm` fixture snapshots each state: `vm.reset()` is the fresh VM, `vm.at_step("stepK")` the
VM after solutions 0…K). `progression[k]` holds the per-step statuses the checker reported right
after solution k; `facts` the facts gathered on the fresh and on the solved VM.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.recorded import FACTS_DIR
from tests.helpers.vm_checker import check_vm, step_statuses


@dataclass
class CourseStates:
    vm: object
    progression: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # state name -> facts gathered there


@pytest.fixture(scope="session")
def course_states(vm, tmp_path_factory):
    home = tmp_path_factory.mktemp("course-states-home")
    states = CourseStates(vm)
    vm.reset()
    states.facts["fresh"] = _facts(vm, home, "fresh")
    for k in range(12):
        vm.at_step(f"step{k}")
        result = check_vm(vm, "all", "--json", home=home)
        assert result.rc in (0, 1), result.stdout + result.stderr
        states.progression.append(step_statuses(result))
    states.facts["solved"] = _facts(vm, home, "solved")
    if os.environ.get("KURZ_RECORD_FACTS"):  # refresh the recordings the unit tests run on
        for name, facts in states.facts.items():
            (FACTS_DIR / f"vm-{name}.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1) + "\n")
    return states


def _facts(vm, home: Path, name: str) -> dict:
    path = home / f"{name}.json"
    check_vm(vm, "step0", "--save-facts", str(path), home=home)
    return json.loads(path.read_text())
