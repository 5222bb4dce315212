"""The checker over SSH against a real sshd on 127.0.0.1: one connection, one probe execution,
host keys remembered and changes refused, and Czech errors for refused, failed or hung connections."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.django_project import make_django_project
from tests.helpers.sshd import Sshd, free_port, keygen


@pytest.fixture
def sshd(tmp_path):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path):
    return make_django_project(tmp_path / "projekt", debug=False)


def target(server: Sshd) -> list[str]:
    return ["--target", f"ssh://root@127.0.0.1:{server.port}", "--identity", str(server.client_key)]


def test_one_connection_one_probe_execution(sshd, project, checkers_home, tmp_path):
    facts_file = tmp_path / "facts.json"
    result = run_cli(*target(sshd), "--project", str(project), "--json", "--save-facts", str(facts_file), "all",
                     home=checkers_home)
    assert result.rc in (0, 1), result.stderr
    facts = json.loads(facts_file.read_text())
    assert facts["gathered"]["remote_executions"] == 1
    statuses = result.statuses()
    assert statuses["project.E003"] == "passed" and statuses["django.E001"] == "passed"
    assert result.json["target"] == f"ssh://root@127.0.0.1:{sshd.port}"


def test_vagrant_style_ssh_config(sshd, project, checkers_home):
    result = run_cli("--target", "ssh://default", "--ssh-config", str(sshd.ssh_config()), "--project", str(project),
                     "--json", "step1", home=checkers_home)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.statuses() == {"django.E001": "passed"}


def test_new_host_key_is_remembered_and_a_changed_one_refused(sshd, project, checkers_home):
    first = run_cli(*target(sshd), "--project", str(project), "step1", home=checkers_home)
    assert first.rc == 0, first.stderr
    known = (checkers_home / "known_hosts").read_text()
    assert f"[127.0.0.1]:{sshd.port}" in known
    sshd.stop()
    sshd.start(host_key_name="other_host_key")
    second = run_cli(*target(sshd), "--project", str(project), "step1", home=checkers_home)
    assert second.rc == 2
    assert "JINÝM klíčem" in second.stderr and "Traceback" not in second.stderr


def test_strict_host_key_refuses_an_unknown_host(sshd, project, checkers_home):
    result = run_cli(*target(sshd), "--host-key", "strict", "--project", str(project), "step1", home=checkers_home)
    assert result.rc == 2 and "zatím neznám" in result.stderr


def test_wrong_key_is_an_authentication_error(sshd, project, checkers_home, tmp_path):
    wrong = keygen(tmp_path / "wrong_key")
    result = run_cli("--target", f"ssh://root@127.0.0.1:{sshd.port}", "--identity", str(wrong),
                     "--project", str(project), "step1", home=checkers_home)
    assert result.rc == 2
    assert "Přihlášení" in result.stderr and "Traceback" not in result.stderr


def test_refused_connection(project, checkers_home):
    result = run_cli("--target", f"ssh://root@127.0.0.1:{free_port()}", "step1", home=checkers_home)
    assert result.rc == 2 and "odmítl spojení" in result.stderr


def test_missing_key_file(checkers_home, tmp_path):
    result = run_cli("--target", "ssh://root@127.0.0.1:22", "--identity", str(tmp_path / "neni"), "step1",
                     home=checkers_home)
    assert result.rc == 2 and "neexistuje" in result.stderr


def test_a_server_that_accepts_but_never_answers_times_out(checkers_home):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        result = run_cli("--target", f"ssh://root@127.0.0.1:{listener.getsockname()[1]}", "--timeout", "3",
                         "step1", home=checkers_home, timeout=60)
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()
    assert result.rc == 2
    assert "neodpověděl" in result.stderr and "Traceback" not in result.stderr
