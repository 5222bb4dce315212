"""The real CLI with --target local against real Django 5.2 projects made by the tests."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.django_project import RANDOM_KEY, make_django_project, manage

GOOD = dict(debug=False, allowed_hosts=["127.0.0.1", "localhost"], secret="file",
            static_root="BASE_DIR / 'static'", media_root="BASE_DIR / 'media'", git=True)


def check(home, project, step, *extra, env=None):
    return run_cli("--target", "local", "--project", str(project), "--json", step, *extra, home=home, env=env)


def test_step0_passes_on_a_working_project(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p")
    result = check(checkers_home, project, "step0")
    assert result.rc == 0, result.stderr
    assert set(result.statuses().values()) == {"passed"}
    assert result.json["schema"] == 1 and result.json["step"] == "step0" and result.json["target"] == "local"


def test_debug_on_fails_and_off_passes(tmp_path, checkers_home):
    on = check(checkers_home, make_django_project(tmp_path / "on", debug=True), "step1")
    off = check(checkers_home, make_django_project(tmp_path / "off", debug=False), "1")
    assert on.rc == 1 and on.statuses() == {"django.E001": "failed"}
    assert off.rc == 0 and off.statuses() == {"django.E001": "passed"}


@pytest.mark.parametrize("hosts, expected", [([], "failed"), (["*"], "failed"), (["127.0.0.1"], "passed")])
def test_allowed_hosts(tmp_path, checkers_home, hosts, expected):
    result = check(checkers_home, make_django_project(tmp_path / "p", allowed_hosts=hosts), "step2")
    assert result.statuses() == {"django.E002": expected}
    assert result.rc == (0 if expected == "passed" else 1)


def test_static_root_missing_then_collected_then_outdated(tmp_path, checkers_home):
    missing = check(checkers_home, make_django_project(tmp_path / "a"), "step3")
    assert missing.statuses() == {"static.E001": "failed", "static.E002": "skipped", "static.E003": "skipped"}

    project = make_django_project(tmp_path / "b", static_root="BASE_DIR / 'static'",
                                  extra="STATICFILES_DIRS = [BASE_DIR / 'assets']\n")
    (project / "assets").mkdir()
    (project / "assets" / "styl.css").write_text("body { color: navy; }\n")
    not_collected = check(checkers_home, project, "step3")
    assert not_collected.statuses()["static.E003"] == "failed"

    manage(project, "collectstatic", "--noinput")
    collected = check(checkers_home, project, "step3")
    assert collected.rc == 0, collected.stdout

    later = time.time() + 60
    os.utime(project / "assets" / "styl.css", (later, later))
    outdated = check(checkers_home, project, "step3")
    assert outdated.statuses()["static.E003"] == "failed"
    assert "styl.css" in next(c["message"] for c in outdated.json["checks"] if c["id"] == "static.E003")


def test_static_root_colliding_with_staticfiles_dirs_is_explained(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", static_root="BASE_DIR / 'static'",
                                  staticfiles_dirs="[BASE_DIR / 'static']")
    (project / "static").mkdir()
    result = check(checkers_home, project, "step3")
    assert result.statuses()["static.E002"] == "failed"
    assert result.statuses()["static.E003"] == "skipped"
    hint = next(c["hint"] for c in result.json["checks"] if c["id"] == "static.E002")
    assert "staticfiles" in hint


def test_media_root(tmp_path, checkers_home):
    unset = check(checkers_home, make_django_project(tmp_path / "a", extra="MEDIA_URL = 'media/'\n"), "step4")
    assert unset.statuses()["media.E001"] == "failed"

    inside = make_django_project(tmp_path / "b", static_root="BASE_DIR / 'static'",
                                 media_root="BASE_DIR / 'static' / 'uploads'", extra="MEDIA_URL = 'media/'\n")
    assert check(checkers_home, inside, "step4").statuses()["media.E001"] == "failed"

    good = make_django_project(tmp_path / "c", media_root="BASE_DIR / 'media'", extra="MEDIA_URL = 'media/'\n")
    missing_dir = check(checkers_home, good, "step4")
    assert missing_dir.statuses() == {"media.E001": "passed", "media.E002": "failed", "media.E003": "passed"}
    (good / "media").mkdir()
    assert check(checkers_home, good, "step4").rc == 0


def test_secret_key_default_short_versioned_and_good(tmp_path, checkers_home):
    default = check(checkers_home, make_django_project(tmp_path / "a", git=True), "step5")
    assert default.statuses()["secret.E001"] == "failed"
    assert default.statuses()["secret.E003"] == "failed"  # the startproject key is in settings.py, in git

    short = check(checkers_home, make_django_project(tmp_path / "b", secret="short"), "step5")
    assert short.statuses()["secret.E002"] == "failed"

    versioned = check(checkers_home, make_django_project(tmp_path / "c", secret="literal", git=True), "step5")
    assert versioned.statuses() == {"secret.E001": "passed", "secret.E002": "passed", "secret.E003": "failed"}

    good = check(checkers_home, make_django_project(tmp_path / "d", secret="file", git=True), "step5")
    assert good.rc == 0, good.stdout

    # Before a systemd unit exists there is no "app environment": a key read only from the
    # environment makes the settings fail to load, and the checks say so.
    from_env = check(checkers_home, make_django_project(tmp_path / "e", secret="env", git=True), "step5")
    assert from_env.rc == 1
    assert "DJANGO_SECRET_KEY" in from_env.json["checks"][0]["message"]


def test_secret_values_never_leave_the_target(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", secret="literal", git=True)
    result = check(checkers_home, project, "all", "--save-facts", str(tmp_path / "facts.json"))
    everything = result.stdout + result.stderr + (tmp_path / "facts.json").read_text()
    for path in checkers_home.rglob("*"):
        if path.is_file():
            everything += path.read_text(errors="replace")
    assert RANDOM_KEY not in everything
    assert "secret.E003" in result.stdout  # the check ran and looked at the key


def test_check_deploy(tmp_path, checkers_home):
    good = check(checkers_home, make_django_project(tmp_path / "a", **GOOD), "step6")
    assert good.statuses() == {"deploy.E001": "passed", "deploy.E002": "passed", "deploy.E003": "passed",
                               "deploy.I001": "passed"}
    assert good.rc == 0

    lesson_open = check(checkers_home, make_django_project(tmp_path / "b"), "step6")
    assert lesson_open.statuses()["deploy.E002"] == "failed"

    other = check(checkers_home, make_django_project(tmp_path / "c", **{**GOOD, "git": False},
                                                     extra="X_FRAME_OPTIONS = 'SAMEORIGIN'\n"), "step6")
    assert other.statuses()["deploy.E003"] == "failed"
    assert "security.W019" in next(c["message"] for c in other.json["checks"] if c["id"] == "deploy.E003")

    silenced = check(checkers_home, make_django_project(
        tmp_path / "d", **{**GOOD, "debug": True, "git": False},
        extra="SILENCED_SYSTEM_CHECKS = ['security.W018']\n"), "step6")
    assert silenced.statuses()["deploy.E002"] == "failed"


def test_settings_that_raise_block_the_affected_checks_with_the_last_line(tmp_path, checkers_home):
    """Step 1 itself is not wrong when the settings do not load: it cannot be verified until step 0
    is fixed, and its line says so with the settings' own error (exit 1: something to fix)."""
    project = make_django_project(tmp_path / "p", extra="raise RuntimeError('rozbite nastaveni')\n")
    result = check(checkers_home, project, "step1")
    assert result.rc == 1
    assert result.statuses() == {"django.E001": "unverified"}
    assert "RuntimeError: rozbite nastaveni" in result.json["checks"][0]["message"]
    assert "krok 0" in result.json["checks"][0]["message"]
    assert result.json["steps"][0]["status"] == "unverified"


