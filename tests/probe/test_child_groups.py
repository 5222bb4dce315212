"""Outside the probe too, every child is ended as a group on a timeout, Ctrl-C or an error: Vagrant
(`--target vagrant`), the book's build (`./kurz book [--serve]`) and the lab's QEMU runner with its
helpers (qemu-img, the SSH connection master). No VM is booted: fake programs first on PATH
(tests/helpers/fake_programs.py) record their PIDs and start a child of their own; afterwards
none of those PIDs may still run. The control case shows what a plain subprocess timeout leaves.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checkers.book import STAMP_FILE, fingerprint, is_page_source, source_files
from lab.build import inputs_hash
from tests.helpers.cli import REPO
from tests.helpers.fake_programs import (QEMU, QEMU_IMG, SSH, all_recorded, install, install_jupyter_book,
                                         wait_recorded)
from tests.helpers.processes import alive, survivors


@pytest.fixture
def fakes(tmp_path):
    bin_dir, pids = tmp_path / "bin", tmp_path / "pids"
    bin_dir.mkdir()
    pids.mkdir()
    yield bin_dir, pids
    survivors(all_recorded(pids), within=0)  # never leave anything behind


def env_with(bin_dir: Path, **extra: str) -> dict:
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONDONTWRITEBYTECODE": "1", **extra}


def start(args: list[str], env: dict, cwd: Path = REPO) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ------------------------------------------------------------------------------------ control
def test_control_a_plain_timeout_leaves_the_fakes_child_running(fakes):
    bin_dir, pids = fakes
    vagrant = install(bin_dir, pids, "vagrant")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([str(vagrant), "status"], env=env_with(bin_dir, FAKE_MODE="hang"), capture_output=True,
                       timeout=3)
    program, child = wait_recorded(pids, "vagrant", "vagrant-child")
    assert survivors([child], within=2) == [child]  # still running (ended here, by PID)
    assert survivors([program], within=2) == []


# ------------------------------------------------------------------------------------ Vagrant
@pytest.fixture
def vagrant_run(fakes, tmp_path, checkers_home):
    bin_dir, pids = fakes
    install(bin_dir, pids, "vagrant")
    (tmp_path / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\nend\n')

    def run(mode: str) -> subprocess.Popen:
        env = env_with(bin_dir, FAKE_MODE=mode, VAGRANT_CWD=str(tmp_path), CHECKERS_VAGRANT_TIMEOUT="4",
                       CHECKERS_HOME=str(checkers_home), CHECKERS_BOOK_HTML=str(checkers_home / "no-book"))
        return start([sys.executable, "-m", "checkers", "--target", "vagrant", "step0"], env)

    return run, pids


def test_a_hanging_vagrant_is_ended_as_a_group(vagrant_run):
    run, pids = vagrant_run
    t0 = time.monotonic()
    out, err = run("hang").communicate(timeout=60)
    started = wait_recorded(pids, "vagrant", "vagrant-child")
    assert "Vagrant neodpověděl do 4 s" in err and "Traceback" not in err, out + err
    assert time.monotonic() - t0 < 4 + 20
    assert survivors(started) == []


def test_ctrl_c_ends_vagrant_as_a_group(vagrant_run):
    run, pids = vagrant_run
    proc = run("hang")
    started = wait_recorded(pids, "vagrant", "vagrant-child")
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err, out + err
    assert survivors(started) == []


def test_a_failing_vagrant_leaves_nothing_running(vagrant_run):
    run, pids = vagrant_run
    proc = run("fail")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Vagrant skončil chybou" in err and "Traceback" not in err, out + err
    assert survivors(wait_recorded(pids, "vagrant", "vagrant-child")) == []


# --------------------------------------------------------------------------------------- book
BOOK_DRIVER = """
import functools, sys
from pathlib import Path
import checkers.book as book
from checkers.errors import CheckerError
book_dir, out_dir, limit, serve, port = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "serve", int(sys.argv[5])
book.BUILD_TIMEOUT = limit
book.build_book = functools.partial(book.build_book, book_dir=book_dir, output_dir=out_dir, exercises_dir=book_dir)
try:
    sys.exit(book.run_book(serve=serve, port=port))
except CheckerError as exc:
    print(exc.message, file=sys.stderr)
    sys.exit(2)
except KeyboardInterrupt:
    print("Přerušeno", file=sys.stderr)
    sys.exit(130)
"""


@pytest.fixture
def book_run(fakes, tmp_path):
    """The book's real build and server code, on a one-page book whose jupyter-book is a fake."""
    _, pids = fakes
    site = install_jupyter_book(tmp_path / "site", pids)
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    (book_dir / "intro.md").write_text("# Úvod\n")

    def run(mode: str, limit: float = 120, serve: bool = False, port: int = 8000, out: Path | None = None):
        env = {**os.environ, "FAKE_MODE": mode, "PYTHONPATH": f"{site}:{REPO}", "PYTHONDONTWRITEBYTECODE": "1"}
        return start([sys.executable, "-c", BOOK_DRIVER, str(book_dir), str(out or tmp_path / "out"), str(limit),
                      "serve" if serve else "build", str(port)], env)

    return run, pids, tmp_path


