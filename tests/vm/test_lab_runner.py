"""The lab runner by hand (`python -m lab up|status|ssh|down`) and its failure modes.

These boot their own short-lived VMs (not the session VM) in a private state directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lab.build import ensure_image
from lab.errors import LabError
from lab.paths import REPO_ROOT
from lab.vm import VM, pid_alive


@pytest.fixture
def lab_home(tmp_path, monkeypatch):
    home = tmp_path / "lab"
    monkeypatch.setenv("KURZ_LAB_HOME", str(home))
    return home


def _lab(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_vm_that_never_answers_ssh_times_out_with_serial_log(lab_home):
    image = ensure_image()
    machine = VM("timeout", image=image, http_port=0, ephemeral=True)
    with pytest.raises(LabError) as err:
        machine.start(timeout=4)
    assert "neodpověděl přes SSH" in err.value.message
    assert "konec sériové konzole" in err.value.message
    pid = machine.pid
    assert pid is None or not pid_alive(pid)
    assert not machine.overlay.exists()


def test_lab_cli_up_status_ssh_down(lab_home):
    env = dict(os.environ)
    ensure_image()
    up = _lab("up", env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "Stroj běží" in up.stdout
        course = lab_home / "course"
        cfg = (course / "ssh-config").read_text()
        assert cfg.startswith("Host default\n  HostName 127.0.0.1\n  User vagrant\n  Port ")
        status = _lab("status", env=env)
        assert status.returncode == 0 and "běží" in status.stdout
        out = _lab("ssh", "cat /etc/hostname", env=env, timeout=60)
        assert out.stdout.strip() == "kurz-django"
        # The checker's `--target lab` reads this file: plain ssh works with it.
        plain = subprocess.run(["ssh", "-F", str(course / "ssh-config"), "default", "whoami"],
                               capture_output=True, text=True, timeout=60)
        assert plain.stdout.strip() == "vagrant"
    finally:
        down = _lab("down", env=env, timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "vypnutý" in down.stdout
    assert _lab("status", env=env).returncode == 3
    # The student's disk stays after `down`; `down --destroy` removes it.
    assert (lab_home / "course" / "overlay.qcow2").exists()
    assert _lab("down", "--destroy", env=env).returncode == 0
    assert not (lab_home / "course" / "overlay.qcow2").exists()
