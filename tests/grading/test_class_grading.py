"""`python -m checkers grade` against a class of real Debian containers at different stages of the
course, then Ctrl-C during a run, then `regrade` with a changed check after the class is switched off.

Tests run in file order: the last one stops every container.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from checkers.course import load_course
from checkers.grading.schema import SCHEMA_VERSION
from tests.grading.conftest import (ARTIFACTS, HANG, HOSTILE_NAME, REPO, STUDENTS, TIMEOUT, UNREACHABLE,
                                    grade_argv, write_roster)

COURSE = load_course()
ALL = set(range(12))
# Which steps each student passes, as the checks judge the container's real state.
EXPECTED_PASSED = {
    "s01": {0},  # fresh course machine: only the starting point is in place
    "s02": {0, 1},
    "s03": {0, 1, 2, 3},
    "s04": {0, 1, 2, 3, 4, 5, 6},  # check --deploy is clean once SECRET_KEY is done (step 6 only verifies)
    "s05": {0, 1, 2, 3, 4, 5, 6, 7},
    "s06": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11},  # the whole request path works already on SQLite
    "s07": ALL,
    "s08": ALL,
    "s09": ALL - {1, 6, 11},  # DEBUG back on: step 1, check --deploy and the error page check fail
    "s10": ALL - {8, 9, 11},  # gunicorn stopped
}
EXPECTED_POINTS = {"s01": 1, "s02": 2, "s03": 5, "s04": 9, "s05": 12, "s06": 20, "s07": 23, "s08": 23, "s09": 18,
                   "s10": 15}


def by_id(document: dict) -> dict:
    return {s["id"]: s for s in document["students"]}


def passed_steps(student: dict) -> set[int]:
    return {int(k.removeprefix("step")) for k, v in student["steps"].items() if v["status"] == "passed"}


def read_db(path: Path, query: str, args=()) -> list:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


# ------------------------------------------------------------------------------------ grading
def test_every_student_gets_the_expected_grade(classroom):
    run = classroom.first
    assert run.rc == 2, run.stdout + run.stderr  # two targets could not be graded
    assert "Traceback" not in run.stdout + run.stderr
    students = by_id(run.document())
    assert len(students) == len(STUDENTS) + 2
    assert sum(s.points for s in COURSE.required_steps) == 23
    for key, points in EXPECTED_POINTS.items():
        student = students[f"{key}@skola.cz"]
        assert student["state"] == "graded", (key, student["reason"])
        assert passed_steps(student) == EXPECTED_PASSED[key], key
        assert student["points"] == points, key
        assert student["points"] == sum(s.points for s in COURSE.required_steps
                                        if int(s.id.removeprefix("step")) in EXPECTED_PASSED[key])
        failed = [c for c in student["checks"] if c["status"] == "failed"]
        assert bool(failed) == (points < 23), key
        assert all(c["message"] for c in failed)  # every failure carries its Czech message
    off = students[UNREACHABLE[1]]
    assert off["state"] == "unreachable" and off["points"] is None
    assert "není v síti dosažitelný" in off["reason"]
    hang = students[HANG[1]]
    assert hang["state"] == "timeout" and hang["points"] is None
    assert f"{TIMEOUT} s" in hang["reason"]


def test_targets_are_graded_in_parallel_within_their_limit(classroom):
    run = classroom.first
    students = run.document()["students"]
    graded = [s for s in students if s["state"] == "graded"]
    hang = next(s for s in students if s["id"] == HANG[1])
    # The hung machine is cut off at its limit (connect and probe together), not later …
    assert TIMEOUT <= hang["seconds"] < TIMEOUT + 2.5
    # … while the others were graded next to it: the whole class took about as long as the hang.
    assert run.seconds < TIMEOUT + 25, run.seconds
    assert sum(s["seconds"] for s in graded) > 1.5 * (run.seconds - TIMEOUT), "targets were not graded concurrently"


def test_one_probe_per_target_through_the_student_engine(classroom):
    db = classroom.out / "gradebook.sqlite"
    rows = read_db(db, "SELECT t.student_id, t.target, f.document FROM targets t JOIN facts f ON f.id = t.facts_id"
                       " WHERE t.run_id = 1")
    assert len(rows) == len(STUDENTS)
    for student_id, target, document in rows:
        facts = json.loads(document)
        assert facts["gathered"]["remote_executions"] == 1, student_id
        assert facts["gathered"]["target"] == target
        assert facts["probe"]["sudo"] == "ok"


def test_gradebook_and_exports_hold_no_secret(classroom):
    lab = classroom.lab
    secret = lab.attach("s08", "cat /srv/my_project/secret_key.txt").stdout.decode().strip()
    password = lab.attach("s08", "cat /srv/my_project/db_password.txt").stdout.decode().strip()
    assert len(secret) >= 50 and len(password) >= 20
    key_text = Path(lab.ssh_key).read_text().strip().splitlines()[1]  # a line of the private key itself
    written = classroom.first.stdout + classroom.first.stderr
    for path in classroom.out.iterdir():
        written += path.read_bytes().decode("utf-8", "replace")
    for value in (secret, password, key_text):
        assert value not in written


def test_exports_for_the_school_system(classroom):
    out = classroom.out
    raw = (out / "grades.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel then shows the diacritics
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["jméno", "id", "cíl", "stav", "důvod"] and header[-2:] == ["body celkem", "maximum"]
    assert [h.split(":")[0] for h in header[5:-2]] == [s.label for s in COURSE.required_steps]
    assert len(body) == len(STUDENTS) + 2
    rows_by_id = {r[1]: r for r in body}
    for key, points in EXPECTED_POINTS.items():
        row = rows_by_id[f"{key}@skola.cz"]
        assert row[3] == "zkontrolováno" and row[-2] == str(points) and row[-1] == "23"
        # A step that cannot be verified (blocked by another step) says so instead of a 0.
        assert all(v.isdigit() or v == "nelze ověřit" for v in row[5:-2]), row[5:-2]
        assert sum(int(v) for v in row[5:-2] if v.isdigit()) == points
    assert rows_by_id[UNREACHABLE[1]][3] == "nedostupný" and rows_by_id[UNREACHABLE[1]][-2] == ""
    assert rows_by_id[HANG[1]][3] == "neodpověděl včas"
    # A roster name that is a spreadsheet formula stays text.
    assert rows_by_id["s03@skola.cz"][0].startswith("'=HYPERLINK")
    assert rows_by_id["s02@skola.cz"][0] == HOSTILE_NAME

    moodle = list(csv.reader(io.StringIO((out / "moodle.csv").read_text(encoding="utf-8"))))
    assert moodle[0][0] == "E-mailová adresa" and moodle[0][-2:] == ["Celkem", "Zpětná vazba"]
    assert len(moodle[0]) == 1 + len(COURSE.required_steps) + 2
    graded_rows = {r[0]: r for r in moodle[1:]}
    assert set(graded_rows) == {f"{key}@skola.cz" for key in EXPECTED_POINTS}  # not graded → not imported
    for key, points in EXPECTED_POINTS.items():
        assert graded_rows[f"{key}@skola.cz"][-2] == str(points)
        # Moodle reads "-" as "no grade": a step that cannot be verified is not a 0
        assert all(v.isdigit() or v == "-" for v in graded_rows[f"{key}@skola.cz"][1:-1])

    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert document["schema"] == 1 and document["run"]["kind"] == "grade" and document["run"]["status"] == "finished"
    assert document["summary"]["graded"] == len(STUDENTS)
    assert document["summary"]["states"]["unreachable"] == 1 and document["summary"]["states"]["timeout"] == 1
    per_step = {s["id"]: s["passed"] for s in document["summary"]["steps"]}
    for step in COURSE.required_steps:
        number = int(step.id.removeprefix("step"))
        assert per_step[step.id] == sum(1 for passed in EXPECTED_PASSED.values() if number in passed)


def test_roster_fields_never_reach_a_shell_and_are_escaped(classroom):
    assert not Path("/tmp/kurz-pwned-name").exists()
    inside = classroom.lab.attach("s02", "test -e /tmp/kurz-pwned-name && echo yes || echo no").stdout.decode()
    assert inside.strip() == "no"
    terminal = classroom.first.stdout
    assert "\x1b" not in terminal  # not a terminal: no colours, and nothing from the roster either
    assert 'Jan "Bobby"⏎<script>' in terminal  # the newline is shown, not obeyed
    assert "Dominik [bold red]Řezníček[/] \\u001b[2J" in terminal  # markup and escape shown as text
    html = (classroom.out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "O&#x27;Tables; $(touch /tmp/kurz-pwned-name) `id` &lt;img src=x onerror=alert(1)&gt; &amp; Drop" in html
    assert 'http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;' in html


def test_new_hosts_are_remembered_for_every_target_at_once(classroom):
    known = (classroom.home / "known_hosts").read_text().splitlines()
    hosts = {line.split()[0] for line in known if line.strip()}
    for key, *_ in STUDENTS:
        assert classroom.lab.items[key].ip in hosts, key
    assert all(len(line.split()) == 3 for line in known)  # no interleaved, half-written lines


def test_report_opens_from_disk_in_chromium(classroom, browser):
    report = (classroom.out / "report.html").resolve()
    requests, dialogs, errors = [], [], []
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, locale="cs-CZ")
    try:
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(report.as_uri())
        assert page.title().startswith("Hodnocení třídy")
        rows = page.locator("table.grades tbody tr")
        assert rows.count() == len(STUDENTS) + 2
        hostile = page.locator("tr", has=page.locator("span.sid", has_text="s02@skola.cz")).locator("span.name")
        assert hostile.inner_text() == HOSTILE_NAME.replace("\n", "⏎")  # shown literally, nothing ran
        assert page.locator("img").count() == 0 and page.locator("script").count() == 0
        green = page.locator("td.step.passed").first.evaluate("e => getComputedStyle(e).backgroundColor")
        red = page.locator("td.step.failed").first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert green != red and green != "rgba(0, 0, 0, 0)"
        # Ivana (DEBUG back on): expand step 1 and read why it failed, in Czech.
        ivana = page.locator("tr", has=page.locator("span.sid", has_text="s09@skola.cz"))
        cell = ivana.locator("td.step.failed").first
        assert "DEBUG" in cell.get_attribute("title")
        cell.locator("summary").click()
        message = cell.locator("details ul").inner_text()
        assert "DEBUG" in message and "True" in message
        assert page.locator("svg#graf rect").count() == 2 * len(COURSE.required_steps)
        assert "nedostupný" in page.locator("td.notgraded.unreachable").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "grading-report.png"), full_page=True)
    finally:
        page.close()
    assert dialogs == [] and errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests


def test_a_second_run_adds_history(classroom, tmp_path):
    roster = write_roster(tmp_path / "dva.csv", [r for r in classroom.roster_rows() if r[1] in ("s07@skola.cz", "s10@skola.cz")])
    run = classroom.grade(roster, classroom.out, "--timeout", str(TIMEOUT))
    assert run.rc == 0, run.stdout + run.stderr
    db = classroom.out / "gradebook.sqlite"
    assert read_db(db, "SELECT id, kind, status FROM runs ORDER BY id") == [(1, "grade", "finished"), (2, "grade", "finished")]
    assert read_db(db, "SELECT count(*) FROM targets WHERE run_id = 1")[0][0] == len(STUDENTS) + 2  # untouched
    assert read_db(db, "SELECT student_id, points FROM targets WHERE run_id = 2 ORDER BY position") == [
        ("s07@skola.cz", 23), ("s10@skola.cz", 15)]
    assert read_db(db, "PRAGMA user_version")[0][0] == SCHEMA_VERSION  # a new gradebook is written at the current version
    html = (classroom.out / "report.html").read_text(encoding="utf-8")
    assert "Historie běhů" in html and json.loads((classroom.out / "grades.json").read_text())["run"]["id"] == 2


# ------------------------------------------------------------------- Vagrant classroom and URL
FAKE_VAGRANT = """#!/bin/sh
# Stands in for Vagrant and the classroom Vagrantfile: machines student01…NN exist only when
# KURZ_STUDENTS >= NN, as in the real Vagrantfile. Records how it was called.
echo "KURZ_STUDENTS=${{KURZ_STUDENTS:-}} $*" >> {log}
for last; do :; done
n=$(echo "$last" | sed -n 's/^student0*\\([0-9][0-9]*\\)$/\\1/p')
if [ -z "$n" ] || [ "${{KURZ_STUDENTS:-0}}" -lt "$n" ]; then
  echo "The machine with the name '$last' was not found configured for this Vagrant environment." >&2; exit 1
