"""Every course command the book (and README) shows works as typed in a new terminal.

The commands are taken from the sources as printed: fenced code blocks and inline code that start
with `./kurz` (or `sudo ./kurz`), plus what the exercise boxes render from exercises/course.toml
(the step's check command and `./kurz hint stepN`). Each one runs in a fresh login shell
(`bash -lc`, an empty environment but HOME/PATH/LANG) from the repository, and must be recognised:
exit 0, 1 or 2 with Czech output, never "command not found", a missing module or a traceback.

So that nothing leaves this machine and no VM is needed, the test only adds to a command:
* a check that would contact the course VM gets `--target local --project <a Django project>`;
* `lab` commands other than `status` get `--help` (they would build or boot a VM), and so does
  `new-check` (it would write into the course; tests/unit/test_scaffold.py runs it in a copy); `sudo` is dropped;
* web addresses and SSH hosts are mapped to a closed port on 127.0.0.1 (CHECKERS_CONNECT_TO,
  an SSH config), so those commands fail to connect, in Czech, exit 2;
* `watch` and `book --serve` (which run until stopped) are stopped with Ctrl-C after a while;
* `grade`, `regrade` and `class export` get a last `--out` in a temporary directory, so no gradebook
  lands in the repo.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from checkers.course import load_course
from tests.helpers.django_project import make_django_project

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^\s*(```+|~~~+)")
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
COURSE_COMMAND = re.compile(r"^(sudo\s+)?\./kurz(\s|$)")
# Commands that used to be printed and fail on a fresh Debian (no `python`; no packages for python3).
OLD_COMMAND = re.compile(r"(python3?|py -3|\.venv[/\\](bin|Scripts)[/\\]python)(\.exe)? -m (checkers|lab)\b")
CZECH = re.compile(r"[áčďéěíňóřšťúůýž]|\b(Chyba|neexistuje|Zkontrolujte|krok|stroj)\b", re.IGNORECASE)
SHELL_FAILURE = re.compile(r"command not found|ModuleNotFoundError|No module named|Traceback \(most recent call last\)"
                           r"|^\S*sh: .*(Permission denied|No such file or directory)", re.MULTILINE)
CONNECTS = re.compile(r"^(step\d+|\d+|all|next|doctor|watch)$")
RUNS_UNTIL_STOPPED = re.compile(r"^\./kurz (watch|book --serve)\b")


def book_sources() -> list[Path]:
    pages = [p for p in (REPO / "book").rglob("*.md") if "_build" not in p.parts and p.name != "README.md"]
    return sorted([REPO / "README.md", *pages])


def commands_in(text: str) -> list[str]:
    """Course commands in Markdown: lines of code blocks and inline code starting with ./kurz."""
    found, in_code = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        candidates = [line.strip().removeprefix("$ ")] if in_code else [m.group(1).strip() for m in INLINE.finditer(line)]
        found.extend(strip_comment(c) for c in candidates if COURSE_COMMAND.match(c))
    return found


def strip_comment(command: str) -> str:
    return re.split(r"\s+#\s", command, maxsplit=1)[0].strip()


def as_typed(command: str) -> str:
    """A reference's optional parts (`[--more]`) are not typed."""
    return re.sub(r"\s*\[[^\]]*\]", "", command).strip()


def shown_commands() -> dict[str, str]:
    """command → where it is shown (first place)."""
    shown: dict[str, str] = {}
    for path in book_sources():
        for command in commands_in(path.read_text(encoding="utf-8")):
            shown.setdefault(as_typed(command), str(path.relative_to(REPO)))
    for step in load_course().steps:
        shown.setdefault(step.command, f"exercises/course.toml [{step.id}]")
        shown.setdefault(f"./kurz hint {step.id}", f"cvičení {step.id} v knize (nápověda)")
    return shown


@dataclass
class Run:
    command: str
    rc: int
    output: str
    # `lab status` answers 3 for "not running", as `systemctl status` does
    allowed: tuple[int, ...] = (0, 1, 2, 130)

    def problem(self) -> str | None:
        """Why the command was not recognised as typed, or None."""
        failure = SHELL_FAILURE.search(self.output)
        if failure:
            return f"selhalo už spuštění: {failure.group(0)!r}"
        if self.rc not in self.allowed:
            return f"návratový kód {self.rc}"
        if not CZECH.search(self.output):
            return "výstup není česky"
        return None


def closed_port() -> socket.socket:
    """A bound socket that never listens: connecting to it is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def run_in_fresh_shell(command: str, home: Path, env_extra: dict | None = None, stop_after: float | None = None,
                       timeout: float = 600) -> Run:
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb",
           **(env_extra or {})}
    proc = subprocess.Popen(["bash", "-lc", command], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=stop_after or timeout)
    except subprocess.TimeoutExpired:
        if not stop_after:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as the student ends it
        out, _ = proc.communicate(timeout=60)
    return Run(command, proc.returncode, out)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A HOME with the course's Django project at ~/muj-web (the App Engine chapter's example path)."""
    home = tmp_path_factory.mktemp("home")
    project = make_django_project(home / "muj-web", debug=False, allowed_hosts=["127.0.0.1", "localhost"],
                                  secret="file", static_root="BASE_DIR / 'static'", git=True)
    refused = closed_port()
    port = refused.getsockname()[1]
    ssh_config = home / "ssh_config"
    ssh_config.write_text(f"Host *\n  HostName 127.0.0.1\n  Port {port}\n  ConnectTimeout 5\n")
    yield home, project, port, ssh_config
    refused.close()