def test_project_option_pointing_to_no_django_project_is_a_clear_error(tmp_path, checkers_home):
    empty = tmp_path / "prazdny"
    empty.mkdir()
    result = check(checkers_home, empty, "step1")
    assert result.rc == 2
    assert "manage.py" in result.json["error"]["message"]
    assert "Traceback" not in result.stdout + result.stderr


def test_target_without_python3(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p")
    result = check(checkers_home, project, "step1", env={"PATH": str(tmp_path / "nic")})
    assert result.rc == 2
    assert "python3" in result.json["error"]["message"]


def test_list_json_and_unknown_inputs(tmp_path, checkers_home):
    listing = run_cli("list", "--json", home=checkers_home)
    assert listing.rc == 0
    steps = listing.json["steps"]
    assert [s["id"] for s in steps if not s["optional"]] == [f"step{i}" for i in range(12)]
    assert all(set(s) >= {"id", "title", "points", "checks"} for s in steps)

    unknown_step = run_cli("step99", home=checkers_home)
    assert unknown_step.rc == 2 and "step99" in unknown_step.stderr and "Traceback" not in unknown_step.stderr
    unknown_scheme = run_cli("--target", "ftp://stroj", "step1", home=checkers_home)
    assert unknown_scheme.rc == 2 and "ftp://stroj" in unknown_scheme.stderr
    bad_option = run_cli("--nesmysl", home=checkers_home)
    assert bad_option.rc == 2 and "Neplatné parametry" in bad_option.stderr


def test_progress_is_recorded_and_a_corrupt_state_is_kept_aside(tmp_path, checkers_home):
    project = make_django_project(tmp_path / "p", debug=False)
    assert check(checkers_home, project, "step1").rc == 0
    state = json.loads((checkers_home / "state.json").read_text())
    assert state["steps"]["step1"]["status"] == "passed" and state["steps"]["step1"]["points"] == 1
    (checkers_home / "state.json").write_text("{ tohle neni json")
    again = check(checkers_home, project, "step1")
    assert again.rc == 0
    kept = list(checkers_home.glob("state.json.poskozeny-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{ tohle neni json"
    assert "poškozený" in again.stderr
    attempts = (checkers_home / "attempts.jsonl").read_text().splitlines()
    assert len(attempts) == 2


def test_hints_are_revealed_one_tier_at_a_time(checkers_home):
    first = run_cli("hint", "step3", "--json", home=checkers_home)
    assert first.rc == 0 and first.json["revealed"] == 1 and len(first.json["hints"]) == 1
    second = run_cli("hint", "3", "--more", "--json", home=checkers_home)
    assert second.json["revealed"] == 2
    again = run_cli("hint", "step3", "--json", home=checkers_home)
    assert again.json["revealed"] == 2
