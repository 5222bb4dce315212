"""Running commands on the target with bounded time, a pinned locale and no side effects."""

from __future__ import annotations

import errno
import os
import pwd
import signal
import subprocess
import threading
import time

from checkers.probe import reaper
from checkers.probe.pipes import Drain
from checkers.probe.reaper import SPAWN_LOCK, SPAWNED

LOCALE_ENV = {
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
    "PAGER": "cat",
    "PYTHONDONTWRITEBYTECODE": "1",  # the probe must not leave __pycache__ behind
}
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_env() -> dict:
    env = {"PATH": os.environ.get("PATH") or BASE_PATH, "HOME": os.environ.get("HOME", "/")}
    if BASE_PATH not in env["PATH"]:
        env["PATH"] = env["PATH"] + ":" + BASE_PATH
    env.update(LOCALE_ENV)
    return env


class Result:
    __slots__ = ("rc", "out", "err", "timed_out", "seconds")

    def __init__(self, rc: int, out: str, err: str, timed_out: bool = False, seconds: float = 0.0):
        self.rc, self.out, self.err, self.timed_out, self.seconds = rc, out, err, timed_out, seconds

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def brief(self) -> dict:
        return {"rc": self.rc, "output": (self.out + self.err).strip()[-4000:], "timed_out": self.timed_out}


def is_root() -> bool:
    return os.geteuid() == 0


def user_kwargs(user: str | None) -> dict:
    """subprocess arguments that run a child as `user` (only possible as root)."""
    if not user or not is_root():
        return {}
    entry = pwd.getpwnam(user)
    groups = [g for g in os.getgrouplist(user, entry.pw_gid)]
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": groups}


# Every command runs in a session (process group) of its own, ended as a whole: a project's
# interpreter with the children it started, a hung `systemctl`. The groups still running are kept
# here, so the probe can end them all when it is told to stop or its reader is gone (guard_tree).
_RUNNING: dict = {}
_RUNNING_LOCK = threading.RLock()  # also taken in the signal handler (end_all)


def end_group(pid: int) -> None:
    """SIGKILL the process group led by `pid` (a child we started with a session of its own)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def end_all() -> None:
    with _RUNNING_LOCK:
        pids = list(_RUNNING)
    for pid in pids:
        end_group(pid)
    end_escapees(rounds=3)


def running_groups() -> set:
    with _RUNNING_LOCK:
        return set(_RUNNING)


def end_escapees(rounds: int = 10) -> list:
    """See reaper.end_escapees: what escaped the commands' groups, ended."""
    return reaper.end_escapees(running_groups, rounds)


def guard_tree() -> None:
    """End every command the probe started, as groups, when the probe is told to stop (SIGTERM,
    SIGHUP, SIGINT) or when nobody reads its output any more: a dropped SSH connection or a checker
    that was killed closes the probe's stdout, seen here as an error condition on the pipe. Also
    makes the probe the subreaper of what it starts (become_subreaper)."""
    subreaper = threading.Thread(target=reaper.become_subreaper, name="subreaper", daemon=True)  # ctypes: off the
    subreaper.start()  # critical path (Started waits for it before running the project's code)
    reaper.SUBREAPER.append(subreaper)

    def stop(signum, frame):
        end_all()
        os._exit(128 + signum)

    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        try:
            signal.signal(number, stop)
        except (ValueError, OSError):  # not the main thread (tests)
            return

    def watch_reader():
        import select

        poller = select.poll()
        poller.register(1, 0)  # only POLLERR / POLLHUP / POLLNVAL are reported
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            if any(flags & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, flags in events):
                end_all()
                os._exit(141)

    threading.Thread(target=watch_reader, name="reader-watch", daemon=True).start()


