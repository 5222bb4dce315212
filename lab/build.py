"""Offline image builder: Debian 12 from Debian packages, the starter provisioned, local apt
repository and wheelhouse inside. `./kurz lab build` / `ensure_image()`.

Cache: ~/.cache/django-v-produkci/images/<hash of the builder's inputs>/ holding disk.qcow2,
vmlinuz, initrd.img, ssh_key(.pub), rootfs/ (kept for LXC system containers), manifest.json.
A build happens in images/.tmp-<hash>-<pid>/ and is renamed into place only when complete, so
an interrupted build is never booted; the next run removes the leftovers and builds again.
Shared caches: images/debs (debootstrap's .debs), images/base (the bare debootstrap result as a
tarball, so changing the starter or provisioning rebuilds in about 30 s), images/repo-debs
(local apt repository), images/wheels (pip).

Longer than 400 lines: one linear image build whose stages share the build directory and its
cleanup; the root file system's own steps live in build-rootfs.sh.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.paths import EXERCISES_DIR, LAB_DIR, REPO_ROOT, images_dir, invoking_user

BOX_NAME = "kurz-django-debian12"
MIN_FREE_GIB = 6  # rootfs 1.3 GB + sparse raw image + qcow2 + caches, with some room
PY_VERSION = "3.11"  # Debian 12's python3

# Everything that decides the image's content; their hash names the cache entry.
_INPUT_FILES = [
    LAB_DIR / "build.py",
    LAB_DIR / "build-rootfs.sh",
    LAB_DIR / "wheelhouse.txt",
    LAB_DIR / "keys" / "vagrant.pub",
    EXERCISES_DIR / "provision.sh",
]
_INPUT_TREES = [EXERCISES_DIR / "starter"]
_SKIP_PARTS = {"__pycache__", ".venv", ".git", "db.sqlite3"}

# (id, Czech label shown while building). Ids after "wheels" come from build-rootfs.sh.
STAGES = [
    ("preflight", "Kontrola hostitele"),
    ("pip", "Stahuji Python balíčky do skladu (pip download)"),
    ("debootstrap", "Instaluji základní systém Debian 12 (debootstrap)"),
    ("configure", "Nastavuji systém (uživatel vagrant, SSH, síť, jádro)"),
    ("aptrepo", "Místní repozitář balíčků (nginx, postgresql, caddy)"),
    ("wheels", "Místní sklad Python balíčků"),
    ("provision", "Připravuji výchozí projekt (exercises/provision.sh)"),
    ("finish", "Úklid systému"),
    ("disk", "Vytvářím disk stroje (ext4 → qcow2)"),
]

REQUIRED_TOOLS = {
    "debootstrap": "debootstrap",
    "qemu-img": "qemu-utils",
    "qemu-system-x86_64": "qemu-system-x86",
    "mkfs.ext4": "e2fsprogs",
    "dpkg-scanpackages": "dpkg-dev",
    "ssh-keygen": "openssh-client",
    "ssh": "openssh-client",
}


@dataclass(frozen=True)
class Image:
    """A complete cache entry."""

    path: Path

    @property
    def disk(self) -> Path:
        return self.path / "disk.qcow2"

    @property
    def kernel(self) -> Path:
        return self.path / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.path / "initrd.img"

    @property
    def ssh_key(self) -> Path:
        return self.path / "ssh_key"

    @property
    def rootfs(self) -> Path:
        return self.path / "rootfs"

    @property
    def box(self) -> Path:
        return self.path / f"{BOX_NAME}.box"

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text())


# --------------------------------------------------------------------------------------- hashing
def _input_files() -> list[Path]:
    files = [p for p in _INPUT_FILES if p.exists()]
    for tree in _INPUT_TREES:
        for p in sorted(tree.rglob("*")):
            rel = p.relative_to(tree)
            if p.is_file() and not (_SKIP_PARTS & set(rel.parts)) and rel.parts[0] != "static":
                files.append(p)
    return files


def _vagrant_keys() -> list[str]:
    """Vagrant's well-known insecure public key: the copy in lab/keys, plus the one of an
    installed Vagrant if it differs (so `vagrant up` can log in and replace it)."""
    keys = [(LAB_DIR / "keys" / "vagrant.pub").read_text().strip()]
    for p in sorted(Path("/usr/share/rubygems-integration/all/gems").glob("vagrant-*/keys/vagrant.pub")):
        for line in p.read_text().splitlines():
            if line.strip() and line.strip() not in keys:
                keys.append(line.strip())
    return keys


def inputs_hash() -> str:
    h = hashlib.sha256()
    for p in _input_files():
        h.update(str(p.relative_to(REPO_ROOT)).encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    for key in _vagrant_keys():
        h.update(key.encode() + b"\0")
    return h.hexdigest()[:16]


def find_image() -> Image | None:
    """The complete image for the current inputs, or None."""
    path = images_dir() / inputs_hash()
    if (path / "manifest.json").is_file() and (path / "disk.qcow2").is_file():
        return Image(path)
    return None


# ------------------------------------------------------------------------------------- preflight
def missing_tools() -> dict[str, str]:
    return {tool: pkg for tool, pkg in REQUIRED_TOOLS.items() if not shutil.which(tool)}


def install_host_deps(vagrant: bool = False) -> None:
    cmd = ["bash", str(LAB_DIR / "install-host-deps.sh")] + (["--vagrant"] if vagrant else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(
            "Instalace nástrojů pro virtuální stroj selhala:\n" + (proc.stderr or proc.stdout)[-2000:],
            "Zkuste ji spustit ručně: sudo bash lab/install-host-deps.sh",
        )


def preflight(install_deps: bool = False) -> None:
    if sys.platform != "linux":
        raise LabError(
            "Offline obraz stroje se dá sestavit jen na Linuxu.",
            "Na Windows a macOS použijte Vagrant s VirtualBoxem: `vagrant up`.",
        )
    if os.geteuid() != 0:
        raise LabError(
            "Sestavení obrazu potřebuje práva správce (debootstrap a chroot).",
            "Spusťte: sudo ./kurz lab build",
        )
    missing = missing_tools()
    if missing and install_deps:
        install_host_deps()
        missing = missing_tools()
    if missing:
        pkgs = " ".join(sorted(set(missing.values())))
        raise LabError(
            f"Chybí nástroje pro sestavení stroje: {', '.join(sorted(missing))}.",
            f"Nainstalujte je příkazem `sudo bash lab/install-host-deps.sh` "
            f"(nebo `sudo apt-get install {pkgs}`), případně spusťte `sudo ./kurz lab build --install-deps`.",
        )
    root = images_dir()
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free / 2**30
    if free < MIN_FREE_GIB:
        raise LabError(
            f"Na disku je málo místa: v {root} zbývá {free:.1f} GiB, sestavení potřebuje aspoň {MIN_FREE_GIB} GiB.",
            "Uvolněte místo (staré obrazy smaže `./kurz lab clean`) a spusťte sestavení znovu.",
        )


def _mirror() -> str:
    """The Debian mirror the host's apt uses (so the build goes where apt is allowed to go)."""
    env = os.environ.get("KURZ_DEBIAN_MIRROR")
    if env:
        return env
    for src in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        text = src.read_text()
        if re.search(r"^Suites:.*\bbookworm\b", text, re.M):
            m = re.search(r"^URIs:\s*(\S+)", text, re.M)
            if m and "security" not in m.group(1):
                return m.group(1)
    sl = Path("/etc/apt/sources.list")
    if sl.exists():
        m = re.search(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", sl.read_text(), re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


# ----------------------------------------------------------------------------------- locking etc
@contextmanager
def _build_lock():
    root = images_dir()
    root.mkdir(parents=True, exist_ok=True)
    lock = root / ".lock"
    with open(lock, "a") as fh:
        if os.geteuid() == 0:
            os.chmod(lock, 0o666)  # a user's `lab box` after a root build may take it too
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _unmount_under(path: Path) -> None:
    """Unmount anything mounted below `path` (an interrupted build may leave proc/dev binds)."""
    prefix = str(path.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mp in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


def remove_tree(path: Path) -> None:
    """Delete a build directory safely: never follow into a still-mounted /dev or /proc."""
    if not path.exists():
        return
    _unmount_under(path)
    prefix = str(path.resolve()) + "/"
    if any(line.split()[1].startswith(prefix) for line in Path("/proc/mounts").read_text().splitlines()):
        raise LabError(f"Pod {path} je stále něco připojené, nemažu ho.",
                       "Odpojte to ručně (umount) a zkuste to znovu.")
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)


def _kill_processes_using(path: Path) -> None:
    """Stop (by PID) what a killed build left running in `path`: the build script, debootstrap,
    chroot'ed commands. They all name the directory on their command line or live in it."""
    prefix = str(path.resolve())
    me = os.getpid()
    for _ in range(3):
        found = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit() or int(d.name) == me:
                continue
            try:
                cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                root = os.readlink(d / "root")
            except OSError:
                continue
            if prefix in cmdline or root.startswith(prefix):
                found.append(int(d.name))
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)


