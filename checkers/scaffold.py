"""`./kurz new-check ID --step stepN`: the stubs of a new check, in the three files a check lives in
and its fixture.

  checkers/checks/<module>.py     the function and its line in CHECKS (the component's module, or a
                                  new module: the registry finds it by itself)
  checkers/texts/checks.toml      its Czech title, failure message and hint (after its component's)
  exercises/course.toml           its id in the step's list of checks
  tests/fixtures/checks/ID.toml   recorded facts changed so that it passes and so that it fails
                                  (tests/unit/test_check_fixtures.py finds it by name)

Everything is validated and prepared before anything is written. The stubs are marked TODO, and
the course linter refuses a TODO text, so a half-written check never slips through.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from checkers.check_reasons import scan
from checkers.course import load_course
from checkers.course_lint import CHECK_ID, RETIRED_CHECKS
from checkers.errors import CheckerError
from checkers.paths import REPO_ROOT

# The recorded facts a step's checks are judged on, by the step's probe profile.
RECORDINGS = {"vm": "vm-solved", "svs": "svs-vm-good", "appengine": "appengine-good", "url": "live-nginx-good"}
BASE_NAMES = ("Check", "failed", "passed", "unknown")


@dataclass(frozen=True)
class Layout:
    """Where the files of a course repository are (a temporary copy in the tests)."""

    root: Path

    @property
    def checks_dir(self) -> Path:
        return self.root / "checkers" / "checks"

    @property
    def texts(self) -> Path:
        return self.root / "checkers" / "texts" / "checks.toml"

    @property
    def course(self) -> Path:
        return self.root / "exercises" / "course.toml"

    @property
    def fixtures_dir(self) -> Path:
        return self.root / "tests" / "fixtures" / "checks"


def new_check(check_id: str, step_id: str, root: Path = REPO_ROOT) -> list[Path]:
    """Write the stubs of check `check_id` in step `step_id`; returns the files written."""
    layout = Layout(root)
    match = CHECK_ID.fullmatch(check_id or "")
    if match is None or match["kind"] == "I":
        raise CheckerError(f"„{check_id}“ není id nové kontroly.",
                           "Id má tvar komponenta.E### (povinná kontrola) nebo komponenta.W### (doporučená), "
                           "třeba nginx.E010.")
    if check_id in RETIRED_CHECKS:
        raise CheckerError(f"Id {check_id} patřilo vyřazené kontrole a znovu se nepoužívá.",
                           "Zvolte další volné číslo.")
    _, checks = scan(layout.checks_dir)
    if check_id in checks:
        raise CheckerError(f"Kontrola {check_id} už existuje ({checks[check_id][0]}.py).",
                           "Zvolte další volné číslo.")
    course = load_course(layout.course)
    step = next((s for s in course.steps if s.id == (step_id or "").strip().lower()), None)
    if step is None:
        raise CheckerError(f"Krok „{step_id}“ v kurzu není.",
                           f"Zadejte jeden z kroků: {', '.join(s.id for s in course.steps)} (--step step7).")
    fixture = layout.fixtures_dir / f"{check_id}.toml"
    if fixture.exists():
        raise CheckerError(f"Fixture {fixture} už existuje.", "Smažte ji, nebo zvolte jiné id.")
    component = match["component"]
    module = next((m for i, (m, _) in sorted(checks.items()) if i.split(".")[0] == component), component)
    function = f"{component}_{match['kind'].lower()}{match['number']}"
    recommended = match["kind"] == "W"
    python = layout.checks_dir / f"{module}.py"
    planned = {
        python: _python(python, check_id, function, recommended),
        layout.texts: _texts(layout.texts.read_text(encoding="utf-8"), check_id, component),
        layout.course: _course(layout.course.read_text(encoding="utf-8"), step.id, check_id),
        fixture: FIXTURE.format(id=check_id, recording=RECORDINGS.get(step.profile, "vm-solved"),
                                status="advice" if recommended else "failed"),
    }
    for path, text in planned.items():  # all prepared: now write
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(planned)


FUNCTION = '''

def {function}(facts: dict):
    """TODO: what this check verifies, in one sentence (English, like the code)."""
    f = Facts(facts)  # the facts, by component: docs/facts-schema.md
    if not f.{facts}:  # TODO: the part it reads; nothing gathered means it cannot be verified
        return unknown("no_facts")
    return failed()  # TODO: decide; failed("reason", seen=value) shows the text fail_reason with {{seen}}
'''

MODULE = '''"""TODO: the checks of component {component} (which step, what they verify)."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown
from checkers.factsview import Facts
'''

FIXTURE = '''# {id}: the recorded facts changed so that the check passes, and so that it fails.
# Paths are dotted (a key with a dot in brackets: "systemd.units[nginx.service].active_state").
recording = "{recording}"
fail_status = "{status}"

[pass]
# TODO: "nginx.config.directives.gzip" = "on"

