"""Where each counted result came from, in every export: a class graded over SSH (verified) beside the
students' own reports from the class server (reported), with the policy's deadline, excuses (the
policy file and the dashboard's excuses table) and marks. The gradebook is prepared through its API;
the exports are written by the real `python -m checkers regrade` process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from checkers.course import load_course
from checkers.grading.gradebook import Gradebook, gradebook_path
from checkers.grading.model import GRADED, UNREACHABLE, RosterEntry, TargetGrade
from checkers.grading.runner import column_steps, grade_facts, max_points
from checkers.grading.submissions import REPORTED, Submission, insert_submission
from tests.helpers.cli import REPO, run_cli

COURSE = load_course()
FACTS = REPO / "tests" / "fixtures" / "facts"
POLICY = ('deadline = 2026-12-18T23:59:00+01:00\n'
          '[[excused]]\nstudent = "Jana Nováková"\nstep = 11\nreason = "nemocná 3.–10. 12."\n')
JANA = RosterEntry(2, "Jana Nováková", "jana@skola.cz", "ssh://vagrant@pc01:2200", None, "ssh")
PETR = RosterEntry(3, "Petr Svoboda", "petr@skola.cz", "ssh://vagrant@pc02:2200", None, "ssh")
EVA = RosterEntry(4, "Eva Dvořáková", "eva@skola.cz", "ssh://vagrant@pc03:2200", None, "ssh")


def facts(name: str) -> dict:
    return json.loads((FACTS / f"{name}.json").read_text(encoding="utf-8"))


def report(book: Gradebook, entry: RosterEntry, name: str, created_at: str, uid: str, steps_only=None) -> None:
    """A submission as the class server stores it: the facts re-graded, only the run's steps kept."""
    steps, checks = grade_facts(entry, facts(name), COURSE)
    if steps_only:
        steps = [s for s in steps if s.step in steps_only]
        checks = [c for c in checks if c.step in steps_only]
    with book.transaction():
        insert_submission(book.db, Submission(uid=uid, source=REPORTED, name=entry.name, created_at=created_at,
                                              received_at=created_at, student_id=entry.student_id, command="all",
                                              target="vagrant", steps=steps, checks=checks))


def graded_class(out: Path, *, reports: bool = True) -> None:
    """Run 1 (`grade` over SSH): Jana verified solved; Petr and Eva unreachable. Reports beside it."""
    book = Gradebook(gradebook_path(out))
    entries = [JANA, PETR, EVA]
    run = book.start_run("grade", column_steps(COURSE, entries), COURSE.title, "test")
    book.add_pending(run, entries, [max_points(e, COURSE) for e in entries])
    steps, checks = grade_facts(JANA, facts("vm-solved"), COURSE)
    book.record(run, 0, TargetGrade(JANA, GRADED, steps=steps, checks=checks, facts=facts("vm-solved")))
    for position, entry in ((1, PETR), (2, EVA)):
        book.record(run, position, TargetGrade(entry, UNREACHABLE, "Stroj pc0x neodpovídá.", "Je zapnutý?"))
    book.finish_run(run, "finished")
    if reports:
        # Jana's own checker last said step1 fails (her report disagrees with the teacher's probe).
        report(book, JANA, "vm-fresh", "2026-12-18T09:00:00Z", "a" * 32, steps_only={"step1"})
        report(book, PETR, "vm-fresh", "2026-12-17T09:00:00Z", "b" * 32)
        report(book, PETR, "vm-solved", "2026-12-18T20:00:00Z", "c" * 32)  # the last one before the deadline
        report(book, PETR, "vm-fresh", "2026-12-19T09:00:00Z", "d" * 32)  # late: shown, not counted
        report(book, EVA, "vm-solved", "2026-12-20T09:00:00Z", "e" * 32)  # only late
    book.close()


def regrade(tmp_path: Path, out: Path, policy: str | None = POLICY):
    args = ["regrade", "--run", "1", "--out", str(out), "--json"]
    if policy is not None:
        (tmp_path / "pravidla.toml").write_text(policy, encoding="utf-8")
        args += ["--policy", str(tmp_path / "pravidla.toml")]
    run = run_cli(*args, home=tmp_path / "home", timeout=300)
    assert run.rc == 0, run.stdout + run.stderr
    return run


@pytest.fixture
def exported(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out)
    run = regrade(tmp_path, out)
    return out, {s["name"]: s for s in run.json["students"]}, run.json


def test_verified_wins_over_the_students_report_and_the_disagreement_is_shown(exported):
    out, students, _ = exported
    jana = students["Jana Nováková"]
    assert jana["source"] == "verified" and jana["source_label"] == "ověřeno učitelem"
    assert jana["steps"]["step1"]["status"] == "passed"  # the teacher's probe counts
    [disagreement] = jana["disagreement"]
    assert disagreement["step"] == "step1" and disagreement["other"]["source"] == "reported"
    assert disagreement["other"]["status"] == "failed"
    assert "Nesouhlasí Krok 1" in jana["note"] and "nahlášeno checkerem studenta je nesplněno" in jana["note"]


