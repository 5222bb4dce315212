"""`class join / status / leave` against the real class server (http and https), and what a checker
run does when joined or not: real `python -m checkers` processes, each with its own CHECKERS_HOME."""

from __future__ import annotations

import json
import stat

import pytest

from tests.classroom.client_helpers import check, join, kurz, queued, status, stored


def token_of(home) -> str:
    return json.loads((home / "class.json").read_text())["token"]


def test_join_stores_a_private_token_that_is_never_printed(server, checkers_home, project):
    joined = join(checkers_home, server, "Jana Nováková")
    assert "Připojeno ke třídě „Django v produkci“" in joined.stdout and "Jana Nováková" in joined.stdout
    config = checkers_home / "class.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    token = token_of(checkers_home)
    assert len(token) >= 40
    run = check(checkers_home, project, "step1")
    assert run.rc == 0, run.stdout + run.stderr
    shown = [joined, run, kurz(checkers_home, "class", "status"), kurz(checkers_home, "class", "status", "--json"),
             kurz(checkers_home, "class", "status", "--send")]
    for result in shown:
        assert token not in result.stdout + result.stderr
    assert "token" not in status(checkers_home)["class"]
    assert [s["command"] for s in stored(server.out_dir)] == ["step1"]  # the token works


def test_a_wrong_code_is_refused_in_czech_and_nothing_is_stored(server, checkers_home):
    wrong = "ZZZZ-0000" if server.code != "ZZZZ-0000" else "YYYY-0000"
    result = kurz(checkers_home, "class", "join", server.base, "--code", wrong, "--name", "Jana Nováková")
    assert result.rc == 2
    assert "Kód třídy nesouhlasí" in result.stderr and "Traceback" not in result.stderr
    assert not (checkers_home / "class.json").exists()
    good = join(checkers_home, server, "Jana Nováková")  # the right code still works afterwards
    assert good.rc == 0


@pytest.mark.parametrize("address, expected", [("http://127.0.0.1:1", "spojení odmítnuto"),
                                               ("ftp://127.0.0.1", "není adresa serveru třídy"),
                                               ("127.0.0.1:99999", "není adresa serveru třídy")])
def test_a_bad_or_dead_address_is_refused_in_czech(checkers_home, address, expected):
    result = kurz(checkers_home, "class", "join", address, "--code", "ABCD-1234", "--name", "Jana")
    assert result.rc == 2 and expected in result.stderr and "Traceback" not in result.stderr
    assert not (checkers_home / "class.json").exists()


def test_join_asks_for_the_name_once_when_not_given(server, checkers_home):
    result = kurz(checkers_home, "class", "join", server.base, "--code", server.code, stdin="Petr Svoboda\n")
    assert result.rc == 0, result.stderr
    assert "Vaše jméno" in result.stdout and "jako Petr Svoboda" in result.stdout
    no_terminal = kurz(checkers_home.parent, "class", "join", server.base, "--code", server.code, stdin="")
    assert no_terminal.rc == 2 and "--name" in no_terminal.stderr


def test_joining_twice_is_refused_until_leave(server, checkers_home, project):
    join(checkers_home, server, "Jana Nováková")
    again = kurz(checkers_home, "class", "join", server.base, "--code", server.code, "--name", "Jana Nováková")
    assert again.rc == 2 and "class leave" in again.stderr
    assert check(checkers_home, project, "step1").rc == 0
    left = kurz(checkers_home, "class", "leave")
    assert left.rc == 0 and "Odpojeno od třídy" in left.stdout
    assert not (checkers_home / "class.json").exists() and queued(checkers_home) == []
    assert check(checkers_home, project, "step1").rc == 0
    assert len(stored(server.out_dir)) == 1  # nothing sent after leave
    assert "Nejste připojeni" in kurz(checkers_home, "class", "status").stdout


def test_not_joined_changes_nothing(checkers_home, project):
    result = check(checkers_home, project, "step1")
    assert result.rc == 0 and "Pozor" not in result.stderr
    assert not (checkers_home / "class-queue").exists() and not (checkers_home / "class.json").exists()


# --- TLS: the certificate's fingerprint is pinned at join ----------------------------------------

@pytest.fixture
def tls_server(make_class_server, tmp_path):
    return make_class_server(tmp_path / "tls-server", tls=True)


def test_https_join_pins_the_given_fingerprint_and_refuses_another(tls_server, checkers_home, tmp_path):
    assert tls_server.fingerprint.startswith("SHA256:")
    other = "SHA256:" + ":".join(["AB"] * 32)
    refused = kurz(checkers_home, "class", "join", tls_server.base, "--code", tls_server.code, "--name", "Jana",
                   "--fingerprint", other)
    assert refused.rc == 2 and "ne ten zadaný v --fingerprint" in refused.stderr
    assert not (checkers_home / "class.json").exists()
    join(checkers_home, tls_server, "Jana Nováková", "--fingerprint", tls_server.fingerprint)
    assert json.loads((checkers_home / "class.json").read_text())["fingerprint"] == tls_server.fingerprint


