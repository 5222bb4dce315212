"""--target vagrant[:NAME]: find the machine's SSH settings through Vagrant (python-vagrant).

Vagrant takes about a second just to start, so its `ssh-config` answer is cached and reused
while the machine's state files under .vagrant/ do not change (every `vagrant up`, `reload`
or `destroy` rewrites them). Vagrant is asked again only on a cache miss or when SSH with the
cached settings fails – then its `status` also tells the student what to do.

Every `vagrant` command runs in a session of its own (checkers.children) with a time limit: on a
timeout, Ctrl-C or an error its whole process group is ended, not just `vagrant` itself.
python-vagrant starts its commands with plain subprocess calls and no limit, so the one method
that runs them (`_run_vagrant_command`, python-vagrant 1.0.0 as pinned) is replaced here; the
library still builds the command lines and parses their output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import vagrant

from checkers.children import run_group
from checkers.errors import CheckerError
from checkers.paths import REPO_ROOT
from checkers.storage import write_atomic

STATE_ADVICE = {
    "not_created": "Stroj ještě nebyl vytvořen. Spusťte `vagrant up`.",
    "poweroff": "Stroj je vypnutý. Spusťte ho příkazem `vagrant up`.",
    "shutoff": "Stroj je vypnutý. Spusťte ho příkazem `vagrant up`.",
    "aborted": "Stroj byl násilně ukončen. Spusťte ho příkazem `vagrant up`.",
    "saved": "Stroj je uspaný. Probuďte ho příkazem `vagrant resume` nebo `vagrant up`.",
    "suspended": "Stroj je uspaný. Probuďte ho příkazem `vagrant resume` nebo `vagrant up`.",
    "paused": "Stroj je pozastavený. Spusťte ho příkazem `vagrant resume`.",
}
# Vagrant starts in about a second, `status` of a busy VirtualBox host takes several; a minute
# means it hangs. CHECKERS_VAGRANT_TIMEOUT changes it (tests, a very slow computer).
VAGRANT_TIMEOUT = 60.0


def vagrant_timeout() -> float:
    try:
        value = float(os.environ.get("CHECKERS_VAGRANT_TIMEOUT") or VAGRANT_TIMEOUT)
    except ValueError:
        return VAGRANT_TIMEOUT
    return value if 0 < value <= 3600 else VAGRANT_TIMEOUT


class _GroupedVagrant(vagrant.Vagrant):
    """python-vagrant whose commands run in a session of their own, with a time limit."""

    timeout = VAGRANT_TIMEOUT

    def _run_vagrant_command(self, args):
        command = self._make_vagrant_command(args)
        with self.err_cm() as err_fh:
            done = run_group(command, timeout=self.timeout, cwd=self.root, env=self.env, stderr=err_fh)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout)
        return done.stdout.decode("utf-8", "replace")

    def _call_vagrant_command(self, args):
        self._run_vagrant_command(args)

    def _stream_vagrant_command(self, args):
        yield from self._run_vagrant_command(args).splitlines(keepends=True)


def find_vagrant_root(start: Path | None = None) -> Path:
    if os.environ.get("VAGRANT_CWD"):
        return Path(os.environ["VAGRANT_CWD"])
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Vagrantfile").is_file():
            return directory
    return REPO_ROOT


class VagrantMachine:
    def __init__(self, machine: str, cache_dir: Path, root: Path | None = None, timeout: float | None = None):
        self.machine = machine
        self.timeout = timeout or vagrant_timeout()
        self.root = root or find_vagrant_root()
        self.cache_file = cache_dir / f"vagrant-ssh-config-{hashlib.sha1(str(self.root).encode()).hexdigest()[:10]}-{machine}.json"

    def fingerprint(self) -> str:
        """Changes whenever Vagrant touches this machine (up, reload, halt, destroy, provision)."""
        parts = []
        vagrantfile = self.root / "Vagrantfile"
        machine_dir = self.root / ".vagrant" / "machines" / self.machine
        for path in sorted([vagrantfile, *machine_dir.glob("*/*")]):
            with contextlib.suppress(OSError):
                st = path.stat()
                parts.append(f"{path.name}:{st.st_mtime_ns}:{st.st_size}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def cached_config(self) -> str | None:
        try:
            cached = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cached.get("ssh_config") if cached.get("fingerprint") == self.fingerprint() else None

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.cache_file.unlink()

    def ssh_config(self) -> str:
        cached = self.cached_config()
        if cached:
            return cached
        state = self.state()
        if state != "running":
            raise self.not_running(state)
        text = self._call(lambda v: v.ssh_config(vm_name=self.machine))
        write_atomic(self.cache_file, json.dumps({"fingerprint": self.fingerprint(), "ssh_config": text}))
        return text

    def state(self) -> str:
        statuses = self._call(lambda v: v.status(vm_name=self.machine))
        for status in statuses:
            if status.name == self.machine:
                return status.state
        raise CheckerError(f"Vagrant nezná stroj „{self.machine}“ (Vagrantfile v {self.root}).",
                           "Zkontrolujte jméno stroje: `vagrant status` vypíše všechny.")

    def not_running(self, state: str) -> CheckerError:
        advice = STATE_ADVICE.get(state, "Spusťte ho příkazem `vagrant up`.")
        return CheckerError(f"Virtuální stroj „{self.machine}“ neběží (stav podle Vagrantu: {state}).", advice)

    def _call(self, action):
        if not vagrant.get_vagrant_executable():
            raise CheckerError(
                "Vagrant není nainstalovaný (příkaz `vagrant` nebyl nalezen).",
                "Nainstalujte Vagrant a VirtualBox (viz README), nebo na Linuxu použijte kurzový stroj bez Vagrantu: "
                "`./kurz lab up` a pak `--target lab`.",
            )
        with tempfile.TemporaryFile() as err:
            machine = _GroupedVagrant(root=str(self.root), quiet_stdout=True, err_cm=lambda: _keep_open(err),
                                      env={**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1"})
            machine.timeout = self.timeout
            try:
                return action(machine)
            except subprocess.TimeoutExpired as exc:
                raise CheckerError(f"Vagrant neodpověděl do {self.timeout:g} s (`vagrant {' '.join(exc.cmd[1:3])}`), "
                                   "tak jsem ho ukončil.",
                                   f"Zkuste v adresáři {self.root} spustit `vagrant status`; když se také zasekne, "
                                   "restartujte VirtualBox (nebo počítač) a zkuste to znovu.") from exc
            except subprocess.CalledProcessError as exc:
                err.seek(0)
                tail = err.read().decode("utf-8", "replace").strip().splitlines()[-4:]
                raise CheckerError(f"Vagrant skončil chybou (`vagrant {' '.join(exc.cmd[1:3])}`): " + " ".join(tail),
                                   f"Zkuste v adresáři {self.root} spustit `vagrant status` a přečtěte si, co hlásí.") from exc
            except OSError as exc:
                raise CheckerError(f"Vagrant nejde spustit: {exc}.", "Zkontrolujte instalaci Vagrantu.") from exc


@contextlib.contextmanager
def _keep_open(handle):
    yield handle
