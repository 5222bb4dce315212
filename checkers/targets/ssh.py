"""SSH transport (paramiko): ONE connection per run, one exec channel per probe.

Host keys: for targets described by a Vagrant-style ssh-config (a local VM on 127.0.0.1
whose key changes with every `vagrant up`), the config's own StrictHostKeyChecking /
UserKnownHostsFile settings are followed, as `vagrant ssh` does. For every other host the
default is "accept-new": a host seen for the first time is remembered in our known_hosts
file (next to ~/.ssh/known_hosts, which is read too), and a host whose key later CHANGES is
refused – that is what a man-in-the-middle looks like. `--host-key strict` refuses unknown
hosts, `--host-key off` trusts anything (only for throwaway lab machines).
"""

from __future__ import annotations

import logging
import select
import shlex
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
from filelock import FileLock

from checkers.errors import CheckerError
from checkers.targets.base import CommandResult

# paramiko's transport thread logs its own copy of every failure to stderr; we report them in Czech.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False


@dataclass
class SSHParams:
    host: str
    port: int = 22
    user: str | None = None
    identity: list[str] | None = None
    host_key: str = "accept-new"
    known_hosts: Path | None = None  # our own file for accept-new
    label: str = ""
    proxy_command: str | None = None


class _RememberNew(paramiko.MissingHostKeyPolicy):
    """accept-new: remember a host seen for the first time (a changed key is refused by paramiko).

    A class graded in parallel remembers many hosts at once: under a lock (threads and other
    processes), merge what others saved meanwhile before writing the file back."""

    _threads = threading.Lock()

    def __init__(self, path: Path):
        self.path = path

    def missing_host_key(self, client, hostname, key):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._threads, FileLock(str(self.path) + ".lock", timeout=30):
            keys = client.get_host_keys()
            if self.path.exists():
                keys.load(str(self.path))
            keys.add(hostname, key.get_name(), key)
            client.save_host_keys(str(self.path))


class _Ignore(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        return


def check_key_file(path: Path) -> None:
    """The private key exists, is a file, and only its owner may read it (OpenSSH refuses others)."""
    import os
    import stat
    import sys

    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise CheckerError(f"Soubor s SSH klíčem {path} neexistuje.",
                           "Zkontrolujte cestu v --identity, v ssh-configu nebo v soupisce třídy.") from exc
    except OSError as exc:
        raise CheckerError(f"Soubor s SSH klíčem {path} nejde otevřít ({exc.strerror}).",
                           "Zkontrolujte cestu a práva.") from exc
    if not stat.S_ISREG(info.st_mode):
        raise CheckerError(f"{path} není soubor se soukromým SSH klíčem.",
                           "Zadejte soubor s klíčem (např. ~/.ssh/id_ed25519), ne adresář.")
    if sys.platform != "win32" and info.st_mode & 0o077 and info.st_uid == os.geteuid():
        raise CheckerError(f"Soukromý SSH klíč {path} mohou číst i jiní uživatelé (práva {stat.S_IMODE(info.st_mode):04o}). "
                           "OpenSSH takový klíč odmítne a checker také.",
                           f"Nechte ho jen pro sebe: `chmod 600 {path}`.")


def known_hosts_entry(host: str, port: int) -> str:
    """How OpenSSH (and paramiko) name a host in known_hosts: `host`, or `[host]:port` off port 22."""
    return host if port == 22 else f"[{host}]:{port}"


class SSHTransport:
    def __init__(self, params: SSHParams, connect_timeout: float = 15):
        self.params = params
        self.label = params.label or f"ssh://{params.user + '@' if params.user else ''}{params.host}:{params.port}"
        self.executions = 0
        self.loopback = params.host in ("127.0.0.1", "localhost", "::1")  # a port-forwarded local VM
        self.client = self._connect(connect_timeout)

    def _connect(self, timeout: float) -> paramiko.SSHClient:
        p = self.params
        client = paramiko.SSHClient()
        if p.host_key == "off":
            client.set_missing_host_key_policy(_Ignore())
        else:
            try:
                client.load_system_host_keys()
            except (OSError, paramiko.SSHException):
                pass
            if p.known_hosts and p.known_hosts.exists():  # strict trusts what accept-new remembered, too
                try:
                    client.load_host_keys(str(p.known_hosts))
                except (OSError, paramiko.SSHException):
                    pass
            if p.host_key == "accept-new" and p.known_hosts:
                client.set_missing_host_key_policy(_RememberNew(p.known_hosts))
            else:
                client.set_missing_host_key_policy(paramiko.RejectPolicy())
        for key_file in p.identity or []:
            check_key_file(Path(key_file).expanduser())
        sock = paramiko.ProxyCommand(p.proxy_command) if p.proxy_command else None
        where = f"{p.host}:{p.port}"
        try:
            client.connect(
                p.host, port=p.port, username=p.user, key_filename=[str(Path(k).expanduser()) for k in p.identity or []] or None,
                timeout=timeout, banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
                look_for_keys=not p.identity, allow_agent=not p.identity, sock=sock,
            )
        except paramiko.BadHostKeyException as exc:
            entry = known_hosts_entry(p.host, p.port)
            stores = [f"`ssh-keygen -f {shlex.quote(str(p.known_hosts))} -R {shlex.quote(entry)}`"] if p.known_hosts else []
            stores.append(f"`ssh-keygen -R {shlex.quote(entry)}` (~/.ssh/known_hosts)")
            raise CheckerError(
                f"Stroj {where} se prokázal JINÝM klíčem, než jaký si pamatuji. Buď byl přeinstalován, nebo se za něj někdo vydává.",
                "Pokud víte, že byl stroj přeinstalován, odstraňte starý záznam: " + " a ".join(stores)
                + ". Jinak se nepřipojujte a řekněte to vyučujícímu.",
            ) from exc
        except paramiko.AuthenticationException as exc:
            raise CheckerError(f"Přihlášení na {where} jako {p.user or '(výchozí uživatel)'} se nepovedlo: klíč nebyl přijat.",
                               "Zkontrolujte uživatele a SSH klíč (--identity). U Vagrantu pomůže `vagrant ssh-config`.") from exc
        except paramiko.SSHException as exc:
            text = str(exc)
            if "not found in known_hosts" in text or "Server" in text and "not found" in text:
                raise CheckerError(f"Stroj {where} zatím neznám a volba --host-key strict nedovoluje nové stroje.",
                                   "Otisk jeho klíče si ověřte jinou cestou (u správce stroje, na jeho konzoli: "
                                   "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`). Pak se připojte jednou bez "
                                   "--host-key strict: klíč se zapamatuje a strict ho bude dál vyžadovat. Klíč "
                                   "neopisujte z ssh-keyscan – ten ukáže i klíč útočníka.") from exc
            if any(word in text.lower() for word in ("banner", "timed out", "no existing session")):
                raise CheckerError(f"Stroj {where} přijal spojení, ale do {timeout:g} s neodpověděl jako SSH server.",
                                   "Stroj je možná přetížený nebo zaseknutý. Zkuste ho restartovat (`vagrant reload`).") from exc
            raise CheckerError(f"SSH spojení s {where} selhalo: {text}", "Zkontrolujte adresu a port cíle.") from exc
        except (EOFError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
            raise CheckerError(f"Stroj {where} ukončil spojení hned na začátku, dřív než se domluvil jako SSH server.",
                               "Na tom portu možná běží něco jiného než SSH, nebo server spojení odmítá (přetížení, "
                               "MaxStartups, fail2ban). Zkontrolujte port a zkuste to za chvíli znovu.") from exc
        except (socket.timeout, TimeoutError) as exc:
            raise CheckerError(f"Spojení s {where} vypršelo: do {timeout:g} s nikdo neodpověděl.",
                               "Běží stroj? U Vagrantu ho spusťte `vagrant up`, jinak zkontrolujte adresu a síť.") from exc
        except (ConnectionRefusedError, paramiko.ssh_exception.NoValidConnectionsError) as exc:
            raise CheckerError(f"{where} odmítl spojení: na tomto portu neběží SSH.",
                               "Stroj asi neběží nebo ještě startuje. Spusťte ho (`vagrant up`) a zkuste to znovu.") from exc
        except socket.gaierror as exc:
            raise CheckerError(f"Adresu {p.host} nejde přeložit ({exc.strerror}).", "Zkontrolujte název stroje v --target.") from exc
        except OSError as exc:
            raise CheckerError(f"Spojení s {where} selhalo: {exc.strerror or exc}.",
                               "Zkontrolujte, že stroj běží a je dostupný.") from exc
        return client

    def run(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult:
        try:
            return self._run(command, stdin, timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if isinstance(exc, CheckerError):
                raise
            raise CheckerError(f"SSH spojení s {self.label} se během kontroly přerušilo ({type(exc).__name__}).",
                               "Stroj se možná restartoval nebo spadla síť. Zkuste kontrolu spustit znovu.") from exc

    def _run(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult:
        self.executions += 1
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise CheckerError("SSH spojení se mezitím přerušilo.", "Zkuste kontrolu spustit znovu.")
        channel = transport.open_session(timeout=timeout)
        channel.exec_command(command)
        if stdin:
            channel.sendall(stdin)
        channel.shutdown_write()
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                channel.close()
                raise CheckerError(f"Sonda na {self.label} nedoběhla do {timeout:g} s.",
                                   "Stroj je nejspíš přetížený. Zkuste delší limit, např. `--timeout 300`.")
            select.select([channel], [], [], min(remaining, 0.5))
            while channel.recv_ready():
                out += channel.recv(65536)
            while channel.recv_stderr_ready():
                err += channel.recv_stderr(65536)
            if (channel.exit_status_ready() and channel.eof_received
                    and not channel.recv_ready() and not channel.recv_stderr_ready()):
                break
        rc = channel.recv_exit_status()
        channel.close()
        return CommandResult(rc, bytes(out), bytes(err))

    def close(self) -> None:
        self.client.close()
