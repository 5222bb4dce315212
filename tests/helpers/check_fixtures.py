"""A check's own fixture (tests/fixtures/checks/ID.toml): recorded facts, changed so that the check
passes and changed so that it fails. Tests find them by file name, so a new check needs no test
edit (`./kurz new-check` writes the stub).

    recording = "vm-solved"        # tests/fixtures/facts/NAME.json it starts from
    fail_status = "failed"         # or "advice" for a recommended check (component.W###)

    [pass]                         # dotted paths into the facts -> the value they get
    "nginx.config.directives.gzip" = "on"

    [fail]
    "nginx.config.directives.gzip" = "off"

A key holding a dot is written in brackets: "systemd.units[nginx.service].active_state".
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

from tests.helpers.recorded import recorded_facts

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
SEGMENT = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


def all_fixtures(directory: Path = FIXTURES_DIR) -> dict[str, dict]:
    """check id -> its fixture, for every file in the directory."""
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.toml"))}


def split_path(path: str) -> list[str]:
    return [bracketed or plain for bracketed, plain in SEGMENT.findall(path)]


def changed(facts: dict, changes: dict) -> dict:
    """A copy of the facts with each path set to its value (missing objects on the way are created)."""
    facts = copy.deepcopy(facts)
    for path, value in changes.items():
        *parents, last = split_path(path)
        node = facts
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[last] = copy.deepcopy(value)
    return facts


def facts_for(fixture: dict, case: str) -> dict:
    """The fixture's recording with its `pass` or `fail` changes."""
    return changed(recorded_facts(fixture.get("recording", "vm-solved")), fixture.get(case, {}))
