"""--target vagrant with the real Vagrant: clear Czech errors for a machine that was never created,
an unknown machine, Vagrant missing; and the ssh-config cache that saves Vagrant's start-up."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from checkers.targets.vagrant import VagrantMachine
from tests.helpers.cli import run_cli

VAGRANTFILE = """Vagrant.configure("2") do |config|
  config.vm.box = "debian/bookworm64"
  config.vm.synced_folder ".", "/vagrant", disabled: true
end
"""


@pytest.fixture
def vagrant_dir(tmp_path):
    if not shutil.which("vagrant"):
        pytest.fail("Vagrant is not installed (make test installs it)")
    (tmp_path / "Vagrantfile").write_text(VAGRANTFILE)
    return tmp_path


def test_machine_not_created(vagrant_dir, checkers_home):
    result = run_cli("--target", "vagrant", "step0", home=checkers_home,
                     env={"VAGRANT_CWD": str(vagrant_dir), "VAGRANT_CHECKPOINT_DISABLE": "1"})
    assert result.rc == 2
    assert "not_created" in result.stderr and "vagrant up" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_machine_name(vagrant_dir, checkers_home):
    result = run_cli("--target", "vagrant:student99", "step0", home=checkers_home,
                     env={"VAGRANT_CWD": str(vagrant_dir), "VAGRANT_CHECKPOINT_DISABLE": "1"})
    assert result.rc == 2 and "Vagrant" in result.stderr and "Traceback" not in result.stderr


def test_vagrant_not_installed(vagrant_dir, checkers_home, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_cli("--target", "vagrant", "step0", home=checkers_home,
                     env={"VAGRANT_CWD": str(vagrant_dir), "PATH": str(empty)})
    assert result.rc == 2 and "Vagrant není nainstalovaný" in result.stderr


def test_ssh_config_cache_follows_the_machine_state(tmp_path):
    (tmp_path / "Vagrantfile").write_text(VAGRANTFILE)
    machine_dir = tmp_path / ".vagrant" / "machines" / "default" / "libvirt"
    machine_dir.mkdir(parents=True)
    (machine_dir / "id").write_text("abc")
    machine = VagrantMachine("default", tmp_path / "state", root=tmp_path)
    assert machine.cached_config() is None
    machine.cache_file.parent.mkdir(parents=True)
    machine.cache_file.write_text('{"fingerprint": "%s", "ssh_config": "Host default"}' % machine.fingerprint())
    assert machine.cached_config() == "Host default"
    later = time.time() + 5
    os.utime(machine_dir / "id", (later, later))  # `vagrant up`/`reload` rewrites the machine's files
    assert machine.cached_config() is None
