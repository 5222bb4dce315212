"""A real OpenSSH server on 127.0.0.1 for tests, started and stopped by PID."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


class Sshd:
    def __init__(self, workdir: Path, port: int | None = None):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.client_key = keygen(self.dir / "client_key") if not (self.dir / "client_key").exists() else self.dir / "client_key"
        (self.dir / "authorized_keys").write_text((self.dir / "client_key.pub").read_text())
        os.chmod(self.dir / "authorized_keys", 0o600)
        self.process: subprocess.Popen | None = None

    def start(self, host_key_name: str = "host_key", login_shell: str | None = None) -> "Sshd":
        """`login_shell`: root's shell as this sshd sees it (fish, tcsh…). The server then runs in a
        private mount namespace where /etc/passwd is a copy saying so; the machine's own is untouched."""
        host_key = self.dir / host_key_name
        if not host_key.exists():
            keygen(host_key)
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}", f"PidFile {self.dir / 'sshd.pid'}",
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no", "StrictModes no",
            "LogLevel ERROR", "",
        ]))
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
        argv = ["/usr/sbin/sshd", "-D", "-e", "-f", str(config)]
        if login_shell:
            passwd = self.dir / "passwd"
            lines = Path("/etc/passwd").read_text().splitlines()
            passwd.write_text("\n".join(":".join(l.split(":")[:6] + [login_shell]) if l.startswith("root:") else l
                                        for l in lines) + "\n")
            script = f"mount --bind {passwd} /etc/passwd && exec {' '.join(argv)}"
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
        self.process = subprocess.Popen(argv, stderr=open(self.dir / "sshd.log", "ab"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sshd did not start: " + (self.dir / "sshd.log").read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def ssh_config(self, alias: str = "default") -> Path:
        """An ssh-config in the form `vagrant ssh-config` prints."""
        path = self.dir / "ssh-config"
        path.write_text(f"Host {alias}\n  HostName 127.0.0.1\n  User root\n  Port {self.port}\n"
                        "  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  PasswordAuthentication no\n"
                        f"  IdentityFile {self.client_key}\n  IdentitiesOnly yes\n  LogLevel FATAL\n")
        return path
