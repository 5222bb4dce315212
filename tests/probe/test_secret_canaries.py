"""No secret on any failure path: a corpus of hostile settings, each holding canary values, checked
with the real CLI (`--target local` and SSH to a real sshd on 127.0.0.1) and through `grade`.

A canary may appear nowhere: stdout, stderr, the saved facts (CHECKERS_HOME/facts/*.json and
--save-facts), the progress files, error logs, the gradebook (SQLite, its journal files) and the
exports. A control value printed by the same settings (not a secret) MUST appear in the facts: it
proves that the project's output is kept and searched, so the test can fail.
"""

from __future__ import annotations

import csv
import json
import secrets
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.django_project import make_django_project
from tests.helpers.sshd import Sshd

RUN = secrets.token_hex(4)


def canary(case: str, n: int) -> str:
    return f"Kanarek{n}x{case.replace('_', '')[:12]}Q{RUN}z"


@dataclass
class Case:
    name: str
    settings: str  # appended to settings.py; {c1} {c2} canaries, {r1} {r2} the canaries reversed
    files: dict = field(default_factory=dict)  # extra project files (relative path -> text, formatted alike)
    control: bool = False  # prints a control value that must be found

    def values(self) -> dict:
        c1, c2 = canary(self.name, 1), canary(self.name, 2)
        return {"c1": c1, "c2": c2, "r1": c1[::-1], "r2": c2[::-1], "control": control_value(self.name)}

    @property
    def canaries(self) -> list[str]:
        values = self.values()
        return [values["c1"], values["c2"]]


def control_value(case: str) -> str:
    return f"kontrolaViditelna{case.replace('_', '')}{RUN}"


