"""Helpers of the class client's tests: real checker processes (each its own CHECKERS_HOME, its own
process group), what the real server stored (read straight from its gradebook, read-only), and a
TCP relay on 127.0.0.1 that can hold back the server's answers (a client killed after the server
stored a submission but before it heard the acknowledgement)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.helpers.cli import REPO, CliRun


def kurz_env(home: Path) -> dict:
    return {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book"),
            "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}


def kurz(home: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> CliRun:
    """`python -m checkers ARGS` in its own process group, ended as a group on a timeout."""
    proc = subprocess.Popen([sys.executable, "-m", "checkers", *args], cwd=REPO, env=kurz_env(home),
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"kurz {' '.join(args)} did not end in {timeout} s: {out}{err}") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return CliRun(proc.returncode, out, err)


def join(home: Path, server, name: str, *extra: str) -> CliRun:
    result = kurz(home, "class", "join", server.base, "--code", server.code, "--name", name, *extra)
    assert result.rc == 0, result.stdout + result.stderr
    return result


def check(home: Path, project: Path, *args: str) -> CliRun:
    return kurz(home, "--target", "local", "--project", str(project), *args)


def status(home: Path, *extra: str) -> dict:
    result = kurz(home, "class", "status", "--json", *extra)
    assert result.rc in (0, 2), result.stdout + result.stderr
    return json.loads(result.stdout)


def queued(home: Path) -> list[dict]:
    folder = home / "class-queue"
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith(".")) if folder.exists() else []
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def stored(out_dir: Path, name: str | None = None) -> list[dict]:
    """Submissions the server stored (source 'reported'), in the order it stored them."""
    from checkers.grading.gradebook import gradebook_path

    db = sqlite3.connect(f"file:{gradebook_path(out_dir)}?mode=ro", uri=True)
    try:
        db.execute("PRAGMA busy_timeout = 5000")
        rows = db.execute("SELECT id, uid, sequence, name, command FROM submissions WHERE source = 'reported' "
                          "ORDER BY id").fetchall()
    finally:
        db.close()
    found = [{"id": r[0], "uid": r[1], "sequence": r[2], "name": r[3], "command": r[4]} for r in rows]
    return [s for s in found if name is None or s["name"] == name]


def wait_for(condition, timeout: float = 30, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class HoldingRelay:
    """127.0.0.1:port -> upstream. Requests pass at once; answers pass only while `passing` is set,
    so a test can let the server store a submission and keep its acknowledgement from the client."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.passing = threading.Event()
        self.passing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if answers:
                    while not self.passing.wait(0.1):
                        if self.closed:
                            return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass

