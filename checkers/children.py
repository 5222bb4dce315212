"""Programs the checker starts on this computer (Vagrant, the book's build), each in a session of
its own and ended as a whole process group, by its PID, on a timeout, Ctrl-C or an error.

Killing only the direct child (what subprocess's own timeout does) leaves whatever it started
running: Vagrant's Ruby with its provider commands, jupyter-book's Sphinx workers. Put in a session
of its own, a child no longer receives a terminal's Ctrl-C either, so KeyboardInterrupt (and a
SIGTERM sent to the checker, turned into one while we wait) ends the group here.

A child that ends normally keeps what it deliberately started in the background: `vagrant status`
may start VirtualBox's service daemon (VBoxSVC), which must outlive it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading

GRACE = 2.0  # seconds between SIGTERM and SIGKILL


class Interrupted(KeyboardInterrupt):
    """SIGTERM while a child was running: handled like Ctrl-C (the child's group is ended)."""


def run_group(args: list[str], *, timeout: float, cwd=None, env: dict | None = None,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE) -> subprocess.CompletedProcess:
    """Run `args` in a new session; bytes out. Raises subprocess.TimeoutExpired after `timeout`
    seconds and OSError when it cannot start; in both cases, on any other exception (Ctrl-C) and
    when the child fails (exit code other than 0) nothing of the child's group is left running."""
    with _sigterm_interrupts():
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            end_group(proc)
            raise
    if proc.returncode != 0:  # a failed child's leftovers (still in its group) serve nobody
        signal_group(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def end_group(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group, SIGKILL what is left of it after GRACE seconds; reap it."""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()
    signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(GRACE)
    signal_group(proc.pid, signal.SIGKILL)  # the leader may be gone, its group not
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def signal_group(pgid: int, number: int) -> None:
    if pgid <= 1:  # never "every process we may signal"
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, number)


@contextlib.contextmanager
def _sigterm_interrupts():
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield  # someone else decides what SIGTERM does (or signals cannot be set here)
        return

    def interrupt(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