[fail]
# TODO: "nginx.config.directives.gzip" = "off"
'''

TEXTS = '''
["{id}"]
title = "TODO: cíl kontroly jednou větou („NGINX komprimuje CSS“)"
fail = "TODO: co bylo na stroji vidět ({{hodnoty}} z failed(…))"
hint = "TODO: co má student udělat"
error_no_facts = "TODO: proč to teď nejde ověřit"
'''


def _python(path: Path, check_id: str, function: str, recommended: bool) -> str:
    """The module with the stub function and its line in CHECKS (a new module when there is none)."""
    level = ", level=Level.RECOMMENDED" if recommended else ""
    line = f'    Check("{check_id}", {function}, requires=(){level}),  # TODO: the checks it builds on\n'
    if not path.exists():
        head = MODULE.format(component=path.stem)
        if recommended:
            head = head.replace("import Check, failed", "import Check, Level, failed")
        stub = FUNCTION.format(function=function, facts=_facts_part(path.stem))
        return head + stub + "\n\nCHECKS = (\n" + line + ")\n"
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    checks = next((node for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
                   and getattr(node.targets[0], "id", None) == "CHECKS"), None)
    lines = source.splitlines(keepends=True)
    if checks is None or not lines[checks.end_lineno - 1].strip() == ")":
        raise CheckerError(f"V {path} nenajdu n-tici CHECKS = (…) zakončenou řádkem „)“.",
                           "Zapište kontrolu do CHECKS ručně, nebo tvar souboru srovnejte s ostatními moduly.")
    start = checks.lineno - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):  # its comment stays with it
        start -= 1
    body = lines[:start]
    while body and not body[-1].strip():
        body.pop()
    stub = FUNCTION.format(function=function, facts=_facts_part(path.stem))
    last = checks.end_lineno - 1  # the line ")" closing CHECKS
    new = "".join(body) + stub + "\n\n" + "".join(lines[start:last]) + line + "".join(lines[last:])
    return _with_imports(new, recommended)


def _facts_part(component: str) -> str:
    """The part of the facts the stub reads: the component's own, where the facts have one."""
    from checkers.factsview import schema

    return component if component in schema()["properties"] else "django"


def _with_imports(source: str, recommended: bool) -> str:
    """The names the stub uses, added to the module's imports where missing."""
    tree = ast.parse(source)
    wanted = set(BASE_NAMES) | ({"Level"} if recommended else set())
    base = next((node for node in tree.body if isinstance(node, ast.ImportFrom)
                 and node.module == "checkers.checks.base"), None)
    lines = source.splitlines(keepends=True)
    if base is not None:
        names = sorted({alias.name for alias in base.names} | wanted, key=lambda n: (n[0].islower(), n))
        lines[base.lineno - 1:base.end_lineno] = [f"from checkers.checks.base import {', '.join(names)}\n"]
    source = "".join(lines)
    if not re.search(r"^from checkers\.factsview import .*\bFacts\b", source, re.MULTILINE):
        source = re.sub(r"^(from checkers\.checks\.base import .*\n)", r"\1from checkers.factsview import Facts\n",
                        source, count=1, flags=re.MULTILINE)
    return source


def _texts(text: str, check_id: str, component: str) -> str:
    """checks.toml with the stub section after the last section of the same component."""
    stub = TEXTS.format(id=check_id)
    headers = [m for m in re.finditer(r'^\["([^"]+)"\]\s*$', text, re.MULTILINE)]
    same = [m for m in headers if m.group(1).split(".")[0] == component]
    if not same:
        return text.rstrip("\n") + "\n" + stub
    following = next((m for m in headers if m.start() > same[-1].start()), None)
    end = following.start() if following else len(text)
    section = text[:end].rstrip("\n") + "\n"
    return section + stub + ("\n" + text[end:] if following else "")


def _course(text: str, step_id: str, check_id: str) -> str:
    """course.toml with the id added at the end of the step's list of checks."""
    blocks = list(re.finditer(r"^\[\[step\]\]\s*$", text, re.MULTILINE))
    for number, block in enumerate(blocks):
        end = blocks[number + 1].start() if number + 1 < len(blocks) else len(text)
        part = text[block.start():end]
        if re.search(rf'^id\s*=\s*"{re.escape(step_id)}"\s*$', part, re.MULTILINE):
            listed = re.search(r"^checks\s*=\s*\[(?P<items>[^\]]*)\]", part, re.MULTILINE)
            if listed is None:
                break
            items = listed["items"].rstrip()
            joined = f'{items}, "{check_id}"' if items.strip() else f'"{check_id}"'
            part = part[:listed.start("items")] + joined + part[listed.end("items"):]
            return text[:block.start()] + part + text[end:]
    raise CheckerError(f"V {step_id} v course.toml nenajdu řádek checks = […].", "Doplňte id do kroku ručně.")
