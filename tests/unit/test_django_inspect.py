"""The Django inspection's own helpers, on this test run's real interpreter and files."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from checkers.probe import app as app_mod, django_inspect

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


def project_app(tmp_path, settings_module="kurz_projekt.settings") -> dict:
    """An app as app.resolve() describes it, run by this test's own interpreter (which has no Django:
    the inspection then reports the failed settings import, as it would on a VM without Django)."""
    return {"interpreter": sys.executable, "project_dir": str(tmp_path), "exists": True, "user": None,
            "settings_module": settings_module, "_env": {}}


def test_the_inspection_runs_in_the_app_s_interpreter_and_reports_what_failed(tmp_path):
    facts, scrub = app_mod.inspect_django(project_app(tmp_path), timeout=60)
    assert facts["settings_error"]["type"] in ("ModuleNotFoundError", "ImportError")
    assert facts["settings_module"] == "kurz_projekt.settings" and facts["started_early"] is False
    assert scrub == []


def test_an_inspection_started_early_for_the_same_command_is_kept(tmp_path):
    app = project_app(tmp_path)
    command = app_mod.inspection_command(app, 60)
    early = app_mod.start_inspection(command)
    facts, _ = app_mod.inspect_django(app, timeout=60, started_early=(command, early))
    assert facts["started_early"] is True and "settings_error" in facts


def test_an_inspection_started_early_for_another_app_is_stopped_and_run_again(tmp_path):
    guessed = app_mod.inspection_command(project_app(tmp_path, "jiny.settings"), 60)
    early = app_mod.start_inspection(guessed)
    facts, _ = app_mod.inspect_django(project_app(tmp_path), timeout=60, started_early=(guessed, early))
    assert early.proc.returncode is not None  # stopped (or already finished) and reaped
    assert facts["started_early"] is False and facts["settings_module"] == "kurz_projekt.settings"
