"""--target local: run on this machine (a student deploying on their own Linux, and tests).

The probe runs in a session (process group) of its own. On a timeout, Ctrl-C, an error or
close() (a grading watchdog giving up) it is ended as a group: SIGTERM first, on which the probe
ends the groups of its own children (the project's interpreter and whatever that started), then
SIGKILL for anything left. Closing our end of its output tells a probe running as another user
(sudo; our signals do not reach it) that nobody is listening, and it ends its tree itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from checkers.errors import CheckerError
from checkers.targets.base import CommandResult

GRACE = 2.0  # seconds between SIGTERM and SIGKILL


class LocalTransport:
    label = "local"

    def __init__(self):
        if sys.platform == "win32":
            raise CheckerError("Cíl „local“ funguje jen na Linuxu, kde běží kontrolovaný web.",
                               "Na Windows použijte výchozí cíl `--target vagrant` nebo `--target ssh://uživatel@stroj`.")
        self.executions = 0
        self._running: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def run(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult:
        self.executions += 1
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        with self._lock:
            self._running = proc
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            end_process_group(proc)
            raise CheckerError(f"Sonda na tomto počítači nedoběhla do {timeout:g} s.",
                               "Zkuste delší limit, např. `--timeout 300`.") from exc
        except BaseException:  # Ctrl-C, or our own failure: nothing of the probe's stays behind
            end_process_group(proc)
            raise
        finally:
            with self._lock:
                self._running = None
        return CommandResult(proc.returncode, out, err)

    def close(self) -> None:
        """End a probe still running (a grading watchdog gave up on it) without waiting here."""
        with self._lock:
            proc, self._running = self._running, None
        if proc is not None and proc.poll() is None:
            threading.Thread(target=end_process_group, args=(proc, False), name="end-probe", daemon=True).start()


def end_process_group(proc: subprocess.Popen, close_pipes: bool = True) -> None:
    """SIGTERM the probe's process group, SIGKILL it after GRACE seconds if it is still there."""
    if close_pipes:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    try:
        proc.wait(GRACE)
    except subprocess.TimeoutExpired:
        pass
    # The leader is a shell that SIGTERM ends at once; the probe below it needs a moment to end
    # what it started (and what escaped that): the grace is for the whole group.
    while time.monotonic() < deadline and group_running(proc.pid):
        time.sleep(0.05)
    _signal_group(proc.pid, signal.SIGKILL)  # whatever is left of the group (the leader may be gone)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def group_running(pgid: int) -> bool:
    """Is a process of the group still running? (Zombies, waiting for whoever reaps them, are not.)"""
    try:
        names = os.listdir("/proc")
    except OSError:
        return False
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != b"Z":
                return True
    return False


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):
        pass
