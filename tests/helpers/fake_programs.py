"""Stand-ins for programs the checker and the lab start (vagrant, jupyter-book, qemu-system-x86_64,
qemu-img, ssh), placed first on PATH: each records its PID and the PID of a child of its own in
a directory, so a test can see, by PID, whether anything of it is left running.

Behaviour (FAKE_MODE in the environment): `hang` waits forever, `fail` exits 1 leaving its child
running (detached from the output pipes), anything else does the program's job as far as the
caller needs it. Processes are only ever found and ended by the PIDs recorded here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Common part of every fake: record our PID, start a child that sleeps (the "grandchild" of the
# program that started us) and record its PID too.
PRELUDE = r'''#!{python}
import os, subprocess, sys, time
PIDS = {pids!r}
NAME = {name!r}
MODE = os.environ.get("FAKE_MODE", "")

def record(name, pid):
    with open(os.path.join(PIDS, name + ".pid"), "a") as handle:
        handle.write("%d\n" % pid)

def sleeper(name):
    child = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    record(name, child.pid)
    return child
'''

SIMPLE = PRELUDE + r'''
record(NAME, os.getpid())
sleeper(NAME + "-child")
if MODE == "hang":
    time.sleep(600)
sys.exit(1)
'''

QEMU = PRELUDE + r'''
args = sys.argv[1:]
pidfile = args[args.index("-pidfile") + 1]
record("qemu-foreground", os.getpid())
if MODE == "hang":  # QEMU that never gets as far as daemonizing
    sleeper("qemu-foreground-child")
    time.sleep(600)
read_end, write_end = os.pipe()
if os.fork() == 0:  # as QEMU's -daemonize does: fork, setsid, fork again
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    record("qemu", os.getpid())
    sleeper("qemu-child")  # a helper QEMU started: ends with QEMU's session
    with open(pidfile, "w") as handle:
        handle.write("%d\n" % os.getpid())
    os.write(write_end, b"x")
    import signal
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))  # "powered off": QEMU exits, its helper stays
    while True:
        time.sleep(1)
os.close(write_end)
os.read(read_end, 1)  # the daemon is up
sys.exit(1 if MODE == "fail" else 0)
'''

QEMU_IMG = r'''#!/bin/sh
for last; do :; done
[ "$1" = create ] && : > "$last"
exit 0
'''

SSH = PRELUDE + r'''
import re, signal
args = sys.argv[1:]
options = {{}}
for i, word in enumerate(args[:-1]):
    if word == "-o" and "=" in args[i + 1]:
        key, value = args[i + 1].split("=", 1)
        options[key] = value
config = args[args.index("-F") + 1]
control = options.get("ControlPath", "none")
master_pid_file = os.path.join(PIDS, "ssh-master.pid")

def master_pid():
    try:
        return int(open(master_pid_file).read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None

if "-O" in args:
    operation = args[args.index("-O") + 1]
    pid = master_pid()
    if operation == "check" and pid and os.path.exists(control):
        sys.stderr.write("Master running (pid=%d)\r\n" % pid)
        sys.exit(0)
    sys.exit(0 if operation == "exit" else 255)  # "exit": this master does not listen (hung)
if options.get("ControlMaster") == "auto" and control != "none" and not os.path.exists(control):
    if os.fork() == 0:  # as ssh's ControlPersist does: the master detaches into a session of its own
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        record("ssh-master", os.getpid())
        open(control, "w").close()
        os.execvp("sleep", ["ssh: %s [mux]" % control, "600"])
    time.sleep(0.3)
command = args[-1]
if "poweroff" in command:  # the guest powers off: QEMU exits
    pidfile = os.path.join(os.path.dirname(config), "qemu.pid")
    os.kill(int(open(pidfile).read()), signal.SIGTERM)
elif "is-system-running" in command:
    print("running")
sys.exit(0)
'''

JUPYTER_BOOK_MAIN = PRELUDE.split("\n", 1)[1] + r'''
def main():
    record(NAME, os.getpid())
    sleeper(NAME + "-child")
    if MODE == "hang":
        time.sleep(600)
    print("fake jupyter-book: sestaveni selhalo")
    return 1
'''


def install(bin_dir: Path, pids: Path, name: str, template: str = SIMPLE) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    pids.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(template.format(python=sys.executable, pids=str(pids), name=name)
                    if template is not QEMU_IMG else template)
    path.chmod(0o755)
    return path


def install_jupyter_book(site: Path, pids: Path) -> Path:
    """A `jupyter_book` package (first on PYTHONPATH) whose CLI records its PID like the others."""
    pids.mkdir(parents=True, exist_ok=True)
    package = site / "jupyter_book" / "cli"
    package.mkdir(parents=True)
    (site / "jupyter_book" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(JUPYTER_BOOK_MAIN.format(pids=str(pids), name="jupyter-book"))
    return site


def recorded(pids: Path, *names: str) -> dict[str, list[int]]:
    found = {}
    for name in names:
        path = pids / f"{name}.pid"
        found[name] = [int(line) for line in path.read_text().split()] if path.exists() else []
    return found


def wait_recorded(pids: Path, *names: str, limit: float = 60) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = recorded(pids, *names)
        if all(found.values()):
            return [pid for pids_ in found.values() for pid in pids_]
        time.sleep(0.1)
    raise AssertionError(f"not started within {limit} s: {recorded(pids, *names)}")




def all_recorded(pids: Path) -> list[int]:
    return [int(line) for path in pids.glob("*.pid") for line in path.read_text().split()]
