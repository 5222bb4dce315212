"""The teacher's side of the real class server over HTTP: login, CSRF on every POST, escaping of
students' names everywhere, the live event stream, projector mode without names, a student's
detail with sources and no secret, stuck students with doctor's cause, security headers."""

from __future__ import annotations

import json
import re
import threading
import time

from checkers import class_protocol as protocol
from checkers.grading.gradebook import Gradebook
from checkers.grading.model import GRADED, RosterEntry, StepRow, TargetGrade
from tests.classroom.server_helpers import PASSWORD, Teacher, submission

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_without_login_nothing_of_the_class_is_shown(class_server):
    class_server.token("Jana Nováková")
    for path in ("/", "/projector", "/student/1"):
        reply = class_server.get(path)
        assert reply.status == 303 and reply.headers["location"] == "/login", path
    for path in ("/events", "/fragment/stats"):
        assert class_server.get(path).status == 401, path
    assert "Jana" not in class_server.get("/login").text


def test_login_needs_the_password_and_the_forms_csrf_token(class_server):
    teacher = Teacher(class_server)
    assert teacher.login("spatne-heslo").status == 401
    assert teacher.post("/login", {"password": PASSWORD}).status == 403  # no CSRF token
    assert teacher.get("/").status == 303
    logged_in = teacher.login(PASSWORD)
    assert logged_in.status == 303
    cookie = logged_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = teacher.get("/")
    assert page.status == 200 and class_server.code in page.text
    assert PASSWORD not in page.text


def test_teacher_posts_without_csrf_are_refused(class_server):
    token = class_server.token("Jana Nováková")
    teacher = class_server.teacher()
    refused = teacher.post("/student/1/reset", {})
    assert refused.status == 403 and "CSRF" in refused.text
    assert teacher.post("/student/1/reset", {"csrf": "x" * 32}).status == 403
    assert class_server.submit(token, submission(1)).status == 201  # the join still works
    assert teacher.post("/logout", {}).status == 403
    assert teacher.get("/").status == 200  # still logged in


def test_a_reset_join_refuses_the_old_token_and_lets_the_student_join_again(class_server):
    token = class_server.token("Jana Nováková")
    assert class_server.submit(token, submission(1)).status == 201
    teacher = class_server.teacher()
    teacher.get("/student/1")
    assert teacher.post("/student/1/reset", {"csrf": teacher.csrf}).status == 303
    assert class_server.submit(token, submission(2)).status == 401
    rejoined = class_server.join("Jana Nováková")
    assert rejoined.status == 201
    assert class_server.submit(rejoined.json["token"], submission(3)).status == 201
    page = teacher.get("/").text
    assert page.count("Jana Nováková") == 1  # one row: the grid goes on with the new join
    assert re.search(r'id="s-2"[^>]*\n?\s*data-attempts="24"', page)


def test_html_in_a_name_is_text_everywhere(class_server):
    token = class_server.token(EVIL)
    assert class_server.submit(token, submission(1, "vm-fresh")).status == 201
    teacher = class_server.teacher()
    for path in ("/", "/projector?names=1", "/student/1"):
        text = teacher.get(path).text
        assert EVIL not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    rows = read_events(class_server, teacher, lambda: class_server.submit(token, submission(2)))
    assert rows and "<script>alert" not in rows[0]["html"] and "&lt;script&gt;" in rows[0]["html"]


