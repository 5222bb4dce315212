"""lab/ without a VM: cache key, preflight errors, interrupted builds, ports, ssh-config form."""

from __future__ import annotations

import socket
from collections import namedtuple
from pathlib import Path

import pytest

from lab import build, vm
from lab.errors import LabError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "django-v-produkci"


def test_inputs_hash_is_stable_and_covers_the_starter():
    h = build.inputs_hash()
    assert len(h) == 16 and h == build.inputs_hash()
    names = {p.name for p in build._input_files()}
    assert {"provision.sh", "build-rootfs.sh", "settings.py", "ukazka.svg", "wheelhouse.txt"} <= names
    assert not any("__pycache__" in str(p) for p in build._input_files())


def test_incomplete_build_is_never_used(cache):
    entry = cache / "images" / build.inputs_hash()
    entry.mkdir(parents=True)
    (entry / "disk.qcow2").write_bytes(b"half")  # no manifest: not complete
    assert build.find_image() is None
    (entry / "manifest.json").write_text("{}")
    assert build.find_image() is not None


def test_leftover_temp_builds_are_removed(cache):
    tmp = cache / "images" / ".tmp-deadbeef-1"
    (tmp / "rootfs" / "etc").mkdir(parents=True)
    build._clean_leftovers()
    assert not tmp.exists()


def test_missing_tools_are_named_with_the_install_command(cache, monkeypatch):
    monkeypatch.setattr(build.os, "geteuid", lambda: 0)
    monkeypatch.setattr(build.shutil, "which", lambda tool: None if tool in ("debootstrap", "qemu-img") else "/x")
    with pytest.raises(LabError) as err:
        build.preflight()
    assert "debootstrap" in err.value.message and "qemu-img" in err.value.message
    assert "install-host-deps.sh" in err.value.hint and "qemu-utils" in err.value.hint


def test_low_disk_space_is_refused_before_building(cache, monkeypatch):
    monkeypatch.setattr(build.os, "geteuid", lambda: 0)
    monkeypatch.setattr(build.shutil, "which", lambda tool: "/x")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(build.shutil, "disk_usage", lambda p: usage(10 * 2**30, 9 * 2**30, 2**30))
    with pytest.raises(LabError) as err:
        build.preflight()
    assert "málo místa" in err.value.message and "1.0 GiB" in err.value.message


def test_non_root_build_says_how(cache, monkeypatch):
    monkeypatch.setattr(build.os, "geteuid", lambda: 1000)
    with pytest.raises(LabError) as err:
        build.preflight()
    assert "sudo" in err.value.hint


def test_taken_http_port_falls_back_and_says_so(cache):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        said = []
        machine = vm.VM("unit", http_port=taken, log=said.append)
        port = machine._pick_http_port()
    assert port != taken
    assert said and str(taken) in said[0] and "obsazený" in said[0]


def test_ssh_config_has_the_form_vagrant_prints(cache):
    machine = vm.VM("unit", image=build.Image(Path("/img")))
    machine.dir.mkdir(parents=True)
    machine.ssh_port = 2222
    machine._write_ssh_config()
    assert machine.ssh_config.read_text() == (
        "Host default\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n  UserKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking no\n  PasswordAuthentication no\n  IdentityFile /img/ssh_key\n"
        "  IdentitiesOnly yes\n  LogLevel FATAL\n"
    )


def test_kvm_only_with_hardware_virtualisation(monkeypatch):
    monkeypatch.delenv("KURZ_ACCEL", raising=False)
    monkeypatch.setattr(vm.os, "access", lambda p, m: True)
    monkeypatch.setattr(vm.Path, "read_text", lambda self: "flags\t\t: fpu sse pvm\n")
    assert vm.kvm_usable() is False
    monkeypatch.setattr(vm.Path, "read_text", lambda self: "flags\t\t: fpu vmx sse\n")
    assert vm.kvm_usable() is True
    monkeypatch.setenv("KURZ_ACCEL", "tcg")
    assert vm.kvm_usable() is False
