"""The remote command works whatever the login shell: sshd hands it to the user's shell, which may
be bash, sh, zsh, fish or tcsh (Debian packages; scripts/apt-packages-test.txt)."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.django_project import make_django_project
from tests.helpers.sshd import Sshd

SHELLS = ["/bin/bash", "/bin/sh", "/usr/bin/zsh", "/usr/bin/fish", "/usr/bin/tcsh"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_django_project(tmp_path_factory.mktemp("p") / "projekt", debug=False)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_probe_runs_under_any_login_shell(shell, project, tmp_path, checkers_home):
    if not shutil.which(shell):
        pytest.fail(f"{shell} is missing: apt-get install {shell.rsplit('/', 1)[1]} (scripts/apt-packages-test.txt)")
    server = Sshd(tmp_path / "sshd").start(login_shell=shell)
    try:
        result = run_cli("--target", f"ssh://root@127.0.0.1:{server.port}", "--identity", str(server.client_key),
                         "--project", str(project), "--json", "step1", home=checkers_home)
    finally:
        server.stop()
    assert result.rc == 0, result.stdout + result.stderr
    assert result.statuses() == {"django.E001": "passed"}


def test_the_login_shell_is_really_used(tmp_path):
    """The harness itself: the sshd's root does get fish (a fish-only command works, sh's fails)."""
    import subprocess

    server = Sshd(tmp_path / "sshd").start(login_shell="/usr/bin/fish")
    try:
        base = ["ssh", "-p", str(server.port), "-i", str(server.client_key), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@127.0.0.1"]
        fish = subprocess.run(base + ["echo $FISH_VERSION"], capture_output=True, text=True, timeout=30)
        posix = subprocess.run(base + ['x=1; [ "$x" = 1 ] && echo ok'], capture_output=True, text=True, timeout=30)
    finally:
        server.stop()
    assert fish.stdout.strip() and fish.returncode == 0
    assert "ok" not in posix.stdout and "fish" in posix.stderr  # a bare POSIX command breaks under fish
