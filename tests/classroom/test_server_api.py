"""The class server's API against the real server process: join, submissions (re-graded by the
server, idempotent, in sequence order), every refusal in Czech with its HTTP status, rate limits,
and what survives a restart."""

from __future__ import annotations

import gzip
import json
import sqlite3

from checkers import class_protocol as protocol
from tests.classroom.server_helpers import submission


def read_db(server, query: str, args=()) -> list:
    db = sqlite3.connect(f"file:{server.out_dir / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def test_health_names_the_course_and_the_server(class_server):
    reply = class_server.get("/api/health")
    assert reply.status == 200
    assert reply.json == {"ok": True, "course": "Django v produkci", "server": "kurz-class/1"}


def test_serve_prints_the_address_code_and_join_command(class_server):
    out = class_server.output
    assert f"http://127.0.0.1:{class_server.port}/" in out
    assert f"./kurz class join http://127.0.0.1:{class_server.port} --code {class_server.code}" in out
    assert "ucitelske-heslo-42" not in out


def test_join_issues_a_token_stored_only_as_its_hash(class_server):
    reply = class_server.join("Jana Nováková")
    assert reply.status == 201
    body = reply.json
    assert set(body) == {"token", "student_id", "name"} and body["name"] == "Jana Nováková"
    assert len(body["token"]) >= 40
    stored = read_db(class_server, "SELECT token_sha256 FROM class_students")
    assert stored == [(protocol.token_hash(body["token"]),)]
    raw = b"".join(p.read_bytes() for p in class_server.out_dir.glob("gradebook.sqlite*"))
    assert body["token"].encode() not in raw


def test_a_lowercase_code_without_dash_is_accepted(class_server):
    code = class_server.code.replace("-", "").lower()
    assert class_server.join("Petr Malý", code=code).status == 201


def test_join_refusals(class_server):
    wrong = class_server.join("Jana", code="ABCD-0000")
    assert wrong.status == 403 and "Kód třídy nesouhlasí" in wrong.json["detail"]
    assert class_server.request("POST", "/api/join", b"{not json", {"Content-Type": "application/json"}).status == 400
    assert class_server.post_json("/api/join", {"code": class_server.code}).status == 400
    assert class_server.join("Jana\x1b[31m").status == 400
    assert class_server.join("x" * 500).status == 400
    assert class_server.join("Jana Nováková").status == 201
    again = class_server.join("jana novakova")
    assert again.status == 409 and "už ve třídě přihlášený" in again.json["detail"]
    assert read_db(class_server, "SELECT count(*) FROM class_students") == [(1,)]


def test_with_a_roster_only_listed_names_join_in_the_rosters_spelling(make_class_server, tmp_path):
    roster = tmp_path / "soupiska.csv"
    roster.write_text("name,id,target,identity\nJana Nováková,jana@skola.cz,local,\n", encoding="utf-8")
    server = make_class_server(extra=["--roster", str(roster)])
    missing = server.join("Karel Neznámý")
    assert missing.status == 404 and "na soupisce třídy není" in missing.json["detail"]
    assert "Jana" not in missing.json["detail"]  # the roster is not listed to a stranger
    joined = server.join("JANA novakova")
    assert joined.status == 201 and joined.json["name"] == "Jana Nováková"
    assert read_db(server, "SELECT student_id, roster_line FROM class_students") == [("jana@skola.cz", 2)]


def test_a_submission_is_regraded_by_the_server_and_stored_once(class_server):
    token = class_server.token("Jana Nováková")
    doc = submission(1, verdicts={"points": 999, "steps": [{"id": "step3", "status": "passed", "points": 999}]})
    first = class_server.submit(token, doc)
    assert first.status == 201 and first.json == {"stored": True}
    again = class_server.submit(token, doc)
    assert again.status == 200 and again.json == {"stored": False, "duplicate": True}
    rows = read_db(class_server, "SELECT uid, source, sequence, points, max_points, received_at FROM submissions")
    assert len(rows) == 1
    uid, source, sequence, points, max_points, received_at = rows[0]
    assert (uid, source, sequence) == (doc["id"], "reported", 1)
    assert (points, max_points) == (2, 2)  # step3 only, as graded by the server – never the reported 999
    assert received_at.endswith("Z")
    cells = read_db(class_server, "SELECT step, status, attempts FROM class_cells")
    assert cells == [("step3", "passed", 1)]


def test_a_run_without_step_list_updates_every_step(class_server):
    token = class_server.token("Jana Nováková")
    assert class_server.submit(token, submission(1, "vm-fresh")).status == 201
    cells = dict(read_db(class_server, "SELECT step, status FROM class_cells"))
    assert len(cells) == 12 and cells["step0"] == "passed" and cells["step3"] == "failed"


def test_an_older_sequence_arriving_late_is_kept_but_does_not_change_the_grid(class_server):
    token = class_server.token("Jana Nováková")
    assert class_server.submit(token, submission(5, "vm-solved")).status == 201
    assert class_server.submit(token, submission(3, "vm-fresh")).status == 201
    assert read_db(class_server, "SELECT count(*) FROM submissions") == [(2,)]
    assert read_db(class_server, "SELECT last_sequence FROM class_students") == [(5,)]
    assert dict(read_db(class_server, "SELECT step, status FROM class_cells"))["step3"] == "passed"


def test_a_secret_in_the_submission_is_never_stored(class_server):
    token = class_server.token("Jana Nováková")
    doc = submission(1)
    doc["facts"]["errors"] = ["settings.py: SECRET_KEY = 'tajny-klic-123456'", "postgres://app:heslo987@db/x"]
    assert class_server.submit(token, doc).status == 201
    raw = b"".join(p.read_bytes() for p in class_server.out_dir.glob("gradebook.sqlite*"))
    assert b"tajny-klic-123456" not in raw and b"heslo987" not in raw


def test_forged_missing_and_reset_tokens_are_refused(class_server):
    token = class_server.token("Jana Nováková")
    doc = submission(1)
    forged = class_server.submit(protocol.new_token(), doc)
    assert forged.status == 401 and "Neznámý token" in forged.json["detail"]
    assert class_server.post_json("/api/submissions", doc).status == 401
    assert class_server.submit(token[:-1] + ("A" if token[-1] != "A" else "B"), doc).status == 401
    assert read_db(class_server, "SELECT count(*) FROM submissions") == [(0,)]


def test_malformed_submissions_get_a_czech_reason(class_server):
    token = class_server.token("Jana Nováková")
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad_json = class_server.request("POST", "/api/submissions", b"{\"kind\": ", auth)
    assert bad_json.status == 400 and "není platný JSON" in bad_json.json["detail"]
    for change, words in (({"kind": "jiny"}, "není odevzdání"), ({"schema": 2}, "server umí schéma 1"),
                          ({"id": "x"}, "32 šestnáctkových"), ({"sequence": 0}, "kladné celé"),
                          ({"created_at": "včera"}, "ISO 8601"), ({"command": "rm -rf"}, "příkaz checkeru"),
                          ({"facts": []}, "\"facts\""), ({"target": "x" * 300}, "delší než")):
        doc = submission(1)
        doc.update(change)
        reply = class_server.submit(token, doc)
        assert reply.status == 400, change
        assert words in reply.json["detail"], (change, reply.json)
    deep = submission(1)
    deep["verdicts"] = json.loads('{"a":' * 100 + "1" + "}" * 100)  # 100 levels: more than MAX_DEPTH
    too_deep = class_server.submit(token, deep)
    assert too_deep.status == 400 and "zanořený" in too_deep.json["detail"]
    not_utf8 = class_server.request("POST", "/api/submissions", b"\xff\xfe{}", auth)
    assert not_utf8.status == 400 and "UTF-8" in not_utf8.json["detail"]
    assert read_db(class_server, "SELECT count(*) FROM submissions") == [(0,)]


def test_an_oversized_body_is_refused_before_it_is_read(class_server):
    token = class_server.token("Jana Nováková")
    conn = class_server.connection()
    conn.putrequest("POST", "/api/submissions")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"{" * 1024)  # 50 MiB announced, 1 KiB sent: the answer comes without waiting for the rest
    response = conn.getresponse()
    assert response.status == 413
    assert "příliš velký" in json.loads(response.read())["detail"]
    conn.close()


