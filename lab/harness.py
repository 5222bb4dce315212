"""Test harness on top of lab.vm: one VM per test session, snapshots for fast resets.

Used by tests/vm/conftest.py (fixture `vm`). Everything here runs on the host.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lab.errors import LabError
from lab.paths import LAB_DIR, instances_dir
from lab.vm import VM, pid_alive

STEPS = [f"step{i}" for i in range(12)]
SESSION_PREFIX = "pytest-"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib API
        return None


@dataclass
class HttpClient:
    """Requests from the host to the VM's forwarded port 80 (cookies kept, no redirects followed)."""

    port: int
    host_header: str | None = None
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def request(self, path: str, *, data: dict | None = None, headers: dict | None = None,
                timeout: float = 90) -> HttpResponse:
        url = f"http://127.0.0.1:{self.port}{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=dict(headers or {}))
        if self.host_header:
            req.add_header("Host", self.host_header)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        try:
            with opener.open(req, timeout=timeout) as resp:
                return HttpResponse(resp.status, dict(resp.headers.items()), resp.read(), url)
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, dict(exc.headers.items()), exc.read(), url)

    def get(self, path: str, *, retry_for: float = 0, expect: int = 200, **kw) -> HttpResponse:
        """GET; with retry_for > 0 retry (connection errors or another status) until `expect`."""
        end = time.monotonic() + retry_for
        while True:
            try:
                resp = self.request(path, **kw)
                if resp.status == expect or time.monotonic() >= end:
                    return resp
            except (OSError, urllib.error.URLError):  # incl. TimeoutError
                if time.monotonic() >= end:
                    raise
            time.sleep(0.5)


class CourseVM(VM):
    """The session's VM plus what tests need: HTTP from the host, solutions up to a step with
    cached snapshots (`at_step`), the fresh state (`reset`)."""

    FRESH = "fresh"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timings: dict[str, float] = {}
        self._snapshots: set[str] = set()

    @property
    def http(self) -> HttpClient:
        return HttpClient(self.http_port)

    def http_get(self, path: str = "/", **kw) -> HttpResponse:
        return self.http.get(path, **kw)

    def snapshot(self, name: str) -> float:
        took = super().snapshot(name)
        self._snapshots.add(name)
        self.timings[f"savevm {name}"] = round(took, 2)
        return took

    # After loadvm QEMU's translated-code cache is empty, so the first request through the whole
    # stack is slow (seconds; much more on a busy host). One warm-up request keeps that cost out
    # of the tests' own time-outs. Harmless when nothing listens.
    WARM_UP = "systemctl is-active -q nginx && curl -s -o /dev/null -m 90 http://127.0.0.1/; true"

    def restore(self, name: str) -> float:
        took = super().restore(name)
        self.run(self.WARM_UP, check=False, timeout=120)
        self.timings[f"loadvm {name}"] = round(took, 2)
        return took

    def has_snapshot(self, name: str) -> bool:
        return name in self._snapshots

    def reset(self) -> None:
        """Back to the freshly provisioned VM (none of the steps done)."""
        self.restore(self.FRESH)

    def at_step(self, step: str | int) -> None:
        """Put the VM in the state after the reference solutions step0 … `step` (inclusive).

        The first call applies the missing solutions on top of the closest snapshot and saves
        `solved-stepK` after each step K; later calls for any of them just restore (about 3 s)."""
        n = int(str(step).removeprefix("step"))
        target = f"solved-step{n}"
        if self.has_snapshot(target):
            self.restore(target)
            return
        start = -1
        for k in range(n, -1, -1):
            if self.has_snapshot(f"solved-step{k}"):
                start = k
                break
        self.restore(f"solved-step{start}" if start >= 0 else self.FRESH)
        for k in range(start + 1, n + 1):
            t0 = time.monotonic()
            self.apply_solution(f"step{k}")
            self.timings[f"solution step{k}"] = round(time.monotonic() - t0, 1)
            # Every intermediate state is kept: later at_step() calls for any k are a restore.
            self.snapshot(f"solved-step{k}")


def cleanup_stale_sessions(log=print) -> None:
    """Stop VMs of earlier test sessions whose pytest process is gone (killed runs)."""
    root = instances_dir()
    if not root.exists():
        return
    for d in root.glob(f"{SESSION_PREFIX}*"):
        owner = d / "owner.pid"
        try:
            owner_pid = int(owner.read_text())
        except (OSError, ValueError):
            owner_pid = None
        if owner_pid is not None and pid_alive(owner_pid):
            continue
        vm = VM(d.name, state_dir=d, ephemeral=True)
        if vm.is_running():
            log(f"stopping a VM left behind by an earlier test session: {d} (PID {vm.pid})")
            vm.stop(graceful=False)
        subprocess.run(["rm", "-rf", "--one-file-system", str(d)], check=False)


def ensure_host_ready() -> None:
    """Install the host packages for the QEMU path if missing (idempotent, quick when present)."""
    if os.geteuid() == 0:
        proc = subprocess.run(["bash", str(LAB_DIR / "install-host-deps.sh")], capture_output=True, text=True)
        if proc.returncode != 0:
            raise LabError("Instalace nástrojů pro VM selhala:\n" + proc.stdout + proc.stderr)


def start_session_vm(log=print) -> CourseVM:
    """Build/get the image, boot one VM for the session, save the 'fresh' snapshot."""
    from lab.build import ensure_image

    ensure_host_ready()
    cleanup_stale_sessions(log)
    t0 = time.monotonic()
    image = ensure_image(progress=True)
    image_s = time.monotonic() - t0
    name = f"{SESSION_PREFIX}{os.getpid()}"
    state_dir = instances_dir() / name
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "owner.pid").write_text(str(os.getpid()))
    vm = CourseVM(name, image=image, state_dir=state_dir, http_port=0, ephemeral=True, log=log)
    t0 = time.monotonic()
    vm.start()  # ends its QEMU itself when it fails
    try:  # the caller gets no VM to stop when this fails (Ctrl-C included): stop it here
        state = vm.wait_ready(timeout=120)
        vm.timings["image (cached or built)"] = round(image_s, 1)
        vm.timings["boot to ready"] = round(time.monotonic() - t0, 1)
        if state != "running":
            failed = vm.run("systemctl --failed --no-legend", check=False).stdout
            raise LabError(f"Stroj nastartoval ve stavu {state!r}, selhané jednotky:\n{failed}")
        vm.snapshot(CourseVM.FRESH)
    except BaseException:
        vm.stop(graceful=False)
        raise
    return vm


def stop_session_vm(vm: CourseVM) -> None:
    try:
        vm.stop()
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(vm.dir)], check=False)


def write_timings(vm: CourseVM, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(vm.timings, indent=2, ensure_ascii=False) + "\n")


def settings_value(vm: VM, expr: str) -> str:
    """Evaluate a Python expression on django.conf.settings inside the project (as vagrant)."""
    code = f"from django.conf import settings; print(repr({expr}))"
    proc = vm.run(
        "cd /srv/my_project && DJANGO_SETTINGS_MODULE=my_project.settings .venv/bin/python -c "
        + _shell_quote("import django; django.setup(); " + code)
    )
    return proc.stdout.strip()


def _shell_quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


