"""The teacher excuses a student's step from the real class server's dashboard: the student's page
lists it and can take it back, the grid shows "omluveno" (the reason in the cell's title) instead of
failed, open dashboards get the row live; login, CSRF, a known step and a short reason are needed,
and nothing is written otherwise; a reason with HTML is text everywhere."""

from __future__ import annotations

import re
import sqlite3

from tests.classroom.server_helpers import Teacher, submission
from tests.classroom.test_server_dashboard import EVIL, read_events

REASON = "nemoc 3.–10. 12."


def stored(server) -> list[tuple]:
    db = sqlite3.connect(f"file:{server.out_dir / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT student_key, step, reason FROM excuses ORDER BY id").fetchall()
    finally:
        db.close()


def cell(page: str, step: str) -> str:
    found = re.search(rf'<td class="cell [^"]*" title="{step}: [^"]*">', page)
    assert found, f"no cell of {step}"
    return found.group(0)


def jana(server) -> Teacher:
    token = server.token("Jana Nováková")
    assert server.submit(token, submission(1, "vm-fresh")).status == 201  # step0 passed, the others failed
    teacher = server.teacher()
    teacher.get("/student/1")
    return teacher


def test_an_excused_step_is_on_the_students_page_and_omluveno_in_the_grid_until_taken_back(class_server):
    teacher = jana(class_server)
    page = teacher.get("/student/1").text
    assert "Omluvit krok" in page and '<option value="step7">Krok 7 – Webový server NGINX</option>' in page
    assert 'maxlength="200"' in page and "Zrušit omluvu" not in page
    excused = teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step7", "reason": f"  {REASON} "})
    assert excused.status == 303 and excused.headers["location"] == "/student/1"
    assert stored(class_server) == [("jana novakova", "step7", REASON)]  # no roster: the name key
    page = teacher.get("/student/1").text
    assert re.search(rf"Krok 7 omluven: {REASON} \(\d+\. \d+\. \d{{4}} \d\d:\d\d\)", page)
    assert "Zrušit omluvu" in page
    grid = teacher.get("/").text
    assert cell(grid, "step7") == f'<td class="cell excused" title="step7: omluveno – {REASON}">'
    assert cell(grid, "step6") == '<td class="cell failed" title="step6: nesplněno">'
    assert re.search(r'<td class="total">1</td>', grid)
    assert REASON not in teacher.get("/projector?names=1").text  # the reason stays off the projector
    # a passed step excused: its point leaves the row's total (it leaves the maximum in the exports)
    teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step0", "reason": "uznáno z minula"})
    assert re.search(r'<td class="total">0</td>', teacher.get("/").text)
    removed = teacher.post("/student/1/excuse/remove", {"csrf": teacher.csrf, "step": "step7"})
    assert removed.status == 303 and stored(class_server) == [("jana novakova", "step0", "uznáno z minula")]
    assert "Krok 7 omluven" not in teacher.get("/student/1").text
    assert cell(teacher.get("/").text, "step7") == '<td class="cell failed" title="step7: nesplněno">'


def test_a_new_reason_replaces_the_old_one(class_server):
    teacher = jana(class_server)
    teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step3", "reason": "první"})
    teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step3", "reason": "druhý"})
    assert stored(class_server) == [("jana novakova", "step3", "druhý")]
    assert "Krok 3 omluven: druhý" in teacher.get("/student/1").text


def test_an_excuse_reaches_an_open_dashboard_stream(class_server):
    teacher = jana(class_server)
    rows = read_events(class_server, teacher, lambda: teacher.post(
        "/student/1/excuse", {"csrf": teacher.csrf, "step": "step9", "reason": REASON}))
    assert rows and rows[0]["id"] == 1
    assert f'class="cell excused" title="step9: omluveno – {REASON}"' in rows[0]["html"]
    rows = read_events(class_server, teacher, lambda: teacher.post(
        "/student/1/excuse/remove", {"csrf": teacher.csrf, "step": "step9"}))
    assert rows and 'class="cell failed" title="step9: nesplněno"' in rows[0]["html"]


def test_an_excuse_needs_login_csrf_a_known_step_and_a_short_reason_and_writes_nothing_otherwise(class_server):
    teacher = jana(class_server)
    stranger = Teacher(class_server)
    stranger.get("/login")
    refused = stranger.post("/student/1/excuse", {"csrf": stranger.csrf, "step": "step7", "reason": REASON})
    assert refused.status == 401 and "Nejste přihlášený učitel" in refused.text
    assert stranger.post("/student/1/excuse/remove", {"csrf": stranger.csrf, "step": "step7"}).status == 401
    for fields, status, words in (
            ({"step": "step7", "reason": REASON}, 403, "CSRF"),
            ({"csrf": "x" * 32, "step": "step7", "reason": REASON}, 403, "CSRF"),
            ({"csrf": teacher.csrf, "step": "step99", "reason": REASON}, 400, "Takový krok kurz nemá"),
            ({"csrf": teacher.csrf, "reason": REASON}, 400, "Takový krok kurz nemá"),
            ({"csrf": teacher.csrf, "step": "step7", "reason": "   "}, 400, "Napište důvod omluvy"),
            ({"csrf": teacher.csrf, "step": "step7"}, 400, "Napište důvod omluvy"),
            ({"csrf": teacher.csrf, "step": "step7", "reason": "x" * 201}, 400, "delší než 200 znaků")):
        reply = teacher.post("/student/1/excuse", fields)
        assert reply.status == status and words in reply.text and '<html lang="cs">' in reply.text, fields
    missing = teacher.post("/student/9/excuse", {"csrf": teacher.csrf, "step": "step7", "reason": REASON})
    assert missing.status == 404 and "Takový student ve třídě není" in missing.text
    assert stored(class_server) == []
    assert teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step7", "reason": "x" * 200}).status == 303
    assert teacher.post("/student/1/excuse/remove", {"step": "step7"}).status == 403  # CSRF on taking it back too
    assert teacher.post("/student/1/excuse/remove", {"csrf": teacher.csrf, "step": "x"}).status == 400
    assert stored(class_server) == [("jana novakova", "step7", "x" * 200)]


def test_html_in_a_reason_is_text_everywhere(class_server):
    teacher = jana(class_server)
    assert teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step2", "reason": EVIL}).status == 303
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    for path in ("/", "/student/1"):
        text = teacher.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert escaped in text, path
    rows = read_events(class_server, teacher, lambda: teacher.post(
        "/student/1/excuse", {"csrf": teacher.csrf, "step": "step3", "reason": EVIL}))
    assert rows and "<script>alert" not in rows[0]["html"] and escaped in rows[0]["html"]


def stats_row(teacher, label: str) -> str:
    found = re.search(rf'<th scope="row" title="[^"]*">{label}</th>(.*?)</tr>', teacher.get("/fragment/stats").text, re.S)
    assert found, f"no stats row {label}"
    return found.group(1)


def test_an_excused_step_leaves_the_classes_most_failing_checks(class_server):
    teacher = jana(class_server)
    before = stats_row(teacher, "Krok 7")
    assert "(1×)" in before  # step 7's failing checks of the only student are counted
    teacher.post("/student/1/excuse", {"csrf": teacher.csrf, "step": "step7", "reason": REASON})
    after = stats_row(teacher, "Krok 7")
    assert "(1×)" not in after and '<span class="muted">–</span>' in after
    assert "(1×)" in stats_row(teacher, "Krok 8")  # another step of hers still counts