def test_an_oversized_chunked_body_is_refused(class_server):
    token = class_server.token("Jana Nováková")
    conn = class_server.connection()
    conn.putrequest("POST", "/api/submissions")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b"x" * 65536
    try:
        for _ in range(64):  # 4 MiB without a Content-Length
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before we finished: that is the point
    assert conn.getresponse().status == 413
    conn.close()


def test_a_gzip_bomb_is_refused_and_a_real_gzip_body_accepted(class_server):
    token = class_server.token("Jana Nováková")
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]")  # 64 MiB of spaces in ~64 KiB
    assert len(bomb) < protocol.MAX_BODY
    reply = class_server.request("POST", "/api/submissions", bomb, auth)
    assert reply.status == 413 and "Rozbalený dokument je příliš velký" in reply.json["detail"]
    broken = class_server.request("POST", "/api/submissions", b"\x1f\x8b\x08\x00garbage", auth)
    assert broken.status == 400 and "gzip" in broken.json["detail"]
    good = gzip.compress(json.dumps(submission(1)).encode())
    assert class_server.request("POST", "/api/submissions", good, auth).status == 201


def test_a_runaway_client_is_rate_limited_per_token(make_class_server):
    server = make_class_server(limits="token_burst=3,token_rate=0.05")
    token = server.token("Jana Nováková")
    other = server.token("Petr Malý")
    statuses = [server.submit(token, submission(i)).status for i in range(1, 6)]
    assert statuses[:3] == [201, 201, 201] and statuses[3:] == [429, 429]
    limited = server.submit(token, submission(9))
    assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1
    assert "Příliš mnoho požadavků" in limited.json["detail"]
    assert server.submit(other, submission(1)).status == 201  # another student is not slowed down


