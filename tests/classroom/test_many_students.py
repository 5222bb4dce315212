"""A class at once: 20 real checker processes (`python -m checkers`, each its own CHECKERS_HOME and
its own real `--target local` Django project) join the real server concurrently, then each runs three
checks while all the others do; the server ends with exactly one stored submission per run, in each
student's order, none lost, none twice. Wall time is printed (CI has 2 cores; aim < 90 s)."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

from tests.classroom.client_helpers import check, join, queued, status, stored
from tests.helpers.django_project import make_django_project

STUDENTS = 20
RUNS = (("step1", {True: 1, False: 0}), ("all", {True: 1, False: 1}), ("step2", {True: 1, False: 1}))
NAMES = ["Jana Nováková", "Petr Svoboda", "Marie Dvořáková", "Jiří Černý", "Eva Procházková", "Tomáš Kučera",
         "Lucie Veselá", "Jan Horák", "Tereza Němcová", "Martin Marek", "Kateřina Pokorná", "Lukáš Pospíšil",
         "Anna Hájková", "Jakub Král", "Veronika Jelínková", "David Růžička", "Michaela Benešová", "Ondřej Fiala",
         "Barbora Sedláčková", "Filip Doležal"]


def test_twenty_students_join_and_submit_concurrently(class_server, tmp_path):
    started = time.monotonic()
    bases = {debug: make_django_project(tmp_path / f"base-{debug}", debug=debug) for debug in (True, False)}
    students = []
    for number in range(STUDENTS):
        debug = number % 2 == 0  # half of the class still has DEBUG on: step1 fails for them
        project = tmp_path / f"projekt-{number:02d}"
        shutil.copytree(bases[debug], project, symlinks=True)
        home = tmp_path / f"home-{number:02d}"
        home.mkdir()
        students.append({"name": NAMES[number], "home": home, "project": project, "debug": debug})
    prepared = time.monotonic()

    with ThreadPoolExecutor(STUDENTS) as pool:
        list(pool.map(lambda s: join(s["home"], class_server, s["name"]), students))
    joined = time.monotonic()

    def work(student):
        for step, expected in RUNS:
            result = check(student["home"], student["project"], step)
            assert result.rc == expected[student["debug"]], result.stdout + result.stderr
            assert "Pozor" not in result.stderr and "Traceback" not in result.stderr, result.stderr
        return len(queued(student["home"]))

    with ThreadPoolExecutor(STUDENTS) as pool:
        left_in_queues = list(pool.map(work, students))
    checked = time.monotonic()

    with ThreadPoolExecutor(STUDENTS) as pool:  # whatever a run's ~1 s at exit did not finish
        reports = list(pool.map(lambda s: status(s["home"], "--send"), students))
    flushed = time.monotonic()

    assert all(r["queued"] == 0 and r["last_error"] == "" for r in reports), reports
    everything = stored(class_server.out_dir)
    assert len(everything) == STUDENTS * len(RUNS)
    assert len({s["uid"] for s in everything}) == len(everything)
    for student in students:
        mine = [s for s in everything if s["name"] == student["name"]]
        assert [s["sequence"] for s in mine] == [1, 2, 3], student["name"]
        assert [s["command"] for s in mine] == [step for step, _ in RUNS]
    print(f"\n{STUDENTS} students × {len(RUNS)} runs: projects {prepared - started:.1f} s, joins "
          f"{joined - prepared:.1f} s, runs {checked - joined:.1f} s, final flush {flushed - checked:.1f} s, "
          f"total {flushed - started:.1f} s; submissions still queued after the runs: {sum(left_in_queues)}")