CASES = [
    # The cases: the key as the variable's name, a message quoting both, printed before failing.
    Case("keyerror_name", "import os\nSECRET_KEY = os.environ['{c1}']\n"),
    Case("valueerror_both", "SECRET_KEY = '{c1}'\nPASSWORD = '{c2}'\n"
                            "raise ValueError('spatne nastaveni: ' + SECRET_KEY + ' / ' + PASSWORD)\n"),
    Case("print_then_fail", "import sys\nSECRET_KEY = '{c1}'\nDB_PASSWORD = '{c2}'\nprint('klic je', SECRET_KEY)\n"
                            "print('heslo je', DB_PASSWORD, file=sys.stderr)\nprint('{control}')\n"
                            "raise RuntimeError('nastaveni selhalo')\n", control=True),
    # Values computed at run time (not in the source): found in the failing settings' own variables.
    Case("computed_then_fail", "SECRET_KEY = ''.join(reversed('{r1}'))\nprint(SECRET_KEY)\n"
                               "raise ValueError(SECRET_KEY)\n"),
    Case("subprocess_output", "import os, subprocess\nSECRET_KEY = '{r1}'[::-1]\n"
                              "subprocess.run(['echo', SECRET_KEY])\nos.write(2, SECRET_KEY.encode())\n"
                              "os.system('echo ' + SECRET_KEY)\nraise ImportError('chybi modul')\n"),
    Case("sys_exit_with_key", "import sys\nSECRET_KEY = '{r1}'[::-1]\nsys.exit(SECRET_KEY)\n"),
    Case("os_exit_after_print", "import os\nSECRET_KEY = '{r1}'[::-1]\nprint(SECRET_KEY, flush=True)\nos._exit(3)\n"),
    Case("segfault_after_print", "import ctypes, sys\nSECRET_KEY = '{r1}'[::-1]\nprint(SECRET_KEY, flush=True)\n"
                                 "sys.stderr.write(SECRET_KEY)\nprint('{control}', flush=True)\nctypes.string_at(0)\n",
         control=True),
    Case("syntax_error", "SECRET_KEY = '{c1}' +\n"),
    Case("database_url", "DATABASE_URL = 'postgres://kurz:{c1}@127.0.0.1:1/kurz'\n"
                         "from django.core.exceptions import ImproperlyConfigured\n"
                         "raise ImproperlyConfigured('nejde se pripojit k ' + DATABASE_URL)\n"),
    Case("local_settings", "from .local_settings import *\n",
         files={"my_project/local_settings.py": "EMAIL_HOST_PASSWORD = '{c1}'\n"
                                                "raise Exception('heslo ' + EMAIL_HOST_PASSWORD)\n"}),
    Case("dotenv", "import pathlib\nraise KeyError(pathlib.Path(BASE_DIR / '.env').read_text())\n",
         files={".env": "DJANGO_SECRET_KEY={c1}\nDB_PASSWORD='{c2}'\n"}),
    Case("repr_of_databases", "import os\nDATABASES['default']['PASSWORD'] = os.environ.get('DJANGO_DB_PASSWORD', '{c1}')\n"
                              "from django.core.exceptions import ImproperlyConfigured\n"
                              "raise ImproperlyConfigured(repr(DATABASES))\n"),
    # Settings that load, yet print secrets (literal and computed) while loading.
    Case("loads_but_prints", "SECRET_KEY = '{c1}'\nEMAIL_HOST_PASSWORD = '{c2}'\nAPI_TOKEN = '{r1}'[::-1] + 'x'\n"
                             "import warnings\nwarnings.warn('klic ' + SECRET_KEY)\n"
                             "print(SECRET_KEY, EMAIL_HOST_PASSWORD, API_TOKEN)\nprint('{control}')\n", control=True),
    Case("thread_traceback", "import threading\nSECRET_KEY = '{r1}'[::-1]\n"
                             "def boom():\n    raise RuntimeError(SECRET_KEY)\n"
                             "t = threading.Thread(target=boom)\nt.start()\nt.join()\n"),
    Case("hang_after_print", "import time\nSECRET_KEY = '{r1}'[::-1]\nprint(SECRET_KEY, flush=True)\n"
                             "print('{control}', flush=True)\ntime.sleep(600)\n", control=True),
    # Interpreters that die (a signal, abort, a crash): what they printed is kept, masked.
    Case("killed_by_signal", "import os, signal, sys\nSECRET_KEY = '{c1}'\nDB_PASSWORD = '{r2}'[::-1]\n"
                             "print('klic', SECRET_KEY, 'heslo', DB_PASSWORD, flush=True)\n"
                             "sys.stderr.write('DATABASE_URL=postgres://kurz:' + DB_PASSWORD + '@db/kurz\\n')\n"
                             "print('{control}', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n", control=True),
    Case("subprocess_then_abort", "import os, subprocess\nSECRET_KEY = '{r1}'[::-1]\nAPI_TOKEN = '{r2}'[::-1]\n"
                                  "subprocess.run(['echo', SECRET_KEY])\nos.system('echo ' + API_TOKEN)\n"
                                  "os.write(1, ('{control}' + chr(10)).encode())\nos.abort()\n", control=True),
    Case("os_write_then_segfault", "import ctypes, os\nEMAIL_HOST_PASSWORD = '{r1}'[::-1]\n"
                                   "os.write(2, EMAIL_HOST_PASSWORD.encode())\nos.write(2, b' {control}' + bytes([10]))\n"
                                   "ctypes.string_at(0)\n", control=True),
    Case("dotenv_then_killed", "import os, signal, pathlib\nprint(pathlib.Path(BASE_DIR / '.env').read_text(), flush=True)\n"
                               "print('{control}', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n",
         files={".env": "DJANGO_SECRET_KEY={c1}\nSTRIPE_TOKEN={c2}\n"}, control=True),
]
HANGS = {"hang_after_print"}
TIMEOUT = "16"  # the hang is cut after half of it


def build(root: Path, case: Case) -> Path:
    values = case.values()
    project = make_django_project(root / case.name, secret="none", debug=False,
                                  extra="\n" + case.settings.format(**values))
    for relative, text in case.files.items():
        (project / relative).write_text(text.format(**values))
    return project


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    return {case.name: build(root, case) for case in CASES}


def leaks(text: str, values: list[str]) -> list[str]:
    return [v for v in values if v in text]


