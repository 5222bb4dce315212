"""QEMU runner for the course VM: `./kurz lab up|down|status|ssh` and the `VM` API for tests.

One instance = one directory (default ~/.cache/django-v-produkci/lab/<name>/) holding:
overlay.qcow2 (copy-on-write over the cached base image, which stays clean), qemu.pid, qmp.sock,
serial.log, qemu.log, ssh-config (the exact form `vagrant ssh-config` prints) and state.json.
KVM is used only when it really works (/dev/kvm and a CPU with vmx/svm); otherwise TCG.
The VM is stopped by its PID (poweroff over SSH first), with what it started (its process group),
and so is the SSH connection master. Every helper (qemu-img, ssh) runs in a session of its own,
ended as a group on a timeout, Ctrl-C or an error (lab.processes). Snapshots: QEMU internal snapshots in the
overlay via QMP (savevm/loadvm); after a restore the guest clock is set to the host's.

Longer than 400 lines: the VM's whole life cycle (start, snapshots, SSH, stop) shares one state
directory and one QMP connection; the process helpers already live in lab/processes.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

from lab.build import Image, ensure_image
from lab import processes
from lab.errors import LabError
from lab.paths import REPO_ROOT, instances_dir

SOLUTIONS_DIR = REPO_ROOT / "exercises" / "solutions"
DEFAULT_HTTP_PORT = 8080


# ----------------------------------------------------------------------------------- host facts
def kvm_usable() -> bool:
    """KVM only when it can run a stock Debian kernel: /dev/kvm usable and a CPU with vmx/svm.
    (On PVM hosts /dev/kvm exists but cannot; see docs. KURZ_ACCEL=tcg|kvm overrides.)"""
    forced = os.environ.get("KURZ_ACCEL")
    if forced in ("tcg", "kvm"):
        return forced == "kvm"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.M))


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


pid_alive = processes.alive
HELPER_TIMEOUT = 120  # qemu-img on a large overlay, QEMU's own start before it daemonizes
MASTER_PID = re.compile(r"\(pid=(\d+)\)")


SSH_CONFIG_TEMPLATE = """\
Host default
  HostName 127.0.0.1
  User vagrant
  Port {port}
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile {key}
  IdentitiesOnly yes
  LogLevel FATAL
