"""The probe keeps "not allowed to look" apart from "not there" (issue 13, point 1): a user the kernel
refuses gets `denied` with the directory that stopped it, and the privileged probe finishes what
that user could not compare. Real directories and a real user switch (CI runs as root)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from checkers.probe import app as app_mod, denied
from checkers.probe.django_storage import media_sample, path_state, pick_installed_sample
from checkers.probe.systemd import seconds_ago

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user needs root (CI runs as root)")


def as_user(user: str, func, *args):
    """func(*args) in a forked child that has become `user`; returns its JSON result."""
    entry = pwd.getpwnam(user)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            os.write(write_end, json.dumps(func(*args)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.fixture
def project():
    """A project whose static/ sits in a 0700 directory of root's: collected, but not for nobody."""
    base = Path(tempfile.mkdtemp(prefix="kurz-denied-"))
    base.chmod(0o755)
    (base / "closed").mkdir(mode=0o700)
    static = base / "closed" / "static"
    (static / "galerie").mkdir(parents=True)
    source = base / "src.css"
    source.write_text("body{}")
    os.utime(source, (time.time() - 100, time.time() - 100))
    (static / "galerie" / "styl.css").write_text("body{}")
    media = base / "closed" / "media"
    media.mkdir()
    (media / "a.png").write_bytes(b"png")
    yield base, static, media, source
    shutil.rmtree(base)


def test_a_path_behind_a_closed_directory_is_denied_not_missing(project):
    base, static, _, _ = project
    seen = as_user("nobody", path_state, str(static))
    assert seen["state"] == "denied" and seen["denied_at"] == str(base / "closed")
    assert as_user("nobody", path_state, str(base / "nowhere")) == {"state": "missing"}
    assert path_state(str(static)) == {"state": "dir"}  # root may look


def test_the_privileged_probe_compares_what_the_app_user_could_not(project):
    _, static, media, source = project
    facts = {"static": {"root": str(static), "root_exists": False, "missing_count": None, "missing": [],
                        "root_denied": {"state": "denied", "user_uid": pwd.getpwnam("nobody").pw_uid},
                        "to_compare": {"galerie/styl.css": str(source), "galerie/chybi.js": str(source)}},
             "media": {"root": str(media), "exists": False, "is_dir": False, "root_denied": {"state": "denied"}}}
    denied.complete(facts)
    static_facts, media_facts = facts["static"], facts["media"]
    assert static_facts["checked_by"] == "root" and static_facts["root_exists"] is True
    assert static_facts["missing"] == ["galerie/chybi.js"] and static_facts["outdated_count"] == 0
    assert static_facts["root_denied"]["user"] == "nobody" and "to_compare" not in static_facts
    assert static_facts["sample"]["path"] == "galerie/styl.css"
    assert media_facts["exists"] and media_facts["files"] == 1 and media_facts["checked_by"] == "root"


def test_an_uploaded_file_the_user_may_not_read_is_still_the_one_nginx_must_serve(project):
    # a file copied in with sudo from a 0600 source: root's, mode 0600 (recorded: corpus media-files-unreadable)
    media = project[0] / "media"
    (media / "obrazky").mkdir(parents=True)
    media.chmod(0o755)
    (media / "obrazky").chmod(0o755)
    closed = media / "obrazky" / "b.svg"
    closed.write_bytes(b"<svg/>")
    closed.chmod(0o600)
    assert as_user("nobody", media_sample, str(media)) == [1, {"path": "obrazky/b.svg", "sha256": None,
                                                                "unreadable": "PermissionError"}]
    # one it may read is preferred, with its digest to compare what the web server sends
    (media / "obrazky" / "c.svg").write_bytes(b"<svg/>")
    count, sample = as_user("nobody", media_sample, str(media))
    assert count == 2 and sample["path"] == "obrazky/c.svg" and len(sample["sha256"]) == 64
    assert media_sample(str(media))[1]["path"] == "obrazky/b.svg"  # root reads both: the first one


def test_a_collected_admin_file_the_user_may_not_read_is_still_requested(project):
    # collectstatic run by root with umask 077: the admin's CSS is root's 0600, nginx gets 403 for it
    _, static, _, source = project
    (static / "admin" / "css").mkdir(parents=True)
    closed = static / "admin" / "css" / "base.css"
    closed.write_text("body{}")
    closed.chmod(0o600)
    sources = {"galerie/styl.css": str(source), "admin/css/base.css": "/x/site-packages/django/contrib/admin/static/admin/css/base.css"}
    own = {"path": "galerie/styl.css", "sha256": "0" * 64}
    static.parent.chmod(0o755)  # the way to STATIC_ROOT open: only the file itself is closed
    assert as_user("nobody", pick_installed_sample, sources, str(static), own) == {
        "path": "admin/css/base.css", "sha256": None, "unreadable": "PermissionError"}


