"""svs.* checks on facts shaped like the svs probe's (a correct deployment, then one mistake at a
time), and the svs probe's readers on real files: unit files, Caddy site files, ~/.pgpass,
permissions as the Caddy user, the domain and unit choice."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from checkers.probe import svs as probe_svs, svs_account, svs_caddy
from checkers.session import evaluate

from tests.helpers.recorded import recorded_facts, step_results

DOMAIN = "kurz.svs.test"
ROOT = f"/var/caddy.root.d/{DOMAIN}"
# Recorded by tests/vm/test_svs_profile.py: the SVS-like account in the course VM, deployed with
# solutions/svs.sh, seen by the probe as that user, plus the live facts of https://kurz.svs.test/.


@pytest.fixture
def facts():
    return recorded_facts("svs-vm-good")


def results(course, facts) -> dict:
    return step_results(course, facts, "svs")


def test_correct_deployment_passes_every_check(course, facts):
    found = results(course, facts)
    assert {r.status.value for r in found.values()} == {"passed"}, {k: r.message for k, r in found.items()}
    assert "/media/obrazky/ukazka.svg se načte" in found["svs.E015"].message  # fetched through Caddy


def test_the_same_run_has_the_live_facts_of_the_domain(course, facts):
    web = evaluate(facts, course, [course.step("web")])[0]
    assert web.status == "passed", {r.id: r.message for r in web.results if r.status.value != "passed"}


def svs(f):
    return f["svs"]


CASES = [
    ("svs.E001", lambda f: svs(f).update(domain={"name": None, "source": None, "candidates": []}), "failed", ".svs"),
    ("svs.E001", lambda f: svs(f)["caddy_root"].update(exists=False), "failed", "není zaregistrovaná"),
    ("svs.E002", lambda f: svs(f).update(unit=None, unit_files=[]), "failed", f"{DOMAIN}.service"),
    ("svs.E002", lambda f: svs(f).update(user_manager={"ok": False, "error": "Failed to connect to bus"}), "unverified",
     "Failed to connect to bus"),
    ("svs.E002", lambda f: svs(f)["unit"].update(need_daemon_reload=True), "failed", "nenačetl"),
    ("svs.E003", lambda f: svs(f)["unit"].update(unit_file_state="disabled"), "failed", "není povolená"),
    ("svs.E003", lambda f: svs(f)["unit"].update(wanted_by=[]), "failed", "WantedBy"),
    ("svs.E004", lambda f: svs(f)["unit"].update(active_state="failed", result="exit-code",
                                                 journal=["ModuleNotFoundError: No module named 'psycopg'"]),
     "failed", "psycopg"),
    ("svs.E005", lambda f: svs(f).update(linger={"file": False, "loginctl": "no"}), "failed", "odhlášení"),
    ("svs.E006", lambda f: svs(f)["listener"].update(listening=False, kind="none"), "failed", "502"),
    ("svs.E006", lambda f: svs(f)["listener"].update(kind="runserver", processes=[
        {"argv": [".venv/bin/python", "manage.py", "runserver", "127.0.0.1:18123"]}]), "failed", "runserver"),
    ("svs.E006", lambda f: svs(f)["unit"].update(binds=["127.0.0.1:8000"]), "failed", "127.0.0.1:8000"),
    ("svs.E007", lambda f: f["django"].update(settings_error={"message": "ModuleNotFoundError: my_project.settings_svs",
                                                             "file": "?", "line": "?"}), "failed", "settings_svs"),
    ("svs.E007", lambda f: f["app"].update(exists=False), "failed", "nejde najít"),
    ("svs.E008", lambda f: f["django"]["settings"].update(DEBUG=True), "failed", "DEBUG zapnutý"),
    ("svs.E009", lambda f: f["django"]["settings"].update(ALLOWED_HOSTS=["localhost"]), "failed", "400"),
    ("svs.E009", lambda f: f["django"]["settings"].update(ALLOWED_HOSTS=["*"]), "failed", "hvězdičku"),
    ("svs.E009", lambda f: f["django"]["settings"].update(ALLOWED_HOSTS=[".svs.test"]), "passed", ".svs.test"),
    ("svs.E010", lambda f: f["django"]["static"].update(root="/home/kurz/my_project/static"), "failed",
     "mimo /var/caddy.root.d"),
    ("svs.E010", lambda f: f["django"]["static"].update(root=f"{ROOT}/assets"), "failed", "STATIC_URL"),
    ("svs.E011", lambda f: f["django"]["static"].update(missing_count=3, missing=["galerie/styl.css"]), "failed",
     "galerie/styl.css"),
    ("svs.E012", lambda f: svs(f)["caddy_root"].update(index_html={"exists": True, "placeholder": True}), "failed",
     "Výchozí stránka AVAVA"),
    ("svs.E012", lambda f: svs(f)["caddy_root"].update(index_html={"exists": True, "placeholder": False}), "failed",
     "místo vašeho Djanga"),
    ("svs.E013", lambda f: f["django"]["database"].update(engine="django.db.backends.sqlite3"), "failed", "sqlite3"),
    ("svs.E013", lambda f: f["django"]["database"].update(name="db9999"), "failed", "db1234"),
    ("svs.E013", lambda f: f["django"]["database"].update(connect={"ok": False, "error": {
        "message": "OperationalError: password authentication failed"}}), "failed", "password authentication"),
    ("svs.E014", lambda f: f["django"]["database"].update(unapplied_migrations=["admin.0001_initial"]), "failed",
     "admin.0001_initial"),
    ("svs.E015", lambda f: svs(f)["media"].update(link_type=None), "failed", "chybí"),
    ("svs.E015", lambda f: (f.pop("live"), svs(f)["media"].update(web_user_access={
        "user": "caddy", "ok": False, "denied_at": "/home/kurz", "mode": "0o700"})), "failed", "/home/kurz"),
    ("svs.E015", lambda f: f.pop("live"), "passed", "caddy smí číst"),
    ("svs.E015", lambda f: f.update(live={"extra": {"media_sample": {
        "url": f"https://{DOMAIN}/media/x.svg", "status": 200, "body_sha256": "a", "expected_sha256": "a"}}}),
     "passed", "/media/x.svg"),
    ("svs.E015", lambda f: f.update(live={"extra": {"media_sample": {
        "url": f"https://{DOMAIN}/media/x.svg", "status": 403, "body_sha256": "b", "expected_sha256": "a"}}}),
     "failed", "HTTP 403"),
    ("svs.E016", lambda f: f["django"]["secret_key"].update(insecure_prefix=True), "failed", "django-insecure-"),
]


@pytest.mark.parametrize("check_id, change, status, fragment", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_on_changed_facts(course, facts, check_id, change, status, fragment):
    change(facts)
    result = results(course, facts)[check_id]
    assert result.status.value == status, result.message
    assert fragment in result.message, result.message


def test_unknown_domain_skips_what_depends_on_it(course, facts):
    svs(facts)["caddy_root"]["exists"] = False
    found = results(course, facts)
    assert found["svs.E001"].status.value == "failed"
    assert {found[c].status.value for c in found if c != "svs.E001"} == {"skipped"}


# ----------------------------------------------------------------------------- probe readers
def test_unit_file_and_caddy_site_file(tmp_path):
    unit = tmp_path / f"{DOMAIN}.service"
    unit.write_text("[Unit]\nDescription=x\n[Service]\nWorkingDirectory=~/my_project\n"
                    "EnvironmentFile=%h/.config/systemd/user/kurz.env\nEnvironment=\"A=1\" B=2\n"
                    "ExecStart=/home/kurz/my_project/.venv/bin/gunicorn --workers 2 --bind :18123 "
                    "my_project.wsgi:application\n[Install]\nWantedBy=default.target\n")
    facts = svs_account.unit_file_facts(str(unit), "/home/kurz")
    assert facts["working_directory"] == "/home/kurz/my_project"
    assert facts["environment_files"] == ["/home/kurz/.config/systemd/user/kurz.env"]
    assert facts["environment"] == {"A": "1", "B": "2"} and facts["wanted_by"] == ["default.target"]
    assert facts["app_server"] and facts["exec_start"][-1] == "my_project.wsgi:application"
    site = ("kurz.svs.test {\n    root * /var/caddy.root.d/kurz.svs.test\n    @notStatic {\n        not file {\n"
            "            try_files {path} {path}/index.html\n        }\n    }\n"
            "    reverse_proxy @notStatic 127.0.0.1:18123\n    file_server\n}\n")
    assert svs_caddy.PORT_RE.search(site).group(1) == "18123"
    assert svs_caddy.PORT_RE.search("reverse_proxy localhost:8000").group(1) == "8000"


def test_pgpass_keeps_names_never_the_password(tmp_path):
    (tmp_path / ".pgpass").write_text("localhost:*:*:db1234:Tajne:Heslo\\:x\n")
    (tmp_path / ".profile").write_text("export PGUSER=db1234\n")
    facts = svs_account.pgpass_facts(str(tmp_path))
    assert facts["entries"] == [{"host": "localhost", "port": "*", "database": "*", "user": "db1234"}]
    assert facts["pguser"] == "db1234" and "Tajne" not in repr(facts)


@pytest.fixture
def open_dir():
    """A directory anyone may traverse (pytest's tmp_path lives under a private 0700 directory)."""
    path = Path(tempfile.mkdtemp(prefix="kurz-perm-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def test_permission_chain_follows_mode_bits(open_dir):
    me = pwd.getpwuid(os.geteuid()).pw_name
    other = next((u.pw_name for u in pwd.getpwall() if u.pw_uid not in (0, os.geteuid()) and u.pw_name == "nobody"),
                 None)
    home = open_dir / "home"
    media = home / "projekt" / "media"
    media.mkdir(parents=True)
    (media / "x.svg").write_text("<svg/>")
    os.chmod(home, 0o700)
    assert svs_caddy.permission_chain(me, str(media / "x.svg"), "read")["ok"]
    if other:
        denied = svs_caddy.permission_chain(other, str(media / "x.svg"), "read")
        assert denied["ok"] is False and denied["denied_at"] == str(home)
        os.chmod(home, 0o711)
        os.chmod(home / "projekt", 0o755)
        assert svs_caddy.permission_chain(other, str(media / "x.svg"), "read")["ok"]


def test_domain_and_unit_choice(tmp_path):
    project = tmp_path / "projekt"
    project.mkdir()
    (project / ".svs").write_text(f"domain={DOMAIN}\n")
    units = [{"name": "jiny.service", "exec_start": ["/x/gunicorn", "--bind", ":9000", "a.wsgi"], "app_server": True,
              "working_directory": "/elsewhere"},
             {"name": "web.service", "exec_start": ["/x/gunicorn", "--bind", ":18123", "a.wsgi"], "app_server": True,
              "working_directory": str(project)}]
    account = {"name": "kurz", "uid": 99999, "home": str(tmp_path)}
    assert probe_svs.choose_domain({"svs_domain": "Jmeno.SVS.gyarab.cz"}, units, account)["name"] == \
        "jmeno.svs.gyarab.cz"
    assert probe_svs.choose_domain({}, units, account) == {"name": DOMAIN, "source": "file",
                                                            "file": str(project / ".svs")}
    assert probe_svs.choose_unit(units, DOMAIN, 18123)["name"] == "web.service"  # by the domain's port
    assert probe_svs.choose_unit(units, DOMAIN, None) is None  # two app servers, none named after the domain


def test_listener_kinds():
    listening = {"tcp": [{"addr": "0.0.0.0", "port": 18123, "pids": [7]}]}
    runserver = [{"pid": 7, "argv": ["python", "manage.py", "runserver", "127.0.0.1:18123"], "user": "kurz"}]
    assert probe_svs.listener_facts(18123, listening, runserver)["kind"] == "runserver"
    gunicorn = [{"pid": 7, "argv": ["/home/kurz/p/.venv/bin/python3", "/home/kurz/p/.venv/bin/gunicorn"]}]
    assert probe_svs.listener_facts(18123, listening, gunicorn)["kind"] == "gunicorn"
    assert probe_svs.listener_facts(18123, {"tcp": []}, [])["kind"] == "none"
    assert probe_svs.listener_facts(18123, {"tcp": [{"addr": "0.0.0.0", "port": 18123, "pids": []}]},
                                    [])["kind"] == "unknown"