"""


# -------------------------------------------------------------------------------------------- QMP
class QMP:
    """Minimal QMP client (one command per connection; enough for savevm/loadvm/status)."""

    def __init__(self, path: Path, timeout: float = 600):
        self.path, self.timeout = path, timeout

    def execute(self, command: str, arguments: dict | None = None) -> object:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout)
            s.connect(str(self.path))
            f = s.makefile("rwb")
            self._read(f)  # greeting
            self._send(f, {"execute": "qmp_capabilities"})
            self._read(f)
            msg = {"execute": command}
            if arguments:
                msg["arguments"] = arguments
            self._send(f, msg)
            reply = self._read(f)
        if "error" in reply:
            raise LabError(f"QEMU odmítl příkaz {command}: {reply['error'].get('desc')}")
        return reply.get("return")

    def hmp(self, command_line: str) -> str:
        out = self.execute("human-monitor-command", {"command-line": command_line})
        return str(out or "")

    @staticmethod
    def _send(f, msg: dict) -> None:
        f.write(json.dumps(msg).encode() + b"\n")
        f.flush()

    @staticmethod
    def _read(f) -> dict:
        while True:
            line = f.readline()
            if not line:
                raise LabError("QEMU ukončil spojení QMP.")
            msg = json.loads(line)
            if "event" not in msg:
                return msg


# --------------------------------------------------------------------------------------------- VM
class VM:
    """One QEMU instance of the course image.

    name        instance name (state dir ~/.cache/django-v-produkci/lab/<name>/ unless state_dir)
    http_port   host port for guest 80; None → 8080 (or $KURZ_HTTP_PORT) when free, else a free one
                (say so); 0 → any free port (tests)
    ephemeral   delete the overlay when stopped (tests); the course VM keeps it (student's work)
    """

    def __init__(self, name: str = "course", *, image: Image | None = None, state_dir: Path | None = None,
                 http_port: int | None = None, ephemeral: bool = False, memory_mb: int = 1024, cpus: int = 2,
                 log=print):
        self.name = name
        self.dir = Path(state_dir) if state_dir else instances_dir() / name
        self._image = image
        self.requested_http_port = http_port
        self.ephemeral = ephemeral
        self.memory_mb, self.cpus = memory_mb, cpus
        self.log = log
        self.ssh_port: int | None = None
        self.http_port: int | None = None
        self._load_state()

    # ---------------------------------------------------------------------------------- files
    overlay = property(lambda self: self.dir / "overlay.qcow2")
    pid_file = property(lambda self: self.dir / "qemu.pid")
    qmp_socket = property(lambda self: self.dir / "qmp.sock")
    serial_log = property(lambda self: self.dir / "serial.log")
    qemu_log = property(lambda self: self.dir / "qemu.log")
    ssh_config = property(lambda self: self.dir / "ssh-config")
    state_file = property(lambda self: self.dir / "state.json")
    control_path = property(lambda self: self.dir / "cm")

    def _load_state(self) -> None:
        if self.state_file.exists():
            try:
                st = json.loads(self.state_file.read_text())
                self.ssh_port, self.http_port = st.get("ssh_port"), st.get("http_port")
                self._image_path = st.get("image")
            except (OSError, ValueError):
                pass

    def _save_state(self) -> None:
        st = {"name": self.name, "ssh_port": self.ssh_port, "http_port": self.http_port,
              "image": str(self.image.path), "pid": self.pid, "accel": self.accel}
        self.state_file.write_text(json.dumps(st, indent=2) + "\n")

    @property
    def image(self) -> Image:
        if self._image is None:
            self._image = ensure_image()
        return self._image

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self.pid
        if pid is None or not pid_alive(pid):
            return False
        try:
            return "qemu" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False

    @property
    def accel(self) -> str:
        return "kvm" if kvm_usable() else "tcg"

    # --------------------------------------------------------------------------------- start
    def start(self, timeout: float = 300) -> "VM":
        if self.is_running():
            raise LabError(
                f"Stroj {self.name} už běží (PID {self.pid}).",
                "Připojte se příkazem `./kurz lab ssh`, nebo ho vypněte `./kurz lab down`.",
            )
        missing = [t for t in ("qemu-system-x86_64", "qemu-img", "ssh") if not shutil.which(t)]
        if missing:
            raise LabError(
                f"Chybí programy pro spuštění stroje: {', '.join(missing)}.",
                "Nainstalujte je: sudo bash lab/install-host-deps.sh "
                "(nebo sudo apt-get install qemu-system-x86 qemu-utils openssh-client).",
            )
        image = self.image
        self.dir.mkdir(parents=True, exist_ok=True)
        for f in (self.pid_file, self.qmp_socket, self.control_path):
            f.unlink(missing_ok=True)
        if self.overlay.exists() and not self.ephemeral:
            backing = self._overlay_backing()
            if backing and not Path(backing).exists():
                raise LabError(
                    f"Disk stroje {self.name} patří k obrazu, který už v mezipaměti není ({backing}).",
                    "Začněte s novým strojem: `./kurz lab down --destroy` a pak `./kurz lab up` "
                    "(vaše změny ve stroji se smažou).",
                )
        if self.ephemeral or not self.overlay.exists():
            self.overlay.unlink(missing_ok=True)
            created = processes.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image.disk), "-F", "qcow2",
                                     str(self.overlay)], timeout=HELPER_TIMEOUT, capture=True)
            if created.returncode != 0:
                raise LabError(f"Disk stroje se nepodařilo vytvořit (qemu-img skončil kódem {created.returncode}): "
                               + (created.stderr or "").strip()[-500:],
                               "Zkontrolujte volné místo na disku a spusťte `./kurz lab up` znovu.")
        self.ssh_port = free_port()
        self.http_port = self._pick_http_port()
        accel = (["-accel", "kvm", "-cpu", "host"] if self.accel == "kvm"
                 else ["-accel", "tcg,thread=multi,tb-size=256", "-cpu", "max"])
        nic = (f"user,model=virtio-net-pci,restrict=on,"
               f"hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22,hostfwd=tcp:127.0.0.1:{self.http_port}-:80")
        cmd = ["qemu-system-x86_64", "-name", f"kurz-{self.name}", *accel,
               "-smp", str(self.cpus), "-m", str(self.memory_mb),
               "-kernel", str(image.kernel), "-initrd", str(image.initrd),
               "-append", "root=/dev/vda rw console=ttyS0 loglevel=4 systemd.show_status=1",
               "-drive", f"file={self.overlay},if=virtio,format=qcow2",
               "-nic", nic, "-display", "none", "-serial", f"file:{self.serial_log}", "-monitor", "none",
               "-qmp", f"unix:{self.qmp_socket},server=on,wait=off",
               "-pidfile", str(self.pid_file), "-daemonize"]
        try:  # from here on, whatever goes wrong (Ctrl-C included) ends the QEMU it started
            with open(self.qemu_log, "w") as err:
                try:
                    proc = processes.run(cmd, stdout=err, stderr=err, timeout=HELPER_TIMEOUT)
                except subprocess.TimeoutExpired:
                    raise LabError(f"QEMU se nespustil ani za {HELPER_TIMEOUT} s, tak jsem ho ukončil.",
                                   "Zkuste to znovu; když se to opakuje, restartujte počítač.") from None
            if proc.returncode != 0 or not self.is_running():
                raise LabError(
                    "QEMU se nepodařilo spustit:\n" + self.qemu_log.read_text(errors="replace")[-1500:],
                    "Je nainstalovaný balíček qemu-system-x86? (sudo bash lab/install-host-deps.sh)",
                )
            self._write_ssh_config()
            self._save_state()
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop(graceful=False)
            raise
        return self

    def _overlay_backing(self) -> str | None:
        try:
            proc = processes.run(["qemu-img", "info", "--output=json", str(self.overlay)], capture=True,
                                 timeout=HELPER_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None
        if proc.returncode != 0:
            return None
        info = json.loads(proc.stdout)
        return info.get("full-backing-filename") or info.get("backing-filename")

    def _pick_http_port(self) -> int:
        req = self.requested_http_port
        if req == 0:
            return free_port()
        preferred = req or int(os.environ.get("KURZ_HTTP_PORT", DEFAULT_HTTP_PORT))
        if port_is_free(preferred):
            return preferred
        port = free_port()
        self.log(f"Port {preferred} na 127.0.0.1 je obsazený, web stroje bude na http://127.0.0.1:{port}/")
        return port

    def _write_ssh_config(self) -> None:
        self.ssh_config.write_text(SSH_CONFIG_TEMPLATE.format(port=self.ssh_port, key=self.image.ssh_key))

    def serial_tail(self, lines: int = 40) -> str:
        try:
            text = self.serial_log.read_text(errors="replace")
        except OSError:
            return "(sériová konzole je prázdná)"
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")
        return "\n".join(text.splitlines()[-lines:])

    # ----------------------------------------------------------------------------------- ssh
    def _ssh_base(self, master: bool = True) -> list[str]:
        opts = ["-F", str(self.ssh_config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=6"]
        if master:
            opts += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_path}", "-o", "ControlPersist=300"]
        else:
            opts += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
        return ["ssh", *opts]

    def run(self, cmd: str, *, check: bool = True, timeout: float = 300, input: str | None = None,
            master: bool = True) -> subprocess.CompletedProcess:
        """Run a shell command on the VM as user vagrant (sudo works without a password)."""
        argv = [*self._ssh_base(master), "default", cmd]
        try:
            proc = processes.run(argv, capture=True, timeout=timeout, input=input)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"Příkaz na stroji nedoběhl do {timeout:.0f} s: {cmd}") from exc
        if check and proc.returncode != 0:
            raise LabError(
                f"Příkaz na stroji skončil s kódem {proc.returncode}: {cmd}\n"
                f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
            )
        return proc

    def close_master(self) -> None:
        """Stop the SSH connection master we started (ControlPersist), if any: asked to exit, and
        ended by the PID it reports when it does not (a hung connection)."""
        if self.control_path.exists():
            pid = None
            try:
                check = processes.run([*self._ssh_base(True), "-O", "check", "default"], capture=True, timeout=15)
                found = MASTER_PID.search(check.stderr or "")
                pid = int(found.group(1)) if found else None
                processes.run([*self._ssh_base(True), "-O", "exit", "default"], capture=True, timeout=15)
            except (subprocess.TimeoutExpired, OSError):
                pass
            if pid is not None:
                end = time.monotonic() + 3
                while time.monotonic() < end and pid_alive(pid):
                    time.sleep(0.1)
                if pid_alive(pid) and self._is_our_master(pid):
                    processes.stop_daemon(pid, grace=2)
        self.control_path.unlink(missing_ok=True)

    def _is_our_master(self, pid: int) -> bool:
        """The PID is an ssh master for our control socket (not a reused PID)."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        # A detached master renames itself "ssh: <ControlPath> [mux]".
        return cmdline.startswith(b"ssh") and str(self.control_path).encode() in cmdline

    def wait_ready(self, timeout: float = 300) -> str:
        """Wait for SSH, then for systemd to finish booting; returns is-system-running's answer."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.is_running():
                raise LabError(
                    "Virtuální stroj se během startu ukončil.\n--- konec sériové konzole ---\n" + self.serial_tail()
                    + "\n--- QEMU ---\n" + self.qemu_log.read_text(errors="replace")[-1000:]
                )
            try:
                proc = self.run("true", check=False, timeout=20, master=False)
                if proc.returncode == 0:
                    break
            except LabError:
                pass
            if time.monotonic() > deadline:
                raise LabError(
                    f"Stroj neodpověděl přes SSH do {timeout:.0f} s (port {self.ssh_port}).\n"
                    "--- konec sériové konzole ---\n" + self.serial_tail(),
                    "Když počítač nemá hardwarovou virtualizaci, start trvá déle; zkuste to znovu, případně "
                    "zavřete jiné náročné programy.",
                )
            time.sleep(1)
        left = max(30.0, deadline - time.monotonic())
        proc = self.run("systemctl is-system-running --wait", check=False, timeout=left)
        return proc.stdout.strip()

    # ------------------------------------------------------------------------------- stop etc
    def stop(self, *, graceful: bool = True, timeout: float = 40) -> None:
        """Power off over SSH, then make sure the QEMU process (by PID) is gone."""
        pid = self.pid
        if pid is not None and self.is_running():
            group = processes.own_group(pid)  # QEMU's session: what it started ends with it
            if graceful:
                try:
                    self.run("sudo systemctl poweroff", check=False, timeout=15)
                except LabError:
                    pass
                end = time.monotonic() + timeout
                while time.monotonic() < end and pid_alive(pid):
                    time.sleep(0.5)
            processes.stop_daemon(pid, group=group)
        try:
            self.close_master()
        except (subprocess.TimeoutExpired, OSError):
            pass
        for f in (self.pid_file, self.qmp_socket):
            f.unlink(missing_ok=True)
        if self.ephemeral:
            self.overlay.unlink(missing_ok=True)

    def destroy(self) -> None:
        self.stop()
        self.overlay.unlink(missing_ok=True)
        for f in (self.ssh_config, self.state_file, self.serial_log, self.qemu_log):
            f.unlink(missing_ok=True)

    def reboot(self, timeout: float = 300) -> str:
        """Reboot the guest (same QEMU process) and wait until it is up again."""
        self.run("sudo systemctl reboot", check=False, timeout=15)
        self.close_master()
        # Wait for SSH to go away before waiting for it to come back.
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if self.run("true", check=False, timeout=5, master=False).returncode != 0:
                    break
            except LabError:
                break
            time.sleep(1)
        return self.wait_ready(timeout=timeout)

    # ----------------------------------------------------------------------------- snapshots
    def _qmp(self) -> QMP:
        return QMP(self.qmp_socket)

    def snapshot(self, name: str) -> float:
        """Save a QEMU internal snapshot (RAM + disk) in the overlay; returns seconds taken."""
        t0 = time.monotonic()
        out = self._qmp().hmp(f"savevm {name}")
        if out.strip():
            raise LabError(f"Uložení snímku {name} selhalo: {out.strip()}")
        return time.monotonic() - t0

    def restore(self, name: str) -> float:
        """Return the VM to a snapshot; fixes the guest clock and reconnects SSH."""
        t0 = time.monotonic()
        self.close_master()  # its TCP state does not survive the guest going back in time
        out = self._qmp().hmp(f"loadvm {name}")
        if out.strip():
            raise LabError(f"Návrat ke snímku {name} selhal: {out.strip()}")
        status = self._qmp().execute("query-status")
        if isinstance(status, dict) and not status.get("running"):
            self._qmp().execute("cont")
        end = time.monotonic() + 60
        while True:
            try:
                proc = self.run(f"sudo date -s @{time.time():.3f} >/dev/null", check=False, timeout=15)
                if proc.returncode == 0:
                    break
            except LabError:
                pass
            if time.monotonic() > end:
                raise LabError("Po návratu ke snímku stroj neodpovídá přes SSH.\n" + self.serial_tail())
            time.sleep(0.5)
        return time.monotonic() - t0

    def snapshots(self) -> str:
        return self._qmp().hmp("info snapshots")

    # ------------------------------------------------------------------------------ solutions
    def apply_solution(self, step: str, *, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run exercises/solutions/<step>.sh on the VM as vagrant (`bash -s`)."""
        script = SOLUTIONS_DIR / f"{step}.sh"
        if not script.exists():
            raise LabError(f"Referenční řešení {script} neexistuje.")
        return self.run("bash -s", input=script.read_text(), timeout=timeout)

    def run_script(self, script: Path, *, extra_files=(), args: list[str] | tuple = (), timeout: float = 600,
                   check: bool = True, sudo: bool = False) -> subprocess.CompletedProcess:
        """Copy `script` and `extra_files` into a temporary directory on the VM and run the script
        from there (so `source "$(dirname "$0")/lib.sh"` works); the directory is removed after."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for f in (script, *extra_files):
                tar.add(str(f), arcname=Path(f).name)
        payload = base64.b64encode(buf.getvalue()).decode()
        runner = "sudo bash" if sudo else "bash"
        argv = " ".join(shlex.quote(a) for a in args)
        cmd = (f'd=$(mktemp -d) && base64 -d | tar -x -C "$d" && chmod 755 "$d" && '
               f'{runner} "$d"/{shlex.quote(Path(script).name)} {argv} </dev/null; rc=$?; rm -rf "$d"; exit $rc')
        return self.run(cmd, input=payload, timeout=timeout, check=check)

    def __repr__(self) -> str:
        return f"VM(name={self.name!r}, ssh_port={self.ssh_port}, http_port={self.http_port}, pid={self.pid})"


def quote(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)
