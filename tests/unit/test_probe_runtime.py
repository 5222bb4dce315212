"""The probe's command runner and its reading of unit files, on this machine's real processes and
files (unit files written to a temporary directory in systemd's syntax)."""

from __future__ import annotations

import os
import time

import pytest

from checkers.probe import postgres, systemd
from checkers.probe.runtime import Started, run


def test_a_started_command_gives_its_output_when_waited_for():
    started = Started(["sh", "-c", "echo venku; echo chyba >&2; exit 3"])
    result = started.result(10)
    assert (result.rc, result.out, result.err, result.timed_out) == (3, "venku\n", "chyba\n", False)


def test_the_time_limit_counts_from_the_start_not_from_the_wait():
    started = Started(["sleep", "5"])
    time.sleep(0.3)
    began = time.monotonic()
    result = started.result(0.5)
    assert result.timed_out and result.rc == 124 and time.monotonic() - began < 1


def test_a_cancelled_command_is_stopped_and_reaped():
    started = Started(["sleep", "30"])
    started.cancel()
    assert started.proc.returncode is not None


def test_commands_that_cannot_start_are_results_not_exceptions():
    assert run(["/nonexistent/kurz-prikaz"]).rc == 127
    assert run(["cat"], stdin="vstup").out == "vstup"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs commands as another user")
def test_an_unknown_user_is_a_result_not_an_exception():
    assert run(["true"], user="kurz-neexistujici-uzivatel").rc == 126


@pytest.fixture
def unit_dirs(tmp_path, monkeypatch):
    etc, run_dir = tmp_path / "etc", tmp_path / "run"
    etc.mkdir()
    run_dir.mkdir()
    monkeypatch.setattr(systemd, "UNIT_DIRS", (str(etc),))
    monkeypatch.setattr(systemd, "DROP_IN_DIRS", (str(etc), str(run_dir)))
    return etc, run_dir


UNIT = """[Unit]
Description=gunicorn
# ExecStart=/not/this
[Service]
User=www-data
WorkingDirectory=/srv/my_project
Environment="DJANGO_SETTINGS_MODULE=my_project.settings" MODE=prod
EnvironmentFile=-{env_file}
ExecStart=/srv/my_project/.venv/bin/gunicorn --workers 3 \\
    --bind unix:/run/gunicorn.sock my_project.wsgi:application
[Install]
User=not-a-service-setting
"""


def test_a_unit_file_says_user_directory_command_and_environment(unit_dirs, tmp_path):
    etc, _ = unit_dirs
    (tmp_path / "app.env").write_text("SECRET_KEY='tajne'\nMODE=souborem\n")
    (etc / "gunicorn.service").write_text(UNIT.format(env_file=tmp_path / "app.env"))
    unit = systemd.unit_from_files("gunicorn.service")
    assert unit == {
        "user": "www-data", "group": None, "working_directory": "/srv/my_project",
        "argv": ["/srv/my_project/.venv/bin/gunicorn", "--workers", "3", "--bind", "unix:/run/gunicorn.sock",
                 "my_project.wsgi:application"],
        # the environment file wins over Environment=, as in systemd
        "env": {"DJANGO_SETTINGS_MODULE": "my_project.settings", "MODE": "souborem", "SECRET_KEY": "tajne"},
    }


def test_drop_ins_override_in_file_name_order_and_empty_assignments_reset(unit_dirs, tmp_path):
    etc, run_dir = unit_dirs
    (etc / "gunicorn.service").write_text(UNIT.format(env_file=tmp_path / "missing.env"))
    (etc / "gunicorn.service.d").mkdir()
    (run_dir / "gunicorn.service.d").mkdir()
    (etc / "gunicorn.service.d" / "20-user.conf").write_text("[Service]\nUser=django\n")
    (run_dir / "gunicorn.service.d" / "10-env.conf").write_text("[Service]\nEnvironment=\nEnvironment=A=1\n")
    (run_dir / "gunicorn.service.d" / "30-cmd.conf").write_text("[Service]\nExecStart=\nExecStart=/opt/venv/bin/gunicorn app:x\n")
    (etc / "gunicorn.service.d" / "30-cmd.conf").write_text("[Service]\nExecStart=\nExecStart=/etc/wins/gunicorn app:y\n")
    unit = systemd.unit_from_files("gunicorn.service")
    assert unit["user"] == "django" and unit["env"] == {"A": "1"}
    assert unit["argv"] == ["/etc/wins/gunicorn", "app:y"]


@pytest.mark.parametrize("change", [
    ("WorkingDirectory=/srv/my_project", "WorkingDirectory=%h/my_project"),  # a specifier
    ("ExecStart=/srv", "ExecStart=-/srv"),  # an exec prefix
    ("WorkingDirectory=/srv/my_project", "WorkingDirectory=~"),
    ("ExecStart=/srv/my_project/.venv/bin/gunicorn --workers 3 \\", "ExecStart=/srv/x 'unclosed \\"),
])
def test_what_the_reading_does_not_follow_gives_no_guess(unit_dirs, tmp_path, change):
    etc, _ = unit_dirs
    (etc / "gunicorn.service").write_text(UNIT.format(env_file=tmp_path / "app.env").replace(*change))
    assert systemd.unit_from_files("gunicorn.service") is None


def test_a_missing_unit_file_gives_no_guess(unit_dirs):
    assert systemd.unit_from_files("gunicorn.service") is None


CATALOG = {"version": "15.18", "databases": [{"name": "myproject", "owner": "myprojectuser"}],
           "roles": [{"name": "myprojectuser", "login": True, "superuser": False}]}


def test_the_catalogue_read_over_django_s_connection_spares_psql():
    facts = postgres.collect({"log": []}, {"engine": "django.db.backends.postgresql", "server": CATALOG})
    assert facts["source"] == "django" and facts["databases"] == CATALOG["databases"] and facts["logs"] == {"log": []}


def test_an_app_on_sqlite_needs_no_catalogue():
    facts = postgres.collect({}, {"engine": "django.db.backends.sqlite3"})
    assert facts["skipped"] == "app-not-postgresql" and "databases" not in facts


def test_without_django_s_catalogue_psql_is_asked():
    facts = postgres.collect({}, {"engine": "django.db.backends.postgresql", "server": {"error": {"type": "X"}}})
    assert facts.get("source") != "django" and "skipped" not in facts
    assert facts.get("source") == "psql" or "error" in facts or not facts["client"]
