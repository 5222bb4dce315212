"""The parallel grading runner against real loopback servers: an sshd (this machine as a target),
a port that refuses, and a server that accepts TCP and never answers (a hung machine)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from checkers.course import load_course
from checkers.grading.model import GRADED, RosterEntry
from checkers.grading.runner import ClassGrader, GradeSettings
from tests.helpers.sshd import Sshd, free_port

COURSE = load_course()


class SilentServer:
    """Accepts TCP connections on loopback and never sends a byte (a hung machine)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def sshd(tmp_path):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def test_runner_grades_reachable_targets_and_cuts_off_hangs(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKERS_HOME", str(tmp_path / "home"))
    silent = SilentServer()
    closed = free_port()
    entries = [
        RosterEntry(2, "Visí 1", "h1", f"ssh://vagrant@127.0.0.1:{silent.port}", str(sshd.client_key), "ssh"),
        RosterEntry(3, "Visí 2", "h2", f"ssh://vagrant@127.0.0.1:{silent.port}", str(sshd.client_key), "ssh"),
        RosterEntry(4, "Odmítá", "r", f"ssh://vagrant@127.0.0.1:{closed}", str(sshd.client_key), "ssh"),
        RosterEntry(5, "Tento počítač", "ok", f"ssh://root@127.0.0.1:{sshd.port}", str(sshd.client_key), "ssh"),
    ]
    seen = []
    grader = ClassGrader(COURSE, GradeSettings(timeout=3, concurrency=2),
                         on_result=lambda i, g: seen.append((i, g.state, round(time.monotonic() - t0, 1))))
    t0 = time.monotonic()
    try:
        results = grader.run(entries)
    finally:
        silent.close()
    elapsed = time.monotonic() - t0
    states = [r.state for r in results]
    assert states == ["timeout", "timeout", "unreachable", "graded"], [(r.state, r.reason) for r in results]
    assert "odmítl spojení" in results[2].reason
    assert all(3 <= r.seconds < 4.5 for r in results[:2])
    # Two slots: both hangs first, then the other two; the hangs never held more than their limit.
    assert 3 <= elapsed < 3 + 15, elapsed
    assert results[3].facts["gathered"]["remote_executions"] == 1
    assert len(results[3].steps) == len(COURSE.required_steps)


def test_runner_stops_on_request_and_keeps_finished_results(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKERS_HOME", str(tmp_path / "home"))
    silent = SilentServer()
    stop = threading.Event()
    entries = [RosterEntry(2, "Hotový", "ok", f"ssh://root@127.0.0.1:{sshd.port}", str(sshd.client_key), "ssh")]
    entries += [RosterEntry(3 + i, f"Visí {i}", f"h{i}", f"ssh://v@127.0.0.1:{silent.port}", None, "ssh")
                for i in range(3)]

    def on_result(index, grade):
        stop.set()  # as if Ctrl-C came right after the first result

    grader = ClassGrader(COURSE, GradeSettings(timeout=60, concurrency=1), on_result=on_result, stop=stop)
    t0 = time.monotonic()
    try:
        results = grader.run(entries)
    finally:
        silent.close()
    assert time.monotonic() - t0 < 30
    assert results[0].state == GRADED and results[1:] == [None, None, None]
