"""The one remote command and the self-contained probe script, run by a real sh and python3.

The shell logic is exercised as an unprivileged user (nobody when the tests run as root) with a
stand-in `sudo` on PATH that behaves like sudo's three outcomes: it runs the command, it refuses
(exit 1, stdin untouched), or it is not installed. Real sudo is exercised on the course VM (the
vagrant user) and in the SVS profile test (a user without sudo).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from checkers import probe_bundle
from checkers.probe_bundle import NO_SUDO_MARKER, PROBE_FAILED_RC, REMOTE_COMMAND, build_script

# Stands in for the probe: says who ran it, and fails like the probe's loader when asked to.
TINY_PROBE = (
    "import json, os, sys\n"
    "if os.environ.get('TINY_FAIL'):\n"
    f"    os._exit({PROBE_FAILED_RC})\n"
    "print(json.dumps({'uid': os.getuid(), 'via': os.environ.get('VIA', 'direct')}))\n"
)
SUDO_RUNS = "#!/bin/sh\n[ \"$1\" = -n ] && shift\nVIA=sudo exec \"$@\"\n"
SUDO_REFUSES = "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n"


@pytest.fixture
def bin_dir():
    """The remote PATH: python3, id and the stand-in sudo, if any (a directory the user nobody can
    reach; pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="kurz-bin-"))
    path.chmod(0o755)
    for tool in ("python3", "id"):
        (path / tool).symlink_to(shutil.which(tool, path="/usr/bin:/bin"))
    yield path
    shutil.rmtree(path)


def run_remote(bin_dir: Path, sudo: str | None, script: str, env: dict | None = None):
    if sudo is not None:
        (bin_dir / "sudo").write_text(sudo)
        (bin_dir / "sudo").chmod(0o755)
    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    full_env = {"PATH": str(bin_dir), **(env or {})}
    return subprocess.run(as_user + ["/usr/bin/env", "-i", *[f"{k}={v}" for k, v in full_env.items()], "/bin/sh", "-c",
                                     REMOTE_COMMAND],
                          input=script.encode(), capture_output=True, timeout=60)


def test_passwordless_sudo_runs_the_probe_once_without_the_marker(bin_dir):
    result = run_remote(bin_dir, SUDO_RUNS, TINY_PROBE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["via"] == "sudo"
    assert NO_SUDO_MARKER.encode() not in result.stderr


@pytest.mark.parametrize("sudo", [SUDO_REFUSES, None], ids=["sudo-refuses", "no-sudo"])
def test_without_sudo_the_probe_runs_as_the_login_user_and_says_so(bin_dir, sudo):
    result = run_remote(bin_dir, sudo, TINY_PROBE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["via"] == "direct"  # the script was still unread
    assert NO_SUDO_MARKER.encode() in result.stderr


def test_a_probe_failing_under_sudo_is_not_run_again(bin_dir):
    result = run_remote(bin_dir, SUDO_RUNS, TINY_PROBE, env={"TINY_FAIL": "1"})
    assert result.returncode == PROBE_FAILED_RC
    assert NO_SUDO_MARKER.encode() not in result.stderr


def run_script(script: str):
    return subprocess.run(["/usr/bin/python3", "-I", "-"], input=script.encode(), capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def probe_script() -> str:
    return build_script({"project": "/nonexistent-project", "profile": "vm"})


def replace_line(script: str, prefix: str, line: str) -> str:
    old = next(text for text in script.splitlines() if text.startswith(prefix))
    return script.replace(old, line, 1)


def test_the_script_runs_from_its_compiled_code_and_from_sources_alike(probe_script):
    # Sources that would fail if compiled: the run can only succeed on the shipped code.
    poisoned = dict(probe_bundle._sources(), **{"checkers.probe.main": "raise SystemExit('compiled from source')"})
    code_only = replace_line(probe_script, "_SOURCES = ", f"_SOURCES = {probe_bundle._packed(json.dumps(poisoned).encode())!r}")
    from_sources = replace_line(probe_script, "_MAGIC = ", "_MAGIC = 'ffff0d0a'")  # another Python's bytecode
    results = [run_script(script) for script in (code_only, from_sources)]
    for result in results:
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        facts = json.loads(result.stdout)
        assert facts["schema"] == 1 and facts["app"]["project_dir"] == "/nonexistent-project"
    assert json.loads(results[0].stdout).keys() == json.loads(results[1].stdout).keys()
    assert run_script(replace_line(code_only, "_MAGIC = ", "_MAGIC = 'ffff0d0a'")).returncode == PROBE_FAILED_RC


def test_a_failing_probe_exits_with_its_own_code_and_a_traceback(probe_script):
    broken = probe_script.replace("_PARAMS = ", "_PARAMS = '{not json' or ", 1)
    result = run_script(broken)
    assert result.returncode == PROBE_FAILED_RC
    assert b"Traceback" in result.stderr and result.stdout == b""
