"""Fuzz tier (`pytest -m fuzz`, part of the default run, bounded to about two minutes in all):
random command lines, damaged rosters and damaged recorded facts. Never a traceback, never an
internal error for what a user can type, never a secret repeated, exit codes only 0/1/2/130.

Seeded: a failure prints its seed, and FUZZ_SEED=… reproduces it."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import random
import time
from pathlib import Path

import pytest

from checkers.errors import CheckerError

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(2**32))
FACTS = Path(__file__).resolve().parents[1] / "fixtures" / "facts"
CANARY = "Fuzz9kanarek7Heslo"
WEIRD = ["", " ", "-", "--", "0", "-1", "1e309", "nan", "-inf", "9" * 40, "0x10", "1,5", "ü", "č" * 300, "\x1b[2J",
         "$(id)", "`id`", "'", '"', "\\", "%s%n", "../../etc/passwd", "/", ".", "~", "\t", "ssh://", "ssh://@",
         "ssh://u@[", "ssh://u@[::1", "ssh://u@[zz]:1", "ssh://u@[::1;id]:22", "ssh://u@h:0", "ssh://u@h:65536",
         "ssh://u@h:-1", f"ssh://u:{CANARY}@127.0.0.1:1", "vagrant:", "vagrant:a/b", "http://", "https://[",
         "local", "lab", "step", "step-1", "step00", "stepA", "web", "\u202e", "\ud800".encode("utf-8", "surrogatepass")
         .decode("utf-8", "replace")]
COMMANDS = ["", "list", "status", "hint", "step0", "step3", "3", "all", "next", "target", "regrade", "roster", "grade",
            "watch", "doctor", "nesmysl", "step99"]
OPTIONS = {"--target": 1, "--project": 1, "--identity": 1, "--ssh-config": 1, "--host-key": 1, "--json": 0,
           "--timeout": 1, "--no-color": 0, "--more": 0, "--interval": 1, "--port": 1, "--facts": 1,
           "--save-facts": 1, "--out": 1, "--concurrency": 1, "--run": 1, "--vagrant": 1, "--profile": 1}


def leaked_password(text: str) -> bool:
    """A password in a URL repeated in a message (the canary anywhere else is just text)."""
    import re

    return any(m.group(1) != "«skryto»" for m in re.finditer(r"://[^\s/:@]*:([^\s@/]+)@", text))


def report_seed(request):
    request.node.user_properties.append(("fuzz_seed", SEED))


def random_value(rng: random.Random, closed_port: int, tmp: Path) -> str:
    choice = rng.random()
    if choice < 0.45:
        return rng.choice(WEIRD)
    if choice < 0.6:
        return str(rng.choice([rng.randint(-10, 10), rng.uniform(-1e6, 1e6), rng.randint(0, 2**70)]))
    if choice < 0.75:
        return rng.choice([f"ssh://u@127.0.0.1:{closed_port}", f"ssh://u@[::1]:{closed_port}", str(tmp / "nic"),
                           str(tmp), str(tmp / "soubor.txt"), str(tmp / "fakta.json")])
    return "".join(rng.choice("aZ09-_./:@[]%;$ čšž\n") for _ in range(rng.randint(0, 30)))


def random_argv(rng: random.Random, closed_port: int, tmp: Path) -> list[str]:
    argv = []
    command = rng.choice(COMMANDS)
    if command:
        argv.append(command)
    if command in ("hint", "target", "grade", "watch") and rng.random() < 0.7:
        argv.append(random_value(rng, closed_port, tmp))
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(list(OPTIONS))
        argv.append(name)
        if OPTIONS[name]:
            argv.append(random_value(rng, closed_port, tmp))
    if "--target" not in argv:  # never the default target (a Vagrant VM): a closed port on loopback
        argv += ["--target", f"ssh://u@127.0.0.1:{closed_port}"]
    argv += ["--timeout", "3"] if "--timeout" not in argv else []
    rng.shuffle(argv) if rng.random() < 0.1 else None
    return [a for a in argv if a not in ("local", "lab") and not a.startswith("vagrant")] or ["list"]


def run_main(argv: list[str]) -> tuple[int, str]:
    from checkers.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue() + err.getvalue()


def test_fuzz_command_lines(tmp_path, monkeypatch, request):
    from tests.helpers.sshd import free_port

    report_seed(request)
    rng = random.Random(SEED)
    monkeypatch.setenv("CHECKERS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHECKERS_BOOK_HTML", str(tmp_path / "no-book"))
    monkeypatch.setenv("CHECKERS_TARGET", "ssh://u@127.0.0.1:1")
    monkeypatch.setenv("KURZ_STUDENTS", "")
    monkeypatch.chdir(tmp_path)  # relative paths (a default --out) land here, never in the repository
    (tmp_path / "soubor.txt").write_text("x")
    (tmp_path / "fakta.json").write_text((FACTS / "vm-fresh.json").read_text())
    closed = free_port()
    deadline = time.monotonic() + 50
    runs = 0
    while time.monotonic() < deadline:
        argv = random_argv(rng, closed, tmp_path)
        if {"book", "lint", "web"} & set(argv) or "watch" in argv and "--facts" in argv:
            continue  # builds the book / loops on saved facts until passed: not a parser's business
        rc, output = run_main(argv)
        runs += 1
        context = f"seed {SEED}, argv {argv!r}:\n{output[-2000:]}"
        assert rc in (0, 1, 2, 130), context
        assert "Traceback" not in output, context
        assert "vnitřní chyb" not in output, context
        assert not leaked_password(output), context
    assert runs >= 20


def test_fuzz_rosters(tmp_path, request):
    from checkers.grading.roster import parse_roster

    report_seed(request)
    rng = random.Random(SEED + 1)
    key = tmp_path / "klic"
    key.write_text("klic")
    base = ("name,id,target,identity,project\r\nAdéla Čermáková,adela@skola.cz,ssh://vagrant@10.0.0.11,klic,\r\n"
            f"Bob,bob,ssh://u:{CANARY}@10.0.0.12,,\r\nCyril,c,local,,/srv/p\r\nDana,d,https://d.example,,\r\n")
    pieces = [",", ";", '"', "\r\n", "\n", "\x00", "\ufeff", "=", "@", "[", "]", ":", "ssh://", "vagrant:", " ", "č",
              "\x1b", "$(id)", CANARY, "/", "..", "\t", "\xa0"]
    deadline = time.monotonic() + 25
    runs = 0
    while time.monotonic() < deadline:
        text = base
        for _ in range(rng.randint(1, 8)):
            at = rng.randint(0, len(text))
            action = rng.random()
            if action < 0.4:
                text = text[:at] + rng.choice(pieces) + text[at:]
            elif action < 0.7:
                text = text[:at] + text[at + rng.randint(1, 10):]
            else:
                text = text[:at] + text[at:at + 20][::-1] + text[at + 20:]
        encoding = rng.choice(["utf-8", "utf-8-sig", "cp1250", "latin-1", "utf-16"])
        raw = text.encode(encoding, "replace")
        if rng.random() < 0.1:
            raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        runs += 1
        try:
            entries = parse_roster(raw, base_dir=tmp_path, notes=[])
        except CheckerError as exc:
            assert exc.message and not leaked_password(exc.message + exc.hint), (SEED, raw)
            continue
        for entry in entries:
            assert entry.kind in ("ssh", "vagrant", "lab", "local", "url"), (SEED, raw)
            assert entry.project is None or entry.project.startswith("/"), (SEED, raw)
    assert runs >= 100


def damage(rng: random.Random, node, depth: int = 0):
    junk = [None, "", 0, -1, 1e309, True, [], {}, "x" * 5000, ["a", None], {"a": None}, "«skryto»", "\x00"]
    if isinstance(node, dict) and node:
        node = dict(node)
        for key in rng.sample(list(node), k=max(1, len(node) // 6)):
            action = rng.random()
            if action < 0.25:
                del node[key]
            elif action < 0.5 or depth > 6:
                node[key] = copy.deepcopy(rng.choice(junk))
            else:
                node[key] = damage(rng, node[key], depth + 1)
        return node
    if isinstance(node, list) and node:
        node = list(node)
        index = rng.randrange(len(node))
        node[index] = damage(rng, node[index], depth + 1) if rng.random() < 0.6 else copy.deepcopy(rng.choice(junk))
        return node
    return copy.deepcopy(rng.choice(junk)) if rng.random() < 0.5 else node


def test_fuzz_damaged_facts(request, tmp_path):
    from checkers import doctor, session
    from checkers.course import load_course
    from checkers.report import json_report
    from checkers.report.terminal import TerminalReport

    report_seed(request)
    rng = random.Random(SEED + 2)
    course = load_course()
    originals = [json.loads(p.read_text()) for p in sorted(FACTS.glob("vm-*.json"))]
    steps = list(course.required_steps)
    deadline = time.monotonic() + 30
    runs = 0
    crashes = []
    while time.monotonic() < deadline:
        facts = damage(rng, rng.choice(originals))
        facts = json.loads(json.dumps(facts, default=str))  # what a damaged file on disk can hold
        runs += 1
        try:
            results = session.evaluate(facts, course, steps)
            json.dumps(doctor.document(doctor.examine(facts, course), "fuzz"))
            json.dumps(json_report.runs_document(results, "fuzz", "all"))
            report = TerminalReport(no_color=True)
            buffer = io.StringIO()
            report.console.file = buffer
            report.runs(results, course, "fuzz")
        except Exception as exc:  # noqa: BLE001
            crashes.append(f"{type(exc).__name__}: {exc}")
            continue
        errors = [r for run in results for r in run.results if r.status.value == "error"]
        assert all(r.message for r in errors)  # a check that crashed says so politely
    assert runs >= 20
    assert crashes == [], f"seed {SEED}: {crashes[:5]}"
