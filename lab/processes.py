"""Helper programs of the lab (qemu-img, ssh, QEMU's start) and the daemons they leave running
(QEMU itself, an SSH connection master), each ended as a group, by its PID.

A helper runs in a session of its own: on a timeout, Ctrl-C or an error its whole process group
is ended, not only the program we started (subprocess's own timeout kills just that one). The
daemons detach into sessions of their own (QEMU's -daemonize and ssh's ControlPersist both call
setsid), so they are ended by the PID they report, with the process group of that session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

GRACE = 2.0


def run(args: list[str], *, timeout: float | None = None, input: str | None = None, capture: bool = False,
        stdout=None, stderr=None) -> subprocess.CompletedProcess:
    """subprocess.run with text I/O, in a new session; raises TimeoutExpired/OSError like it, and
    ends the helper's whole group on those and on any other exception (Ctrl-C)."""
    if capture:
        stdout = stderr = subprocess.PIPE
    proc = subprocess.Popen(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL, stdout=stdout,
                            stderr=stderr, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:
        _end_group(proc)
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _end_group(proc: subprocess.Popen) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()
    for number, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, number)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)


def alive(pid: int) -> bool:
    """Running and not a zombie; pid 0 or less never is (kill would signal a group)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def own_group(pid: int) -> int | None:
    """The process group of a daemon that detached into a session of its own, None when it shares
    ours (then only the PID itself may be ended; its group is the caller's)."""
    try:
        pgid, sid = os.getpgid(pid), os.getsid(pid)
    except (ProcessLookupError, PermissionError):
        return None
    if pgid <= 1 or sid == os.getsid(0) or pgid == os.getpgid(0):
        return None
    return pgid


def stop_daemon(pid: int, grace: float = 10.0, group: int | None = None) -> None:
    """SIGTERM, then SIGKILL, the daemon `pid` and the rest of its process group (what it started).
    `group`: the group as found while the daemon still ran (it cannot be asked once it is gone)."""
    group = group or own_group(pid)
    for number, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        if group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, number)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, number)
        end = time.monotonic() + wait
        while time.monotonic() < end and (alive(pid) or (group is not None and group_alive(group))):
            time.sleep(0.1)
        if not alive(pid) and (group is None or not group_alive(group)):
            return


def group_alive(pgid: int) -> bool:
    """Is any process of the group still running (zombies do not count)?"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