def test_a_report_that_agrees_with_the_verified_result_is_named_as_agreeing(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out, reports=False)
    book = Gradebook(gradebook_path(out))
    report(book, JANA, "vm-solved", "2026-12-18T09:00:00Z", "f" * 32)
    book.close()
    jana = {s["name"]: s for s in regrade(tmp_path, out).json["students"]}["Jana Nováková"]
    assert jana["source"] == "verified" and jana["disagreement"] == [] and jana["agreeing"] == ["reported"]
    assert "Nahlášeno checkerem studenta se s tím, co se počítá, shoduje." in jana["note"]


def test_a_student_the_teacher_could_not_reach_is_counted_from_the_report_before_the_deadline(exported):
    _, students, _ = exported
    petr = students["Petr Svoboda"]
    assert petr["state"] == "graded" and petr["points"] == 23 and petr["source"] == "reported"
    assert petr["source_label"] == "nahlášeno checkerem studenta"
    assert "Ověření učitelem se nepodařilo" in petr["note"]
    assert petr["late"] and {p["source"] for p in petr["late"]} == {"reported"}  # the 19. 12. run: shown only
    assert petr["mark"] == 1


def test_only_late_reports_count_nothing(exported):
    _, students, _ = exported
    eva = students["Eva Dvořáková"]
    assert eva["state"] == "unreachable" and eva["points"] is None and eva["mark"] is None
    assert eva["late"] and "Po termínu" in eva["note"]


def test_excused_step_is_omluveno_with_its_reason_never_a_zero_and_leaves_the_maximum(exported):
    out, students, document = exported
    jana = students["Jana Nováková"]
    assert jana["steps"]["step11"]["status"] == "excused" and jana["steps"]["step11"]["status_label"] == "omluveno"
    assert jana["max_points"] == 20 and jana["points"] == 20 and jana["mark"] == 1 and jana["percent"] == 100
    assert jana["excused"] == [{"step": "step11", "reason": "nemocná 3.–10. 12."}]
    assert document["policy"]["deadline"].startswith("2026-12-18T23:59")
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))
    header, jana_row = rows[0], rows[1]
    assert header[-6:] == ["body celkem", "maximum", "procent", "známka", "zdroj", "poznámka"]
    assert jana_row[header.index(next(h for h in header if h.startswith("Krok 11")))] == "omluveno: nemocná 3.–10. 12."
    assert jana_row[header.index("maximum")] == "20" and jana_row[header.index("známka")] == "1"
    moodle = list(csv.reader(io.StringIO((out / "moodle.csv").read_text(encoding="utf-8"))))
    assert moodle[0][-2:] == ["Známka", "Zpětná vazba"]
    jana_moodle = next(r for r in moodle if r[0] == "jana@skola.cz")
    assert jana_moodle[moodle[0].index(next(h for h in moodle[0] if h.startswith("Krok 11")))] == "-"
    assert "Krok 11 omluveno: nemocná" in jana_moodle[-1] and "Známka: 1" in jana_moodle[-1]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "omluveno" in html and "nemocná 3.–10. 12." in html and 'id="pravidla"' in html


def test_an_excuse_for_somebody_not_in_the_class_is_pointed_out(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out, reports=False)
    run = regrade(tmp_path, out, POLICY + '[[excused]]\nstudent = "Jana Novakova2"\nstep = 3\nreason = "x"\n')
    assert "omluva v" in run.stderr and "„Jana Novakova2“ nepatří nikomu ze třídy" in run.stderr
    assert "Jana Nováková“ nepatří" not in run.stderr


def test_a_dashboard_excuse_in_the_gradebook_counts_like_one_in_the_policy_file(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out)
    book = Gradebook(gradebook_path(out))
    with book.transaction():
        book.db.execute("INSERT INTO excuses (student_key, step, reason, created_at) VALUES (?, ?, ?, ?)",
                        ("jana@skola.cz", "step10", "rodinné důvody", "2026-12-10T10:00:00Z"))
    book.close()
    jana = {s["name"]: s for s in regrade(tmp_path, out).json["students"]}["Jana Nováková"]
    assert {e["step"]: e["reason"] for e in jana["excused"]} == {"step10": "rodinné důvody",
                                                                 "step11": "nemocná 3.–10. 12."}
    assert jana["max_points"] == 17


@pytest.mark.parametrize("points, mark", [(23, 1), (21, 1), (20, 2), (18, 2), (17, 3), (14, 3), (13, 4), (11, 4),
                                          (10, 5)])
