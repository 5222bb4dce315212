"""The grading policy file (checkers.grading.policy): marks at their thresholds, deadlines, excuses,
and every kind of bad file refused in Czech with exit code 2 by the real CLI (`regrade --policy`,
`grade --policy`), before anything is written."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from checkers.course import load_course
from checkers.errors import CheckerError
from checkers.grading.policy import DEFAULT_THRESHOLDS, EVERYBODY, Policy, load_policy, parse_policy
from tests.helpers.cli import run_cli

COURSE = load_course()


def policy(text: str) -> Policy:
    return parse_policy(text, "pravidla.toml", COURSE)


def refused(text: str) -> str:
    with pytest.raises(CheckerError) as caught:
        policy(text)
    assert caught.value.exit_code == 2
    return caught.value.message


# ------------------------------------------------------------------------------------ marks
@pytest.mark.parametrize("points, maximum, mark", [
    (90, 100, 1), (89, 100, 2), (75, 100, 2), (74, 100, 3), (60, 100, 3), (59, 100, 4), (45, 100, 4),
    (44, 100, 5), (0, 100, 5), (100, 100, 1),
    (21, 23, 1),  # 91,3 %
    (20, 23, 2),  # 86,96 %: no rounding up to a better mark
    (9, 20, 4),  # exactly 45 %
])
def test_default_marks_at_and_around_each_threshold(points, maximum, mark):
    assert Policy().mark(points, maximum) == mark


def test_no_mark_when_nothing_is_counted():
    assert Policy().mark(0, 0) is None


def test_custom_thresholds_decide_the_mark_and_fractions_are_exact():
    rules = policy("[marks]\n1 = 87.5\n2 = 70\n3 = 50\n4 = 33.3\n")
    assert rules.mark(7, 8) == 1  # exactly 87,5 %
    assert rules.mark(87, 100) == 2
    assert rules.mark(333, 1000) == 4 and rules.mark(332, 1000) == 5
    assert rules.thresholds != DEFAULT_THRESHOLDS


# --------------------------------------------------------------------------------- deadline
def test_deadline_with_offset_counts_up_to_and_including_the_moment():
    rules = policy("deadline = 2026-12-18T23:59:00+01:00\n")
    assert rules.on_time("2026-12-18T22:59:00Z")  # the same moment in UTC
    assert rules.on_time("2026-12-18T23:58:59+01:00")
    assert not rules.on_time("2026-12-18T22:59:01Z")
    assert not rules.on_time("2026-12-19T08:00:00+01:00")


def test_a_bare_date_means_the_end_of_that_day_and_no_deadline_means_always_on_time():
    rules = policy("deadline = 2026-12-18\n")
    local_evening = datetime(2026, 12, 18, 23, 0).astimezone()
    next_morning = datetime(2026, 12, 19, 0, 0, 1).astimezone()
    assert rules.on_time(local_evening.isoformat()) and not rules.on_time(next_morning.isoformat())
    assert Policy().on_time("2099-01-01T00:00:00Z")
    assert not rules.on_time(None) and not rules.on_time("not a time")


def test_a_deadline_without_offset_is_the_computers_local_time():
    rules = policy("deadline = 2026-12-18T12:00:00\n")
    assert rules.deadline == datetime(2026, 12, 18, 12, 0).astimezone()
    assert rules.deadline.tzinfo is not None
    assert rules.deadline.astimezone(timezone.utc) == datetime(2026, 12, 18, 12, 0).astimezone().astimezone(timezone.utc)


# ---------------------------------------------------------------------------------- excuses
def test_excuses_match_by_id_or_name_without_accents_and_case_and_star_is_everybody():
    rules = policy('[[excused]]\nstudent = "jana@skola.cz"\nsteps = ["step9", 10, "Krok 11"]\nreason = "nemoc"\n'
                   '[[excused]]\nstudent = "PETR svoboda"\nstep = "3"\nreason = "výpadek proudu"\n'
                   '[[excused]]\nstudent = "*"\nsteps = ["step11"]\nreason = "celá třída: nestihli jsme"\n')
    assert rules.excused_steps("Jana Nováková", "jana@skola.cz") == {
        "step9": "nemoc", "step10": "nemoc", "step11": "nemoc; celá třída: nestihli jsme"}
    assert rules.excused_steps("Petr Svoboda", "petr@skola.cz") == {
        "step3": "výpadek proudu", "step11": "celá třída: nestihli jsme"}
    assert rules.excused_steps("Eva Dvořáková", "eva@skola.cz") == {"step11": "celá třída: nestihli jsme"}
    assert [e.student for e in rules.excuses][-1] == EVERYBODY


def test_an_excuse_naming_nobody_in_the_class_is_found():
    rules = policy('[[excused]]\nstudent = "jana@skola.cz"\nstep = 9\nreason = "nemoc"\n'
                   '[[excused]]\nstudent = "Nikdo Neznámý"\nstep = 9\nreason = "nemoc"\n')
    assert rules.unmatched([("Jana Nováková", "jana@skola.cz")]) == ["Nikdo Neznámý"]


# ------------------------------------------------------------------------------ bad files
@pytest.mark.parametrize("text, expected", [
    ("deadline = \n", "není platný TOML: chyba na řádku 1"),
    ("termin = 2026-12-18\n", "neznámá položka „termin“"),
    ('deadline = "zítra"\n', "deadline „zítra“ není datum a čas"),
    ("deadline = 5\n", "deadline „5“ není datum a čas"),
    ("[marks]\n1 = 90\n2 = 75\n3 = 60\n", "chybí hranice pro známky 4"),
    ("[marks]\n1 = 90\n2 = 95\n3 = 60\n4 = 45\n", "hranice musí od jedničky ke čtyřce klesat"),
    ("[marks]\n1 = 190\n2 = 75\n3 = 60\n4 = 45\n", "hranice známky 1 „190“ není procento od 0 do 100"),
    ("[marks]\n1 = 90\n2 = 75\n3 = 60\n4 = 45\n5 = 10\n", "„5“ není známka 1 až 4"),
    ('[marks]\n1 = "90 %"\n2 = 75\n3 = 60\n4 = 45\n', "není procento"),
    ("marks = 3\n", "[marks] musí být tabulka"),
    ('[[excused]]\nstudent = "x"\nsteps = ["step9"]\n', "chybí důvod (reason)"),
    ('[[excused]]\nsteps = ["step9"]\nreason = "r"\n', "chybí student"),
    ('[[excused]]\nstudent = "x"\nreason = "r"\n', "chybí kroky"),
    ('[[excused]]\nstudent = "x"\nsteps = ["step99"]\nreason = "r"\n', "krok „step99“ kurz nemá"),
    ('[[excused]]\nstudent = "x"\nsteps = ["step9"]\nreason = "r"\nduvod = "y"\n', "neznámá položka „duvod“"),
    ('[[excused]]\nstudent = "x"\nstep = 9\nsteps = [9]\nreason = "r"\n', "buď steps, nebo step"),
    ('excused = "nikdo"\n', "[[excused]]"),
])
def test_every_bad_policy_is_refused_with_its_czech_reason(text, expected):
    assert expected in refused(text)


def test_all_problems_are_listed_at_once():
    message = refused('foo = 1\n[marks]\n1 = 90\n2 = 95\n3 = 60\n4 = 45\n[[excused]]\nstudent = "x"\nsteps = [99]\n')
    assert "„foo“" in message and "klesat" in message and "chybí důvod" in message and "„99“" in message


def test_a_good_policy_is_accepted_with_everything_in_it():
    rules = policy('deadline = 2026-12-18T23:59:00+01:00\n[marks]\n1 = 85\n2 = 70\n3 = 55\n4 = 40\n'
                   '[[excused]]\nstudent = "jana@skola.cz"\nsteps = ["step9"]\nreason = "nemoc"\n')
    assert rules.deadline is not None and len(rules.excuses) == 1 and rules.mark(85, 100) == 1


def test_files_that_are_not_a_policy_are_refused(tmp_path):
    with pytest.raises(CheckerError, match="neexistuje"):
        load_policy(tmp_path / "chybi.toml", COURSE)
    with pytest.raises(CheckerError, match="je adresář"):
        load_policy(tmp_path, COURSE)
    (tmp_path / "cp1250.toml").write_bytes('[[excused]]\nstudent = "Žák"\nstep = 9\nreason = "nemoc"\n'.encode("cp1250"))
    with pytest.raises(CheckerError, match="UTF-8"):
        load_policy(tmp_path / "cp1250.toml", COURSE)
    (tmp_path / "big.toml").write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    with pytest.raises(CheckerError, match="větší než 1 MiB"):
        load_policy(tmp_path / "big.toml", COURSE)
    (tmp_path / "bom.toml").write_bytes("\ufeffdeadline = 2026-12-18\n".encode("utf-8"))
    assert load_policy(tmp_path / "bom.toml", COURSE).deadline is not None


# ------------------------------------------------------------------------- the real commands
@pytest.mark.parametrize("command", [["regrade"], ["grade", "soupiska.csv"], ["grade", "--import", "odevzdani"]])
def test_the_cli_refuses_a_bad_policy_with_exit_2_before_writing_anything(tmp_path, command):
    (tmp_path / "bad.toml").write_text('[marks]\n1 = 90\n2 = 95\n3 = 60\n4 = 45\n', encoding="utf-8")
    out = tmp_path / "vysledky"
    command = [str(tmp_path / c) if c in ("soupiska.csv", "odevzdani") else c for c in command]
    run = run_cli(*command, "--policy", str(tmp_path / "bad.toml"), "--out", str(out), home=tmp_path / "home",
                  timeout=120)
    assert run.rc == 2, run.stdout + run.stderr
    text = run.stdout + run.stderr
    assert "Pravidla hodnocení" in text and "klesat" in text and "Traceback" not in text
    assert not out.exists()  # refused before the gradebook was created


def test_the_cli_reports_a_missing_policy_file_in_czech(tmp_path):
    run = run_cli("regrade", "--policy", str(tmp_path / "neni.toml"), "--out", str(tmp_path / "v"),
                  home=tmp_path / "home", timeout=120)
    assert run.rc == 2 and "Soubor s pravidly hodnocení" in run.stderr and "neexistuje" in run.stderr


def test_roster_option_without_import_is_refused(tmp_path):
    run = run_cli("grade", "--roster", str(tmp_path / "soupiska.csv"), "--out", str(tmp_path / "v"),
                  home=tmp_path / "home", timeout=120)
    assert run.rc == 2 and "--roster patří k `grade --import`" in run.stderr and not (tmp_path / "v").exists()


def test_the_example_in_the_teachers_chapter_is_a_valid_policy():
    import re

    from checkers.paths import BOOK_DIR

    text = (BOOK_DIR / "ucitel.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    rules = policy(example)
    assert rules.deadline is not None and rules.thresholds == DEFAULT_THRESHOLDS and len(rules.excuses) == 1