def _clean_leftovers() -> None:
    for p in images_dir().glob(".tmp-*"):
        _kill_processes_using(p)
        remove_tree(p)
    for p in images_dir().glob(".old-*"):
        remove_tree(p)


# ------------------------------------------------------------------------------------- progress
class _Progress:
    """Rich progress on a terminal, plain timestamped lines otherwise (CI, pytest)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.labels = dict(STAGES)
        self.order = [s for s, _ in STAGES]
        self.times: dict[str, float] = {}
        self._current: str | None = None
        self._t0 = time.monotonic()
        self._stage_t0 = self._t0
        self._rich = None
        if enabled:
            try:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

                console = Console(stderr=True)
                if console.is_terminal:
                    self._rich = Progress(
                        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console,
                    )
                    self._rich.start()
                    self._task = self._rich.add_task("Sestavuji obraz", total=len(STAGES))
            except ImportError:
                self._rich = None

    def stage(self, sid: str) -> None:
        now = time.monotonic()
        if self._current:
            self.times[self._current] = round(now - self._stage_t0, 1)
        self._current, self._stage_t0 = sid, now
        idx = self.order.index(sid) + 1 if sid in self.order else 0
        label = self.labels.get(sid, sid)
        if self._rich is not None:
            self._rich.update(self._task, description=label, completed=idx - 1)
        elif self.enabled:
            print(f"[{idx}/{len(STAGES)}] {label} … ({now - self._t0:.0f} s)", file=sys.stderr, flush=True)

    def close(self, ok: bool) -> float:
        now = time.monotonic()
        if self._current:
            self.times[self._current] = round(now - self._stage_t0, 1)
        if self._rich is not None:
            if ok:
                self._rich.update(self._task, completed=len(STAGES), description="Hotovo")
            self._rich.stop()
        return now - self._t0


# ---------------------------------------------------------------------------------------- build
def _download_wheels(cache: Path, out: Path) -> list[str]:
    """Fill the shared pip cache from PyPI when needed, then copy exactly the wheelhouse's
    closure into `out`. Only binary wheels for CPython 3.11 on x86_64 (Debian 12's python3)."""
    cache.mkdir(parents=True, exist_ok=True)
    reqs = LAB_DIR / "wheelhouse.txt"
    target = [
        "--only-binary=:all:", "--python-version", PY_VERSION, "--implementation", "cp",
        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
        "--platform", "manylinux_2_28_x86_64", "--platform", "linux_x86_64",
    ]
    pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
    offline = pip + ["--no-index", "--find-links", str(cache), "-d", str(out), "-r", str(reqs)] + target
    if subprocess.run(offline, capture_output=True, text=True).returncode != 0:
        online = pip + ["-d", str(cache), "-r", str(reqs)] + target
        proc = subprocess.run(online, capture_output=True, text=True)
        if proc.returncode != 0:
            raise LabError(
                "Stažení Python balíčků z PyPI selhalo:\n" + proc.stderr[-1500:],
                "Zkontrolujte připojení k PyPI (pip download) a spusťte sestavení znovu.",
            )
        proc = subprocess.run(offline, capture_output=True, text=True)
        if proc.returncode != 0:
            raise LabError("Sklad Python balíčků je neúplný:\n" + proc.stderr[-1500:])
    return sorted(p.name for p in out.iterdir())


def _make_keys(tmp: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kurz-django-v-produkci", "-f", str(tmp / "ssh_key")],
        check=True,
    )
    keys = tmp / "authorized_keys"
    keys.write_text((tmp / "ssh_key.pub").read_text().strip() + "\n" + "\n".join(_vagrant_keys()) + "\n")
    return keys


def ensure_image(*, force: bool = False, progress: bool = True, install_deps: bool = False) -> Image:
    """Return the cached image for the current inputs, building it first when needed."""
    if not force:
        image = find_image()
        if image is not None:
            return image
    preflight(install_deps=install_deps)
    with _build_lock():
        if not force:
            image = find_image()  # another process may have built it while we waited
            if image is not None:
                return image
        _clean_leftovers()
        return _build(progress)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _build(show_progress: bool) -> Image:
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # clean up on `kill` too
    except ValueError:  # not the main thread
        pass
    try:
        return _build_inner(show_progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _build_inner(show_progress: bool) -> Image:
    digest = inputs_hash()
    root = images_dir()
    final = root / digest
    tmp = root / f".tmp-{digest}-{os.getpid()}"
    tmp.mkdir(parents=True)
    prog = _Progress(show_progress)
    ok = False
    log = tmp / "build.log"
    proc: subprocess.Popen | None = None
    try:
        prog.stage("preflight")
        keys = _make_keys(tmp)
        prog.stage("pip")
        wheels_dir = tmp / "wheels"
        wheels_dir.mkdir()
        wheels = _download_wheels(root / "wheels", wheels_dir)
        env = dict(
            os.environ, OUT=str(tmp), CACHE=str(root), WHEELS=str(wheels_dir), REPO=str(REPO_ROOT),
            MIRROR=_mirror(), KEYS=str(keys), LC_ALL="C.UTF-8",
        )
        with open(log, "w") as logfh:
            proc = subprocess.Popen(
                ["bash", str(LAB_DIR / "build-rootfs.sh"), str(tmp)], env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                logfh.write(line)
                logfh.flush()
                if line.startswith("@@STAGE "):
                    prog.stage(line.split()[1])
            rc = proc.wait()
        if rc != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            raise LabError(
                f"Sestavení obrazu selhalo (kód {rc}). Konec záznamu {log}:\n{tail}",
                "Opravte příčinu a spusťte `sudo ./kurz lab build` znovu; nedokončený obraz se nikdy nespustí.",
            )
        shutil.rmtree(wheels_dir)
        total = prog.close(ok=True)
        ok = True
        manifest = {
            "hash": digest,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "debian": "12 (bookworm)",
            "kernel": (tmp / "kernel-version.txt").read_text().strip(),
            "apt_repo_packages": len((tmp / "apt-repo.txt").read_text().splitlines()),
            "wheels": wheels,
            "build_seconds": round(total, 1),
            "stage_seconds": prog.times,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if final.exists():
            old = root / f".old-{digest}-{os.getpid()}"
            final.rename(old)
            remove_tree(old)
        _give_to_invoking_user(tmp)
        tmp.rename(final)  # atomic: the entry exists only when complete
        if show_progress:
            print(f"Obraz je hotový za {total:.0f} s: {final}", file=sys.stderr)
        return Image(final)
    finally:
        if proc is not None and proc.poll() is None:
            # Interrupted (Ctrl-C, an error here): stop the whole script group; its EXIT trap
            # unmounts the chroot's /proc, /sys and /dev before the directory is deleted.
            _stop_group(proc)
        if not ok:
            prog.close(ok=False)
        if tmp.exists() and not ok:
            # Keep the log for diagnosis, delete the rest.
            failed_log = root / f"build-failed-{digest}.log"
            if log.exists():
                shutil.copy(log, failed_log)
            remove_tree(tmp)


def _give_to_invoking_user(entry: Path) -> None:
    """Under sudo: the image files (not rootfs/) belong to the user who will boot them."""
    user = invoking_user()
    if user is None:
        return
    uid, gid, _ = user
    for d in (entry.parent.parent, entry.parent):  # django-v-produkci/, images/
        os.chown(d, uid, gid)
    for p in entry.iterdir():
        if p.name != "rootfs":
            os.chown(p, uid, gid)
    os.chown(entry, uid, gid)


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 30)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------------------------------ box
_BOX_VAGRANTFILE = """\
# Vagrantfile inside the box "kurz-django-debian12" (libvirt provider): the disk has no
# bootloader, libvirt boots the kernel and initrd shipped in the box directly.
Vagrant.configure("2") do |config|
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.box_check_update = false
  config.vm.provider :libvirt do |lv|
    boxdir = File.expand_path(File.dirname(__FILE__))
    lv.kernel = File.join(boxdir, "vmlinuz")
    lv.initrd = File.join(boxdir, "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 quiet"
    lv.disk_bus = "virtio"
    lv.nic_model_type = "virtio"
  end
end
"""


def build_box(image: Image | None = None, *, progress: bool = True) -> Path:
    """The Vagrant libvirt box of the image (built once, kept in the cache entry)."""
    image = image or ensure_image(progress=progress)
    if image.box.exists():
        return image.box
    with _build_lock():
        if image.box.exists():
            return image.box
        t0 = time.monotonic()
        if progress:
            print("Balím box pro Vagrant (libvirt) …", file=sys.stderr, flush=True)
        tmp = image.path / f".box-{os.getpid()}.tmp"
        metadata = json.dumps({"provider": "libvirt", "format": "qcow2", "virtual_size": 8})
        try:
            with tarfile.open(tmp, "w") as tar:
                for name, data in (("metadata.json", metadata), ("Vagrantfile", _BOX_VAGRANTFILE)):
                    info = tarfile.TarInfo(name)
                    raw = data.encode()
                    info.size, info.mtime, info.mode = len(raw), int(time.time()), 0o644
                    tar.addfile(info, io.BytesIO(raw))
                tar.add(image.disk, arcname="box.img")
                tar.add(image.kernel, arcname="vmlinuz")
                tar.add(image.initrd, arcname="initrd.img")
            tmp.rename(image.box)
        finally:
            tmp.unlink(missing_ok=True)
        if progress:
            print(f"Box je hotový za {time.monotonic() - t0:.0f} s: {image.box}", file=sys.stderr)
        return image.box
