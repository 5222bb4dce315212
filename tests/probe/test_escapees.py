"""A project whose settings daemonize (fork, os.setsid(), sleep; once directly, once with a double
fork) leaves the interpreter's process group and session, so ending that group misses it. The
probe is the subreaper of its tree and ends such escapees: after a run, locally and over SSH,
after a timeout, Ctrl-C or a checker giving up, no process of the project remains. The daemons
record their PIDs themselves; the control case shows that ending the group alone leaves them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checkers.errors import CheckerError
from checkers.probe_bundle import REMOTE_COMMAND
from tests.helpers.cli import REPO, run_cli
from tests.helpers.django_project import make_django_project
from tests.helpers.processes import survivors
from tests.helpers.sshd import Sshd
from tests.probe.test_process_groups import probe_script

DAEMONIZING_SETTINGS = """
import os, time
def _daemonize(name, double):
    if os.fork() == 0:
        os.setsid()
        if double and os.fork() != 0:
            os._exit(0)
        with open({pids!r} + '/' + name, 'a') as _f:
            _f.write('%d\\n' % os.getpid())
        time.sleep(600)
        os._exit(0)
_daemonize('single.pid', False)
_daemonize('double.pid', True)
"""
HANG = "time.sleep(600)\n"
NAMES = ("single.pid", "double.pid")


def recorded_pids(directory: Path) -> list[int]:
    return [int(line) for name in NAMES if (directory / name).exists() for line in (directory / name).read_text().split()]


def daemon_pids(directory: Path, limit: float = 60) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = recorded_pids(directory)
        if len(found) >= 2:
            return found
        time.sleep(0.1)
    raise AssertionError(f"the settings did not daemonize within {limit} s")


def project_with_daemons(root: Path, hang: bool = False) -> tuple[Path, Path]:
    pids = root / "pids"
    pids.mkdir(parents=True)
    extra = DAEMONIZING_SETTINGS.format(pids=str(pids)) + (HANG if hang else "")
    return make_django_project(root / "projekt", extra=extra), pids


@pytest.fixture
def daemonizing(tmp_path):
    project, pids = project_with_daemons(tmp_path)
    yield project, pids
    survivors(recorded_pids(pids), within=0)


@pytest.fixture
def daemonizing_and_hanging(tmp_path):
    project, pids = project_with_daemons(tmp_path, hang=True)
    yield project, pids
    survivors(recorded_pids(pids), within=0)


def test_control_ending_the_group_leaves_the_daemons_running(daemonizing):
    """Why: what the probe did before (end the interpreter's process group) misses a daemon."""
    project, pids = daemonizing
    proc = subprocess.Popen([str(project / ".venv" / "bin" / "python"), "manage.py", "check"], cwd=project,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    proc.wait(60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left in its group
    started = daemon_pids(pids)
    assert sorted(survivors(started, within=2)) == sorted(started)  # still running: ended here by PID


def test_a_local_run_leaves_no_daemon_of_the_project(daemonizing, checkers_home):
    project, pids = daemonizing
    result = run_cli("--target", "local", "--project", str(project), "--json", "step0", home=checkers_home)
    assert result.rc in (0, 1), result.stdout + result.stderr
    e002 = next(c for c in result.json["checks"] if c["id"] == "project.E002")
    assert e002["status"] == "passed", e002  # the project works: it was not ended as a hang
    assert survivors(daemon_pids(pids)) == []


def test_a_local_timeout_leaves_no_daemon_of_a_hanging_project(daemonizing_and_hanging, checkers_home):
    project, pids = daemonizing_and_hanging
    result = run_cli("--target", "local", "--project", str(project), "--timeout", "10", "--json", "step0",
                     home=checkers_home)
    assert result.rc == 2 and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert survivors(daemon_pids(pids)) == []


def test_ctrl_c_leaves_no_daemon(daemonizing_and_hanging, checkers_home):
    project, pids = daemonizing_and_hanging
    env = {**os.environ, "CHECKERS_HOME": str(checkers_home), "CHECKERS_BOOK_HTML": str(checkers_home / "no-book")}
    proc = subprocess.Popen([sys.executable, "-m", "checkers", "--target", "local", "--project", str(project),
                             "--timeout", "120", "step0"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    started = daemon_pids(pids)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert survivors(started) == []


def test_a_transport_given_up_on_leaves_no_daemon(daemonizing_and_hanging):
    """The local transport's own limit: the probe is told to stop (SIGTERM) and ends its escapees."""
    from checkers.targets.local import LocalTransport

    project, pids = daemonizing_and_hanging
    with pytest.raises(CheckerError):
        LocalTransport().run(REMOTE_COMMAND, probe_script(project, 60), 8)
    assert survivors(daemon_pids(pids)) == []


def test_over_ssh_no_daemon_remains(daemonizing, tmp_path, checkers_home):
    project, pids = daemonizing
    sshd = Sshd(tmp_path / "sshd").start()
    try:
        result = run_cli("--target", f"ssh://root@127.0.0.1:{sshd.port}", "--identity", str(sshd.client_key),
                         "--project", str(project), "--json", "step0", home=checkers_home)
    finally:
        sshd.stop()
    assert result.rc in (0, 1), result.stdout + result.stderr
    assert survivors(daemon_pids(pids)) == []
