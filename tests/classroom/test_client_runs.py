"""Every kind of checker run reaches the class server once: doctor, watch (each time its verdict
changes) and submit (which also writes the file for Moodle). Real processes, real server, real
`--target local` Django projects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from checkers import class_protocol as protocol
from tests.classroom.client_helpers import check, join, kurz, kurz_env, queued, status, stored, wait_for
from tests.helpers.cli import REPO
from tests.helpers.django_project import RANDOM_KEY, make_django_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_django_project(tmp_path_factory.mktemp("p") / "projekt", debug=False, secret="literal")


def flushed(home, out_dir):
    if queued(home):
        status(home, "--send")
    assert queued(home) == []
    return stored(out_dir)


def test_doctor_is_sent_with_its_diagnoses(class_server, checkers_home, project):
    join(checkers_home, class_server, "Jana Nováková")
    result = check(checkers_home, project, "doctor")
    assert result.rc in (0, 1) and "Traceback" not in result.stderr
    assert [s["command"] for s in flushed(checkers_home, class_server.out_dir)] == ["doctor"]


def test_watch_sends_each_change_of_its_verdict_once(class_server, checkers_home, tmp_path):
    join(checkers_home, class_server, "Jana Nováková")
    project = make_django_project(tmp_path / "watched", debug=True)
    proc = subprocess.Popen([sys.executable, "-m", "checkers", "--target", "local", "--project", str(project), "watch",
                             "step1", "--interval", "0.5"], cwd=REPO, env=kurz_env(checkers_home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(lambda: stored(class_server.out_dir), 60, "the first verdict of watch")
        settings = project / "my_project" / "settings.py"
        settings.write_text(settings.read_text() + "\nDEBUG = False\n")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out + err
    got = flushed(checkers_home, class_server.out_dir)
    assert [(s["command"], s["sequence"]) for s in got] == [("watch", 1), ("watch", 2)]  # failed, then passed


def test_submit_writes_one_masked_file_for_moodle_and_sends_it(class_server, checkers_home, project, tmp_path):
    join(checkers_home, class_server, "Jana Nováková")
    token = json.loads((checkers_home / "class.json").read_text())["token"]
    out_dir = tmp_path / "odevzdani"
    out_dir.mkdir()
    result = kurz(checkers_home, "--target", "local", "--project", str(project), "submit", "--out", str(out_dir))
    assert result.rc == 0, result.stdout + result.stderr
    files = list(out_dir.iterdir())
    assert len(files) == 1 and files[0].name.startswith("kurz-odevzdani-jana-novakova-") and files[0].suffix == ".json"
    assert str(files[0]) in result.stdout.replace("\n", "") and "Moodl" in result.stdout
    text = files[0].read_text(encoding="utf-8")
    assert RANDOM_KEY not in text and token not in text  # the literal SECRET_KEY of settings.py never leaves
    document = json.loads(text)
    assert protocol.validate(document) == (True, "")
    assert document["command"] == "submit" and document["student"] == {"name": "Jana Nováková"}
    assert {s["id"] for s in document["verdicts"]["steps"]} >= {"step0", "step1", "step11"}
    assert document["facts"]["schema"] == 1
    assert [s["command"] for s in flushed(checkers_home, class_server.out_dir)] == ["submit"]


def test_submit_without_a_class_writes_the_file_only(checkers_home, project, tmp_path):
    target = tmp_path / "moje.json"
    result = kurz(checkers_home, "--target", "local", "--project", str(project), "submit", "--out", str(target),
                  "--json")
    assert result.rc == 0, result.stderr
    assert json.loads(result.stdout)["submission_file"] == str(target)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert protocol.validate(document)[0] and "student" not in document
    assert not (checkers_home / "class-queue").exists()


def test_submit_into_a_directory_and_a_bad_out(checkers_home, project, tmp_path):
    folder = tmp_path / "slozka"
    folder.mkdir()
    into = kurz(checkers_home, "--target", "local", "--project", str(project), "submit", "--out", str(folder))
    assert into.rc == 0 and len(list(folder.glob("kurz-odevzdani-student-*.json"))) == 1, into.stderr
    (tmp_path / "soubor").write_text("")
    bad = kurz(checkers_home, "--target", "local", "--project", str(project), "submit", "--out",
               str(tmp_path / "soubor" / "x.json"))
    assert bad.rc == 2 and "nejde zapisovat" in bad.stderr and "Traceback" not in bad.stderr


def test_a_run_evaluating_saved_facts_is_not_sent(class_server, checkers_home, project, tmp_path):
    join(checkers_home, class_server, "Jana Nováková")
    saved = tmp_path / "fakta.json"
    assert check(checkers_home, project, "step1", "--save-facts", str(saved)).rc == 0
    assert kurz(checkers_home, "--facts", str(saved), "step1").rc == 0
    assert [s["command"] for s in flushed(checkers_home, class_server.out_dir)] == ["step1"]
