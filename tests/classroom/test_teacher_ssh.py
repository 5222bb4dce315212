"""The Vagrantfile's teacher option (KURZ_TEACHER_KEY): off by default; when set, one LAN port for the
teacher's key only. No VM is started: the Vagrantfile is evaluated by Ruby with a stand-in for
Vagrant (tests/classroom/vagrantfile_stub.rb) that records every setting, and the sshd settings it
installs are evaluated by the real OpenSSH server (`sshd -T`) and tried on a real sshd on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from tests.helpers.cli import REPO
from tests.helpers.sshd import free_port, keygen

STUB = Path(__file__).with_name("vagrantfile_stub.rb")


@pytest.fixture(autouse=True)
def ruby_present():
    """Vagrant's own language reads the Vagrantfile here; without it these tests fail (never skip)."""
    if shutil.which("ruby") is None:
        pytest.fail("ruby is needed to evaluate the Vagrantfile (Debian: apt install ruby)")


def evaluate(env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KURZ_")}
    return subprocess.run(["ruby", str(STUB), str(REPO / "Vagrantfile")], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def machines(env: dict[str, str] | None = None) -> dict[str, list]:
    result = evaluate(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["machines"]


def calls(machine: list, method: str) -> list[tuple[list, dict]]:
    return [(args, kwargs) for name, args, kwargs, _ in machine if name == method]


def forwarded(machine: list) -> list[dict]:
    return [kwargs for args, kwargs in calls(machine, "network") if args == ["forwarded_port"]]


def provisioners(machine: list) -> dict[str, dict]:
    return {args[0]: kwargs for args, kwargs in calls(machine, "provision")}


@pytest.fixture(scope="module")
def teacher_key(tmp_path_factory) -> Path:
    return keygen(tmp_path_factory.mktemp("ucitel") / "ucitel")


def test_without_the_option_nothing_reaches_the_lan_and_nothing_is_added():
    [machine] = machines().values()
    assert [f["host_ip"] for f in forwarded(machine)] == ["127.0.0.1"]
    assert list(provisioners(machine)) == ["starter", "script", "provision"]


def test_with_the_teachers_key_one_lan_port_and_only_that_key(teacher_key):
    [machine] = machines({"KURZ_TEACHER_KEY": str(teacher_key) + ".pub"}).values()
    lan = [f for f in forwarded(machine) if f["host_ip"] == "0.0.0.0"]
    assert lan == [{"guest": 2200, "host": 2200, "host_ip": "0.0.0.0", "id": "teacher-ssh"}]
    provision = provisioners(machine)["teacher-ssh"]
    user, key, settings = provision["args"]
    type_, body, *_ = (Path(str(teacher_key) + ".pub").read_text()).split()
    assert user == "ucitel" and key == f"{type_} {body}"  # the comment is dropped
    assert provision["run"] == "always" and provision["privileged"] is True
    assert "Match LocalPort 2200" in settings and "AllowUsers ucitel" in settings
    assert subprocess.run(["bash", "-n"], input=provision["inline"], text=True).returncode == 0


def test_classroom_machines_get_their_own_lan_ports(teacher_key):
    found = machines({"KURZ_TEACHER_KEY": str(teacher_key) + ".pub", "KURZ_STUDENTS": "3",
                      "KURZ_TEACHER_PORT": "3300"})
    ports = {name: [f["host"] for f in forwarded(m) if f["host_ip"] == "0.0.0.0"] for name, m in found.items()}
    assert ports == {"student01": [3301], "student02": [3302], "student03": [3303]}


@pytest.mark.parametrize("content, expected", [
    (None, "neexistuje"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
     "soukromý klíč"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK$(touch /tmp/kurz-pwned)AAAAAAAAAAAAAAAAAAAAAAAAAA x\n",
     "není jeden veřejný klíč"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGt5AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA a\n"
     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGt5BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB b\n", "není jeden veřejný klíč"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x\n", "není jeden veřejný klíč"),
    ("", "není jeden veřejný klíč"),
    (b"\xff\xfe\x00binary\x80", "není jeden veřejný klíč"),
])
def test_a_wrong_key_file_stops_vagrant_with_a_czech_message(tmp_path, content, expected):
    path = tmp_path / "ucitel.pub"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = evaluate({"KURZ_TEACHER_KEY": str(path)})
    assert result.returncode != 0 and expected in result.stderr and "KURZ_TEACHER_KEY" in result.stderr
    assert not Path("/tmp/kurz-pwned").exists()


# ------------------------------------------------------------------------- the sshd settings
DEBIAN_SSHD = """Include {dropins}/*.conf
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def sshd_settings(teacher_key: Path) -> str:
    [machine] = machines({"KURZ_TEACHER_KEY": str(teacher_key) + ".pub"}).values()
    return provisioners(machine)["teacher-ssh"]["args"][2]


def effective(config: Path, **connection: str) -> dict[str, list[str]]:
    spec = ",".join(f"{k}={v}" for k, v in {"host": "pc", "addr": "10.0.2.2", "laddr": "10.0.2.15", **connection}.items())
    result = subprocess.run(["/usr/sbin/sshd", "-T", "-f", str(config), "-C", spec], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    out: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value)
    return out


@pytest.fixture
def debian_sshd(tmp_path, teacher_key) -> Path:
    """A Debian-like sshd_config with the drop-in the provisioner writes (Port 22 added as it would be)."""
    dropins = tmp_path / "sshd_config.d"
    dropins.mkdir()
    (dropins / "kurz-ucitel.conf").write_text("Port 22\n" + sshd_settings(teacher_key) + "\n")
    keygen(tmp_path / "host_key")
    config = tmp_path / "sshd_config"
    config.write_text(DEBIAN_SSHD.format(dropins=dropins) + f"HostKey {tmp_path / 'host_key'}\n")
    return config


def test_sshd_accepts_the_settings_and_the_lan_port_is_key_only_for_the_teacher(debian_sshd):
    teacher_port = effective(debian_sshd, user="ucitel", lport="2200")
    assert teacher_port["port"] == ["22", "2200"]
    assert teacher_port["allowusers"] == ["ucitel"] and teacher_port["authenticationmethods"] == ["publickey"]
    assert teacher_port["passwordauthentication"] == ["no"] and teacher_port["kbdinteractiveauthentication"] == ["no"]
    assert teacher_port["permitrootlogin"] == ["no"]
    assert teacher_port["authorizedkeysfile"] == ["/etc/ssh/kurz/%u.keys"]


def test_port_22_for_vagrant_ssh_and_the_students_checker_is_unchanged(debian_sshd):
    student_port = effective(debian_sshd, user="vagrant", lport="22")
    assert "allowusers" not in student_port and student_port["authenticationmethods"] == ["any"]
    assert student_port["authorizedkeysfile"] == [".ssh/authorized_keys .ssh/authorized_keys2"]


def test_a_real_sshd_refuses_any_other_user_on_the_teachers_port(tmp_path, teacher_key):
    """root with a valid key gets in on the ordinary port and is refused on the teacher's port."""
    normal, teacher = free_port(), free_port()
    client = keygen(tmp_path / "client")
    (tmp_path / "authorized_keys").write_text(Path(str(client) + ".pub").read_text())
    os.chmod(tmp_path / "authorized_keys", 0o600)
    host_key = keygen(tmp_path / "host")
    settings = sshd_settings(teacher_key).replace("2200", str(teacher))
    (tmp_path / "sshd_config").write_text("\n".join([
        f"Port {normal}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {tmp_path / 'pid'}",
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}", "UsePAM no", "StrictModes no", "LogLevel ERROR",
        settings, ""]))
    Path("/run/sshd").mkdir(exist_ok=True)
    server = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(tmp_path / "sshd_config")],
                              stderr=open(tmp_path / "sshd.log", "wb"), start_new_session=True)
    try:
        _wait(teacher)
        assert _login(normal, client) is True
        assert _login(teacher, client) is False
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("sshd did not start")


def _login(port: int, key: Path) -> bool:
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        ssh.connect("127.0.0.1", port=port, username="root", key_filename=str(key), look_for_keys=False,
                    allow_agent=False, timeout=10)
        return True
    except paramiko.AuthenticationException:
        return False
    finally:
        ssh.close()