def everything_under(*roots: Path) -> str:
    out = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out.append(f"--- {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_canary_leaves_a_hostile_project_locally(case, corpus, tmp_path, checkers_home):
    project = corpus[case.name]
    saved = tmp_path / "ulozena-fakta.json"
    terminal = run_cli("--target", "local", "--project", str(project), "--timeout", TIMEOUT, "--save-facts", str(saved),
                       "all", home=checkers_home, env={"COLUMNS": "300"})
    assert terminal.rc in (1, 2), terminal.stdout + terminal.stderr
    assert "Traceback" not in terminal.stdout + terminal.stderr
    assert "vnitřní chyb" not in terminal.stdout + terminal.stderr
    replayed = run_cli("--facts", str(saved), "--json", "all", home=checkers_home)
    doctor = run_cli("--facts", str(saved), "doctor", home=checkers_home)
    assert replayed.rc == terminal.rc and doctor.rc in (0, 1, 2)
    outputs = "\n".join(r.stdout + r.stderr for r in (terminal, replayed, doctor))
    stored = everything_under(checkers_home, tmp_path)
    assert (checkers_home / "facts" / "local.json").is_file()
    assert leaks(outputs, case.canaries) == [], outputs
    assert leaks(stored, case.canaries) == []
    facts = json.loads(saved.read_text())
    assert facts["django"], "the inspection left no facts"
    if case.control:  # the project's output is kept (masked), so a leak would have been found
        assert control_value(case.name) in json.dumps(facts["django"], ensure_ascii=False)
        printed = facts["django"].get("stderr_tail") or facts["django"].get("output_tail")
        assert "«skryto»" in printed and control_value(case.name) in printed


def test_the_settings_error_is_still_explained(corpus, checkers_home):
    """Masking hides the values, not the diagnosis: the error's type, file and line remain."""
    result = run_cli("--target", "local", "--project", str(corpus["valueerror_both"]), "--json", "step0",
                     home=checkers_home)
    message = " ".join(c["message"] for c in result.json["checks"])
    assert "ValueError" in message and "settings.py" in message and "«skryto»" in message
    assert canary("valueerror_both", 1) not in result.stdout


# ----------------------------------------------------------------------------------- over SSH
@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


SSH_CASES = ["keyerror_name", "valueerror_both", "print_then_fail", "subprocess_output", "loads_but_prints",
             "killed_by_signal"]


def test_no_canary_leaves_over_ssh(corpus, sshd, tmp_path, checkers_home):
    found = []
    for name in SSH_CASES:
        case = next(c for c in CASES if c.name == name)
        saved = tmp_path / f"{name}.json"
        result = run_cli("--target", f"ssh://root@127.0.0.1:{sshd.port}", "--identity", str(sshd.client_key),
                         "--project", str(corpus[name]), "--save-facts", str(saved), "all", home=checkers_home)
        assert result.rc in (1, 2) and "Traceback" not in result.stderr, result.stdout + result.stderr
        found += leaks(result.stdout + result.stderr + saved.read_text(), case.canaries)
        if case.control:
            assert control_value(name) in saved.read_text()
    found += leaks(everything_under(checkers_home), [v for c in CASES for v in c.canaries])
    assert found == []


# ------------------------------------------------------------------------------------- grade
def test_no_canary_reaches_the_gradebook_or_exports(corpus, sshd, tmp_path, checkers_home):
    roster = tmp_path / "soupiska.csv"
    with open(roster, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "id", "target", "identity", "project"])
        for index, case in enumerate(CASES):
            if case.name in SSH_CASES[:2]:
                target, key = f"ssh://root@127.0.0.1:{sshd.port}", str(sshd.client_key)
            else:
                target, key = "local", ""
            writer.writerow([f"Student {case.name}", f"s{index:02d}@skola.cz", target, key, str(corpus[case.name])])
    out = tmp_path / "vysledky"
    result = run_cli("grade", str(roster), "--out", str(out), "--timeout", "40", "--concurrency", "4",
                     home=checkers_home, env={"COLUMNS": "300"}, timeout=900)
    assert result.rc in (0, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    students = {s["id"]: s for s in document["students"]}
    assert len(students) == len(CASES)
    assert all(s["state"] == "graded" for s in students.values()), {k: (s["state"], s["reason"])
                                                                     for k, s in students.items()}
    # The project column was followed: every student's facts name their own project.
    for index, case in enumerate(CASES):
        student = students[f"s{index:02d}@skola.cz"]
        assert student["max_points"] > 0
    stored = everything_under(out, checkers_home)
    for suffix in ("", "-wal", "-journal", "-shm"):
        path = out / f"gradebook.sqlite{suffix}"
        if path.exists():
            stored += path.read_bytes().decode("utf-8", "replace")
    all_canaries = [v for c in CASES for v in c.canaries]
    assert leaks(result.stdout + result.stderr, all_canaries) == []
    assert leaks(stored, all_canaries) == []
    assert control_value("print_then_fail") in stored  # the facts with the project's output are stored
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "«skryto»" in html or "skryto" in stored


def test_the_canary_corpus_would_see_a_leak(tmp_path):
    """The scanner itself: a value that is there is found (so an empty result means something)."""
    (tmp_path / "a.json").write_text(json.dumps({"x": canary("keyerror_name", 1)}))
    assert leaks(everything_under(tmp_path), CASES[0].canaries) == [canary("keyerror_name", 1)]
    assert textwrap.dedent(CASES[0].settings).format(**CASES[0].values()).count(canary("keyerror_name", 1)) == 1
