"""Gradebook schema v2 (the class server's tables in the same file as `grade`): a version 1 file
migrates and keeps its runs, a newer file is refused in Czech, a `grade` run becomes a verified
submission (an imported one for `grade --import`), excuses are stored per student and step."""

from __future__ import annotations

import sqlite3

import pytest

from checkers.errors import CheckerError
from checkers.grading import schema
from checkers.grading.gradebook import Gradebook
from checkers.grading.model import GRADED, CheckRow, RosterEntry, StepRow, TargetGrade
from checkers.grading.submissions import all_submissions, excuses, name_key, set_excuse

ENTRY = RosterEntry(line=2, name="Jana Nováková", student_id="jana@skola.cz", target="ssh://vagrant@10.0.0.11",
                    identity=None, kind="ssh")


def make_v1(path):
    db = sqlite3.connect(path)
    db.executescript(schema.MIGRATIONS[1])
    db.execute("INSERT INTO runs (kind, status, started_at, course_title, steps, checks_digest)"
               " VALUES ('grade', 'finished', '2026-01-01T10:00:00+01:00', 'Kurz', '[]', 'abc')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_version_1_gradebook_migrates_to_version_2_and_keeps_its_runs(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    make_v1(path)
    book = Gradebook(path)
    assert book.db.execute("PRAGMA user_version").fetchone()[0] == 2 == schema.SCHEMA_VERSION
    tables = {r[0] for r in book.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"class_students", "submissions", "submission_steps", "submission_checks", "class_cells",
            "excuses"} <= tables
    assert [r.checks_digest for r in book.runs()] == ["abc"]
    book.close()


def test_a_gradebook_of_a_newer_checker_is_refused_in_czech(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    make_v1(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    with pytest.raises(CheckerError, match="novější verze checkeru"):
        Gradebook(path)


def grade_run(book: Gradebook, settings: dict | None = None) -> int:
    run = book.start_run("grade", [{"id": "step3", "title": "Krok 3", "points": 2}], "Kurz", "abc",
                         settings=settings)
    book.add_pending(run, [ENTRY], [2])
    book.record(run, 0, TargetGrade(ENTRY, GRADED, facts={"x": 1}, steps=[StepRow("step3", "passed", 2, 2)],
                                    checks=[CheckRow("nginx.E001", "step3", "passed", "NGINX běží", "", "")]))
    book.finish_run(run, "finished")
    return run


def test_a_grade_run_is_stored_as_a_verified_submission_and_regrade_is_not(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    run = grade_run(book)
    source_run = book.run(run)
    from checkers.course import load_course
    from checkers.grading.regrade import regrade

    regrade(book, load_course(), source_run)
    found = all_submissions(book.db)
    assert [(s.source, s.uid, s.student_key, s.name) for s in found] == [
        ("verified", f"run-{run}-0", "jana@skola.cz", "Jana Nováková")]
    assert found[0].steps["step3"].points == 2 and found[0].checks[0].title == "NGINX běží"
    book.close()


def test_a_grade_import_run_leaves_its_submissions_to_the_importer(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    grade_run(book, settings={"source": "imported"})
    assert all_submissions(book.db) == []  # `grade --import` stores each document with its own id and time
    book.close()


def test_excuses_are_set_replaced_and_removed(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    with book.transaction():
        set_excuse(book.db, "jana@skola.cz", "step3", "nemoc", "2026-01-01T10:00:00Z")
        set_excuse(book.db, "jana@skola.cz", "step3", "omluvena lékařem", "2026-01-02T10:00:00Z")
        set_excuse(book.db, "petr@skola.cz", "step4", "exkurze", "2026-01-02T10:00:00Z")
    assert excuses(book.db) == [("jana@skola.cz", "step3", "omluvena lékařem"), ("petr@skola.cz", "step4", "exkurze")]
    with book.transaction():
        set_excuse(book.db, "petr@skola.cz", "step4", "", "2026-01-03T10:00:00Z")
    assert excuses(book.db) == [("jana@skola.cz", "step3", "omluvena lékařem")]
    book.close()


def test_name_keys_ignore_case_accents_and_spacing():
    assert name_key("  Jana   NOVÁKOVÁ ") == name_key("jana novakova") == "jana novakova"
    assert name_key("Jana Nováková") != name_key("Jan Novák")
