"""Teacher grading against a class of real Debian targets (LXC system containers of the course image).

The `classroom` fixture (module scope) starts one container per student in a network namespace
of its own, at different stages of the course (reference solutions step0…stepK applied), plus a
machine that is switched off (an address where nobody lives) and one that accepts TCP but never
answers. It grades the class once with the real CLI, inside the netns, as a teacher would.
Teardown removes every container, mount, server and the netns, also when a test fails.

If the machine cannot run containers the fixture FAILS with the reason (never skips).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.containers import ContainerLab, LabError, host_ready

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"

# A student's name built to break things if any field reached a shell, a terminal or the HTML.
HOSTILE_NAME = ("Jan \"Bobby\"\n<script>alert('xss')</script> O'Tables; $(touch /tmp/kurz-pwned-name) `id` "
                "<img src=x onerror=alert(1)> & Drop")

# key, stage (reference solutions step0…stepK; -1 = nothing done), name, extra setup as root.
STUDENTS = [
    ("s01", -1, "Adéla Čermáková", None),
    ("s02", 1, HOSTILE_NAME, None),
    ("s03", 3, "=HYPERLINK(\"http://example.invalid\";\"klik\")", None),
    ("s04", 5, "Dominik [bold red]Řezníček[/] \x1b[2J", None),  # terminal markup and an escape sequence
    ("s05", 7, "Eliška Šťastná", None),
    ("s06", 9, "František Žák", None),
    ("s07", 10, "Gabriela Ďurišová", None),
    ("s08", 11, "Hynek Ťoupal", None),
    # Finished everything, then switched DEBUG back on for debugging and forgot it.
    ("s09", 11, "Ivana Nováková",
     "cd /srv/my_project && sed -i 's/^DEBUG = False$/DEBUG = True/' my_project/settings.py"
     " && systemctl restart gunicorn"),
    # Finished everything, but gunicorn is stopped now.
    ("s10", 11, "Jakub Veselý", "systemctl stop gunicorn"),
]
UNREACHABLE = ("Karel Vypnutý", "karel@skola.cz")
HANG = ("Lucie Zaseknutá", "lucie@skola.cz")
TIMEOUT = 12  # per target in the class run; the hang costs exactly this


@dataclass
class GradeRun:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    out: Path

    def document(self) -> dict:
        return json.loads((self.out / "grades.json").read_text(encoding="utf-8"))


@dataclass
class Classroom:
    lab: ContainerLab
    root: Path
    home: Path  # CHECKERS_HOME of the teacher
    roster: Path
    out: Path
    first: GradeRun | None = None
    hang: tuple = ("", 0)
    timings: dict = field(default_factory=dict)

    def grade(self, roster: Path, out: Path, *extra: str, timeout: float = 300) -> GradeRun:
        t0 = time.monotonic()
        proc = subprocess.run(self.lab.netns_argv(grade_argv(roster, out, *extra)), cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        return GradeRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - t0, out)

    def env(self) -> dict:
        return {**os.environ, "CHECKERS_HOME": str(self.home), "CHECKERS_BOOK_HTML": str(self.home / "no-book"),
                "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}

    def roster_rows(self) -> list[list[str]]:
        rows = []
        host, port = self.hang
        # The hang goes first so that it runs alongside the class instead of after it.
        rows.append([*HANG, f"ssh://vagrant@{host}:{port}", str(self.lab.ssh_key)])
        for key, _, name, _ in STUDENTS:
            rows.append([name, f"{key}@skola.cz", f"ssh://vagrant@{self.lab.items[key].ip}", str(self.lab.ssh_key)])
        rows.append([*UNREACHABLE, f"ssh://vagrant@{self.lab.unreachable_address()}", str(self.lab.ssh_key)])
        return rows


def grade_argv(roster: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "checkers", "grade", str(roster), "--out", str(out), *extra]


def write_roster(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "id", "target", "identity"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Classroom:
    reason = host_ready()
    if reason:
        pytest.fail(f"Na tomto stroji nejde spustit třídu kontejnerů: {reason}", pytrace=False)
    root = tmp_path_factory.mktemp("trida")
    t0 = time.monotonic()
    try:
        lab = ContainerLab(root / "lab").__enter__()
    except LabError as exc:
        pytest.fail(f"Na tomto stroji nejde spustit třídu kontejnerů: {exc}", pytrace=False)
    try:
        room = Classroom(lab, root, root / "home", root / "soupiska.csv", root / "vysledky")
        room.home.mkdir()
        lab.containers([(key, stage) for key, stage, _, _ in STUDENTS])
        room.timings["layers and overlays"] = round(time.monotonic() - t0, 1)
        room.timings["lxc-start"] = round(lab.start_all(), 2)
        room.timings["boot to running"] = round(lab.wait_ready(), 1)
        for key, _, _, setup in STUDENTS:
            if setup:
                lab.attach(key, setup)
        room.hang = lab.hang_server()
        write_roster(room.roster, room.roster_rows())
        room.first = room.grade(room.roster, room.out, "--timeout", str(TIMEOUT))
        room.timings["first grade run"] = round(room.first.seconds, 1)
        room.timings.update(lab.timings)
        yield room
    finally:
        lab.close()
        if "room" in locals():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "grading-timings.json").write_text(json.dumps(room.timings, indent=2, ensure_ascii=False) + "\n")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.vm)