fi
case "$1" in
  status) echo "1700000000,$last,provider-name,libvirt"; echo "1700000000,$last,state,running" ;;
  ssh-config) printf 'Host %s\\n  HostName %s\\n  User vagrant\\n  Port 22\\n  UserKnownHostsFile /dev/null\\n  StrictHostKeyChecking no\\n  PasswordAuthentication no\\n  IdentityFile %s\\n  IdentitiesOnly yes\\n  LogLevel FATAL\\n' "$last" {ip} {key} ;;
  *) echo "unexpected vagrant $*" >&2; exit 1 ;;
esac
"""


def test_vagrant_classroom_roster_and_a_live_url_are_graded(classroom, tmp_path):
    lab = classroom.lab
    # The teacher generates the roster for a 1-machine classroom and adds a student's live site.
    made = subprocess.run([sys.executable, "-m", "checkers", "roster", "--vagrant", "1"], cwd=REPO,
                          env=classroom.env(), capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    site = f"http://{lab.items['s08'].ip}/"
    roster = tmp_path / "ucebna.csv"
    roster.write_text(made.stdout + f"Web studenta,web@skola.cz,{site},\n", encoding="utf-8")
    bin_dir, log = tmp_path / "bin", tmp_path / "vagrant.log"
    bin_dir.mkdir()
    fake = bin_dir / "vagrant"
    fake.write_text(FAKE_VAGRANT.format(log=log, ip=lab.items["s08"].ip, key=lab.ssh_key))
    fake.chmod(0o755)
    env = {**classroom.env(), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("KURZ_STUDENTS", None)
    out = tmp_path / "vysledky"
    proc = subprocess.run(lab.netns_argv(grade_argv(roster, out, "--timeout", "60")), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KURZ_STUDENTS=1" in log.read_text()  # the grader told the Vagrantfile how big the class is
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in document["steps"]][-1] == "web"  # a URL in the roster adds the live-web column
    machine, web = document["students"]
    assert machine["target"] == "vagrant:student01" and machine["state"] == "graded" and machine["points"] == 23
    assert "web" not in machine["steps"]
    assert web["state"] == "graded" and list(web["steps"]) == ["web"] and web["max_points"] == 3
    # The same site checked the way a student checks it gives the same verdicts.
    student = subprocess.run(lab.netns_argv([sys.executable, "-m", "checkers", "web", "--target", site, "--json"]),
                             cwd=REPO, env=classroom.env(), capture_output=True, text=True, timeout=120)
    assert student.returncode in (0, 1), student.stderr
    verdicts = {c["id"]: c["status"] for c in json.loads(student.stdout)["checks"]}
    assert {c["id"]: c["status"] for c in web["checks"]} == verdicts
    assert web["points"] == json.loads(student.stdout)["points"]


# ------------------------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_keeps_everything_graded_so_far(classroom, tmp_path):
    lab = classroom.lab
    finished_keys = ["s04", "s05", "s06", "s07", "s08"]
    rows = [r for r in classroom.roster_rows() if r[1].split("@")[0] in finished_keys]
    hang_host, hang_port = classroom.hang
    rows += [[f"Zaseknutý {i}", f"hang{i}@skola.cz", f"ssh://vagrant@{hang_host}:{hang_port}", str(lab.ssh_key)]
             for i in range(3)]
    roster = write_roster(tmp_path / "preruseni.csv", rows)
    out = tmp_path / "vysledky"
    db = out / "gradebook.sqlite"
    proc = subprocess.Popen(lab.netns_argv(grade_argv(roster, out, "--concurrency", "2", "--timeout", "120")),
                            cwd=REPO, env=classroom.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        graded = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    graded = read_db(db, "SELECT count(*) FROM targets WHERE state = 'graded'")[0][0]
                except sqlite3.Error:
                    graded = 0
            if graded == len(finished_keys):
                break
            time.sleep(0.2)
        assert graded == len(finished_keys), "the real targets were not graded in time"
        time.sleep(1)  # both slots are now held by hung machines
        interrupted_at = time.monotonic()
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the teacher's terminal sends
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert time.monotonic() - interrupted_at < 10
    assert "Traceback" not in stdout + stderr and "přerušeno" in stdout
    assert read_db(db, "SELECT status FROM runs")[0][0] == "interrupted"
    states = read_db(db, "SELECT student_id, state, points FROM targets ORDER BY position")
    assert [s[1] for s in states] == ["graded"] * 5 + ["pending"] * 3
    for student_id, _, points in states[:5]:
        assert points == EXPECTED_POINTS[student_id.split("@")[0]]
    assert read_db(db, "SELECT count(*) FROM check_results")[0][0] > 5 * 30
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert document["run"]["status"] == "interrupted" and document["summary"]["graded"] == 5
    assert "nezkontrolováno" in (out / "grades.csv").read_text(encoding="utf-8-sig")


# ------------------------------------------------------------------------------------ regrade
def changed_checker_copy(root: Path) -> Path:
    """A copy of the checker whose DEBUG check was 'fixed' to accept anything (a changed check)."""
    copy = root / "repo"
    shutil.copytree(REPO / "checkers", copy / "checkers", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "exercises").mkdir()
    shutil.copy(REPO / "exercises" / "course.toml", copy / "exercises" / "course.toml")
    module = copy / "checkers" / "checks" / "django_settings.py"
    text = module.read_text()
    # The change is made at the function's head, so it survives edits of the check's body.
    head = "def debug_off(facts: dict):\n"
    assert text.count(head) == 1
    module.write_text(text.replace(head, head + '    return passed(file="settings.py")\n'))
    return copy


def test_regrade_uses_saved_facts_and_the_current_checks_without_any_network(classroom, tmp_path):
    lab = classroom.lab
    lab.stop()  # the whole class is switched off now
    assert not any(lab.running(key) for key, *_ in STUDENTS)
    copy = changed_checker_copy(tmp_path)
    env = {**classroom.env(), "PYTHONPATH": str(copy)}
    # No network namespace with the class, and no network at all: only saved facts can be used.
    proc = subprocess.run(["unshare", "-n", sys.executable, "-m", "checkers", "regrade", "--run", "1",
                           "--out", str(classroom.out)], cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bez připojení" in proc.stdout
    db = classroom.out / "gradebook.sqlite"
    runs = read_db(db, "SELECT id, kind, source_run, status, checks_digest FROM runs ORDER BY id")
    assert [r[:4] for r in runs] == [(1, "grade", None, "finished"), (2, "grade", None, "finished"),
                                     (3, "regrade", 1, "finished")]
    assert runs[2][4] != runs[0][4]  # graded by a different version of the checks
    document = json.loads((classroom.out / "grades.json").read_text(encoding="utf-8"))
    assert document["run"]["kind"] == "regrade" and document["run"]["source_run"] == 1
    students = by_id(document)
    for key in EXPECTED_POINTS:
        student = students[f"{key}@skola.cz"]
        expected = EXPECTED_PASSED[key] | {1}  # the changed check passes step 1 for everyone now
        assert passed_steps(student) == expected, key
        assert student["points"] == EXPECTED_POINTS[key] + (0 if 1 in EXPECTED_PASSED[key] else 1), key
    assert students[UNREACHABLE[1]]["state"] == "unreachable" and students[HANG[1]]["state"] == "timeout"
    # The original run is history and stays as it was.
    assert read_db(db, "SELECT points FROM targets WHERE run_id = 1 AND student_id = 's01@skola.cz'")[0][0] == 1
    assert read_db(db, "SELECT points FROM targets WHERE run_id = 3 AND student_id = 's01@skola.cz'")[0][0] == 2
    # Facts are stored once and shared by both runs.
    assert read_db(db, "SELECT count(DISTINCT facts_id) FROM targets WHERE run_id IN (1, 3) AND facts_id IS NOT NULL"
                   )[0][0] == len(STUDENTS)
    assert "Ivana Nováková: 18 → 19 b." in proc.stdout