def test_https_join_shows_the_fingerprint_and_needs_a_confirmation(tls_server, tmp_path):
    base = ["class", "join", tls_server.base, "--code", tls_server.code, "--name", "Jana Nováková"]
    declined = kurz(tmp_path / "a", *base, stdin="n\n")
    assert declined.rc == 2 and tls_server.fingerprint in declined.stdout and "nebyl potvrzen" in declined.stderr
    no_terminal = kurz(tmp_path / "b", *base, stdin="")
    assert no_terminal.rc == 2 and "--fingerprint" in no_terminal.stderr
    confirmed = kurz(tmp_path / "c", *base, stdin="a\n")
    assert confirmed.rc == 0, confirmed.stderr
    assert json.loads((tmp_path / "c" / "class.json").read_text())["fingerprint"] == tls_server.fingerprint


def test_a_changed_certificate_is_refused_and_the_runs_wait_in_the_queue(tls_server, checkers_home, project,
                                                                         tmp_path, make_class_server):
    join(checkers_home, tls_server, "Jana Nováková", "--fingerprint", tls_server.fingerprint)
    assert check(checkers_home, project, "step1").rc == 0
    assert len(stored(tls_server.out_dir)) == 1
    tls_server.stop()
    impostor = make_class_server(tmp_path / "impostor", tls=True, port=tls_server.port)  # a new certificate
    try:
        assert impostor.fingerprint != tls_server.fingerprint
        run = check(checkers_home, project, "step1")
        assert run.rc == 0, run.stdout + run.stderr  # the student's run is unaffected…
        assert "jiným certifikátem" in run.stderr  # …but told at its end
        report = status(checkers_home, "--send")
        assert report["queued"] == 1
        assert "jiným certifikátem" in report["last_error"] and "Nic jsem mu neposlal" in report["last_error"]
        assert stored(impostor.out_dir) == []  # not even the token reached it
        shown = kurz(checkers_home, "class", "status")
        assert "jiným certifikátem" in shown.stdout and token_of(checkers_home) not in shown.stdout
    finally:
        impostor.stop()
    tls_server.start()  # the real server (its certificate kept in its out dir) gets the queued run
    report = status(checkers_home, "--send")
    assert report["queued"] == 0 and report["last_error"] == ""
    assert [s["sequence"] for s in stored(tls_server.out_dir)] == [1, 2]


def test_leave_frees_the_name_for_a_new_join(server, checkers_home, tmp_path):
    join(checkers_home, server, "Jana Nováková")
    left = kurz(checkers_home, "class", "leave")
    assert left.rc == 0 and "musí vás vyučující" not in left.stdout, left.stdout
    join(tmp_path / "novy-pocitac", server, "Jana Nováková")  # e.g. a new laptop: the same name again


def test_connect_to_keeps_a_named_address_on_this_machine(server, checkers_home, project, monkeypatch):
    monkeypatch.setenv("CHECKERS_CONNECT_TO", f"ucebna.test::127.0.0.1:{server.port}")  # no DNS is asked
    result = kurz(checkers_home, "class", "join", f"http://ucebna.test:{server.port}", "--code", server.code,
                  "--name", "Jana Nováková")
    assert result.rc == 0 and f"na http://ucebna.test:{server.port}" in result.stdout, result.stderr
    assert check(checkers_home, project, "step1").rc == 0
    assert status(checkers_home, "--send")["queued"] == 0 and len(stored(server.out_dir)) == 1


def test_join_and_leave_answer_with_a_document_like_every_command(server, checkers_home):
    joined = kurz(checkers_home, "class", "join", server.base, "--code", server.code, "--name", "Jana Nováková",
                  "--json")
    assert joined.rc == 0, joined.stdout + joined.stderr
    document = json.loads(joined.stdout)
    assert document["joined"] is True and document["class"]["name"] == "Jana Nováková"
    assert document["class"]["address"] == server.base and token_of(checkers_home) not in joined.stdout
    left = kurz(checkers_home, "class", "leave", "--json")
    assert left.rc == 0 and json.loads(left.stdout) == {"schema": 1, "left": True, "sent": 0, "dropped": 0,
                                                        "freed": True}
    again = kurz(checkers_home, "class", "leave", "--json")
    assert again.rc == 0 and json.loads(again.stdout)["left"] is False


@pytest.mark.parametrize("args, words", [
    (["class", "status", "--target", "local"], "neznámé parametry: --target local"),
    (["class", "pripoj"], "neplatná volba: 'pripoj'"),
    (["class", "join", "http://127.0.0.1:1"], "chybí povinné parametry: --code"),
    (["class", "serve", "--port", "99999"], "není v rozsahu 0 až 65535"),
])
def test_the_class_commands_refuse_bad_options_in_czech_naming_their_own_help(checkers_home, args, words):
    result = kurz(checkers_home, *args)
    assert result.rc == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert f"./kurz {' '.join(a for a in args[:2] if a != 'pripoj')} --help" in result.stderr
    assert not (checkers_home / "class.json").exists()


def test_class_alone_shows_what_it_can_do_and_is_no_success(checkers_home):
    result = kurz(checkers_home, "class")
    assert result.rc == 2 and "class join ADRESA --code KÓD" in result.stdout and "class export" in result.stdout


def test_join_asked_for_the_name_with_json_keeps_stdout_a_document(server, checkers_home):
    result = kurz(checkers_home, "class", "join", server.base, "--code", server.code, "--json", stdin="Petr Svoboda\n")
    assert result.rc == 0, result.stderr
    assert json.loads(result.stdout)["class"]["name"] == "Petr Svoboda" and "Vaše jméno" in result.stderr
