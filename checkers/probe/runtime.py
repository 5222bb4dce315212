"""Running commands on the target with bounded time, a pinned locale and no side effects."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import threading
import time

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
# Every child the probe started and has not reaped yet. Held while a child is being started, so
# that a child is never mistaken for an escapee (end_escapees) between its fork and its record.
_SPAWNED: set = set()
_SPAWN_LOCK = threading.RLock()
PR_SET_CHILD_SUBREAPER = 36
_SUBREAPER = []  # the thread making the probe a subreaper (guard_tree), once started


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


def end_escapees(rounds: int = 10) -> list:
    """End (SIGKILL, with their process groups) and reap the processes re-parented to the probe
    that it never started: what a daemonizing project left behind. A group of a command still
    running is left to that command's own end. Returns the PIDs ended."""
    ended = []
    for _ in range(rounds):
        with _SPAWN_LOCK:
            with _RUNNING_LOCK:
                running_groups = set(_RUNNING)
            ours = os.getpgid(0)
            escapees = [(pid, pgid, state) for pid, pgid, state in _children() if pid not in _SPAWNED]
            for pid, pgid, state in escapees:
                if state != "Z":
                    if pgid not in running_groups and pgid != ours and pgid > 1:
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


def guard_tree() -> None:
    """End every command the probe started, as groups, when the probe is told to stop (SIGTERM,
    SIGHUP, SIGINT) or when nobody reads its output any more: a dropped SSH connection or a checker
    that was killed closes the probe's stdout, seen here as an error condition on the pipe. Also
    makes the probe the subreaper of what it starts (become_subreaper)."""
    subreaper = threading.Thread(target=become_subreaper, name="subreaper", daemon=True)  # ctypes: off the
    subreaper.start()  # critical path (Started waits for it before running the project's code)
    _SUBREAPER.append(subreaper)

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
        for subreaper in _SUBREAPER if untrusted else ():
            subreaper.join(2)  # no orphan of the project's may slip by to PID 1
        self.stdin = stdin.encode() if stdin is not None else None
        self.proc, self.failed, self.output = None, None, None
        try:
            kwargs = user_kwargs(user)
        except KeyError:
            self.failed = Result(126, "", "unknown user %s" % user)
            return
        try:
            with _SPAWN_LOCK:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, env=env if env is not None else base_env(), cwd=cwd,
                    start_new_session=True, pass_fds=pass_fds, **kwargs)
                _SPAWNED.add(self.proc.pid)
            with _RUNNING_LOCK:
                _RUNNING[self.proc.pid] = self.proc
            if untrusted:
                self.output = _Drain(self.proc, self.stdin)
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
            with _SPAWN_LOCK:
                _SPAWNED.discard(self.proc.pid)

    def cancel(self) -> None:
        if self.proc is not None:
            self._end()
            if self.output is not None:
                self.output.collect(self.END_GRACE)
            else:
                self.proc.communicate()


class _Drain:
    """Feeds a child's stdin and reads its stdout and stderr in threads (what communicate() does),
    so that waiting for the child is waiting for its exit, not for the end of its output."""

    def __init__(self, proc: subprocess.Popen, stdin: bytes | None):
        self.chunks = {"out": [], "err": []}
        self.threads = [threading.Thread(target=self._read, args=(proc.stdout, self.chunks["out"]), daemon=True),
                        threading.Thread(target=self._read, args=(proc.stderr, self.chunks["err"]), daemon=True)]
        if proc.stdin is not None:
            self.threads.append(threading.Thread(target=self._write, args=(proc.stdin, stdin or b""), daemon=True))
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _read(stream, chunks: list) -> None:
        fd = stream.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                stream.close()
                return
            chunks.append(data)

    @staticmethod
    def _write(stream, data: bytes) -> None:
        try:
            stream.write(data)
            stream.close()
        except (OSError, ValueError):
            pass

    def collect(self, grace: float) -> tuple:
        """(stdout, stderr) read so far, after at most `grace` seconds for the rest."""
        deadline = time.monotonic() + grace
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return b"".join(self.chunks["out"]), b"".join(self.chunks["err"])


class Captured:
    """The read end of a pipe a child writes its output to, read here as it comes, keeping the last
    LIMIT bytes: what the child said survives the child's death (a crash, or ended on a timeout)."""

    LIMIT = 64_000

    def __init__(self, read_fd: int):
        self.read_fd = read_fd
        self.chunks, self.size, self.truncated = [], 0, False
        self.thread = threading.Thread(target=self._read, name="captured-output", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.read_fd, 65536)
            except OSError:
                return
            if not data:
                os.close(self.read_fd)
                return
            self.chunks.append(data)
            self.size += len(data)
            while self.size > self.LIMIT and len(self.chunks) > 1:
                self.size -= len(self.chunks.pop(0))
                self.truncated = True

    def text(self, grace: float = 1.0) -> str:
        """What was written (its last LIMIT bytes, from a line start when cut), after at most
        `grace` seconds for the writers' ends to close (their processes are ended by then)."""
        self.thread.join(grace)
        text = b"".join(self.chunks).decode("utf-8", "replace")
        if self.truncated and "\n" in text:
            text = text.split("\n", 1)[1]  # the first line is probably cut
        return text


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
