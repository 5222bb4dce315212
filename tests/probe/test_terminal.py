"""The CLI in a real pseudo-terminal (pexpect): colours, the spinner, and a quiet Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time

import pexpect

from tests.helpers.cli import REPO
from tests.helpers.django_project import make_django_project


def spawn(args: list[str], home, columns: int = 120) -> pexpect.spawn:
    env = {**os.environ, "CHECKERS_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": str(columns)}
    env.pop("NO_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "checkers", *args], cwd=str(REPO), env=env, encoding="utf-8",
                         timeout=120, dimensions=(40, columns), preexec_fn=_as_in_a_terminal)


def _as_in_a_terminal():
    # A test run started in the background (CI, `cmd &`) inherits SIGINT ignored, and so would the
    # CLI; a student's terminal gives it the default, which is what Ctrl-C must be tested against.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_colours_symbols_and_summary_in_a_terminal(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", debug=True)
    child = spawn(["--target", "local", "--project", str(project), "step1"], checkers_home)
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 1
    assert "\x1b[" in output  # ANSI colours in a terminal
    assert "✘" in output and "DEBUG je vypnutý" in output and "→" in output
    assert "Krok 1 zatím není splněný" in output


def test_no_color_option_removes_colours(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", debug=False)
    child = spawn(["--no-color", "--target", "local", "--project", str(project), "step1"], checkers_home)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[3" not in child.before  # no colour codes (cursor control for the spinner may remain)
    assert "✔" in child.before


def test_spinner_while_probing_and_ctrl_c_exits_130_quietly(tmp_path, checkers_home):
    inspecting = tmp_path / "inspecting"  # the slow settings say when the probe has reached them
    project = make_django_project(tmp_path / "p", extra=f"import pathlib, time\npathlib.Path({str(inspecting)!r}).touch()\n"
                                                         "time.sleep(30)\n")
    child = spawn(["--target", "local", "--project", str(project), "step1"], checkers_home)
    child.expect("Zkoumám stroj")  # the spinner's text while the probe runs
    deadline = time.monotonic() + 60
    while not inspecting.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert inspecting.exists(), child.before
    child.sendintr()
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 130, (child.exitstatus, child.signalstatus, child.before)
    assert "Traceback" not in child.before and "KeyboardInterrupt" not in child.before
