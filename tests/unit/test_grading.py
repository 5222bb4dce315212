"""Teacher grading without any target: the roster and its Czech errors, the gradebook's schema and
durability, the exports and their escaping (tests/probe/test_grading_runner.py has the runner)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest

from checkers.course import load_course
from checkers.errors import CheckerError
from checkers.grading import exports
from checkers.grading.gradebook import SCHEMA_VERSION, Gradebook
from checkers.grading.html_report import render_report
from checkers.grading.model import GRADED, CheckRow, RosterEntry, StepRow, TargetGrade
from checkers.grading.roster import parse_roster, vagrant_roster
from checkers.grading.runner import column_steps, max_points
from tests.helpers.cli import REPO, run_cli

COURSE = load_course()


def roster_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------- roster
def test_a_good_roster_parses(tmp_path):
    key = tmp_path / "klice" / "trida"
    key.parent.mkdir()
    key.write_text("not read here")
    raw = roster_bytes("name;id;target;identity;poznámka",
                       "Jana Nováková;jana@skola.cz;ssh://vagrant@10.0.0.11:2222;klice/trida;první lavice",
                       "",
                       '"Petr ""Péťa"" Svoboda";petr@skola.cz;vagrant:student02;;',
                       "Web;web@skola.cz;https://example.invalid/;;", bom=True)
    entries = parse_roster(raw, base_dir=tmp_path)
    assert [(e.name, e.student_id, e.kind) for e in entries] == [
        ("Jana Nováková", "jana@skola.cz", "ssh"), ('Petr "Péťa" Svoboda', "petr@skola.cz", "vagrant"),
        ("Web", "web@skola.cz", "url")]
    assert entries[0].identity == str(key) and entries[1].identity is None
    assert [e.line for e in entries] == [2, 4, 5]


def test_every_roster_problem_is_named_by_line_and_column(tmp_path):
    raw = roster_bytes(
        "name,id,target,identity",
        ",a@skola.cz,ssh://vagrant@10.0.0.1,",                    # 2: no name
        "Bára,,ssh://vagrant@10.0.0.2,",                          # 3: no id
        '"Cyril\nz druhého řádku",c@skola.cz,ftp://stroj,',       # 4–5: unknown target kind
        "Dana,d@skola.cz,ssh://vagrant:heslo@10.0.0.4,",          # 6: password in the URL
        "Emil,e@skola.cz,ssh://vagrant@10.0.0.5,neni/klic",       # 7: key file missing
        "Filip,a@skola.cz,ssh://vagrant@10.0.0.6,",               # 8: duplicate id
        "Gita,=1+1,ssh://vagrant@10.0.0.7,",                      # 9: formula as id
        "Hana,h@skola.cz,vagrant:student08,klic",                 # 10: key for a vagrant target
        "Igor,i@skola.cz",                                         # 11: too few values
        "Jan,j@skola.cz,ssh://10.0.0.9,",                         # 12: no user
    )
    with pytest.raises(CheckerError) as info:
        parse_roster(raw, base_dir=tmp_path, source="soupiska.csv")
    message = info.value.message
    for expected in ("řádek 2, sloupec name (jméno): jméno chybí",
                     "řádek 3, sloupec id (identifikátor): identifikátor chybí",
                     "řádek 4, sloupec target (cíl): Cíl „ftp://stroj“ neznám",
                     "řádek 6, sloupec target (cíl): v adrese je heslo",
                     "řádek 7, sloupec identity (klíč): soubor s klíčem „neni/klic“ neexistuje",
                     "řádek 8, sloupec id (identifikátor): identifikátor „a@skola.cz“ už je na řádku 2",
                     "řádek 9, sloupec id (identifikátor): identifikátor nesmí začínat znakem „=“",
                     "řádek 10, sloupec identity (klíč): u cíle vagrant:student08 se klíč nezadává",
                     "řádek 11: má 2 hodnot, hlavička má 4 sloupců",
                     "řádek 12, sloupec target (cíl): chybí uživatel"):
        assert expected in message, (expected, message)
    assert "heslo@" not in message  # the password itself is not repeated
    assert "name,id,target,identity" in info.value.hint


@pytest.mark.parametrize("raw, expected", [
    (b"", "je prázdná"),
    (b"name,id,target,identity\n", "nemá žádného studenta"),
    (b"jmeno,id,cil\nA,a,ssh://u@h\n", "chybí sloupce: name, target"),
    (b"name,id,target,identity\n\x98ofie,z,ssh://u@h,\n", "není v kódování UTF-8 ani Windows-1250 (řádek 2)"),
    (b"name,id,target,identity\n\xc5\xbdofie\x01\x8e,z,ssh://u@h,\n", "není v kódování UTF-8 ani Windows-1250"),
    (b'name,id,target,identity\n"Neuzavren,a,ssh://u@h,\n', "neuzavřené uvozovky"),
    (b"name,id,target,identity\nA\x00,a,ssh://u@h,\n", "nulový znak"),
])
def test_broken_rosters_are_explained(tmp_path, raw, expected):
    with pytest.raises(CheckerError) as info:
        parse_roster(raw, base_dir=tmp_path)
    assert expected in info.value.message


def test_a_czech_excel_roster_in_windows_1250_is_read_and_said_so(tmp_path):
    text = "name;id;target;identity\r\nŽofie Řeháčková;zofie@skola.cz;ssh://u@h;\r\nŠtěpán Ďuriš;stepan;local;\r\n"
    notes: list[str] = []
    entries = parse_roster(text.encode("cp1250"), base_dir=tmp_path, notes=notes)
    assert [e.name for e in entries] == ["Žofie Řeháčková", "Štěpán Ďuriš"]
    assert len(notes) == 1 and "Windows-1250" in notes[0] and "Žofie" in notes[0]
    utf8_notes: list[str] = []
    assert [e.name for e in parse_roster(("\ufeff" + text).encode("utf-8"), base_dir=tmp_path,
                                         notes=utf8_notes)] == ["Žofie Řeháčková", "Štěpán Ďuriš"]
    assert utf8_notes == []  # UTF-8 (with a BOM here) is the expected encoding: nothing to say


def test_the_roster_project_column(tmp_path):
    roster = ("name,id,target,identity,project\nA,a,local,,/home/a/web\nB,b,local,,\n"
              "C,c,local,,relativni/cesta\nD,d,https://d.example,,/srv/x\n")
    with pytest.raises(CheckerError) as info:
        parse_roster(roster.encode(), base_dir=tmp_path)
    assert "řádek 4, sloupec project (projekt): „relativni/cesta“ není absolutní cesta" in info.value.message
    assert "řádek 5, sloupec project (projekt): u cíle https://d.example se projekt nezadává" in info.value.message
    good = parse_roster("\n".join(roster.splitlines()[:3]).encode(), base_dir=tmp_path)
    assert [e.project for e in good] == ["/home/a/web", None]


def test_bad_roster_on_the_command_line_is_exit_2_in_czech(tmp_path, checkers_home):
    roster = tmp_path / "soupiska.csv"
    roster.write_text("name,id,target,identity\nAnna,anna,ssh://vagrant@10.0.0.1,\nBedřich,anna,lab,\n", encoding="utf-8")
    result = run_cli("grade", str(roster), "--out", str(tmp_path / "out"), home=checkers_home)
    assert result.rc == 2
    assert "řádek 3, sloupec id (identifikátor): identifikátor „anna“ už je na řádku 2" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()  # nothing graded, nothing written
    for args, expected in ((["grade"], "Chybí soupiska"), (["grade", str(tmp_path / "nic.csv")], "neexistuje"),
                           (["grade", str(roster), "--concurrency", "0"], "není v rozsahu"),
                           (["regrade", "--out", str(tmp_path / "prazdno")], "není databáze hodnocení")):
        result = run_cli(*args, home=checkers_home)
        assert result.rc == 2 and expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_vagrant_classroom_roster(tmp_path, checkers_home):
    result = run_cli("roster", "--vagrant", "3", home=checkers_home)
    assert result.rc == 0, result.stderr
    entries = parse_roster(result.stdout.encode(), base_dir=tmp_path)
    assert [e.target for e in entries] == ["vagrant:student01", "vagrant:student02", "vagrant:student03"]
    assert "KURZ_STUDENTS=3 vagrant up" in result.stderr
    from_env = run_cli("roster", "--vagrant", home=checkers_home, env={"KURZ_STUDENTS": "2"})
    assert from_env.rc == 0 and from_env.stdout == vagrant_roster(2)
    assert run_cli("roster", home=checkers_home).rc == 2
    # The names match the multi-machine Vagrantfile (read, not run: `format("student%02d", i)`).
    assert 'format("student%02d", i)' in (REPO / "Vagrantfile").read_text()


# ---------------------------------------------------------------------------------- gradebook
def entry(i: int, name: str | None = None, kind: str = "ssh") -> RosterEntry:
    return RosterEntry(line=i + 2, name=name or f"Student {i}", student_id=f"s{i}@skola.cz",
                       target=f"ssh://vagrant@10.0.0.{i}", identity=None, kind=kind)


def graded(e: RosterEntry, passed: set[str]) -> TargetGrade:
    steps = [StepRow(s.id, "passed" if s.id in passed else "failed", s.points if s.id in passed else 0, s.points)
             for s in COURSE.required_steps]
    checks = [CheckRow(c, s.id, "passed" if s.id in passed else "failed", f"Kontrola {c}",
                       f"Zpráva <b>{c}</b>", "Nápověda") for s in COURSE.required_steps for c in s.checks]
    return TargetGrade(e, GRADED, facts={"schema": 1, "gathered": {"target": e.target}, "x": e.student_id},
                       steps=steps, checks=checks, seconds=1.5)


def test_gradebook_schema_is_versioned_and_foreign_files_refused(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.close()
    db = sqlite3.connect(tmp_path / "gradebook.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(CheckerError, match="novější verze"):
        Gradebook(tmp_path / "gradebook.sqlite")
    other = sqlite3.connect(tmp_path / "jina.sqlite")
    other.execute("CREATE TABLE x (y)")
    other.close()
    with pytest.raises(CheckerError, match="ne databáze hodnocení"):
        Gradebook(tmp_path / "jina.sqlite")
    (tmp_path / "text.sqlite").write_text("tohle není databáze " * 100)
    with pytest.raises(CheckerError, match="není čitelná databáze"):
        Gradebook(tmp_path / "text.sqlite")


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.unit.test_grading import entry, graded, COURSE
from checkers.grading.gradebook import Gradebook
from checkers.grading.runner import column_steps, max_points
book = Gradebook(Path({path!r}))
entries = [entry(i) for i in range(4)]
run = book.start_run("grade", column_steps(COURSE, entries), COURSE.title, "digest")
book.add_pending(run, entries, [max_points(e, COURSE) for e in entries])
book.record(run, 0, graded(entries[0], {{"step0", "step1"}}))
book.record(run, 1, graded(entries[1], {{"step0"}}))
book.db.execute("BEGIN IMMEDIATE")  # the third target is half-written when the process dies
book.db.execute("UPDATE targets SET state = 'graded', points = 99 WHERE position = 2")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_crash_keeps_every_committed_target(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    proc = subprocess.run([sys.executable, "-c", KILLED_RUN.format(repo=str(REPO), path=str(path))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    book = Gradebook(path)
    run = book.run()
    assert run.status == "running"  # never finished: shown as unfinished
    targets = book.targets(run.id)
    assert [t.state for t in targets] == ["graded", "graded", "pending", "pending"]
    assert [t.points for t in targets[:2]] == [2, 1]
    assert len(targets[0].checks) == sum(len(s.checks) for s in COURSE.required_steps)
    written = exports.write_all(book, run.id, tmp_path / "out")
    assert [p.name for p in written] == list(exports.FILES)
    assert "nezkontrolováno" in (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8-sig")


def test_exports_escape_and_keep_spreadsheets_safe(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    entries = [entry(0, "=cmd|' /C calc'!A0"), entry(1, "<b>Tučná</b>\n& \"nová\" řádka"), entry(2, "Vypnutý")]
    run = book.start_run("grade", column_steps(COURSE, entries), COURSE.title, "digest")
    book.add_pending(run, entries, [max_points(e, COURSE) for e in entries])
    book.record(run, 0, graded(entries[0], {s.id for s in COURSE.required_steps}))
    book.record(run, 1, graded(entries[1], {"step0"}))
    book.record(run, 2, TargetGrade(entries[2], "unreachable", "Stroj <neodpovídá>", "Zapněte ho."))
    book.finish_run(run, "finished")
    exports.write_all(book, run, tmp_path)
    rows = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][-2:] == ["23", "23"]
    assert rows[2][0] == "<b>Tučná</b>\n& \"nová\" řádka" and rows[2][-2] == "1"
    assert rows[3][3] == "nedostupný" and rows[3][4] == "Stroj <neodpovídá>" and rows[3][-2] == ""
    moodle = list(csv.reader(io.StringIO((tmp_path / "moodle.csv").read_text(encoding="utf-8"))))
    assert [r[0] for r in moodle] == ["E-mailová adresa", "s0@skola.cz", "s1@skola.cz"]
    assert moodle[2][-1].startswith("Splněno 1 z 12 kroků, 1 z 23 bodů. Zbývá: Krok 1,")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<b>Tučná" not in html and "<b>django" not in html and "&lt;b&gt;Tučná&lt;/b&gt;⏎&amp; &quot;nová&quot; řádka" in html
    assert "Zpráva &lt;b&gt;django.E001&lt;/b&gt;" in html and "Stroj &lt;neodpovídá&gt;" in html
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    document = json.loads((tmp_path / "grades.json").read_text(encoding="utf-8"))
    assert document["summary"]["states"]["unreachable"] == 1 and document["summary"]["full_marks"] == 1
    assert document["students"][1]["name"] == "<b>Tučná</b>\n& \"nová\" řádka"
    assert render_report(exports.load_result(book, run)).count('<tr class="student') == 3
