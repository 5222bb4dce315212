"""The process list leaves out the probe's own commands, and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from checkers.probe import system

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)", "gunicorn-like-argument"]


def test_own_children_are_left_out_and_other_processes_kept():
    own = subprocess.Popen(SLEEPER)
    # A grandchild: its parent is the shell, not this process (as gunicorn's parent is systemd).
    other = subprocess.Popen(["/bin/sh", "-c", " ".join(SLEEPER[:1] + ["-c", "'import time; time.sleep(60)'",
                                                                         "gunicorn-like-argument"]) + "; :"],
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [p for p in system.processes() if "gunicorn-like-argument" in p["argv"]]
            if found:
                break
            time.sleep(0.05)
        assert [p["ppid"] for p in found] == [other.pid]
        assert own.pid not in [p["pid"] for p in found]
    finally:
        own.kill()
        os.killpg(other.pid, signal.SIGKILL)  # the shell and its child, a group of our own
        own.wait()
        other.wait()
