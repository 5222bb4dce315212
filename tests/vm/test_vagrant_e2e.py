"""End-to-end: the repository's Vagrantfile with vagrant-libvirt and the locally built box.

Everything network-related lives in a network namespace this test creates: libvirtd and
virtlogd are started in it by hand (this host has no systemd as PID 1), so libvirt's
192.168.121.0/24 management network, its dnsmasq and every `vagrant` command exist only there.
The checker CLI runs in the namespace too (the VM's address is reachable only there).
Teardown (also on failure): vagrant destroy, libvirt domains/volumes/network/pool we created,
the daemons by PID, processes left in the namespace by PID, the namespace, /etc/libvirt/qemu.conf.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from lab.build import BOX_NAME, build_box, ensure_image, install_host_deps
from lab.paths import REPO_ROOT, cache_root

NETNS = "kurz-e2e"
QEMU_CONF = Path("/etc/libvirt/qemu.conf")
QEMU_CONF_LINES = '\n# kurz-e2e (temporary)\nuser = "root"\ngroup = "root"\nsecurity_driver = "none"\n'
POOL_DIR = Path("/var/lib/libvirt/images")


def _run(cmd, *, ns: bool = True, check: bool = True, timeout: float = 120, env=None, cwd=None):
    argv = (["ip", "netns", "exec", NETNS] if ns else []) + list(cmd)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def _wait_pidfile(path: Path, timeout: float = 20) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            pid = int(path.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            time.sleep(0.2)
    raise AssertionError(f"daemon did not write {path}")


def _kill_pid(pid: int, timeout: float = 15) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@pytest.fixture(scope="module")
def vagrant_env():
    """Daemons in a fresh netns, the box added; yields the environment for vagrant commands."""
    if os.geteuid() != 0:
        pytest.fail("The Vagrant end-to-end test needs root (network namespace, libvirtd).", pytrace=False)
    install_host_deps(vagrant=True)
    if Path("/run/libvirt/libvirt-sock").exists() and subprocess.run(
            ["virsh", "-c", "qemu:///system", "version"], capture_output=True, timeout=10).returncode == 0:
        pytest.fail("A libvirtd not started by this test is already running; stop it first.", pytrace=False)
    t0 = time.monotonic()
    image = ensure_image(progress=True)
    box = build_box(image, progress=True)
    box_s = time.monotonic() - t0
    timings: dict[str, float] = {"box ready": round(box_s, 1)}
    work = Path(tempfile.mkdtemp(prefix="kurz-e2e-"))
    vagrant_home = cache_root() / "vagrant.d"
    env = dict(
        os.environ,
        VAGRANT_HOME=str(vagrant_home), VAGRANT_CWD=str(REPO_ROOT),
        VAGRANT_DOTFILE_PATH=str(work / "dotvagrant"), VAGRANT_CHECKPOINT_DISABLE="1",
        VAGRANT_BOX_UPDATE_CHECK_DISABLE="1", VAGRANT_DEFAULT_PROVIDER="libvirt",
        KURZ_BOX=BOX_NAME, KURZ_LIBVIRT_DRIVER="qemu", CHECKERS_HOME=str(work / "checkers-home"),
    )
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        # qemu as root, no security labels (device nodes are root-only here); restored afterwards.
        original_conf = QEMU_CONF.read_text() if QEMU_CONF.exists() else None
        if original_conf is not None and 'security_driver = "none"' not in original_conf:
            QEMU_CONF.write_text(original_conf + QEMU_CONF_LINES)
            stack.callback(QEMU_CONF.write_text, original_conf)
        # The namespace: only loopback, DNS pointing nowhere.
        subprocess.run(["ip", "netns", "add", NETNS], check=True)
        stack.callback(subprocess.run, ["ip", "netns", "del", NETNS], check=False)
        Path(f"/etc/netns/{NETNS}").mkdir(parents=True, exist_ok=True)
        Path(f"/etc/netns/{NETNS}/resolv.conf").write_text("nameserver 127.0.0.1\n")
        stack.callback(shutil.rmtree, f"/etc/netns/{NETNS}", ignore_errors=True)
        _run(["ip", "link", "set", "lo", "up"])
        stack.callback(_kill_netns_leftovers)
        # Daemons, by PID.
        virtlogd_pid = work / "virtlogd.pid"
        libvirtd_pid = work / "libvirtd.pid"
        _run(["virtlogd", "-d", "-p", str(virtlogd_pid)])
        stack.callback(lambda: _kill_pid(_wait_pidfile(virtlogd_pid, 1)) if virtlogd_pid.exists() else None)
        _wait_pidfile(virtlogd_pid)
        _run(["libvirtd", "-d", "-p", str(libvirtd_pid)])
        stack.callback(lambda: _kill_pid(_wait_pidfile(libvirtd_pid, 1)) if libvirtd_pid.exists() else None)
        _wait_pidfile(libvirtd_pid)
        for _ in range(50):
            if _run(["virsh", "-c", "qemu:///system", "version"], check=False).returncode == 0:
                break
            time.sleep(0.2)
        POOL_DIR.mkdir(parents=True, exist_ok=True)
        own_pool = _run(["virsh", "pool-info", "default"], check=False).returncode != 0
        if own_pool:
            _run(["virsh", "pool-define-as", "default", "dir", "--target", str(POOL_DIR)])
            _run(["virsh", "pool-start", "default"])
        stack.callback(_libvirt_cleanup, own_pool)
        # The box, added once per image (VAGRANT_HOME persists in the cache).
        marker = vagrant_home / f"{BOX_NAME}.image"
        listed = _run(["vagrant", "box", "list"], env=env, check=False).stdout
        if BOX_NAME not in listed or not marker.exists() or marker.read_text() != image.path.name:
            t1 = time.monotonic()
            _run(["vagrant", "box", "add", "--force", "--name", BOX_NAME, str(box)], env=env, timeout=600)
            timings["vagrant box add"] = round(time.monotonic() - t1, 1)
            vagrant_home.mkdir(parents=True, exist_ok=True)
            marker.write_text(image.path.name)
        stack.callback(_vagrant_destroy, env)
        yield env, timings


def _vagrant_destroy(env) -> None:
    _run(["vagrant", "destroy", "-f"], env=env, check=False, timeout=300)


def _libvirt_cleanup(own_pool: bool) -> None:
    """Everything our libvirtd holds is ours: domains, box volumes, the management network,
    and the storage pool when this test defined it."""
    names = _run(["virsh", "list", "--all", "--name"], check=False).stdout.split()
    for name in names:
        _run(["virsh", "destroy", name], check=False)
        _run(["virsh", "undefine", name, "--nvram"], check=False)
    vols = _run(["virsh", "vol-list", "default"], check=False).stdout.splitlines()[2:]
    for line in vols:
        parts = line.split()
        if parts and (parts[0].startswith(BOX_NAME) or parts[0].endswith("_default.img")):
            _run(["virsh", "vol-delete", "--pool", "default", parts[0]], check=False)
    for net in ("vagrant-libvirt",):
        _run(["virsh", "net-destroy", net], check=False)
        _run(["virsh", "net-undefine", net], check=False)
    if own_pool:
        _run(["virsh", "pool-destroy", "default"], check=False)
        _run(["virsh", "pool-undefine", "default"], check=False)


def _kill_netns_leftovers() -> None:
    """Processes still inside our namespace (e.g. a port-forwarding ssh) were started by this
    test: stop them by PID before deleting the namespace."""
    pids = subprocess.run(["ip", "netns", "pids", NETNS], capture_output=True, text=True).stdout.split()
    for pid in pids:
        _kill_pid(int(pid), timeout=5)


def test_vagrant_up_libvirt_local_box_and_checker(vagrant_env):
    env, timings = vagrant_env
    t0 = time.monotonic()
    up = _run(["vagrant", "up", "--provider=libvirt"], env=env, timeout=1200, check=False)
    timings["vagrant up"] = round(time.monotonic() - t0, 1)
    assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
    # Provisioning ran and, on the already provisioned box, changed nothing.
    assert "nic se nezměnilo" in up.stdout

    # python-vagrant (in the namespace, like every vagrant command) sees it running.
    probe = (
        "import json, vagrant, os\n"
        "v = vagrant.Vagrant(root=os.environ['VAGRANT_CWD'], env=os.environ.copy())\n"
        "print(json.dumps({'status': [[s.name, s.state, s.provider] for s in v.status()],"
        " 'ssh_config': v.ssh_config()}))\n"
    )
    t0 = time.monotonic()
    pv = json.loads(_run([sys.executable, "-c", probe], env=env, timeout=120).stdout)
    timings["python-vagrant status+ssh_config"] = round(time.monotonic() - t0, 1)
    assert pv["status"] == [["default", "running", "libvirt"]]
    assert "Host default" in pv["ssh_config"] and "User vagrant" in pv["ssh_config"]

    # Plain ssh with what `vagrant ssh-config` prints reaches the course VM.
    cfg = Path(env["VAGRANT_DOTFILE_PATH"]).parent / "ssh-config"
    cfg.write_text(pv["ssh_config"])
    out = _run(["ssh", "-F", str(cfg), "default",
                "systemctl is-system-running --wait; test -x /srv/my_project/.venv/bin/python && echo project-ok"],
               timeout=180).stdout
    assert "project-ok" in out

    # The checker CLI connects through `vagrant ssh-config`.
    t0 = time.monotonic()
    chk = _run([sys.executable, "-m", "checkers", "--target", "vagrant", "--json", "step0"],
               env=env, cwd=str(REPO_ROOT), timeout=300, check=False)
    timings["checker --target vagrant step0"] = round(time.monotonic() - t0, 1)
    assert chk.returncode in (0, 1), chk.stdout[-3000:] + chk.stderr[-3000:]
    doc = json.loads(chk.stdout)
    assert "vagrant" in json.dumps(doc.get("target"))

    t0 = time.monotonic()
    _run(["vagrant", "destroy", "-f"], env=env, timeout=300)
    timings["vagrant destroy"] = round(time.monotonic() - t0, 1)
    status = _run(["vagrant", "status", "--machine-readable"], env=env, timeout=120).stdout
    assert ",state,not_created" in status
    artifacts = REPO_ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "vagrant-e2e-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
