"""Every process the checker starts is ended as a group: a project whose settings hang (and start
a child of their own) leaves nothing running after a timeout, Ctrl-C, a killed checker, a grading
watchdog giving up, or a dropped SSH connection. Processes are found by the PIDs they write
themselves and ended (in the control case) by PID only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from checkers.course import load_course
from checkers.errors import CheckerError
from checkers.probe_bundle import REMOTE_COMMAND, build_script
from checkers.session import probe_params
from tests.helpers.cli import REPO
from tests.helpers.django_project import make_django_project
from tests.helpers.processes import alive, survivors
from tests.helpers.sshd import Sshd

COURSE = load_course()

HANGING_SETTINGS = """
import os, subprocess, sys, time
_child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
with open({pids!r} + '/interpreter.pid', 'a') as _f:
    _f.write('%d\\n' % os.getpid())
with open({pids!r} + '/grandchild.pid', 'a') as _f:
    _f.write('%d\\n' % _child.pid)
time.sleep(600)
"""


def pids_in(directory: Path) -> list[int]:
    found = []
    for name in ("interpreter.pid", "grandchild.pid"):
        path = directory / name
        if path.exists():
            found += [int(line) for line in path.read_text().split()]
    return found


def wait_for_pids(directory: Path, count: int = 2, limit: float = 60) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = pids_in(directory)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"the hanging settings did not start within {limit} s: {pids_in(directory)}")




@pytest.fixture
def hanging(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    project = make_django_project(tmp_path / "projekt", extra=HANGING_SETTINGS.format(pids=str(pids)))
    yield project, pids
    survivors(pids_in(pids), within=0)


def checker(*args: str, home: Path) -> subprocess.Popen:
    env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "checkers", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def probe_script(project: Path, django_timeout: float) -> bytes:
    params = probe_params(COURSE, str(project))
    params["django_timeout"] = django_timeout
    return build_script(params).encode()


# ------------------------------------------------------------------------------------ control
def test_control_a_plain_timeout_leaves_the_projects_child_running(hanging):
    """Why all this: killing only the direct child (subprocess's own timeout) leaves what it started
    running. This is what the tests below would see without process groups."""
    project, pids = hanging
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([str(project / ".venv" / "bin" / "python"), "manage.py", "check"], cwd=project,
                       capture_output=True, timeout=6)
    interpreter, grandchild = wait_for_pids(pids)
    assert survivors([grandchild], within=2) == [grandchild]  # still running: ended here by PID
    assert not alive(interpreter)


# ------------------------------------------------------------------------------- local target
def test_the_probe_ends_a_hanging_inspection_as_a_group(hanging, checkers_home):
    project, pids = hanging
    proc = checker("--target", "local", "--project", str(project), "--timeout", "8", "--json", "step0",
                   home=checkers_home)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (1, 2), out + err
    assert "Traceback" not in err
    assert survivors(wait_for_pids(pids)) == []


def test_a_local_timeout_ends_the_whole_tree(hanging):
    from checkers.targets.local import LocalTransport

    project, pids = hanging
    transport = LocalTransport()
    t0 = time.monotonic()
    with pytest.raises(CheckerError) as info:
        transport.run(REMOTE_COMMAND, probe_script(project, 60), 6)
    assert "nedoběhla do 6 s" in info.value.message
    assert time.monotonic() - t0 < 6 + 10
    assert survivors(wait_for_pids(pids)) == []


def test_ctrl_c_ends_the_whole_tree(hanging, checkers_home):
    project, pids = hanging
    proc = checker("--target", "local", "--project", str(project), "--timeout", "120", "step0", home=checkers_home)
    started = wait_for_pids(pids)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err and "Přerušeno (Ctrl-C)" in err
    assert survivors(started) == []


def test_a_killed_checker_leaves_nothing_behind(hanging, checkers_home):
    """SIGKILL cannot be caught: the probe sees that nobody reads its output and ends its tree."""
    project, pids = hanging
    proc = checker("--target", "local", "--project", str(project), "--timeout", "120", "step0", home=checkers_home)
    started = wait_for_pids(pids)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert survivors(started) == []


def test_closing_a_running_local_transport_ends_it(hanging):
    """A grading watchdog that gives up on a target closes its transport from another thread."""
    from checkers.targets.local import LocalTransport

    project, pids = hanging
    transport = LocalTransport()
    outcome = {}

    def run():
        try:
            outcome["result"] = transport.run(REMOTE_COMMAND, probe_script(project, 60), 120)
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    started = wait_for_pids(pids)
    transport.close()
    worker.join(30)
    assert not worker.is_alive()
    assert survivors(started) == []


# ------------------------------------------------------------------------------------ over SSH
@pytest.fixture
def sshd(tmp_path):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def test_a_dropped_ssh_connection_ends_the_remote_tree(hanging, sshd):
    from checkers.targets.ssh import SSHParams, SSHTransport

    project, pids = hanging
    transport = SSHTransport(SSHParams(host="127.0.0.1", port=sshd.port, user="root", identity=[str(sshd.client_key)],
                                       host_key="off"), 10)
    try:
        with pytest.raises(CheckerError) as info:
            transport.run(REMOTE_COMMAND, probe_script(project, 60), 6)
        assert "nedoběhla do 6 s" in info.value.message
    finally:
        transport.close()
    assert survivors(wait_for_pids(pids)) == []
