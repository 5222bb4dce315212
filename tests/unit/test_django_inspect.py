"""The Django inspection's own helpers, on this test run's real interpreter and files."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

from checkers.probe import django_inspect

INSTALLED_HERE = ("pytest", "PyYAML", "python-vagrant", "jupyter-book", "sphinxcontrib-mermaid", "MarkupSafe",
                  "pexpect")


def test_package_versions_agree_with_importlib_metadata():
    wanted = INSTALLED_HERE + ("surely-not-installed-kurz",)
    expected = {}
    for name in wanted:
        try:
            expected[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected[name] = None
    assert expected["pytest"] and expected["surely-not-installed-kurz"] is None
    assert django_inspect.package_versions(wanted) == expected


def test_package_versions_read_old_and_new_metadata_directory_names(tmp_path, monkeypatch):
    for name in ("Django-4.2.16.dist-info", "psycopg2_binary-2.9.9.dist-info", "gunicorn-21.2.0-py3.11.egg-info",
                 "my_project.egg-info", "README.txt"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path)])
    versions = django_inspect.package_versions()
    assert versions["Django"] == "4.2.16"
    assert versions["psycopg2-binary"] == "2.9.9"
    assert versions["gunicorn"] == "21.2.0"
    assert versions["psycopg2"] is None and versions["whitenoise"] is None


def test_forked_work_returns_its_result_and_the_secrets_it_met():
    scrub = ["known"]

    def work():
        scrub.append("child-secret")
        return {"connect": {"ok": True}, "pid": os.getpid()}, 0.25

    wait = django_inspect.forked(work, scrub, time_limit=30)
    assert scrub == ["known"]  # the work is the child's
    result, seconds = wait()
    assert result["connect"] == {"ok": True} and result["pid"] != os.getpid() and seconds == 0.25
    assert scrub == ["known", "child-secret"]


def test_a_forked_child_that_dies_is_reported_not_waited_for_forever():
    wait = django_inspect.forked(lambda: os._exit(3), [], time_limit=30)
    result, seconds = wait()
    assert result["error"]["type"] == "ChildDied" and seconds == 0


def test_work_not_allowed_to_fork_runs_here_at_once():
    scrub, ran_in = [], []

    def work():
        ran_in.append(os.getpid())
        scrub.append("secret-here")
        return {"connect": {"ok": False}}, 0.1

    wait = django_inspect.forked(work, scrub, time_limit=30, allowed=False)
    assert ran_in == [os.getpid()] and scrub == ["secret-here"]
    assert wait() == ({"connect": {"ok": False}}, 0.1)


def test_tracked_files_are_the_repository_s_not_the_untracked_ones(tmp_path):
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git + ["init", "-q"], check=True)
    (tmp_path / "settings.py").write_text("SECRET_KEY = 'x'\n")
    (tmp_path / "local.env").write_text("SECRET=y\n")
    subprocess.run(git + ["add", "settings.py"], check=True)
    subprocess.run(git + ["commit", "-qm", "start"], check=True)
    names = django_inspect.list_tracked_files(str(tmp_path))
    assert names() == ["settings.py"]


def test_no_repository_gives_no_list(tmp_path):
    assert django_inspect.list_tracked_files(str(tmp_path))() is None
    assert django_inspect.list_tracked_files(str(tmp_path / "missing"))() is None
