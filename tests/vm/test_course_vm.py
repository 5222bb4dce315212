"""The course VM itself: the fresh image, the reference solutions, the whole request path."""

from __future__ import annotations

import re
import time

from lab.harness import CourseVM, HttpClient, settings_value
from lab.paths import EXERCISES_DIR

STARTER_MARK = '<meta name="generator" content="kurz-django-v-produkci-starter">'
PROJECT = "/srv/my_project"


# ------------------------------------------------------------------------------ the fresh VM
def test_fresh_vm_has_starter_and_no_step_done(fresh_vm: CourseVM):
    vm = fresh_vm
    r = vm.run(f"stat -c '%U' {PROJECT} {PROJECT}/manage.py {PROJECT}/.venv/bin/python")
    assert r.stdout.split() == ["vagrant"] * 3
    version = vm.run(f"{PROJECT}/.venv/bin/python -c 'import django; print(django.__version__)'").stdout
    assert version.strip() == "5.2.19"
    log = vm.run(f"cd {PROJECT} && git log --format='%an' && git status --porcelain").stdout
    assert log.strip() == "Kurz Django v produkci"  # one commit, clean tree
    # None of the lesson's steps is done.
    assert settings_value(vm, "settings.DEBUG") == "True"
    assert settings_value(vm, "settings.ALLOWED_HOSTS") == "[]"
    assert settings_value(vm, "settings.SECRET_KEY.startswith('django-insecure-')") == "True"
    assert settings_value(vm, "hasattr(settings, 'STATIC_ROOT') and settings.STATIC_ROOT") in ("None", "False", "''")
    assert settings_value(vm, "settings.MEDIA_ROOT") == "''"
    assert settings_value(vm, "settings.DATABASES['default']['ENGINE']") == "'django.db.backends.sqlite3'"
    for pkg in ("nginx", "postgresql", "caddy"):
        assert vm.run(f"dpkg-query -W -f='${{Status}}' {pkg}", check=False).stdout.find("install ok installed") < 0
    assert vm.run(f"test -e {PROJECT}/.venv/bin/gunicorn", check=False).returncode != 0
    assert vm.run("test -e /etc/systemd/system/gunicorn.service", check=False).returncode != 0
    assert vm.run(f"test -e {PROJECT}/secret_key.txt || test -e {PROJECT}/static", check=False).returncode != 0
    assert vm.run(f"test -f {PROJECT}/media/obrazky/ukazka.svg").returncode == 0


def test_fresh_vm_system(fresh_vm: CourseVM):
    vm = fresh_vm
    assert vm.run("systemctl is-system-running").stdout.strip() == "running"
    assert vm.run("sudo -n true").returncode == 0
    assert vm.run("lsb_release -rs 2>/dev/null || . /etc/os-release && echo $VERSION_ID").stdout.strip().endswith("12")
    # The local apt repository is the only source, and it has what the lesson installs.
    sources = vm.run("cat /etc/apt/sources.list.d/*.list; ls /etc/apt/sources.list 2>/dev/null || true").stdout
    assert sources.strip() == "deb [trusted=yes] file:/opt/kurz/apt ./"
    vm.run("sudo apt-get update -qq")
    for pkg in ("nginx", "postgresql", "caddy"):
        vm.run(f"apt-get install -s -y {pkg} >/dev/null")
    # The wheelhouse answers the lesson's pip commands offline.
    dry = vm.run(f"{PROJECT}/.venv/bin/pip install --dry-run gunicorn psycopg2-binary 'psycopg[binary]'").stdout
    assert "gunicorn-27.0.1" in dry and "psycopg2-binary-2.9.13" in dry and "psycopg-3.3.9" in dry


def test_starter_runs_with_runserver_and_its_tests_pass(fresh_vm: CourseVM):
    vm = fresh_vm
    tests = vm.run(f"cd {PROJECT} && .venv/bin/python manage.py test 2>&1", timeout=300)
    assert re.search(r"^OK$", tests.stdout, re.M), tests.stdout
    vm.run(f"cd {PROJECT} && (nohup .venv/bin/python manage.py runserver 127.0.0.1:8000 >/tmp/rs.log 2>&1 "
           "& echo $! >/tmp/rs.pid)")
    try:
        page = vm.run("for i in $(seq 60); do curl -fsS http://127.0.0.1:8000/ && break; sleep 0.5; done").stdout
        assert STARTER_MARK in page and "<h1>Galerie</h1>" in page
        codes = vm.run(
            "for u in /static/galerie/styl.css /static/galerie/logo.svg /media/obrazky/ukazka.svg /admin/login/; do "
            "curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:8000$u; done"
        ).stdout.split()
        assert codes == ["200"] * 4
    finally:
        vm.run("kill $(cat /tmp/rs.pid); pkill -P $(cat /tmp/rs.pid) 2>/dev/null; true", check=False)


def test_provision_is_idempotent(fresh_vm: CourseVM):
    script = (EXERCISES_DIR / "provision.sh").read_text()
    r = fresh_vm.run("sudo KURZ_STARTER=/nonexistent bash -s", input=script)
    assert "nic se nezměnilo" in r.stdout
    assert fresh_vm.run(f"cd {PROJECT} && git status --porcelain").stdout == ""


# ----------------------------------------------------------------- after all solutions
def test_reference_solutions_are_idempotent(vm: CourseVM):
    vm.at_step("step11")
    for step in ("step1", "step3", "step5", "step7", "step9", "step10"):
        vm.apply_solution(step)
    assert vm.http_get("/", retry_for=30).status == 200


