"""A full or read-only disk: the results are still shown, the message names the directory and the
cause in Czech, no temporary file is left, the gradebook keeps its integrity, and a grading run whose
process was killed is marked interrupted by the next one. Disks are real tmpfs mounts, made in a
private mount namespace of the command under test (`unshare --mount`), so nothing else sees them."""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, CliRun
from tests.helpers.django_project import make_django_project


def run_on_disk(disk: Path, size: str, args: list[str], *, home: Path, fill: bool = False, read_only: bool = False,
                timeout: float = 300) -> CliRun:
    disk.mkdir(parents=True, exist_ok=True)
    setup = [f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(disk))}"]
    if fill:  # leave no space at all
        setup.append(f"(dd if=/dev/zero of={shlex.quote(str(disk / 'plno'))} bs=4k 2>/dev/null || true)")
    if read_only:
        setup.append(f"mount -o remount,ro {shlex.quote(str(disk))}")
    command = " && ".join(setup) + " && exec " + " ".join(shlex.quote(a) for a in [sys.executable, "-m", "checkers", *args])
    env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book"),
           "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "250"}
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_django_project(tmp_path_factory.mktemp("p") / "projekt", debug=False)


@pytest.mark.parametrize("fill, read_only, cause", [(True, False, "na disku došlo místo"),
                                                     (False, True, "disk je jen pro čtení")])
def test_results_are_shown_when_the_state_directory_cannot_be_written(project, tmp_path, fill, read_only, cause):
    home = tmp_path / "stav"
    result = run_on_disk(home, "256k", ["--target", "local", "--project", str(project), "step1"], home=home,
                         fill=fill, read_only=read_only)
    assert result.rc == 0, result.stdout + result.stderr  # DEBUG is off: the step passes
    assert "DEBUG je vypnutý" in result.stdout  # the results
    assert f"Do {home}" in result.stderr and cause in result.stderr
    assert "Traceback" not in result.stderr and "vnitřní chyb" not in result.stdout + result.stderr


def test_the_same_run_on_a_good_disk_has_no_warning(project, tmp_path):
    home = tmp_path / "stav"
    result = run_on_disk(home, "16m", ["--target", "local", "--project", str(project), "step1"], home=home)
    assert result.rc == 0 and "Pozor" not in result.stderr, result.stderr


def test_save_facts_on_a_full_disk_leaves_no_temporary_file(project, tmp_path):
    disk = tmp_path / "disk"
    home = tmp_path / "stav"
    home.mkdir()
    script = (f"mount -t tmpfs -o size=64k tmpfs {disk} && "
              f"(dd if=/dev/zero of={disk}/plno bs=4k 2>/dev/null || true) && "
              f"{sys.executable} -m checkers --target local --project {project} --save-facts {disk}/fakta.json step1; "
              f"echo rc=$?; ls -A {disk}")
    disk.mkdir()
    env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book")}
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "rc=0" in proc.stdout, proc.stdout + proc.stderr
    assert f"Do {disk}/fakta.json nejde zapisovat (na disku došlo místo)" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "plno"  # neither fakta.json nor .fakta.json.*.tmp


def roster(path: Path, projects: list[Path]) -> Path:
    rows = ["name,id,target,identity,project"] + [f"Student {i},s{i},local,,{p}" for i, p in enumerate(projects)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_grading_into_a_read_only_or_full_out_directory(project, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    soupiska = roster(tmp_path / "soupiska.csv", [project])
    out = tmp_path / "vysledky"
    ro = run_on_disk(out, "1m", ["grade", str(soupiska), "--out", str(out)], home=home, read_only=True)
    assert ro.rc == 2 and "nejde zapisovat" in ro.stderr and str(out) in ro.stderr, ro.stderr
    full = run_on_disk(out, "1m", ["grade", str(soupiska), "--out", str(out)], home=home, fill=True)
    assert full.rc == 2 and "došlo místo" in full.stderr, full.stdout + full.stderr
    for run in (ro, full):
        assert "Traceback" not in run.stderr and "rollback" not in run.stderr
        assert "vnitřní chyb" not in run.stdout + run.stderr


def test_a_killed_grading_run_is_marked_interrupted_by_the_next(project, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    hanging = make_django_project(tmp_path / "visi", extra="import time\ntime.sleep(600)\n")
    out = tmp_path / "vysledky"
    env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book")}
    first = subprocess.Popen([sys.executable, "-m", "checkers", "grade", str(roster(tmp_path / "a.csv", [hanging])),
                              "--out", str(out), "--timeout", "120"], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    database = out / "gradebook.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (database.exists() and _statuses(database)):
        time.sleep(0.2)
    assert _statuses(database) == ["running"]
    os.killpg(first.pid, signal.SIGKILL)  # the whole grading process group, by its PID
    first.wait(10)
    second = subprocess.run([sys.executable, "-m", "checkers", "grade", str(roster(tmp_path / "b.csv", [project])),
                             "--out", str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Běh hodnocení č. 1 skončil nečekaně" in second.stderr + second.stdout
    assert _statuses(database) == ["interrupted", "finished"]
    db = sqlite3.connect(database)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def _statuses(database: Path) -> list[str]:
    try:
        db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            return [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
        finally:
            db.close()
    except sqlite3.Error:
        return []