def test_nothing_is_completed_for_a_root_the_user_could_see(project):
    _, static, _, _ = project
    facts = {"static": {"root": str(static), "root_exists": True, "missing_count": 0}, "media": {}}
    denied.complete(facts)
    assert "checked_by" not in facts["static"]


def test_a_refusal_that_stopped_the_inspection_is_recognised():
    crashed = {"not_run": "crashed", "stderr": "PermissionError: [Errno 13] Permission denied: '/srv/p/.venv/bin/python'"}
    assert "Permission denied" in app_mod.permission_refusal(crashed)
    assert app_mod.permission_refusal({"not_run": "crashed", "stderr": "SyntaxError: invalid syntax"}) is None
    settings = {"settings_error": {"type": "PermissionError", "message": "PermissionError: [Errno 13] Permission "
                                                                         "denied: 'secret_key.txt'"}}
    assert app_mod.permission_refusal(settings)
    assert app_mod.permission_refusal({"settings_error": {"type": "NameError", "message": "name 'x'"}}) is None


def test_a_user_shut_out_of_the_project_directory_is_found(project):
    base = project[0]
    failed = {"settings_error": {"type": "ModuleNotFoundError", "message": "No module named 'my_project'"}}
    assert "EACCES" in app_mod.user_shut_out(failed, "nobody", str(base / "closed"))
    assert app_mod.user_shut_out(failed, "nobody", str(base)) is None
    assert app_mod.user_shut_out({"settings": {}}, "nobody", str(base / "closed")) is None


def test_monotonic_timestamps_become_seconds_ago():
    assert seconds_ago("5000000", 12.0) == 7.0
    assert seconds_ago("0", 12.0) is None and seconds_ago(None, 12.0) is None and seconds_ago("x", 1.0) is None


def test_the_app_upstream_falls_back_to_the_students_own_server_and_then_to_gunicorns_bind():
    from checkers.probe.main import app_upstream

    own = {"file": "/etc/nginx/sites-enabled/my_project", "server_names": ["example.com"],
           "listen": [{"addr": "*", "port": 80, "default_server": False}],
           "locations": [{"path": "/", "modifier": "", "proxy_pass": "http://unix:/run/gunicorn.sock"}]}
    default = {"file": "/etc/nginx/sites-enabled/default", "server_names": ["_"],
               "listen": [{"addr": "*", "port": 80, "default_server": True}], "locations": [{"path": "/", "modifier": ""}]}
    config = {"servers": [default, own], "upstreams": {}}
    assert app_upstream(config, "127.0.0.1") == {"kind": "unix", "path": "/run/gunicorn.sock"}
    app = {"gunicorn": {"binds": ["0.0.0.0:8000"]}}
    assert app_upstream({"servers": [default], "upstreams": {}}, "127.0.0.1", app) == {
        "kind": "tcp", "host": "127.0.0.1", "port": 8000, "from": "bind"}
    assert app_upstream({"servers": [default], "upstreams": {}}, "127.0.0.1", {}) is None


def test_a_directory_the_user_may_see_but_not_enter_is_denied_at_itself(project):
    base = project[0]
    seen = as_user("nobody", path_state, str(base / "closed"))
    assert seen["state"] == "denied" and seen["denied_at"] == str(base / "closed")
    assert as_user("nobody", path_state, str(base)) == {"state": "dir"}


def test_a_socket_held_by_gunicorn_stands_for_a_bind_from_its_config_file():
    from checkers.probe.main import app_upstream

    default = {"file": "/etc/nginx/sites-enabled/default", "server_names": ["_"],
               "listen": [{"addr": "*", "port": 80, "default_server": True}], "locations": [{"path": "/", "modifier": ""}]}
    facts = {"processes": [{"pid": 7, "ppid": 1, "argv": ["/p/.venv/bin/python3", "/p/.venv/bin/gunicorn", "-c", "x.py"]},
                           {"pid": 9, "ppid": 1, "argv": ["/usr/sbin/sshd"]}],
             "listening": {"unix": [{"path": "/run/sshd.sock", "pids": [9]}, {"path": "/run/gunicorn/g.sock", "pids": [7]}],
                           "tcp": []}}
    app = {"gunicorn": {"binds": [], "config": "x.py"}}
    assert app_upstream({"servers": [default], "upstreams": {}}, "127.0.0.1", app, facts) == {
        "kind": "unix", "path": "/run/gunicorn/g.sock", "from": "bind"}
    facts["processes"] = facts["processes"][1:]
    assert app_upstream({"servers": [default], "upstreams": {}}, "127.0.0.1", app, facts) is None


def test_the_project_of_a_venv_is_its_parent():
    from checkers.probe.app import venv_project

    assert venv_project("/var/www/my_project/.venv/bin/gunicorn") == "/var/www/my_project"
    assert venv_project("/usr/bin/gunicorn") is None

