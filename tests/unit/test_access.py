"""Access tests as another user: a forked child becomes that user and asks the kernel itself."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from checkers.probe import access

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user needs root (CI runs as root)")


@pytest.fixture
def tree():
    """/tmp/kurz-access-*/{open/file, closed/file, open/app.sock}: closed is root's alone."""
    root = Path(tempfile.mkdtemp(prefix="kurz-access-"))
    root.chmod(0o755)
    for name, mode in (("open", 0o755), ("closed", 0o700)):
        (root / name).mkdir(mode=mode)
        (root / name / "file").write_text("x")
        (root / name / "file").chmod(0o644)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(root / "open" / "app.sock"))
    server.listen(1)
    os.chmod(root / "open" / "app.sock", 0o666)
    yield root
    server.close()
    shutil.rmtree(root)


def test_another_user_is_refused_where_only_root_may_go_and_allowed_elsewhere(tree):
    items = [{"path": str(tree / "open" / "file"), "need": "read"},
             {"path": str(tree / "closed" / "file"), "need": "read"},
             {"path": str(tree / "open"), "need": "write"},
             {"path": str(tree / "open" / "app.sock"), "need": "connect"}]
    tested = access.test_as("nobody", items)
    assert tested["user"] == "nobody"
    by_path = {(r["path"], r["need"]): r for r in tested["results"]}
    assert by_path[(str(tree / "open" / "file"), "read")]["ok"] is True
    closed = by_path[(str(tree / "closed" / "file"), "read")]
    assert closed["ok"] is False and closed["error"] == "EACCES" and closed["denied_at"] == str(tree / "closed")
    assert by_path[(str(tree / "open"), "write")]["ok"] is False
    assert by_path[(str(tree / "open" / "app.sock"), "connect")]["ok"] is True


def test_root_itself_is_tested_in_the_probe_and_an_unknown_user_is_named(tree):
    assert access.test_as("root", [{"path": str(tree / "closed" / "file"), "need": "read"}])["results"][0]["ok"] is True
    assert access.test_as("surely-no-such-user-kurz", [{"path": "/", "need": "read"}])["error"] == "unknown-user"


def test_a_collected_file_its_user_may_not_read_is_still_the_sample_without_a_digest():
    """The static section once died on such a file and took STATIC_ROOT and STATIC_URL with it
    (the checker then said "STATIC_ROOT is not set"); as the app's user, the kernel refuses it."""
    import json
    import pwd

    from checkers.probe.django_storage import pick_sample

    root = Path(tempfile.mkdtemp(prefix="kurz-sample-"))
    try:
        root.chmod(0o755)
        (root / "galerie").mkdir(mode=0o755)
        (root / "galerie" / "styl.css").write_text("body {}")
        (root / "galerie" / "styl.css").chmod(0o600)  # root's alone
        sources = {"galerie/styl.css": str(root / "galerie" / "styl.css")}
        assert pick_sample(sources, str(root))["sha256"]  # root reads it
        nobody = pwd.getpwnam("nobody")
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child becomes nobody and reports what it picked
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                os.write(write_end, json.dumps(pick_sample(sources, str(root))).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as stream:
            picked = json.loads(stream.read() or b"null")
        os.waitpid(pid, 0)
        assert picked == {"path": "galerie/styl.css", "sha256": None, "unreadable": "PermissionError"}
    finally:
        shutil.rmtree(root)