def test_a_hanging_book_build_is_ended_as_a_group(book_run):
    run, pids, _ = book_run
    out, err = run("hang", limit=4).communicate(timeout=60)
    assert "Sestavení knihy nedoběhlo ani za 4" in err, out + err
    assert survivors(wait_recorded(pids, "jupyter-book", "jupyter-book-child")) == []


def test_ctrl_c_during_book_serve_build_ends_the_build_as_a_group(book_run):
    run, pids, _ = book_run
    proc = run("hang", serve=True, port=free_port())
    started = wait_recorded(pids, "jupyter-book", "jupyter-book-child")
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert survivors(started) == []


def test_a_failed_book_build_leaves_nothing_running(book_run):
    run, pids, _ = book_run
    proc = run("fail")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Knihu se nepodařilo sestavit" in err and "sestaveni selhalo" in err, out + err
    assert survivors(wait_recorded(pids, "jupyter-book", "jupyter-book-child")) == []


def test_ctrl_c_ends_the_book_server(book_run):
    """--serve's server lives in the checker's own process: Ctrl-C ends it and frees the port."""
    run, _, tmp_path = book_run
    out_dir = tmp_path / "built"
    html = out_dir / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("<p>kniha</p>")
    files = source_files(tmp_path / "book", tmp_path / "book")  # built from today's sources: no build
    (out_dir / "_build" / STAMP_FILE).write_text(json.dumps({
        "sources": fingerprint(files),
        "machinery": fingerprint([p for p in files if not is_page_source(p, tmp_path / "book")])}))
    port = free_port()
    proc = run("", serve=True, port=port, out=out_dir)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Server knihy jsem ukončil" in out, out + err
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------- lab
@pytest.fixture
def lab(fakes, tmp_path):
    """`python -m lab up|down` with a fake image in the cache and fake QEMU (and optionally ssh)."""
    bin_dir, pids = fakes
    install(bin_dir, pids, "qemu-system-x86_64", QEMU)
    install(bin_dir, pids, "qemu-img", QEMU_IMG)
    image = tmp_path / "cache" / "django-v-produkci" / "images" / inputs_hash()
    image.mkdir(parents=True)
    for name in ("disk.qcow2", "vmlinuz", "initrd.img", "ssh_key"):
        (image / name).write_text("")
    (image / "manifest.json").write_text(json.dumps({"hash": inputs_hash()}))
    state = tmp_path / "lab"

    def run(*args: str, mode: str = "", fake_ssh: bool = False) -> subprocess.Popen:
        if fake_ssh:
            install(bin_dir, pids, "ssh", SSH)
        env = env_with(bin_dir, FAKE_MODE=mode, XDG_CACHE_HOME=str(tmp_path / "cache"), KURZ_LAB_HOME=str(state),
                       KURZ_ACCEL="tcg", KURZ_HTTP_PORT=str(free_port()))
        return start([sys.executable, "-m", "lab", *args], env)

    return run, pids


QEMU_PIDS = ("qemu", "qemu-child")


def test_lab_up_timeout_ends_qemu_and_what_it_started(lab):
    run, pids = lab
    proc = run("up", "--timeout", "3")  # the real ssh finds nothing listening: never ready
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2 and "neodpověděl přes SSH do 3 s" in err and "Traceback" not in err, out + err
    assert survivors(wait_recorded(pids, *QEMU_PIDS)) == []


def test_ctrl_c_during_lab_up_ends_qemu_and_what_it_started(lab):
    run, pids = lab
    proc = run("up", "--timeout", "120")
    started = wait_recorded(pids, *QEMU_PIDS)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Přerušeno" in err, out + err
    assert survivors(started) == []


def test_qemu_failing_after_it_daemonized_leaves_nothing_running(lab):
    run, pids = lab
    proc = run("up", "--timeout", "30", mode="fail")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2 and "QEMU se nepodařilo spustit" in err, out + err
    assert survivors(wait_recorded(pids, *QEMU_PIDS)) == []


def test_ctrl_c_while_qemu_starts_ends_its_group(lab):
    run, pids = lab
    proc = run("up", "--timeout", "30", mode="hang")
    started = wait_recorded(pids, "qemu-foreground", "qemu-foreground-child")
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert survivors(started) == []


def test_lab_down_ends_qemu_its_helper_and_a_hung_ssh_master(lab):
    run, pids = lab
    up = run("up", "--timeout", "60", fake_ssh=True)
    out, err = up.communicate(timeout=90)
    assert up.returncode == 0 and "Stroj běží" in out, out + err
    running = wait_recorded(pids, *QEMU_PIDS, "ssh-master")
    assert all(alive(pid) for pid in running)  # the VM and its SSH master run after `up`, as they should
    down = run("down", fake_ssh=True)
    out, err = down.communicate(timeout=90)
    assert down.returncode == 0 and "Stroj je vypnutý" in out, out + err
    assert survivors(running) == []
