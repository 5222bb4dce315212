"""The on-disk queue: a stopped server, a restart, a client killed mid-send, a full or read-only disk,
a bounded queue — nothing lost, nothing stored twice, the student's run never fails. Real server and
real checker processes; a kill is kill -9 of the process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.classroom.client_helpers import (HoldingRelay, check, join, kurz, kurz_env, queued, status,
                                            stored, wait_for)
from tests.helpers.cli import REPO


def test_offline_runs_succeed_queue_and_are_delivered_in_order_once_after_a_restart(server, checkers_home, project):
    join(checkers_home, server, "Jana Nováková")
    assert check(checkers_home, project, "step1").rc == 0
    server.stop()
    timings = []
    for step, expected_rc in (("step1", 0), ("step2", 1), ("step0", 0)):
        started = time.monotonic()
        run = check(checkers_home, project, step)
        timings.append(round(time.monotonic() - started, 2))
        assert run.rc == expected_rc, run.stdout + run.stderr
        assert "Pozor" not in run.stderr and "Traceback" not in run.stderr  # the student's run is not bothered
    print("offline run seconds:", timings)
    waiting = queued(checkers_home)
    assert [d["sequence"] for d in waiting] == [2, 3, 4]
    assert [d["command"] for d in waiting] == ["step1", "step2", "step0"]
    report = status(checkers_home)
    assert report["queued"] == 3 and "není dostupný" in report["last_error"]
    text = kurz(checkers_home, "class", "status").stdout
    assert "Ve frontě čekají 3 odevzdání" in text and "spojení odmítnuto" in text

    server.start()
    assert check(checkers_home, project, "step1").rc == 0  # the next run sends what waited, then its own
    if queued(checkers_home):  # the run waits for its send at most ~1 s; the rest goes with --send
        status(checkers_home, "--send")
    assert queued(checkers_home) == []
    got = stored(server.out_dir)
    assert [s["sequence"] for s in got] == [1, 2, 3, 4, 5]
    assert [s["uid"] for s in got[1:4]] == [d["id"] for d in waiting]
    again = status(checkers_home, "--send")
    assert again["queued"] == 0 and again["last_error"] == "" and len(stored(server.out_dir)) == 5


def test_a_run_killed_after_the_server_stored_but_before_the_answer_loses_and_duplicates_nothing(
        server, checkers_home, project, tmp_path):
    relay = HoldingRelay(server.port)
    try:
        relay_server = type("Relay", (), {"base": f"http://127.0.0.1:{relay.port}", "code": server.code})()
        join(checkers_home, relay_server, "Jana Nováková")
        relay.passing.clear()  # the server stores, its answer is held back
        proc = subprocess.Popen([sys.executable, "-m", "checkers", "--target", "local", "--project", str(project),
                                 "step1"], cwd=REPO, env=kurz_env(checkers_home), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(lambda: stored(server.out_dir), 60, "the server to store the first submission")
            os.killpg(proc.pid, signal.SIGKILL)  # mid-send: stored, not acknowledged
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        left = queued(checkers_home)
        assert [d["id"] for d in left] == [s["uid"] for s in stored(server.out_dir)]  # kept: never heard the ack
        relay.passing.set()
        assert check(checkers_home, project, "step2").rc == 1
        status(checkers_home, "--send")
        assert queued(checkers_home) == []
        got = stored(server.out_dir)
        assert [s["sequence"] for s in got] == [1, 2] and [s["command"] for s in got] == ["step1", "step2"]
        assert got[0]["uid"] == left[0]["id"]  # the resend was acknowledged as a duplicate, not stored again
    finally:
        relay.close()


def test_a_sender_killed_mid_queue_leaves_the_rest_to_the_next_one(server, checkers_home, project):
    join(checkers_home, server, "Jana Nováková")
    server.stop()
    for step in ("step0", "step1", "step2", "step0", "step1", "step2"):
        check(checkers_home, project, step)
    ids = [d["id"] for d in queued(checkers_home)]
    assert len(ids) == 6
    server.start()
    proc = subprocess.Popen([sys.executable, "-m", "checkers", "class", "status", "--send"], cwd=REPO,
                            env=kurz_env(checkers_home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for(lambda: len(stored(server.out_dir)) >= 2, 60, "two submissions stored")
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    status(checkers_home, "--send")
    assert queued(checkers_home) == []
    got = stored(server.out_dir)
    assert [s["uid"] for s in got] == ids and [s["sequence"] for s in got] == [1, 2, 3, 4, 5, 6]


def run_with_queue_on_tmpfs(home, project, *, fill: bool, read_only: bool):
    """The queue directory is a real tiny tmpfs (private mount namespace of the checker process)."""
    import shlex

    disk = home / "class-queue"
    disk.mkdir(exist_ok=True)
    setup = [f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(disk))}"]
    if fill:
        setup.append(f"(dd if=/dev/zero of={shlex.quote(str(disk / 'plno'))} bs=4k 2>/dev/null || true)")
    if read_only:
        setup.append(f"mount -o remount,ro {shlex.quote(str(disk))}")
    command = " && ".join(setup) + " && exec " + " ".join(
        shlex.quote(a) for a in [sys.executable, "-m", "checkers", "--target", "local", "--project", str(project), "step1"])
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], cwd=REPO,
                          env=kurz_env(home), capture_output=True, text=True, timeout=120)
    return proc


@pytest.mark.parametrize("fill, read_only, cause", [(True, False, "na disku došlo místo"),
                                                     (False, True, "disk je jen pro čtení")])
def test_a_full_or_read_only_queue_disk_never_breaks_the_run(server, checkers_home, project, fill, read_only, cause):
    join(checkers_home, server, "Jana Nováková")
    result = run_with_queue_on_tmpfs(checkers_home, project, fill=fill, read_only=read_only)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DEBUG je vypnutý" in result.stdout
    assert f"Do {checkers_home / 'class-queue'}" in result.stderr and cause in result.stderr
    assert "neodešle" in result.stderr and "Traceback" not in result.stderr
    assert stored(server.out_dir) == []


def test_a_good_disk_gives_no_warning(server, checkers_home, project):
    join(checkers_home, server, "Jana Nováková")
    result = check(checkers_home, project, "step1")
    assert result.rc == 0 and "Pozor" not in result.stderr, result.stderr


def test_a_full_queue_drops_the_oldest_and_says_so(server, checkers_home, project, monkeypatch):
    monkeypatch.setenv("KURZ_CLASS_QUEUE_LIMIT", "2")
    join(checkers_home, server, "Jana Nováková")
    server.stop()
    for step in ("step0", "step1", "step2", "step0"):
        check(checkers_home, project, step)
    assert [d["sequence"] for d in queued(checkers_home)] == [3, 4]
    text = kurz(checkers_home, "class", "status").stdout
    assert "zahodil jsem 2 nejstarší odevzdání" in text and "z čísel 1–2" in text
    server.start()
    status(checkers_home, "--send")
    assert [s["sequence"] for s in stored(server.out_dir)] == [3, 4]


def test_a_damaged_queue_file_is_set_aside_not_blocking_the_rest(server, checkers_home, project):
    join(checkers_home, server, "Jana Nováková")
    (checkers_home / "class-queue").mkdir(exist_ok=True)
    (checkers_home / "class-queue" / f"{1:010d}-{'0' * 32}.json").write_text("{nedokončený")
    (checkers_home / "class-queue" / ".sequence").write_text("1\n")
    assert check(checkers_home, project, "step1").rc == 0
    report = status(checkers_home, "--send")
    assert report["queued"] == 0 and report["rejected_total"] == 1
    assert (checkers_home / "class-queue" / "rejected" / f"{1:010d}-{'0' * 32}.json").exists()
    assert [s["sequence"] for s in stored(server.out_dir)] == [2]
    text = kurz(checkers_home, "class", "status").stdout
    assert "1 odevzdání se nedá odeslat" in text and "poškozený" in text
