"""The probe's process list: the known servers, and whatever holds a web port (it keeps nginx
from starting), with the systemd service it runs in. Real processes of this machine."""

from __future__ import annotations

import os
import subprocess
import time

from checkers.probe import system


def _spawned(argv: list) -> subprocess.Popen:
    """A real child process, once it runs `argv` (right after the fork /proc shows nothing yet)."""
    child = subprocess.Popen(argv, start_new_session=True)
    for _ in range(100):
        with open(f"/proc/{child.pid}/cmdline", "rb") as handle:
            if handle.read().split(b"\0")[0] == argv[0].encode():
                return child
        time.sleep(0.05)
    return child


def test_a_process_holding_a_web_port_is_listed_though_it_is_no_known_server():
    child = _spawned(["sleep", "30"])
    try:
        assert child.pid not in {p["pid"] for p in system.processes()}
        listed = {p["pid"]: p for p in system.processes(also={child.pid})}
        assert listed[child.pid]["argv"] == ["sleep", "30"]
        assert "unit" in listed[child.pid]
    finally:
        os.killpg(child.pid, 9)
        child.wait()


def test_only_web_ports_count():
    listening = {"tcp": [{"addr": "0.0.0.0", "port": 80, "pids": [11]}, {"addr": "::", "port": 443, "pids": [12]},
                         {"addr": "127.0.0.1", "port": 8000, "pids": [13]}], "unix": []}
    assert system.web_port_holders(listening) == {11, 12}
    assert system.web_port_holders(None) == set()


def test_the_service_of_a_process_comes_from_its_cgroup():
    # /proc/PID/cgroup as on the course VM (cgroup v2): a service, a login session's process, cgroup v1
    assert system.service_in_cgroup("0::/system.slice/other-web.service\n") == "other-web.service"
    assert system.service_in_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n") is None
    assert system.service_in_cgroup("12:pids:/system.slice/nginx.service\n1:name=systemd:/system.slice/nginx.service\n") \
        == "nginx.service"
    assert system.service_in_cgroup("") is None


def test_secret_looking_arguments_are_hidden_in_any_process_listed():
    from checkers.probe.systemd import redact_argv

    argv = ["python3", "app.py", "--db-password", "hunter2", "--token=abc", "SECRET_KEY=xyz", "--bind", "0.0.0.0:80"]
    assert redact_argv(argv) == ["python3", "app.py", "--db-password", "«skryto»", "--token=«skryto»",
                                 "SECRET_KEY=«skryto»", "--bind", "0.0.0.0:80"]
    child = _spawned(["sh", "-c", "sleep 30; :", "--password", "hunter2"])
    try:
        listed = {p["pid"]: p for p in system.processes(also={child.pid})}
        assert listed[child.pid]["argv"] == ["sh", "-c", "sleep 30; :", "--password", "«skryto»"]
    finally:
        os.killpg(child.pid, 9)
        child.wait()
