"""How the probe decides what runs the app when the unit names things the machine does not have
(a program, a user, an environment file): the project is still inspected on its own, and the
unit's mistake is recorded for step 9. Real files in a temporary directory, this machine's users."""

from __future__ import annotations

import os
import pwd
import sys

from checkers.probe import app as app_mod
from checkers.probe.systemd import SystemdFacts

NOBODY_HERE = "kurz-no-such-user"


def _project(tmp_path):
    project = tmp_path / "my_project"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (project / ".venv" / "bin" / "gunicorn").write_text("#!/bin/sh\n")
    (project / "manage.py").write_text("")
    return project


def _resolve(project, argv, user):
    units = {"gunicorn.service": {"working_directory": str(project), "user": user}}
    return app_mod.resolve({"project": str(project)}, {"units": units, "app_units": ["gunicorn.service"]},
                           {"gunicorn.service": {}}, {"gunicorn.service": argv})


def test_a_program_the_unit_names_and_the_machine_lacks_leaves_the_project_in_its_own_venv(tmp_path):
    project = _project(tmp_path)
    me = pwd.getpwuid(os.getuid()).pw_name
    wrong = str(project / "venv" / "bin" / "gunicorn")
    found = _resolve(project, [wrong, "my_project.wsgi"], me)
    assert found["exec_missing"] == wrong
    assert found["interpreter"] == str(project / ".venv" / "bin" / "python")
    assert found["exec_in_venv"] == str(project / ".venv" / "bin" / "gunicorn")
    assert "user_missing" not in found

    right = _resolve(project, [str(project / ".venv" / "bin" / "gunicorn"), "my_project.wsgi"], me)
    assert "exec_missing" not in right and "exec_in_venv" not in right
    assert right["interpreter"] == str(project / ".venv" / "bin" / "python")


def test_a_user_the_unit_names_and_the_machine_lacks_is_recorded_and_the_project_runs_as_its_owner(tmp_path):
    project = _project(tmp_path)
    assert NOBODY_HERE not in {p.pw_name for p in pwd.getpwall()}
    found = _resolve(project, [str(project / ".venv" / "bin" / "gunicorn")], NOBODY_HERE)
    assert found["user"] == NOBODY_HERE and found["user_missing"] is True
    command = app_mod.inspection_command(found, timeout=5)
    assert command["user"] == pwd.getpwuid(os.stat(project).st_uid).pw_name

    me = pwd.getpwuid(os.getuid()).pw_name
    found = _resolve(project, [str(project / ".venv" / "bin" / "gunicorn")], me)
    assert "user_missing" not in found and app_mod.inspection_command(found, timeout=5)["user"] == me


def test_an_environment_file_is_told_apart_missing_or_optional(tmp_path):
    present = tmp_path / "env"
    present.write_text("DJANGO_SECRET_KEY=x\n")
    missing = tmp_path / ".env"
    optional = tmp_path / "optional.env"
    props = {"Id": "gunicorn.service", "ExecStart": "{ path=/bin/true ; argv[]=/bin/true ; }",
             "EnvironmentFiles": f"{present} (ignore_errors=no) {missing} (ignore_errors=no) {optional} (ignore_errors=yes)"}
    files = SystemdFacts()._unit_facts("gunicorn.service", props)["environment_files"]
    assert files == [
        {"path": str(present), "readable": True, "optional": False},
        {"path": str(missing), "readable": False, "optional": False, "error": "ENOENT"},
        {"path": str(optional), "readable": False, "optional": True, "error": "ENOENT"},
    ]


def test_a_bare_program_name_is_left_to_systemds_search(tmp_path):
    project = _project(tmp_path)
    found = _resolve(project, ["gunicorn", "my_project.wsgi"], pwd.getpwuid(os.getuid()).pw_name)
    assert "exec_missing" not in found