def read_events(server, teacher, action, query: str = "", timeout: float = 10.0) -> list[dict]:
    """Open /events as the teacher, run `action`, return the row events that arrived."""
    conn = server.connection()
    conn.request("GET", f"/events{query}", headers={"Cookie": teacher.cookie, "Accept": "text/event-stream"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")
    rows: list[dict] = []
    hello = threading.Event()

    def read():
        event = None
        while True:
            line = response.fp.readline()
            if not line:
                return
            line = line.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                hello.set() if event == "hello" else None
            elif line.startswith("data:") and event == "row":
                rows.append(json.loads(line.split(":", 1)[1]))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert hello.wait(timeout)
    action()
    reader.join(timeout)
    conn.close()
    return rows


def test_a_submission_reaches_an_open_dashboard_stream(class_server):
    token = class_server.token("Jana Nováková")
    teacher = class_server.teacher()
    started = time.monotonic()
    rows = read_events(class_server, teacher, lambda: class_server.submit(token, submission(1)))
    assert rows and rows[0]["id"] == 1, "no row event arrived"
    assert 'class="cell passed"' in rows[0]["html"]
    assert time.monotonic() - started < 10


def test_the_projector_hides_names_unless_asked_and_shows_no_detail(class_server):
    token = class_server.token("Jana Nováková")
    class_server.submit(token, submission(1, "vm-fresh"))
    teacher = class_server.teacher()
    hidden = teacher.get("/projector").text
    assert "Jana" not in hidden and "Student 1" in hidden
    assert "/student/1" not in hidden and "doctora" not in hidden
    assert "Jana Nováková" in teacher.get("/projector?names=1").text
    rows = read_events(class_server, teacher, lambda: class_server.submit(token, submission(2)),
                       "?view=projector&names=0")
    assert rows and "Jana" not in rows[0]["html"] and "Student 1" in rows[0]["html"]


def test_the_detail_shows_verdicts_evidence_and_sources_but_no_secret(class_server):
    token = class_server.token("Jana Nováková")
    doc = submission(1, "vm-fresh")
    doc["facts"]["errors"] = ["SECRET_KEY = 'supertajne-123456'"]
    assert class_server.submit(token, doc).status == 201
    book = Gradebook(class_server.out_dir / "gradebook.sqlite")  # `grade` over SSH, the same gradebook
    entry = RosterEntry(2, "jana novakova", "jana@skola.cz", "ssh://vagrant@10.0.0.11", None, "ssh")
    run = book.start_run("grade", [], "Django v produkci", "abc")
    book.add_pending(run, [entry], [2])
    book.record(run, 0, TargetGrade(entry, GRADED, steps=[StepRow("step3", "passed", 2, 2)]))
    book.close()
    teacher = class_server.teacher()
    page = teacher.get("/student/1").text
    assert "nahlášeno checkerem studenta" in page and "ověřeno učitelem" in page
    assert "NGINX" in page  # the evidence: what the checks saw
    assert token not in page and protocol.token_hash(token) not in page and "supertajne" not in page
    grid = teacher.get("/").text
    assert "ověřeno učitelem: 2/2" in grid


def test_a_student_stuck_on_one_check_is_highlighted_with_doctors_cause(make_class_server):
    server = make_class_server(extra=["--stuck-minutes", "0.005"])  # 0.3 s
    token = server.token("Jana Nováková")
    assert server.submit(token, submission(1, "vm-fresh")).status == 201
    time.sleep(0.5)
    assert server.submit(token, submission(2, "vm-fresh")).status == 201
    teacher = server.teacher()
    page = teacher.get("/").text
    assert re.search(r'<tr id="s-1" class="student stuck"', page)
    assert "Příčina podle doctora: NGINX neběží" in page
    stats = teacher.get("/fragment/stats").text
    assert "NGINX neběží" in stats and "<svg" in stats
    assert server.submit(token, submission(3, "vm-solved")).status == 201
    assert 'class="student stuck"' not in teacher.get("/").text


def test_pages_carry_security_headers_and_no_inline_script(class_server):
    teacher = class_server.teacher()
    reply = teacher.get("/")
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert reply.headers["x-content-type-options"] == "nosniff" and reply.headers["x-frame-options"] == "DENY"
    assert re.search(r"<script(?![^>]*\bsrc=)", reply.text) is None
    assert "http://" not in reply.text.replace(f"http://127.0.0.1:{class_server.port}", "")
    assert "https://" not in reply.text
    assert class_server.get("/static/dashboard.js").status == 200


def test_unknown_pages_answer_in_czech(class_server):
    reply = class_server.get("/nic-tu-neni")
    assert reply.status == 404 and "Taková adresa" in reply.text and "<html lang=\"cs\">" in reply.text


def test_password_guessing_is_rate_limited(make_class_server):
    server = make_class_server(limits="login_burst=3,login_rate=0.05")
    teacher = Teacher(server)
    assert [teacher.login(f"zkouska-{i}").status for i in range(3)] == [401, 401, 401]
    limited = teacher.login(PASSWORD)
    assert limited.status == 429 and "Příliš mnoho pokusů" in limited.text


def test_a_teachers_login_survives_a_server_restart(make_class_server, tmp_path):
    out = tmp_path / "trida"
    server = make_class_server(out_dir=out)
    teacher = server.teacher()
    secret = out / "session.secret"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    port = server.port
    server.stop()
    again = make_class_server(out_dir=out, port=port)
    teacher.server = again
    assert teacher.get("/").status == 200


def test_a_grade_run_in_another_process_reaches_the_open_dashboard(class_server):
    token = class_server.token("Jana Nováková")
    assert class_server.submit(token, submission(1, "vm-fresh")).status == 201
    teacher = class_server.teacher()

    def grade_over_ssh():  # what `./kurz grade --out` does to the same gradebook, from another process
        book = Gradebook(class_server.out_dir / "gradebook.sqlite")
        entry = RosterEntry(2, "Jana Nováková", "jana@skola.cz", "ssh://vagrant@10.0.0.11", None, "ssh")
        run = book.start_run("grade", [], "Django v produkci", "abc")
        book.add_pending(run, [entry], [2])
        book.record(run, 0, TargetGrade(entry, GRADED, steps=[StepRow("step3", "passed", 2, 2)]))
        book.close()

    rows = read_events(class_server, teacher, grade_over_ssh)
    assert rows and rows[0]["id"] == 1 and "ověřeno učitelem: 2/2" in rows[0]["html"]