def test_marks_in_the_exports_follow_the_thresholds(points, mark):
    from checkers.grading.policy import Policy

    assert Policy().mark(points, 23) == mark  # 90/75/60/45 % of 23: 20,7 · 17,25 · 13,8 · 10,35


def test_without_a_policy_and_without_reports_the_exports_are_as_before(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out, reports=False)
    run = regrade(tmp_path, out, policy=None)
    header = (out / "grades.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[-2:] == ["body celkem", "maximum"]
    assert (out / "moodle.csv").read_text(encoding="utf-8").splitlines()[0].endswith("Celkem,Zpětná vazba")
    assert "policy" not in run.json and "source" not in run.json["students"][0]


def test_a_dashboard_excuse_counts_without_a_policy_and_without_reports(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out, reports=False)
    book = Gradebook(gradebook_path(out))
    with book.transaction():
        book.db.execute("INSERT INTO excuses (student_key, step, reason, created_at) VALUES (?, ?, ?, ?)",
                        ("jana@skola.cz", "step10", "rodinné důvody", "2026-12-10T10:00:00Z"))
    book.close()
    jana = {s["name"]: s for s in regrade(tmp_path, out, policy=None).json["students"]}["Jana Nováková"]
    assert [(e["step"], e["reason"]) for e in jana["excused"]] == [("step10", "rodinné důvody")]
    assert jana["max_points"] == max_points(JANA, COURSE) - COURSE.step("step10").points


def test_without_a_policy_reports_still_say_their_source_but_no_mark(tmp_path):
    out = tmp_path / "vysledky"
    graded_class(out)
    run = regrade(tmp_path, out, policy=None)
    header = (out / "grades.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[-2:] == ["zdroj", "poznámka"] and "známka" not in header
    petr = {s["name"]: s for s in run.json["students"]}["Petr Svoboda"]
    assert petr["source"] == "reported" and "mark" not in petr
    assert petr["points"] == 1 and petr["late"] == []  # no deadline: the newest report (19. 12.) counts


def test_the_class_servers_export_counts_every_source(tmp_path):
    from checkers.grading.policy import parse_policy
    from checkers.grading.exports import write_class_exports

    out = tmp_path / "trida"
    graded_class(out)
    book = Gradebook(gradebook_path(out))
    written = write_class_exports(book, COURSE, out / "exporty", parse_policy(POLICY, "p.toml", COURSE),
                                  roster=[JANA, PETR, EVA])
    book.close()
    assert [p.name for p in written] == ["grades.csv", "moodle.csv", "grades.json", "report.html"]
    students = {s["name"]: s for s in json.loads((out / "exporty" / "grades.json").read_text(encoding="utf-8"))["students"]}
    assert students["Jana Nováková"]["source"] == "verified" and students["Jana Nováková"]["points"] == 20
    assert students["Petr Svoboda"]["source"] == "reported" and students["Petr Svoboda"]["points"] == 23
    assert students["Eva Dvořáková"]["state"] == "pending" and students["Eva Dvořáková"]["late"]


def test_class_export_writes_the_class_servers_results_with_the_policy(tmp_path):
    out = tmp_path / "hodnoceni"
    graded_class(out)
    (tmp_path / "pravidla.toml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "soupiska.csv").write_text("name,id,target,identity\nJana Nováková,jana@skola.cz,local,\n"
                                           "Petr Svoboda,petr@skola.cz,local,\nEva Dvořáková,eva@skola.cz,local,\n",
                                           encoding="utf-8")
    run = run_cli("class", "export", "--out", str(out), "--roster", str(tmp_path / "soupiska.csv"), "--policy",
                  str(tmp_path / "pravidla.toml"), "--json", home=tmp_path / "home", timeout=300)
    assert run.rc == 0, run.stdout + run.stderr
    students = {s["name"]: s for s in run.json["students"]}
    assert students["Petr Svoboda"]["source"] == "reported" and students["Petr Svoboda"]["mark"] == 1
    assert students["Jana Nováková"]["steps"]["step11"]["status"] == "excused"
    assert {p.name for p in out.iterdir()} >= {"grades.csv", "moodle.csv", "grades.json", "report.html"}


def test_class_export_refuses_a_folder_without_a_gradebook_and_a_bad_policy(tmp_path):
    run = run_cli("class", "export", "--out", str(tmp_path / "nic"), home=tmp_path / "home", timeout=120)
    assert run.rc == 2 and "není databáze hodnocení" in run.stderr
    (tmp_path / "bad.toml").write_text("[marks]\n1 = 50\n", encoding="utf-8")
    run = run_cli("class", "export", "--out", str(tmp_path), "--policy", str(tmp_path / "bad.toml"),
                  home=tmp_path / "home", timeout=120)
    assert run.rc == 2 and "chybí hranice pro známky 2, 3, 4" in run.stderr


def test_without_a_roster_the_class_is_everybody_who_joined_or_submitted(tmp_path):
    from checkers.grading.sources import class_result

    out = tmp_path / "trida"
    graded_class(out)
    book = Gradebook(gradebook_path(out))
    with book.transaction():
        book.db.execute("INSERT INTO class_students (name, name_key, student_id, token_sha256, joined_at)"
                        " VALUES ('Zuzana Nová', 'zuzana nova', '', 'x', '2026-12-18T08:00:00Z')")
    result = class_result(book, COURSE)
    book.close()
    by_name = {t.entry.name: t for t in result.targets}
    assert list(by_name)[0] == "Zuzana Nová" and by_name["Zuzana Nová"].state == "pending"
    assert set(by_name) == {"Zuzana Nová", "Jana Nováková", "Petr Svoboda", "Eva Dvořáková"}
    assert by_name["Petr Svoboda"].points == 1  # no policy: the newest report counts


def test_an_excuse_for_everybody_changes_nothing_for_a_live_site_graded_only_on_the_web_step(tmp_path):
    out = tmp_path / "vysledky"
    site = RosterEntry(5, "Web Studenta", "web@skola.cz", "https://example.invalid/", None, "url")
    book = Gradebook(gradebook_path(out))
    entries = [JANA, site]
    run = book.start_run("grade", column_steps(COURSE, entries), COURSE.title, "test")
    book.add_pending(run, entries, [max_points(e, COURSE) for e in entries])
    for position, (entry, name) in enumerate(((JANA, "vm-solved"), (site, "live-nginx-good"))):
        steps, checks = grade_facts(entry, facts(name), COURSE)
        book.record(run, position, TargetGrade(entry, GRADED, steps=steps, checks=checks, facts=facts(name)))
    book.finish_run(run, "finished")
    site_max = max_points(site, COURSE)
    book.close()
    students = {s["name"]: s for s in regrade(tmp_path, out, '[[excused]]\nstudent = "*"\nstep = 9\nreason = "r"\n')
                .json["students"]}
    assert students["Jana Nováková"]["max_points"] == 20 and students["Jana Nováková"]["steps"]["step9"]["status"] == "excused"
    assert students["Web Studenta"]["max_points"] == site_max and "step9" not in students["Web Studenta"]["steps"]
    assert students["Web Studenta"]["excused"] == []


@pytest.mark.parametrize("with_roster", [False, True])
def test_an_excuse_from_the_dashboard_reaches_class_export(make_class_server, tmp_path, with_roster):
    from tests.classroom.server_helpers import submission

    roster = tmp_path / "soupiska.csv"
    roster.write_text("name,id,target,identity\nJana Nováková,jana@skola.cz,local,\n", encoding="utf-8")
    server = make_class_server(extra=["--roster", str(roster)] if with_roster else [])
    token = server.token("jana novakova")
    assert server.submit(token, submission(1, "vm-solved")).status == 201
    teacher = server.teacher()
    teacher.get("/student/1")
    assert teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step10",
                                              "reason": "rodinné důvody"}).status == 303
    book = Gradebook(gradebook_path(server.out_dir))
    keys = [r[0] for r in book.db.execute("SELECT student_key FROM excuses")]
    book.close()
    assert keys == (["jana@skola.cz"] if with_roster else ["jana novakova"])  # the roster id, else the name key
    run = run_cli("class", "export", "--out", str(server.out_dir), *(["--roster", str(roster)] if with_roster else []),
                  "--json", home=tmp_path / "home", timeout=300)  # the server still running (WAL)
    assert run.rc == 0, run.stdout + run.stderr
    [student] = run.json["students"]
    assert student["name"] == ("Jana Nováková" if with_roster else "jana novakova")
    assert student["steps"]["step10"]["status"] == "excused" and student["steps"]["step10"]["status_label"] == "omluveno"
    assert student["excused"] == [{"step": "step10", "reason": "rodinné důvody"}]
    assert student["max_points"] == 20 and student["points"] == 20
    assert "Krok 10 omluveno: rodinné důvody" in student["note"]
    rows = list(csv.reader(io.StringIO((server.out_dir / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][rows[0].index(next(h for h in rows[0] if h.startswith("Krok 10")))] == "omluveno: rodinné důvody"
    assert teacher.post("/student/1/excuse/remove", {"csrf": teacher.csrf, "step": "step10"}).status == 303
    run = run_cli("class", "export", "--out", str(server.out_dir), "--json", home=tmp_path / "home", timeout=300)
    assert run.json["students"][0]["steps"]["step10"]["status"] == "passed" and run.json["students"][0]["excused"] == []
