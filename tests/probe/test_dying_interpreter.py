"""When the project's interpreter dies (a crash, a signal, ended as hanging), what it printed last
is kept, masked, and shown to the student in the verdict: why it died, never a secret. The canary
corpus (test_secret_canaries.py) proves nothing secret leaves on these paths; here, that the output
is really there for the student."""

from __future__ import annotations

from tests.helpers.cli import run_cli
from tests.helpers.django_project import make_django_project

SECRET = "NeukazujMe7f3a9c1e0b"  # computed below, so only the interpreter itself can name it
DIES = ("import os, signal\nSECRET_KEY = '" + SECRET[::-1] + "'[::-1]\n"
        "print('pripojuji se k databazi s klicem', SECRET_KEY, flush=True)\n"
        "print('chybi soubor /etc/muj-web/nastaveni.ini', flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
HANGS = ("import time\nAPI_TOKEN = '" + SECRET[::-1] + "'[::-1]\n"
         "print('token', API_TOKEN, flush=True)\nprint('cekam na redis na 127.0.0.1:6379', flush=True)\n"
         "time.sleep(600)\n")
SILENT_CRASH = "import ctypes\nctypes.string_at(0)\n"
LOUD_CRASH = ("import ctypes\nPASSWORD = '" + SECRET[::-1] + "'[::-1]\nprint('heslo', PASSWORD)\n"
              "print('nacitam rozsireni v C', flush=True)\nctypes.string_at(0)\n")


def e002(home, project, *extra) -> tuple[dict, str]:
    result = run_cli("--target", "local", "--project", str(project), "--json", *extra, "step0", home=home)
    check = next(c for c in result.json["checks"] if c["id"] == "project.E002")
    return check, result.stdout + result.stderr


def test_a_killed_interpreter_shows_its_last_line(tmp_path, checkers_home):
    check, output = e002(checkers_home, make_django_project(tmp_path / "zabity", extra=DIES))
    assert check["status"] == "failed", check
    # SIGKILL leaves no faulthandler dump (no file and line): the last line printed is the output shown
    assert check["message"].endswith("skončil chybou: chybi soubor /etc/muj-web/nastaveni.ini"), check
    assert SECRET not in output


def test_a_hang_shows_the_last_line_printed_before_it(tmp_path, checkers_home):
    check, output = e002(checkers_home, make_django_project(tmp_path / "visi", extra=HANGS), "--timeout", "10")
    assert check["status"] == "unverified", check
    assert "zasekne" in check["message"]
    assert "Poslední řádek, který projekt vypsal: cekam na redis na 127.0.0.1:6379" in check["message"]
    assert SECRET not in output


def test_a_crash_that_printed_nothing_says_no_last_line(tmp_path, checkers_home):
    check, _ = e002(checkers_home, make_django_project(tmp_path / "ticho", extra=SILENT_CRASH))
    assert check["status"] == "failed" and "spadl při načítání projektu" in check["message"]
    assert "Poslední řádek" not in check["message"]


def test_a_crash_at_a_line_shows_what_was_printed_before(tmp_path, checkers_home):
    check, output = e002(checkers_home, make_django_project(tmp_path / "pada", extra=LOUD_CRASH))
    assert check["status"] == "failed" and "spadl při načítání projektu, v souboru" in check["message"], check
    assert check["message"].endswith("Poslední řádek, který projekt vypsal: nacitam rozsireni v C"), check
    assert SECRET not in output
