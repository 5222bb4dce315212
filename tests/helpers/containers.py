"""A classroom of real Debian targets: LXC system containers of the course image, in a network
namespace of their own (tests and bench/bench_grading.py).

    with ContainerLab(workdir) as lab:                  # netns + bridge 10.213.0.1/24, nothing leaves it
        lab.containers([("s01", 3), ("s02", 11)])        # stage k = reference solutions step0…stepk applied
        lab.start_all(); lab.wait_ready()
        lab.attach("s02", "sed -i … && systemctl restart gunicorn")   # as root inside the container
        lab.netns_argv([python, "-m", "checkers", "grade", …])         # run the grader in the netns
    # teardown (also on failure): containers killed by name, overlays unmounted, servers killed by
    # PID, netns deleted. A lab left behind by a killed process is cleaned up by the next one.

Every container's root is an overlay: the image's rootfs, then cached "stage layers", then its own
upper directory. A stage layer holds what the reference solutions of some steps changed; it is built
once (a container boots, the solutions run as user vagrant, the container shuts down cleanly) and
kept in ~/.cache/django-v-produkci/containers/ keyed by the image and the solution scripts.

LXC needs two fixes inside a netns (see ../shared/notes/vm-lab.md §4): `ip netns exec` remounts
/sys and hides the host's cgroup hierarchies, so every lxc-* command runs through a wrapper that
mounts them again; and the bridge must exist in the netns where lxc-start runs. Addresses are
static (systemd-networkd config in each container's upper directory), so no DHCP server is needed.

Longer than 400 lines: set-up and teardown of the container lab stay together, so every resource
it makes (netns, bridge, overlays, servers) is undone in one place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lab.vm import pid_alive

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "exercises" / "solutions"
LAYER_FORMAT = "1"  # bump when the way layers are built changes
SUBNET = "10.213.0"
GATEWAY = f"{SUBNET}.1"
BRIDGE = "kurzbr0"
STATE_DIR = Path("/run/kurz-containers")
# Stages with a cached layer: after the reference solutions step0…stepK. A container is at one of
# them, or at -1 (the fresh image). One canonical chain, shared by the tests and the benchmark.
CUT_POINTS = (1, 3, 5, 7, 9, 10, 11)
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_CGROUP_WRAPPER = r'''
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
while read -r _ mp fstype opts _; do
  mkdir -p "$mp"; mount -t "$fstype" -o "$opts" "$fstype" "$mp"
done < "$KURZ_CGMOUNTS"
exec "$@"
'''

HANG_SERVER = r'''
# kurz-hang-server
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen(64)
print("ready", flush=True)
held = []
while True:  # accept every connection and never say a word
    conn, _ = server.accept()
    held.append(conn)
'''


class LabError(RuntimeError):
    pass


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "django-v-produkci" / "containers"


def host_ready() -> str | None:
    """Why this machine cannot run the container lab, or None when it can."""
    if os.geteuid() != 0:
        return "containers need root (LXC, network namespaces, overlay mounts)"
    for tool in ("lxc-start", "lxc-attach", "lxc-stop", "ip"):
        if not shutil.which(tool):
            return f"{tool} is missing (apt-get install lxc iproute2; see scripts/apt-packages-test.txt)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay filesystem"
    return None


@dataclass
class Container:
    key: str  # short name given by the caller (s01)
    name: str  # LXC name, unique on the host
    index: int
    stage: int  # -1 = fresh image; k = solutions step0…stepk
    root: Path  # its directory: upper/, work/, merged/
    extra_layers: tuple[Path, ...] = ()

    @property
    def ip(self) -> str:
        return f"{SUBNET}.{10 + self.index}"

    @property
    def hostname(self) -> str:
        return f"kurz-{self.key}"


class ContainerLab:
    def __init__(self, workdir: Path, image=None, log=print):
        reason = host_ready()
        if reason:
            raise LabError(reason)
        if image is None:
            from lab.build import ensure_image

            image = ensure_image(progress=True)
        self.image = image
        self.rootfs = Path(image.rootfs)
        self.ssh_key = Path(image.ssh_key)
        self.workdir = Path(workdir)
        self.log = log
        self.tag = f"kg{os.getpid()}"
        self.netns = f"kurz-{self.tag}"
        self.lxcpath = self.workdir / "lxc"
        self.cgmounts = self.workdir / "cgroup-mounts"
        self.items: dict[str, Container] = {}
        self.mounts: list[Path] = []
        self.processes: list[subprocess.Popen] = []
        self.timings: dict[str, float] = {}
        self._state_file = STATE_DIR / f"{self.netns}.json"
        self._next_index = 1
        self._inotify_before: int | None = None
        self._inotify_set = 0

    # ---------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> "ContainerLab":
        cleanup_stale(self.log)
        try:
            self._create_network()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create_network(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.lxcpath.mkdir(parents=True, exist_ok=True)
        mounts = [line for line in Path("/proc/self/mounts").read_text().splitlines()
                  if line.split()[1].startswith("/sys/fs/cgroup/") and line.split()[2] in ("cgroup", "cgroup2")]
        self.cgmounts.write_text("\n".join(mounts) + "\n")
        _run(["ip", "netns", "add", self.netns])
        self._save_state()
        for argv in (["ip", "link", "set", "lo", "up"], ["ip", "link", "add", BRIDGE, "type", "bridge"],
                     ["ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE], ["ip", "link", "set", BRIDGE, "up"]):
            _run(self.netns_argv(argv))

    def close(self) -> None:
        """Stop and remove everything this lab created. Safe to call twice and after partial setup."""
        errors = []
        names = [c.name for c in self.items.values()]
        if names and self._netns_exists():
            # lxc-stop fails for a container that is already stopped; what counts is that none runs after.
            self.ns_run(["sh", "-c", 'for n in "$@"; do lxc-stop -P "$LXCPATH" -n "$n" -k 2>/dev/null; done',
                         "sh", *names], check=False, timeout=120)
            left = self.ns_run(["lxc-ls", "-P", str(self.lxcpath), "--running"], check=False).stdout.decode().split()
            if left:
                errors.append(f"still running: {left}")
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        self.processes.clear()
        for mount in reversed(self.mounts):
            _umount(mount)
        self.mounts.clear()
        if self._netns_exists():
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        self._state_file.unlink(missing_ok=True)
        limit = Path("/proc/sys/fs/inotify/max_user_instances")
        if self._inotify_before is not None and int(limit.read_text()) == self._inotify_set:  # nobody else changed it
            limit.write_text(str(self._inotify_before))
        self._inotify_before = None
        with contextlib.suppress(OSError):
            subprocess.run(["rm", "-rf", "--one-file-system", str(self.workdir)], capture_output=True, timeout=300)
        self.items.clear()
        if errors:
            self.log("container teardown warnings: " + " | ".join(errors))

    def _netns_exists(self) -> bool:
        return Path(f"/run/netns/{self.netns}").exists()

    def _save_state(self) -> None:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps({
            "pid": os.getpid(), "netns": self.netns, "tag": self.tag, "lxcpath": str(self.lxcpath), "workdir": str(self.workdir),
            "cgmounts": str(self.cgmounts), "containers": [c.name for c in self.items.values()],
            "mounts": [str(m) for m in self.mounts], "pids": [p.pid for p in self.processes]}))

    # ---------------------------------------------------------------------------- commands
    def netns_argv(self, argv: list[str]) -> list[str]:
        """argv run inside the lab's network namespace (the grader, ssh…)."""
        return ["ip", "netns", "exec", self.netns, *argv]

    def ns_argv(self, argv: list[str]) -> list[str]:
        """argv run inside the netns with the host's cgroups visible (every lxc-* command)."""
        return ["ip", "netns", "exec", self.netns, "bash", "-c", _CGROUP_WRAPPER, "nsrun", *argv]

    def ns_env(self) -> dict:
        return {**os.environ, "KURZ_CGMOUNTS": str(self.cgmounts), "LXCPATH": str(self.lxcpath)}

    def ns_run(self, argv: list[str], *, input: bytes | None = None, check: bool = True,
               timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run(self.ns_argv(argv), input=input, capture_output=True, env=self.ns_env(),
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise LabError(f"{' '.join(argv[:6])} failed ({proc.returncode}):\n"
                           f"{proc.stdout.decode(errors='replace')[-2000:]}\n{proc.stderr.decode(errors='replace')[-2000:]}")
        return proc

    def attach(self, key: str, command: str, *, user: str = "root", input: bytes | None = None,
               timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """Run a shell command inside a running container (as root, or as vagrant through sudo)."""
        container = self.items[key]
        inner = ["bash", "-c", command] if user == "root" else ["sudo", "-u", user, "-H", "bash", "-c", command]
        return self.ns_run(["lxc-attach", "-P", str(self.lxcpath), "-n", container.name, "--clear-env",
                            "--set-var", PATH_ENV, "--set-var", "LANG=C.UTF-8", "--", *inner],
                           input=input, check=check, timeout=timeout)

    # ---------------------------------------------------------------------------- containers
    def containers(self, spec: list[tuple[str, int]]) -> list[Container]:
        """Define containers (key, stage); builds missing stage layers first."""
        unknown = sorted({stage for _, stage in spec if stage >= 0 and stage not in CUT_POINTS})
        if unknown:
            raise LabError(f"stages {unknown} have no layer; use -1 or one of {CUT_POINTS}")
        stages = list(CUT_POINTS)
        layers = StageLayers(self).ensure(stages) if any(stage >= 0 for _, stage in spec) else {}
        made = []
        for key, stage in spec:
            container = Container(key, f"{self.tag}-{key}", self._next_index, stage, self.workdir / "c" / key)
            self._next_index += 1
            self._prepare(container, [self.rootfs] + [layers[s] for s in stages if s <= stage])
            self.items[key] = container
            made.append(container)
        self._save_state()
        return made

    def _prepare(self, container: Container, lowers: list[Path]) -> None:
        upper, work, merged = (container.root / d for d in ("upper", "work", "merged"))
        for d in (upper, work, merged):
            d.mkdir(parents=True, exist_ok=True)
        seed_identity(upper, container.hostname, container.ip)
        lowerdir = ":".join(str(p) for p in reversed(lowers))  # topmost first
        _run(["mount", "-t", "overlay", "overlay", "-o",
              f"lowerdir={lowerdir},upperdir={upper},workdir={work}", str(merged)])
        self.mounts.append(merged)
        conf_dir = self.lxcpath / container.name
        conf_dir.mkdir(parents=True, exist_ok=True)
        (conf_dir / "config").write_text("\n".join([
            "lxc.include = /usr/share/lxc/config/common.conf",
            "lxc.arch = amd64",
            f"lxc.uts.name = {container.hostname}",
            f"lxc.rootfs.path = dir:{merged}",
            "lxc.apparmor.profile = unconfined",
            "lxc.net.0.type = veth",
            f"lxc.net.0.link = {BRIDGE}",
            "lxc.net.0.flags = up",
            "lxc.net.0.name = eth0",
            f"lxc.net.0.hwaddr = 02:4b:00:00:{container.index // 256:02x}:{container.index % 256:02x}",
            "",
        ]))

    def start_all(self, keys: list[str] | None = None) -> float:
        t0 = time.monotonic()
        names = [self.items[k].name for k in (keys or list(self.items))]
        self._ensure_inotify(len(self.items))
        self.ns_run(["sh", "-c", 'for n in "$@"; do lxc-start -P "$LXCPATH" -n "$n" || exit 1; done', "sh", *names])
        return time.monotonic() - t0

    def wait_ready(self, keys: list[str] | None = None, timeout: float = 180) -> float:
        """Until systemd inside every container has finished booting (sshd is up then)."""
        t0 = time.monotonic()
        keys = keys or list(self.items)

        def one(key: str) -> tuple[str, str]:
            deadline = time.monotonic() + timeout
            state = ""
            while time.monotonic() < deadline:
                # Right after lxc-start systemd's bus may not be up yet: then systemctl fails at once.
                proc = self.attach(key, "systemctl is-system-running --wait", check=False,
                                   timeout=max(1.0, deadline - time.monotonic()))
                state = proc.stdout.decode().strip()
                if state in ("running", "degraded", "maintenance", "stopping"):
                    break
                time.sleep(0.2)
            return key, state

        with ThreadPoolExecutor(max_workers=8) as pool:
            states = dict(pool.map(one, keys))
        bad = {k: s for k, s in states.items() if s not in ("running", "degraded")}
        if bad:
            raise LabError(f"containers did not boot: {bad}")
        return time.monotonic() - t0

    def stop(self, keys: list[str] | None = None, *, kill: bool = True) -> None:
        names = [self.items[k].name for k in (keys or list(self.items))]
        flag = "-k" if kill else "-t"
        extra = [] if kill else ["60"]
        self.ns_run(["sh", "-c", f'for n in "$@"; do lxc-stop -P "$LXCPATH" -n "$n" {flag} {" ".join(extra)} || exit 1; done',
                     "sh", *names], timeout=180)

    def _ensure_inotify(self, containers: int) -> None:
        """systemd in every container takes inotify instances, counted per host user (root for all of
        them): the default 128 runs out at about 18 containers, and the next ones hang or die at boot.
        Raise the limit for the lab's lifetime; close() puts the old value back."""
        path = Path("/proc/sys/fs/inotify/max_user_instances")
        current = int(path.read_text())
        needed = 128 + 12 * containers
        if current < needed:
            if self._inotify_before is None:
                self._inotify_before = current
            path.write_text(str(needed))
            self._inotify_set = needed
            self.log(f"fs.inotify.max_user_instances raised {current} → {needed} for {containers} containers")

    def running(self, key: str) -> bool:
        proc = self.ns_run(["lxc-info", "-P", str(self.lxcpath), "-n", self.items[key].name, "-s"], check=False)
        return b"RUNNING" in proc.stdout

    def cpu_ns(self, key: str) -> int:
        """CPU time the container has used (cgroup v1 cpuacct), in nanoseconds."""
        for path in Path("/sys/fs/cgroup/cpuacct").glob(f"lxc.payload.{self.items[key].name}*/cpuacct.usage"):
            return int(path.read_text())
        return 0

    def hang_server(self, port: int = 2222) -> tuple[str, int]:
        """A TCP server in the netns that accepts connections and never answers (a hung machine)."""
        proc = subprocess.Popen(self.netns_argv([sys.executable, "-c", HANG_SERVER, GATEWAY, str(port)]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.processes.append(proc)
        self._save_state()
        line = proc.stdout.readline()
        if b"ready" not in line:
            raise LabError("hang server did not start: " + proc.stderr.read().decode(errors="replace"))
        return GATEWAY, port

    @staticmethod
    def unreachable_address() -> str:
        """An address on the lab's bridge where no machine lives (connect fails: no route to host)."""
        return f"{SUBNET}.250"


def seed_identity(upper: Path, hostname: str, ip: str) -> None:
    """Files a container needs to differ from the image: no /dev/vda in fstab, its name, a static address."""
    (upper / "etc" / "systemd" / "network").mkdir(parents=True, exist_ok=True)
    (upper / "etc" / "fstab").write_text("")
    (upper / "etc" / "hostname").write_text(hostname + "\n")
    (upper / "etc" / "hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n")
    (upper / "etc" / "systemd" / "network" / "10-dhcp.network").write_text(
        f"[Match]\nName=eth0\n\n[Network]\nAddress={ip}/24\nGateway={GATEWAY}\n")


class StageLayers:
    """Overlay layers holding the state after the reference solutions up to a step (cached)."""

    def __init__(self, lab: ContainerLab):
        self.lab = lab
        self.root = cache_root()

    def key(self, stages: list[int], upto: int) -> str:
        h = hashlib.sha256()
        # The image dir is named by the hash of its inputs, but a rebuild with the same inputs gets new
        # files (new mtimes): the manifest's creation time tells the builds apart.
        manifest = self.lab.rootfs.parent / "manifest.json"
        built = json.loads(manifest.read_text()).get("created", "") if manifest.exists() else ""
        h.update(f"{LAYER_FORMAT}|{self.lab.rootfs.resolve()}|{built}".encode())
        for stage in stages:
            if stage > upto:
                break
            h.update(f"|cut{stage}".encode())
        for k in range(0, upto + 1):
            h.update((SOLUTIONS / f"step{k}.sh").read_bytes())
        return h.hexdigest()[:16]

    def ensure(self, stages: list[int]) -> dict[int, Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for leftover in self.root.glob(".tmp-*"):  # a build killed half-way
                _umount_all_under(leftover)
                subprocess.run(["rm", "-rf", "--one-file-system", str(leftover)], check=False)
            for old in self.root.iterdir():  # layers of images that no longer exist
                meta = old / "layer.json"
                with contextlib.suppress(OSError, ValueError):
                    recorded = json.loads(meta.read_text())
                    rootfs = Path(recorded["rootfs"])
                    manifest = rootfs.parent / "manifest.json"
                    current = json.loads(manifest.read_text()).get("created", "") if manifest.exists() else None
                    if old.is_dir() and (not rootfs.is_dir() or current != recorded.get("image_created")):
                        subprocess.run(["rm", "-rf", "--one-file-system", str(old)], check=False)
            layers: dict[int, Path] = {}
            previous = -1
            for stage in stages:
                path = self.root / self.key(stages, stage)
                if not (path / "complete").exists():
                    t0 = time.monotonic()
                    self._build(path, [layers[s] for s in layers], range(previous + 1, stage + 1))
                    self.lab.timings[f"layer stage{stage} (built)"] = round(time.monotonic() - t0, 1)
                    self.lab.log(f"built container layer for stage {stage} in {time.monotonic() - t0:.0f} s")
                layers[stage] = path / "root"
                previous = stage
            return layers

    def _build(self, path: Path, below: list[Path], steps: range) -> None:
        lab = self.lab
        tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
        subprocess.run(["rm", "-rf", "--one-file-system", str(tmp)], check=True)
        upper, work, merged = tmp / "root", tmp / "work", tmp / "merged"
        for d in (upper, work, merged):
            d.mkdir(parents=True)
        seed_identity(upper, "kurz-build", f"{SUBNET}.9")
        lowers = ":".join(str(p) for p in reversed([lab.rootfs, *below]))
        _run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lowers},upperdir={upper},workdir={work}",
              str(merged)])
        name = f"{lab.tag}-build"
        conf_dir = lab.lxcpath / name
        conf_dir.mkdir(parents=True, exist_ok=True)
        (conf_dir / "config").write_text("\n".join([
            "lxc.include = /usr/share/lxc/config/common.conf", "lxc.arch = amd64", "lxc.uts.name = kurz-build",
            f"lxc.rootfs.path = dir:{merged}", "lxc.apparmor.profile = unconfined", "lxc.net.0.type = veth",
            f"lxc.net.0.link = {BRIDGE}", "lxc.net.0.flags = up", "lxc.net.0.name = eth0",
            "lxc.net.0.hwaddr = 02:4b:00:00:ff:09", ""]))
        builder = Container("build", name, 0, -1, tmp)
        lab.items["build"] = builder
        lab.mounts.append(merged)
        lab._save_state()
        try:
            lab.start_all(["build"])
            lab.wait_ready(["build"])
            for k in steps:
                script = (SOLUTIONS / f"step{k}.sh").read_bytes()
                proc = lab.attach("build", "bash -s", user="vagrant", input=script, check=False, timeout=900)
                if proc.returncode != 0:
                    raise LabError(f"solution step{k} failed in the layer builder:\n"
                                   + (proc.stdout + proc.stderr).decode(errors="replace")[-3000:])
            lab.stop(["build"], kill=False)  # clean shutdown: PostgreSQL and friends flush their files
        finally:
            if lab.running("build"):
                lab.stop(["build"], kill=True)
            lab.items.pop("build", None)
            _umount(merged)
            lab.mounts.remove(merged)
            shutil.rmtree(conf_dir, ignore_errors=True)
        # The builder's own identity must not leak into the layer: each container seeds its own.
        for rel in ("etc/fstab", "etc/hostname", "etc/hosts", "etc/systemd/network/10-dhcp.network"):
            (upper / rel).unlink(missing_ok=True)
        subprocess.run(["rm", "-rf", "--one-file-system", str(work), str(merged)], check=True)
        manifest = lab.rootfs.parent / "manifest.json"
        (tmp / "layer.json").write_text(json.dumps({
            "rootfs": str(lab.rootfs), "steps": list(steps),
            "image_created": json.loads(manifest.read_text()).get("created", "") if manifest.exists() else "",
            "built": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        (tmp / "complete").write_text("")
        if path.exists():
            subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)
        tmp.rename(path)


def cleanup_stale(log=print) -> None:
    """Remove labs whose owning process is gone (a killed test run): containers, mounts, netns."""
    if not STATE_DIR.exists():
        return
    for state_file in STATE_DIR.glob("*.json"):
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            state_file.unlink(missing_ok=True)
            continue
        if pid_alive(int(state.get("pid", 0))):
            continue
        log(f"cleaning up a container lab left behind by PID {state.get('pid')}: {state.get('netns')}")
        netns = state["netns"]
        if Path(f"/run/netns/{netns}").exists() and Path(state["cgmounts"]).exists():
            names = state.get("containers", [])
            subprocess.run(["ip", "netns", "exec", netns, "bash", "-c", _CGROUP_WRAPPER, "nsrun", "sh", "-c",
                            'for n in "$@"; do lxc-stop -P "$LXCPATH" -n "$n" -k 2>/dev/null; done', "sh", *names],
                           env={**os.environ, "KURZ_CGMOUNTS": state["cgmounts"], "LXCPATH": state["lxcpath"]},
                           capture_output=True, timeout=120)
        for pid in state.get("pids", []):
            if pid_alive(pid) and "kurz-hang-server" in _cmdline(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
        for mount in reversed(state.get("mounts", [])):
            _umount(Path(mount))
        workdir = Path(state["workdir"])
        _umount_all_under(workdir)
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", str(workdir)], capture_output=True)
        state_file.unlink(missing_ok=True)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")


def _umount_all_under(root: Path) -> None:
    prefix = str(root.resolve()) + "/"
    points = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        _umount(Path(point))


def _umount(path: Path) -> None:
    for _ in range(20):
        proc = subprocess.run(["umount", str(path)], capture_output=True, text=True)
        if proc.returncode == 0 or "not mounted" in proc.stderr or "no mount point" in proc.stderr:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", str(path)], capture_output=True)
