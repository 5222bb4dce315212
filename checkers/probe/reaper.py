"""What a project's code leaves running outside the process groups the probe ends: daemons that
called os.setsid(). The probe becomes their reaper (Linux's child subreaper) and ends them."""

from __future__ import annotations

import os
import signal
import threading
import time

# Every child the probe started and has not reaped yet. Held while a child is being started, so
# that a child is never mistaken for an escapee (end_escapees) between its fork and its record.
SPAWNED: set = set()
SPAWN_LOCK = threading.RLock()
PR_SET_CHILD_SUBREAPER = 36
SUBREAPER = []  # the thread making the probe a subreaper (guard_tree), once started


def become_subreaper() -> bool:
    """Make processes orphaned below the probe re-parent to it instead of PID 1.

    A project whose settings daemonize (fork, os.setsid(), fork again) leaves the interpreter's
    process group and session, so ending the group misses it, and once its parent is gone nothing
    of its ancestry remains to find it by. Of what works on Debian 12 without root:
    PR_SET_CHILD_SUBREAPER (Linux >= 3.4, no privilege; prctl through ctypes, the probe is
    stdlib-only) makes every such orphan a child of the probe, which can then see it (a child it
    never started, see end_escapees) and end it. Not chosen: cgroups (need root or a delegated
    systemd scope, absent over plain SSH and in containers); PR_SET_PDEATHSIG (lost on the next
    fork, so a double fork escapes it); walking /proc by session id (a new session has no link
    back to us). Not inherited by the probe's children, so nothing else changes for them."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:  # not Linux, no ctypes: the process groups still end what stays in them
        return False


def _children() -> list:
    """(pid, pgid, state) of the probe's own children, from /proc (no CONFIG_PROC_CHILDREN needed)."""
    me, found = str(os.getpid()), []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1].decode() == me:
            found.append((int(name), int(fields[2]), fields[0].decode()))
    return found


def end_escapees(running_groups, rounds: int = 10) -> list:
    """End (SIGKILL, with their process groups) and reap the processes re-parented to the probe
    that it never started: what a daemonizing project left behind. A group of a command still
    running (`running_groups()`) is left to that command's own end. Returns the PIDs ended."""
    ended = []
    for _ in range(rounds):
        with SPAWN_LOCK:
            running = running_groups()
            ours = os.getpgid(0)
            escapees = [(pid, pgid, state) for pid, pgid, state in _children() if pid not in SPAWNED]
            for pid, pgid, state in escapees:
                if state != "Z":
                    if pgid not in running and pgid != ours and pgid > 1:
                        _kill_group(pgid)
                    _kill(pid)
                    ended.append(pid)
        if not escapees:
            break
        time.sleep(0.05)  # the killed ones die; their own orphans re-parent to us: next round
        for pid, _, _ in escapees:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    return ended


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