def _assert_full_path(vm: CourseVM) -> None:
    home = vm.http_get("/", retry_for=120)
    assert home.status == 200, home.text[:500]
    assert STARTER_MARK in home.text
    assert home.header("Server").startswith("nginx")
    # Django answered (its middleware's headers), through nginx.
    assert home.header("X-Frame-Options") == "DENY"
    assert "/static/galerie/styl.css" in home.text and "/media/obrazky/ukazka.svg" in home.text
    # A static file comes from nginx itself: no Django headers, file metadata instead.
    css = vm.http_get("/static/galerie/styl.css")
    assert css.status == 200 and b".hlavicka" in css.body
    assert css.header("X-Frame-Options") is None and css.header("Last-Modified") and css.header("ETag")
    media = vm.http_get("/media/obrazky/ukazka.svg")
    assert media.status == 200 and b"<svg" in media.body
    admin = vm.http_get("/admin/login/")
    assert admin.status == 200 and "csrfmiddlewaretoken" in admin.text
    services = vm.run("systemctl is-active nginx gunicorn postgresql; systemctl is-enabled nginx gunicorn postgresql")
    assert services.stdout.split() == ["active"] * 3 + ["enabled"] * 3


def test_full_path_nginx_gunicorn_django_postgres(solved_vm: CourseVM):
    vm = solved_vm
    _assert_full_path(vm)
    # The app server is the systemd gunicorn as www-data on the lesson's socket.
    ps = vm.run("ps -o user=,args= -C gunicorn").stdout
    assert "www-data" in ps and "unix:/tmp/gunicorn.sock" in ps
    assert vm.run("test ! -e /tmp/gunicorn.pid", check=False).returncode == 0  # the manual one is gone
    # Stop gunicorn: Django pages fail with 502, static files still come from nginx.
    vm.run("sudo systemctl stop gunicorn")
    try:
        assert vm.http_get("/", retry_for=30, expect=502).status == 502
        assert vm.http_get("/static/galerie/logo.svg").status == 200
    finally:
        vm.run("sudo systemctl start gunicorn")
    assert vm.http_get("/", retry_for=120).status == 200


def test_settings_after_all_steps(solved_vm: CourseVM):
    vm = solved_vm
    assert settings_value(vm, "settings.DEBUG") == "False"
    assert settings_value(vm, "settings.ALLOWED_HOSTS") == "['127.0.0.1', 'localhost']"
    assert settings_value(vm, "str(settings.STATIC_ROOT)") == f"'{PROJECT}/static'"
    assert settings_value(vm, "str(settings.MEDIA_ROOT)") == f"'{PROJECT}/media'"
    assert settings_value(vm, "settings.SECRET_KEY.startswith('django-insecure-')") == "False"
    assert int(settings_value(vm, "len(set(settings.SECRET_KEY))")) >= 5
    files = vm.run(f"stat -c '%n %a %U %G' {PROJECT}/secret_key.txt {PROJECT}/db_password.txt").stdout.split("\n")
    assert files[0].endswith("640 vagrant www-data") and files[1].endswith("640 vagrant www-data")
    ignored = vm.run(f"cd {PROJECT} && git check-ignore secret_key.txt db_password.txt static").stdout.split()
    assert ignored == ["secret_key.txt", "db_password.txt", "static"]
    deploy = vm.run(f"cd {PROJECT} && .venv/bin/python manage.py check --deploy 2>&1").stdout
    for warning in ("W009", "W018", "W020"):
        assert warning not in deploy


def test_data_lives_in_postgresql(solved_vm: CourseVM):
    vm = solved_vm
    assert settings_value(vm, "settings.DATABASES['default']['ENGINE']") == "'django.db.backends.postgresql'"
    owner = vm.run("sudo -u postgres psql -tAc "
                   "\"select pg_get_userbyid(datdba) from pg_database where datname='myproject'\"")
    assert owner.stdout.strip() == "myprojectuser"
    rows = vm.run("sudo -u postgres psql -tA -d myproject -c 'select nazev from galerie_obrazek'").stdout
    assert "Ukázkový obrázek" in rows
    # A real round trip: log in to the admin (session stored in PostgreSQL) …
    vm.run(f"cd {PROJECT} && DJANGO_SUPERUSER_PASSWORD=kurz-heslo-123 .venv/bin/python manage.py "
           "createsuperuser --noinput --username ucitel --email ucitel@example.invalid 2>&1 || true")
    client = HttpClient(vm.http_port)
    login = client.get("/admin/login/", retry_for=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    resp = client.request("/admin/login/?next=/admin/", data={
        "csrfmiddlewaretoken": token, "username": "ucitel", "password": "kurz-heslo-123", "next": "/admin/"},
        headers={"Referer": f"http://127.0.0.1:{vm.http_port}/admin/login/"})
    assert resp.status == 302, resp.text[:800]
    assert client.get("/admin/").status == 200
    sessions = vm.run("sudo -u postgres psql -tA -d myproject -c 'select count(*) from django_session'").stdout
    assert int(sessions.strip()) >= 1


def test_everything_survives_reboot(solved_vm: CourseVM):
    vm = solved_vm
    t0 = time.monotonic()
    state = vm.reboot()
    vm.timings["reboot (solved VM)"] = round(time.monotonic() - t0, 1)
    assert state == "running"
    assert vm.run("systemctl is-active gunicorn").stdout.strip() == "active"
    _assert_full_path(vm)
    rows = vm.run("sudo -u postgres psql -tA -d myproject -c 'select count(*) from galerie_obrazek'").stdout
    assert int(rows.strip()) >= 1
