"""`python -m checkers class serve` with bad input: a Czech message and exit code 2, never a
traceback, never the password; with --tls the certificate is made once and its fingerprint kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.classroom.server_helpers import free_port
from tests.helpers.cli import REPO


def serve(*args: str, password: str | None = "dlouhe-heslo-1", timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KURZ_TEACHER_PASSWORD"}
    if password is not None:
        env["KURZ_TEACHER_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "checkers", "class", "serve", "--host", "127.0.0.1", *args],
                          cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, start_new_session=True)


@pytest.mark.parametrize("args, password, words", [
    (["--port", "70000"], "dlouhe-heslo-1", "70000 není v rozsahu 0 až 65535"),
    (["--stuck-minutes", "0"], "dlouhe-heslo-1", "class serve --help"),  # a highlight at once is no threshold
    (["--port", "osm"], "dlouhe-heslo-1", "Neplatné parametry"),
    (["--stuck-minutes", "-1"], "dlouhe-heslo-1", "--stuck-minutes"),
    ([], None, "Chybí heslo učitele"),
    ([], "kratke", "kratší než 8 znaků"),
    (["--roster", "neni-tu.csv"], "dlouhe-heslo-1", "Soupiska neni-tu.csv neexistuje"),
])
def test_bad_input_is_refused_in_czech_with_exit_code_2(tmp_path, args, password, words):
    result = serve("--out", str(tmp_path / "out"), "--port", str(free_port()), *args, password=password)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if password:
        assert password not in result.stdout + result.stderr


def test_a_port_in_use_is_named(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        result = serve("--out", str(tmp_path / "out"), "--port", str(busy.getsockname()[1]))
    assert result.returncode == 2 and "je obsazený jiným programem" in result.stdout + result.stderr


def test_an_out_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "soubor").write_text("x")
    result = serve("--out", str(tmp_path / "soubor"), "--port", str(free_port()))
    assert result.returncode == 2 and "není adresář" in result.stdout + result.stderr


def test_tls_makes_a_certificate_once_and_keeps_its_fingerprint(make_class_server, tmp_path):
    import ssl

    from checkers.class_protocol import format_fingerprint

    out = tmp_path / "tls"
    first = make_class_server(out_dir=out, tls=True)
    assert first.fingerprint.startswith("SHA256:") and f"--fingerprint {first.fingerprint}" in first.output
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", first.port)))
    assert format_fingerprint(der) == first.fingerprint
    assert oct((out / "class-key.pem").stat().st_mode & 0o777) == "0o600"
    assert first.get("/api/health").status == 200
    first.stop()
    second = make_class_server(out_dir=out, tls=True)
    assert second.fingerprint == first.fingerprint


def test_a_gradebook_of_a_newer_checker_is_refused_and_left_alone(tmp_path):
    import sqlite3

    out = tmp_path / "out"
    out.mkdir()
    db = sqlite3.connect(out / "gradebook.sqlite")
    db.execute("CREATE TABLE runs (id INTEGER)")
    db.execute("PRAGMA user_version = 9")
    db.commit()
    db.close()
    before = (out / "gradebook.sqlite").read_bytes()
    result = serve("--out", str(out), "--port", str(free_port()))
    assert result.returncode == 2 and "novější verze checkeru" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "gradebook.sqlite").read_bytes() == before


def test_help_is_czech_and_starts_nothing(tmp_path):
    result = serve("--help", "--out", str(tmp_path / "out"))
    assert result.returncode == 0 and "použití: ./kurz class serve" in result.stdout
    assert "--stuck-minutes" in result.stdout and not (tmp_path / "out").exists()
