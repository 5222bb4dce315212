"""`python -m checkers grade --import PATH`: real processes on real zips (Moodle's layouts, built here)
and folders of submission files; bad files listed and never stopping the rest; hostile archives and
inputs refused whole with exit 2 and nothing written."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, run_cli

FACTS = REPO / "tests" / "fixtures" / "facts"
SOLVED, FRESH = 23, 1  # points of the recorded solved and fresh course VM
SECRET = "django-insecure-tohle-nesmi-nikam-unikn0ut"
ROSTER = ("name,id,target,identity\nJana Nováková,jana@skola.cz,local,\nPetr Svoboda,petr@skola.cz,local,\n"
          "Eva Dvořáková,eva@skola.cz,local,\n")


def submission(facts: str = "vm-solved", created_at: str = "2026-12-18T10:00:00Z", *, name: str | None = None,
               sequence: int = 1, secret: bool = False) -> bytes:
    document = {"kind": "kurz-submission", "schema": 1, "id": uuid.uuid4().hex, "sequence": sequence,
                "created_at": created_at, "command": "submit", "checker": {"version": "1", "checks_digest": "x"},
                "target": "vagrant", "facts": json.loads((FACTS / f"{facts}.json").read_text(encoding="utf-8")),
                "verdicts": {"steps": [], "points": 23}}
    if secret:  # a secret the probe would have masked, planted by hand: masked again on import
        document["facts"].setdefault("errors", {})["note"] = f"SECRET_KEY = '{SECRET}'"
    if name:
        document["student"] = {"name": name}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def folder(name: str, pid: int) -> str:
    return f"{name}_{pid}_assignsubmission_file_"


def grade_import(tmp_path: Path, source: Path, *extra: str, roster: bool = True, policy: str | None = None):
    args = ["grade", "--import", str(source), "--out", str(tmp_path / "out"), "--json"]
    if roster:
        (tmp_path / "soupiska.csv").write_text(ROSTER, encoding="utf-8")
        args += ["--roster", str(tmp_path / "soupiska.csv")]
    if policy is not None:
        (tmp_path / "pravidla.toml").write_text(policy, encoding="utf-8")
        args += ["--policy", str(tmp_path / "pravidla.toml")]
    return run_cli(*args, *extra, home=tmp_path / "home", timeout=300)


def students(run) -> dict[str, dict]:
    return {s["name"]: s for s in run.json["students"]}


def refused(run) -> dict[str, str]:
    return {r["file"]: r["reason"] for r in run.json["import"]["refused"]}


# ------------------------------------------------------------------------------ Moodle's zip
def test_moodle_zip_with_a_folder_per_student_is_graded_and_matched_to_the_roster(tmp_path):
    source = make_zip(tmp_path / "odevzdani.zip", {
        f"{folder('Jana Nováková', 101)}/kurz-odevzdani-jana-novakova-20261218-100000.json": submission(),
        f"{folder('petr svoboda', 102)}/kurz-odevzdani-student-20261218-100000.json": submission("vm-fresh"),
        "Eva Dvořáková_103_assignsubmission_onlinetext_/onlinetext.html": b"<p>posilam</p>",  # not a file plugin
        "__MACOSX/._x": b"\x00junk",
    })
    run = grade_import(tmp_path, source)
    assert run.rc == 0, run.stderr
    found = students(run)
    assert found["Jana Nováková"]["points"] == SOLVED and found["Jana Nováková"]["source"] == "imported"
    assert found["Jana Nováková"]["source_label"] == "importováno"
    assert found["Petr Svoboda"]["points"] == FRESH  # matched without regard to case
    assert found["Eva Dvořáková"]["state"] == "pending" and "žádný soubor" in found["Eva Dvořáková"]["reason"]
    assert refused(run) == {}
    moodle = list(csv.reader(io.StringIO((tmp_path / "out" / "moodle.csv").read_text(encoding="utf-8"))))
    assert [row[0] for row in moodle[1:]] == ["jana@skola.cz", "petr@skola.cz"]  # Eva: nothing to import
    grades = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8-sig")
    assert "importováno" in grades.splitlines()[1] and "zdroj" in grades.splitlines()[0]
    assert "importováno" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_moodle_zip_without_folders_names_the_student_in_the_file_name(tmp_path):
    source = make_zip(tmp_path / "flat.zip", {
        f"{folder('Jana Nováková', 101)}kurz-odevzdani.json": submission(),
        f"{folder('Petr Svoboda', 102)}kurz-odevzdani.json": submission("vm-fresh"),
    })
    run = grade_import(tmp_path, source)
    assert run.rc == 0, run.stderr
    assert {n: s["points"] for n, s in students(run).items()} == {"Jana Nováková": SOLVED, "Petr Svoboda": FRESH,
                                                                  "Eva Dvořáková": None}


def test_a_folder_of_submit_files_uses_the_name_inside_and_works_without_a_roster(tmp_path):
    source = tmp_path / "odevzdani"
    (source / "sub").mkdir(parents=True)
    (source / "jana.json").write_bytes(submission(name="Jana Nováková"))
    (source / "sub" / "petr.json").write_bytes(submission("vm-fresh", name="Petr Svoboda"))
    (source / "anonym.json").write_bytes(submission())  # made while not joined: no name, not from Moodle
    run = grade_import(tmp_path, source, roster=False)
    assert run.rc == 2  # a file was refused; the others are graded and exported
    assert {n: s["points"] for n, s in students(run).items()} == {"Jana Nováková": SOLVED, "Petr Svoboda": FRESH}
    assert "nejde určit studenta" in refused(run)["anonym.json"]
    assert (tmp_path / "out" / "grades.csv").is_file()


def test_a_single_submission_file_is_imported(tmp_path):
    (tmp_path / "jana.json").write_bytes(submission(name="Jana Nováková"))
    run = grade_import(tmp_path, tmp_path / "jana.json")
    assert run.rc == 0, run.stderr
    assert students(run)["Jana Nováková"]["points"] == SOLVED


# --------------------------------------------------------------------------------- bad files
def test_every_bad_file_is_listed_with_its_reason_and_the_rest_is_graded(tmp_path):
    forged = json.loads(submission())
    forged["id"] = "../../etc/passwd"
    wrong_kind = json.loads(submission())
    wrong_kind["kind"] = "něco jiného"
    not_facts = json.loads(submission())
    not_facts["facts"] = {"schema": 99}
    duplicate = submission()
    members = {
        f"{folder('Jana Nováková', 101)}/ok.json": duplicate,
        f"{folder('Jana Nováková', 101)}/kopie.json": duplicate,
        f"{folder('Petr Svoboda', 102)}/foto.jpg": b"\xff\xd8\xff\xe0 JFIF",
        f"{folder('Petr Svoboda', 102)}/text.json": b"{ne json",
        f"{folder('Petr Svoboda', 102)}/forged.json": json.dumps(forged).encode(),
        f"{folder('Eva Dvořáková', 103)}/kind.json": json.dumps(wrong_kind).encode(),
        f"{folder('Eva Dvořáková', 103)}/facts.json": json.dumps(not_facts).encode(),
        f"{folder('Cizí Student', 104)}/cizi.json": submission(),
        f"{folder('Velký Soubor', 105)}/bomba.json": b"{" + b" " * (9 * 1024 * 1024) + b"}",  # inflates past 8 MiB
    }
    run = grade_import(tmp_path, make_zip(tmp_path / "mix.zip", members))
    assert run.rc == 2
    reasons = refused(run)
    assert "stejné odevzdání" in reasons[f"{folder('Jana Nováková', 101)}/kopie.json"]
    assert "UTF-8" in reasons[f"{folder('Petr Svoboda', 102)}/foto.jpg"]
    assert "není platný JSON" in reasons[f"{folder('Petr Svoboda', 102)}/text.json"]
    assert "id" in reasons[f"{folder('Petr Svoboda', 102)}/forged.json"]
    assert "není odevzdání checkeru" in reasons[f"{folder('Eva Dvořáková', 103)}/kind.json"]
    assert "fakta" in reasons[f"{folder('Eva Dvořáková', 103)}/facts.json"]
    assert "není v soupisce" in reasons[f"{folder('Cizí Student', 104)}/cizi.json"]
    assert "příliš velký" in reasons[f"{folder('Velký Soubor', 105)}/bomba.json"]
    assert len(reasons) == 8
    assert students(run)["Jana Nováková"]["points"] == SOLVED
    assert "Nenačteno 8 souborů" in run.stderr and "Traceback" not in run.stderr


def test_secrets_in_a_file_are_masked_before_anything_is_stored(tmp_path):
    source = make_zip(tmp_path / "s.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission(secret=True)})
    run = grade_import(tmp_path, source)
    assert run.rc == 0, run.stderr
    database = (tmp_path / "out" / "gradebook.sqlite").read_bytes()
    assert SECRET.encode() not in database
    for name in ("grades.csv", "moodle.csv", "grades.json", "report.html"):
        assert SECRET not in (tmp_path / "out" / name).read_text(encoding="utf-8-sig")
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        stored = "".join(r[0] for r in db.execute("SELECT document FROM facts"))
    assert "«skryto»" in stored


def test_importing_the_same_zip_again_stores_each_submission_once(tmp_path):
    source = make_zip(tmp_path / "o.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission(),
                                           f"{folder('Petr Svoboda', 102)}/y.json": submission("vm-fresh")})
    assert grade_import(tmp_path, source).rc == 0
    again = grade_import(tmp_path, source)
    assert again.rc == 0 and again.json["run"]["id"] == 2
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        uids = [r[0] for r in db.execute("SELECT uid FROM submissions WHERE source = 'imported'")]
    assert len([u for u in uids if not u.startswith("run-")]) == 2
    assert students(again)["Jana Nováková"]["points"] == SOLVED


# ------------------------------------------------------------------------------- the deadline
DEADLINE = "deadline = 2026-12-18T23:59:00+01:00\n"


def test_the_last_file_before_the_deadline_counts_and_a_later_one_is_shown_not_counted(tmp_path):
    source = make_zip(tmp_path / "d.zip", {
        f"{folder('Jana Nováková', 101)}/1.json": submission("vm-fresh", "2026-12-17T10:00:00Z"),
        f"{folder('Jana Nováková', 101)}/2.json": submission("vm-solved", "2026-12-18T22:58:00Z", sequence=2),
        f"{folder('Petr Svoboda', 102)}/1.json": submission("vm-fresh", "2026-12-18T12:00:00+01:00"),
        f"{folder('Petr Svoboda', 102)}/2.json": submission("vm-solved", "2026-12-19T00:00:01+01:00", sequence=2),
        f"{folder('Eva Dvořáková', 103)}/1.json": submission("vm-solved", "2026-12-20T08:00:00Z"),
    })
    run = grade_import(tmp_path, source, policy=DEADLINE)
    assert run.rc == 0, run.stderr
    found = students(run)
    assert found["Jana Nováková"]["points"] == SOLVED and found["Jana Nováková"]["late"] == []  # 23:58 CET: on time
    petr = found["Petr Svoboda"]
    assert petr["points"] == FRESH and petr["late"] and all(p["status"] == "passed" for p in petr["late"])
    assert "Po termínu" in petr["note"] and "nepočítá se" in petr["note"]
    eva = found["Eva Dvořáková"]
    assert eva["state"] == "pending" and eva["points"] is None and "Do termínu" in eva["reason"]
    moodle = (tmp_path / "out" / "moodle.csv").read_text(encoding="utf-8")
    assert "eva@skola.cz" not in moodle and "Po termínu" in moodle


def test_without_a_deadline_the_newest_file_counts(tmp_path):
    source = make_zip(tmp_path / "n.zip", {
        f"{folder('Petr Svoboda', 102)}/1.json": submission("vm-fresh", "2026-12-18T12:00:00Z"),
        f"{folder('Petr Svoboda', 102)}/2.json": submission("vm-solved", "2026-12-19T12:00:00Z", sequence=2),
    })
    run = grade_import(tmp_path, source)
    assert students(run)["Petr Svoboda"]["points"] == SOLVED


# ------------------------------------------------------------------------ hostile inputs, whole
@pytest.mark.parametrize("evil", ["../evil.json", "a/../../evil.json", "/etc/evil.json", "C:/evil.json",
                                  "..\\..\\evil.json"])
def test_a_zip_slip_archive_is_refused_whole_and_nothing_is_written(tmp_path, evil):
    source = make_zip(tmp_path / "slip.zip", {f"{folder('Jana Nováková', 101)}/ok.json": submission(),
                                              evil: submission(name="Jana Nováková")})
    run = grade_import(tmp_path, source)
    assert run.rc == 2 and "nebezpečnou cestu" in run.stdout + run.stderr and "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.json").exists() and not Path("/etc/evil.json").exists()


@pytest.mark.parametrize("content, expected", [
    (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "není složka, ZIP ani soubor odevzdání"),
    (b"PK\x03\x04" + b"\x00" * 40, "není složka, ZIP ani soubor odevzdání"),  # a zip's start, no archive
    (b"", "není složka, ZIP ani soubor odevzdání"),
])
def test_an_input_that_is_no_zip_is_refused_with_exit_2(tmp_path, content, expected):
    (tmp_path / "vstup.zip").write_bytes(content)
    run = grade_import(tmp_path, tmp_path / "vstup.zip")
    assert run.rc == 2 and expected in run.stdout + run.stderr and not (tmp_path / "out").exists()


def test_a_truncated_zip_is_refused_with_exit_2(tmp_path):
    good = make_zip(tmp_path / "good.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission()}).read_bytes()
    (tmp_path / "cut.zip").write_bytes(good[:-30])  # the central directory is cut off
    run = grade_import(tmp_path, tmp_path / "cut.zip")
    assert run.rc == 2 and "Traceback" not in run.stdout + run.stderr and not (tmp_path / "out").exists()


def test_an_archive_with_too_many_entries_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for i in range(10_001):
            archive.writestr(f"f{i}.json", b"")
    run = grade_import(tmp_path, tmp_path / "many.zip")
    assert run.rc == 2 and "víc než 10000 položek" in run.stdout + run.stderr and not (tmp_path / "out").exists()


def test_a_missing_input_and_a_stray_argument_are_refused(tmp_path):
    run = grade_import(tmp_path, tmp_path / "neni.zip")
    assert run.rc == 2 and "neexistuje" in run.stdout + run.stderr
    source = make_zip(tmp_path / "o.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission()})
    run = run_cli("grade", "--import", str(source), str(tmp_path / "soupiska.csv"), "--out", str(tmp_path / "o"),
                  home=tmp_path / "home", timeout=120)
    assert run.rc == 2 and "--roster" in run.stdout + run.stderr


def test_a_name_with_html_from_moodle_is_escaped_in_the_report(tmp_path):
    name = "Jan <script>alert(1)</script> Novák"
    source = make_zip(tmp_path / "h.zip", {f"{folder(name, 101)}/x.json": submission()})
    run = grade_import(tmp_path, source, roster=False)
    assert run.rc == 0, run.stderr
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_huge_zip_is_refused_before_it_is_read(tmp_path):
    """600 MiB (sparse: no disk used) of padding before a valid archive: a zip reader accepts it."""
    small = make_zip(tmp_path / "small.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission()}).read_bytes()
    with open(tmp_path / "huge.zip", "wb") as handle:
        handle.seek(600 * 1024 * 1024)
        handle.write(small)
    assert zipfile.is_zipfile(tmp_path / "huge.zip")
    run = grade_import(tmp_path, tmp_path / "huge.zip")
    assert run.rc == 2 and "MiB" in run.stdout + run.stderr and not (tmp_path / "out").exists()


def _patch_sizes(raw: bytes, size: int, local: bool) -> bytes:
    """Rewrite the uncompressed size a zip declares: in the central directory, and in the local header."""
    data = bytearray(raw)
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = size.to_bytes(4, "little")
    if local:
        data[22:26] = size.to_bytes(4, "little")
    return bytes(data)


def test_a_zip_declaring_more_than_a_gigabyte_is_refused_whole(tmp_path):
    raw = make_zip(tmp_path / "x.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission()}).read_bytes()
    (tmp_path / "declared.zip").write_bytes(_patch_sizes(raw, 0xFFFF_FFF0, local=True))
    run = grade_import(tmp_path, tmp_path / "declared.zip")
    assert run.rc == 2 and "by se rozbalil" in run.stdout + run.stderr and not (tmp_path / "out").exists()


def test_a_member_lying_about_its_size_is_refused_not_inflated(tmp_path):
    bomb = b"{" + b" " * (9 * 1024 * 1024) + b"}"
    raw = make_zip(tmp_path / "x.zip", {f"{folder('Petr Svoboda', 102)}/bomba.json": bomb}).read_bytes()
    (tmp_path / "lying.zip").write_bytes(_patch_sizes(raw, 1000, local=True))  # says 1000 bytes, inflates to 9 MiB
    run = grade_import(tmp_path, tmp_path / "lying.zip")
    assert run.rc == 2 and "Traceback" not in run.stderr
    [(name, reason)] = refused(run).items()
    assert name.endswith("bomba.json") and ("nejde rozbalit" in reason or "příliš velký" in reason)


def test_links_inside_a_folder_are_not_followed_but_a_linked_folder_is(tmp_path):
    source = tmp_path / "odevzdani"
    source.mkdir()
    (source / "jana.json").write_bytes(submission(name="Jana Nováková"))
    (tmp_path / "mimo.json").write_bytes(submission(name="Petr Svoboda"))
    (source / "odkaz.json").symlink_to(tmp_path / "mimo.json")
    (tmp_path / "odkaz-na-slozku").symlink_to(source, target_is_directory=True)
    run = grade_import(tmp_path, tmp_path / "odkaz-na-slozku")
    assert run.rc == 2
    assert "není obyčejný soubor" in refused(run)["odkaz.json"]
    assert students(run)["Jana Nováková"]["points"] == SOLVED and students(run)["Petr Svoboda"]["points"] is None


def test_utf8_names_without_the_utf8_flag_still_match_the_roster(tmp_path):
    raw = bytearray(make_zip(tmp_path / "x.zip", {f"{folder('Jana Nováková', 101)}/x.json": submission()}).read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    for flags in (6, central + 8):  # clear the UTF-8 flag: what some zip tools write
        raw[flags:flags + 2] = (int.from_bytes(raw[flags:flags + 2], "little") & ~0x800).to_bytes(2, "little")
    (tmp_path / "bez-priznaku.zip").write_bytes(bytes(raw))
    with zipfile.ZipFile(tmp_path / "bez-priznaku.zip") as archive:
        assert "Nováková" not in archive.namelist()[0]  # Python alone would read it as cp437
    run = grade_import(tmp_path, tmp_path / "bez-priznaku.zip")
    assert run.rc == 0, run.stdout + run.stderr
    assert students(run)["Jana Nováková"]["points"] == SOLVED
