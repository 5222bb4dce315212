"""Every bad input a student or teacher can type gets a Czech message and exit code 2: never a
traceback, never "vnitřní chyba". Table-driven over the real CLI; each row also names the words the
message must contain (so a generic error would fail the row)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.sshd import free_port, keygen

ROWS = [
    # option values
    (["--timeout", "-5", "step0"], "--timeout: -5 není v rozsahu 1 až 86400"),
    (["--timeout", "0", "step0"], "--timeout: 0 není v rozsahu"),
    (["--timeout", "1e9", "step0"], "--timeout: 1e9 není v rozsahu"),
    (["--timeout", "nan", "step0"], "--timeout: nan není v rozsahu"),
    (["--timeout", "inf", "step0"], "--timeout: inf není v rozsahu"),
    (["--timeout", "pet", "step0"], "„pet“ není číslo"),
    (["watch", "--interval", "-1"], "--interval: -1 není v rozsahu 0,5 až 86400"),
    (["watch", "--interval", "0"], "--interval: 0 není v rozsahu"),
    (["book", "--serve", "--port", "0"], "--port: 0 není v rozsahu 1 až 65535"),
    (["book", "--serve", "--port", "99999"], "--port: 99999 není v rozsahu"),
    (["grade", "x.csv", "--concurrency", "0"], "--concurrency: 0 není v rozsahu 1 až 64"),
    (["regrade", "--run", "-1"], "--run: -1 není v rozsahu"),
    (["--host-key", "nevim", "step0"], "neplatná volba"),
    (["--nesmysl", "step0"], "neznámé parametry"),
    (["step99"], "step99"),
    (["hint", "step99"], "step99"),
    # targets
    (["--target", "ssh://u@127.0.0.1:0", "step0"], "Port 0 v cíli ssh://u@127.0.0.1:0 neexistuje"),
    (["--target", "ssh://u@127.0.0.1:99999", "step0"], "Port 99999 v cíli ssh://u@127.0.0.1:99999 neexistuje"),
    (["--target", "ssh://u@127.0.0.1:ab", "step0"], "Port „ab“ v cíli ssh://u@127.0.0.1:ab není číslo"),
    (["--target", "ssh://u@[zz]:2222", "step0"], "v hranatých závorkách smí být jen IPv6 adresa"),
    (["--target", "ssh://u@[::1;id]:2222", "step0"], "v hranatých závorkách smí být jen IPv6 adresa"),
    (["--target", "ssh://u;id@127.0.0.1", "step0"], "není platné jméno uživatele"),
    (["--target", "ssh://u@h$(id)", "step0"], "není jméno stroje ani IP adresa"),
    (["--target", "ssh://u:heslo123@127.0.0.1", "step0"], "je heslo"),
    (["--target", "ssh://", "step0"], "chybí jméno stroje"),
    (["--target", "vagrant:", "step0"], "není platné"),
    (["--target", "ftp://stroj", "step0"], "neznám"),
    (["target", "ssh://u@[zz]:2222"], "v hranatých závorkách smí být jen IPv6 adresa"),
    # files
    (["--target", "local", "--project", "{file}", "step0"], "je soubor, ne adresář"),
    (["--target", "local", "--project", "{tmp}/nic", "step0"], "neexistuje"),
    (["--target", "local", "--save-facts", "{tmp}", "step0"], "je adresář, ne soubor"),
    (["--target", "local", "--save-facts", "{file}/fakta.json", "step0"], "nejde zapisovat"),
    (["--facts", "{tmp}", "step0"], "nejde přečíst"),
    (["--facts", "{file}", "step0"], "nejde přečíst jako JSON"),
    (["--target", "ssh://u@127.0.0.1:{port}", "--identity", "{tmp}/nic", "step0"], "neexistuje"),
    (["--target", "ssh://u@127.0.0.1:{port}", "--identity", "{tmp}", "step0"], "není soubor se soukromým SSH klíčem"),
    (["--target", "ssh://u@127.0.0.1:{port}", "--identity", "{open_key}", "step0"], "chmod 600"),
    (["--target", "ssh://default", "--ssh-config", "{tmp}/nic", "step0"], "nejde přečíst"),
    (["grade", "{tmp}/nic.csv"], "neexistuje"),
    (["grade", "{bad_roster}"], "v hranatých závorkách smí být jen IPv6 adresa"),
    (["grade", "{roster}", "--project", "relativni", "--out", "{tmp}/vysledky"], "není absolutní cesta"),
    (["grade", "{roster}", "--out", "{file}"], "není adresář"),
    (["regrade", "--out", "{tmp}/" + "č" * 300], "nejde použít (jméno je příliš dlouhé)"),
]


@pytest.fixture
def places(tmp_path):
    file = tmp_path / "soubor.txt"
    file.write_text("tohle nejsou fakta\n")
    open_key = keygen(tmp_path / "klic")
    open_key.chmod(0o644)
    bad_roster = tmp_path / "spatna.csv"
    bad_roster.write_text("name,id,target,identity\nAna,ana,ssh://u@[::1;id]:2222,\nBob,bob,local,\n", encoding="utf-8")
    roster = tmp_path / "soupiska.csv"
    roster.write_text("name,id,target,identity\nBob,bob,local,\n", encoding="utf-8")
    return {"tmp": str(tmp_path), "file": str(file), "open_key": str(open_key), "port": str(free_port()),
            "bad_roster": str(bad_roster), "roster": str(roster)}


@pytest.mark.parametrize("args, expected", ROWS, ids=[" ".join(a) for a, _ in ROWS])
def test_bad_input_is_a_czech_message_and_exit_2(args, expected, places, checkers_home):
    result = run_cli(*[a.format(**places) for a in args], home=checkers_home, timeout=120)
    output = result.stdout + result.stderr
    assert result.rc == 2, output
    assert expected.format(**places) in output, output
    assert "Traceback" not in output and "vnitřní chyb" not in output
    assert not (Path(places["tmp"]) / "vysledky").exists()  # refused before anything was written


def test_a_bad_roster_row_is_reported_not_fatal(places, checkers_home):
    """One bad target cell is a roster problem with its line and column, not a crash of the run."""
    result = run_cli("grade", places["bad_roster"], home=checkers_home)
    assert result.rc == 2
    assert "řádek 2, sloupec target (cíl)" in result.stderr and "nic jsem nehodnotil" in result.stderr


class BannerThenClose:
    """A server that says it is SSH, then closes the connection (paramiko's EOFError)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
            conn.close()


def test_an_ssh_server_closing_after_its_banner(tmp_path, checkers_home):
    server = BannerThenClose()
    key = keygen(tmp_path / "klic")
    try:
        result = run_cli("--target", f"ssh://u@127.0.0.1:{server.port}", "--identity", str(key), "step0",
                         home=checkers_home)
    finally:
        server.sock.close()
    assert result.rc == 2, result.stdout + result.stderr
    assert "ukončil spojení hned na začátku" in result.stderr
    assert "Traceback" not in result.stderr and "vnitřní chyb" not in result.stderr


def test_good_input_is_accepted(places, checkers_home):
    """The passing side of the table: the same options with sensible values are not refused."""
    # each command's own options after it (`--help` ends the run once they are parsed and accepted)
    for args in (["--timeout", "30", "list"], ["watch", "--interval", "0.5", "--timeout", "1", "--help"],
                 ["--target", "ssh://u@[::1]:2222", "list"], ["--target", "ssh://vagrant@192.168.56.10:22", "list"],
                 ["grade", "--concurrency", "64", "--help"], ["book", "--port", "65535", "--help"],
                 ["--json", "3", "--help"], ["list", "--json"]):
        result = run_cli(*args, home=checkers_home)
        assert result.rc == 0, (args, result.stdout + result.stderr)


def test_a_missing_settings_module_points_at_where_it_is_named(tmp_path, checkers_home):
    from tests.helpers.django_project import make_django_project

    project = make_django_project(tmp_path / "p")
    manage = project / "manage.py"
    manage.write_text(manage.read_text().replace("my_project.settings", "my_project.nastaveni"))
    result = run_cli("--target", "local", "--project", str(project), "--json", "step0", home=checkers_home)
    check = next(c for c in result.json["checks"] if c["id"] == "project.E003")
    assert check["status"] == "failed"
    assert "my_project.nastaveni" in check["message"] and f"{manage}" in check["message"]
    assert "importlib" not in result.stdout