class Started:
    """A command started now and waited for later (`result`), or stopped unwaited (`cancel`).
    It runs in a session of its own; when it ends (or is ended), whatever it left running in its
    process group is ended too. An `untrusted` command (the project's code) is done when it exits,
    not when its output closes (what it left behind may hold the pipes open), and what escaped its
    group is ended too (end_escapees). Trusted commands are read as communicate() does: no threads,
    which count on an emulated VM."""

    END_GRACE = 2.0  # seconds for the output still in the pipes once everything is ended

    def __init__(self, args: list, stdin: str | None = None, user: str | None = None, env: dict | None = None,
                 cwd: str | None = None, pass_fds: tuple = (), untrusted: bool = False):
        """`untrusted`: the command runs the project's code, which may daemonize: what escaped it
        is looked for (a walk of /proc, too slow on an emulated VM for every command) when it ends."""
        self.start = time.monotonic()
        self.untrusted = untrusted
        for subreaper in reaper.SUBREAPER if untrusted else ():
            subreaper.join(2)  # no orphan of the project's may slip by to PID 1
        self.stdin = stdin.encode() if stdin is not None else None
        self.proc, self.failed, self.output = None, None, None
        try:
            kwargs = user_kwargs(user)
        except KeyError:
            self.failed = Result(126, "", "unknown user %s" % user)
            return
        try:
            with SPAWN_LOCK:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, env=env if env is not None else base_env(), cwd=cwd,
                    start_new_session=True, pass_fds=pass_fds, **kwargs)
                SPAWNED.add(self.proc.pid)
            with _RUNNING_LOCK:
                _RUNNING[self.proc.pid] = self.proc
            if untrusted:
                self.output = Drain(self.proc, self.stdin)
        except FileNotFoundError:
            self.failed = Result(127, "", "command not found: %s" % args[0])
        except (PermissionError, OSError) as exc:
            self.failed = Result(126, "", "%s: %s" % (type(exc).__name__, exc))

    def result(self, timeout: float) -> Result:
        """Wait until `timeout` seconds after the start; never raises because of the command itself."""
        if self.failed is not None:
            return self.failed
        if self.output is None:
            return self._communicate(timeout)
        timed_out = False
        try:
            self.proc.wait(max(0.0, self.start + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:
            self._end()
            raise
        self._end()  # anything it left running in its group, or that escaped it
        out, err = self.output.collect(self.END_GRACE)
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        if timed_out:  # what it said before it was ended stays (a hanging inspection says where it hangs)
            return Result(124, out, "timed out after %ss\n" % timeout + err[-4000:], True,
                          time.monotonic() - self.start)
        return Result(self.proc.returncode, out, err, False, time.monotonic() - self.start)

    def _communicate(self, timeout: float) -> Result:
        try:
            out, err = self.proc.communicate(self.stdin, timeout=max(0.0, self.start + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._end()
            out, err = self.proc.communicate()
            return Result(124, (out or b"").decode("utf-8", "replace"),
                          "timed out after %ss\n" % timeout + (err or b"").decode("utf-8", "replace")[-4000:],
                          True, time.monotonic() - self.start)
        except BaseException:
            self._end()
            raise
        self._end()  # anything it left running in its group
        return Result(self.proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                      False, time.monotonic() - self.start)

    def _end(self) -> None:
        end_group(self.proc.pid)
        try:
            self.proc.wait(5)  # its death re-parents what it left running to us: ended next
        except subprocess.TimeoutExpired:
            pass
        with _RUNNING_LOCK:
            _RUNNING.pop(self.proc.pid, None)
        if self.untrusted:
            end_escapees()
        if self.proc.returncode is not None:
            with SPAWN_LOCK:
                SPAWNED.discard(self.proc.pid)

    def cancel(self) -> None:
        if self.proc is not None:
            self._end()
            if self.output is not None:
                self.output.collect(self.END_GRACE)
            else:
                self.proc.communicate()


def run(args: list, timeout: float = 10, stdin: str | None = None, user: str | None = None,
        env: dict | None = None, cwd: str | None = None) -> Result:
    """Run a command; never raises because of the command itself."""
    return Started(args, stdin, user, env, cwd).result(timeout)


def which(name: str) -> str | None:
    for directory in base_env()["PATH"].split(":"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def read_text(path: str, limit: int = 2_000_000) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def os_error_name(path: str) -> str | None:
    """Why `path` cannot be opened for reading, as errno's name (ENOENT, EACCES, …); None if it can."""
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, "OSError")


def tail_lines(path: str, count: int = 200, max_bytes: int = 256_000) -> list | None:
    """The last lines of a (log) file, reading only its end."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = data.splitlines()
    if size > max_bytes and lines:
        lines = lines[1:]  # the first line is probably cut
    return lines[-count:]


def module_source(name: str) -> str:
    """Source of one of our modules, both when imported from disk and when bundled."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    source = spec.loader.get_source(name) if spec and spec.loader else None
    if source is None:
        raise RuntimeError("source of %s not available" % name)
    return source