def test_joining_is_rate_limited_per_address(make_class_server):
    server = make_class_server(limits="join_burst=4,join_rate=0.05")
    statuses = [server.join(f"Student {i}", code="ZZZZ-0000").status for i in range(6)]
    assert statuses[:4] == [403] * 4 and statuses[4:] == [429, 429]
    assert server.join("Jana").status == 429  # guessing the code does not go on with the right one either


def test_a_restart_keeps_students_submissions_and_the_code(make_class_server, tmp_path):
    out = tmp_path / "trida"
    server = make_class_server(out_dir=out)
    token, code, port = server.token("Jana Nováková"), server.code, server.port
    doc = submission(1)
    assert server.submit(token, doc).status == 201
    server.stop()
    again = make_class_server(out_dir=out, port=port)  # the same address, as students have it
    assert again.code == code
    assert again.submit(token, doc).json == {"duplicate": True, "stored": False}
    assert again.submit(token, submission(2)).status == 201
    assert read_db(again, "SELECT count(*) FROM submissions") == [(2,)]
    assert read_db(again, "SELECT attempts FROM class_cells WHERE step = 'step0'") == [(2,)]


def test_the_gradebook_runs_in_wal_mode(class_server):
    class_server.token("Jana Nováková")
    assert read_db(class_server, "PRAGMA journal_mode") == [("wal",)]


def test_unknown_api_paths_and_methods_answer_in_czech_json(class_server):
    missing = class_server.get("/api/nic")
    assert missing.status == 404 and "Taková adresa" in missing.json["detail"]
    wrong = class_server.get("/api/submissions")
    assert wrong.status == 405 and "metoda" in wrong.json["detail"]


def test_guessing_tokens_is_rate_limited_per_address(make_class_server):
    server = make_class_server(limits="ip_burst=5,ip_rate=0.05")
    statuses = [server.submit(protocol.new_token(), submission(1)).status for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def test_leaving_frees_the_name_and_keeps_the_submissions(class_server):
    token = class_server.token("Jana Nováková")
    assert class_server.submit(token, submission(7)).status == 201
    assert class_server.post_json("/api/leave", {}, {"Authorization": "Bearer " + protocol.new_token()}).status == 401
    left = class_server.post_json("/api/leave", {}, {"Authorization": f"Bearer {token}"})
    assert left.status == 200 and left.json == {"left": True}
    assert class_server.submit(token, submission(8)).status == 401
    again = class_server.join("Jana Nováková")
    assert again.status == 201
    # a new laptop counts from 1 again: its runs still move the grid
    assert class_server.submit(again.json["token"], submission(1, "vm-fresh")).status == 201
    assert read_db(class_server, "SELECT count(*) FROM submissions") == [(2,)]
    assert dict(read_db(class_server, "SELECT step, status FROM class_cells"))["step3"] == "failed"