def prepared(command: str, project: Path, port: int, ssh_config: Path) -> tuple[str, dict]:
    """The command as printed, plus only what keeps it on this machine (see the module's docstring)."""
    words = shlex.split(command)
    if words[0] == "sudo":
        words = words[1:]
    extra_env: dict[str, str] = {}
    args = words[1:]
    addition: list[str] = []
    if (args[:1] == ["lab"] and args[1:2] != ["status"]) or args[:1] == ["new-check"]:
        addition = ["--help"]  # parsed, nothing built or written (test_scaffold runs new-check in a copy)
    elif args[:1] in (["grade"], ["regrade"]) or args[:2] == ["class", "export"]:
        addition = ["--out", str(project.parent / "hodnoceni")]  # the last --out wins: nothing lands in the repo
    elif args and CONNECTS.match(args[0]) and "--target" not in args:
        addition = ["--target", "local", "--project", str(project)]
    hosts = set(re.findall(r"https?://([^/\s:…]+)", command)) | set(re.findall(r"ssh://[^@\s]+@([^/\s:]+)", command))
    hosts.discard("127.0.0.1")
    if hosts:
        extra_env["CHECKERS_CONNECT_TO"] = ",".join(f"{h}::127.0.0.1:{port}" for h in sorted(hosts))
        if "ssh://" in command:
            addition += ["--ssh-config", str(ssh_config)]
    typed = command.removeprefix("sudo ").strip()
    return " ".join([typed, *map(shlex.quote, addition)]), extra_env


def test_the_book_shows_course_commands():
    shown = shown_commands()
    assert len(shown) >= 20
    assert {"./kurz step3", "./kurz doctor", "./kurz hint step3"} <= set(shown)


def test_the_book_and_readme_never_show_a_command_that_fails_on_a_fresh_machine():
    offenders = [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for path in book_sources()
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if OLD_COMMAND.search(line)]
    assert offenders == []


def test_the_old_command_detector_finds_what_failed_before():
    assert OLD_COMMAND.search("spusťte `python -m checkers step3`")
    assert OLD_COMMAND.search(".venv/bin/python -m checkers book")
    assert not OLD_COMMAND.search("./kurz step3")
    assert not OLD_COMMAND.search(".venv/bin/python manage.py migrate  # na kurzovém stroji")


def test_extraction_reads_code_blocks_and_inline_code():
    text = ("Spusťte `./kurz hint step3 [--more]` nebo `ls`.\n\n```sh\n# na svém počítači\n"
            "./kurz step3      # nebo jen: ./kurz 3\nsudo ./kurz lab build\nvagrant up\n```\n")
    assert [as_typed(c) for c in commands_in(text)] == ["./kurz hint step3", "./kurz step3", "sudo ./kurz lab build"]


def tracked_changes() -> str:
    """What git says differs in the checker, the course data and the fixtures (a fresh clone: nothing)."""
    return subprocess.run(["git", "status", "--porcelain", "--", "checkers", "exercises", "tests/fixtures"],
                          cwd=REPO, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def repo_state_before() -> str:
    return tracked_changes()


@pytest.fixture(scope="module")
def runs(sandbox, tmp_path_factory, repo_state_before) -> dict[str, Run]:
    """Every shown command run once, several at a time (the book's own commands one after another)."""
    home, project, port, ssh_config = sandbox

    def run(command: str) -> Run:
        typed, extra_env = prepared(command, project, port, ssh_config)
        progress = tmp_path_factory.mktemp("progress")
        env = {"CHECKERS_HOME": str(progress), "CHECKERS_BOOK_HTML": str(progress / "no-book"), **extra_env}
        result = run_in_fresh_shell(typed, home, env, stop_after=8 if RUNS_UNTIL_STOPPED.match(command) else None)
        if command.startswith("./kurz lab status"):
            result.allowed = (0, 3)
        elif not RUNS_UNTIL_STOPPED.match(command):
            result.allowed = (0, 1, 2)
        return result

    def run_all(commands: list[str]) -> list[Run]:
        return [run(c) for c in commands]

    commands = sorted(shown_commands())
    book = [c for c in commands if c.startswith("./kurz book")]
    groups = [book] + [[c] for c in commands if c not in book]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [r for group in pool.map(run_all, groups) for r in group]
    return dict(zip([c for group in groups for c in group], results))


def test_running_the_shown_commands_changes_nothing_in_the_repository(runs, repo_state_before):
    assert tracked_changes() == repo_state_before


@pytest.mark.parametrize("command", sorted(shown_commands()))
def test_command_works_as_typed_in_a_fresh_shell(command, runs):
    run = runs[command]
    assert run.problem() is None, f"{command} (v knize: {shown_commands()[command]}) → {run.problem()}\n{run.output[-3000:]}"


@pytest.mark.parametrize("command, why", [
    ("python -m checkers step3", "command not found"),
    ("python3 -m checkers step3", "ModuleNotFoundError"),
    ("cp kurz {tmp}/kurz && chmod -x {tmp}/kurz && {tmp}/kurz step3", "Permission denied"),
])
def test_a_command_that_does_not_work_as_typed_is_caught(command, why, tmp_path):
    run = run_in_fresh_shell(command.format(tmp=tmp_path), tmp_path)
    assert run.problem() is not None and why in run.output


def test_english_or_silent_output_is_not_accepted():
    assert Run("x", 0, "usage: kurz [-h]\nerror: bad\n").problem() == "výstup není česky"
    assert Run("x", 0, "").problem() == "výstup není česky"
    assert Run("x", 3, "Chyba: něco").problem() == "návratový kód 3"
    assert Run("x", 2, "Chyba: stroj neběží.").problem() is None
