"""--host-key strict trusts the keys the default mode remembered (one store), and the hints for a
changed key name the entry in the form it is stored in ([host]:port off port 22)."""

from __future__ import annotations

import pytest

from checkers.targets.ssh import known_hosts_entry
from tests.helpers.cli import run_cli
from tests.helpers.django_project import make_django_project
from tests.helpers.sshd import Sshd


@pytest.fixture
def sshd(tmp_path):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def target(server):
    return ["--target", f"ssh://root@127.0.0.1:{server.port}", "--identity", str(server.client_key)]


def test_strict_uses_the_remembered_key_and_refuses_a_changed_one(sshd, tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", debug=False)
    unknown = run_cli(*target(sshd), "--host-key", "strict", "--project", str(project), "step1", home=checkers_home)
    assert unknown.rc == 2 and "zatím neznám" in unknown.stderr
    assert "ssh-keyscan" not in unknown.stderr.replace("neopisujte z ssh-keyscan", "")  # never advised to pin blindly
    remembered = run_cli(*target(sshd), "--project", str(project), "step1", home=checkers_home)
    assert remembered.rc == 0, remembered.stderr
    strict = run_cli(*target(sshd), "--host-key", "strict", "--project", str(project), "step1", home=checkers_home)
    assert strict.rc == 0, strict.stderr  # the same store: the remembered key is trusted
    sshd.stop()
    sshd.start(host_key_name="jiny_klic")
    changed = run_cli(*target(sshd), "--host-key", "strict", "--project", str(project), "step1", home=checkers_home)
    assert changed.rc == 2 and "JINÝM klíčem" in changed.stderr
    entry = f"[127.0.0.1]:{sshd.port}"
    assert f"-R '{entry}'" in changed.stderr and str(checkers_home / "known_hosts") in changed.stderr
    assert entry in (checkers_home / "known_hosts").read_text()  # the hint names the stored form


def test_the_known_hosts_entry_form():
    assert known_hosts_entry("stroj.skola.cz", 22) == "stroj.skola.cz"
    assert known_hosts_entry("127.0.0.1", 2222) == "[127.0.0.1]:2222"
