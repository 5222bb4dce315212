"""`python -m checkers --target local --profile appengine appengine` on sample projects: the starter
prepared by the reference solution (solutions/appengine.sh) passes; each classic mistake made on
a copy of it fails exactly the check that is about it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.django_project import shared_venv
from tests.helpers.servers import STARTER

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "exercises" / "solutions" / "appengine.sh"


def check(home, project, *args):
    return run_cli("--target", "local", "--project", str(project), "--profile", "appengine", "appengine", "--json",
                   *args, home=home)


@pytest.fixture(scope="module")
def good_project(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("gae") / "projekt"
    shutil.copytree(STARTER, project, ignore=shutil.ignore_patterns("__pycache__", ".venv", "db.sqlite3"))
    (project / ".venv").symlink_to(shared_venv())
    subprocess.run(["bash", str(SOLUTION), str(project)], check=True, capture_output=True, text=True)
    return project


@pytest.fixture
def project(good_project, tmp_path) -> Path:
    copy = tmp_path / "projekt"
    shutil.copytree(good_project, copy, symlinks=True)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def not_passed(result) -> dict:
    return {c["id"]: c["status"] for c in result.json["checks"] if c["status"] != "passed"}


def test_reference_solution_passes(good_project, checkers_home, tmp_path):
    facts_file = tmp_path / "facts.json"
    result = check(checkers_home, good_project, "--save-facts", str(facts_file))
    assert result.rc == 0, not_passed(result)
    assert len(result.json["checks"]) == 17
    facts = facts_file.read_text()
    assert '"profile": "appengine"' in facts
    assert json.loads(facts)["appengine"]["app_yaml"]["text"].count("«skryto»") == 1  # env_variables values


def test_works_from_the_project_directory_with_a_relative_path(good_project, checkers_home):
    result = run_cli("--target", "local", "--project", ".", "--profile", "appengine", "appengine", "--json",
                     home=checkers_home, cwd=good_project, env={"PYTHONPATH": str(REPO)})
    assert result.rc == 0, not_passed(result)


def _yaml(p):
    return p / "app.yaml"


def _settings(p):
    return p / "my_project" / "settings.py"


MISTAKES = {
    "no app.yaml": (lambda p: _yaml(p).unlink(), {"gae.E001"}),
    "broken yaml": (lambda p: edit(_yaml(p), "handlers:\n", "handlers:\n\t- url: /x\n"), {"gae.E002"}),
    "python39": (lambda p: edit(_yaml(p), "python313", "python39"), {"gae.E002"}),
    "flexible": (lambda p: edit(_yaml(p), "runtime: python313\n", "runtime: python313\nenv: flex\n"), {"gae.E003"}),
    "no main.py": (lambda p: (p / "main.py").unlink(), {"gae.E004"}),
    "main.py without app": (lambda p: edit(p / "main.py", "app = application", "aplikace = application"),
                            {"gae.E004"}),
    "entrypoint without gunicorn": (
        lambda p: edit(_yaml(p), "runtime: python313\n",
                       "runtime: python313\nentrypoint: gunicorn -b :$PORT my_project.wsgi\n"), {"gae.E005"}),
    "no postgres driver": (lambda p: edit(p / "requirements.txt", "psycopg2-binary==2.9.13\n", ""), {"gae.E006"}),
    "secretmanager not in requirements": (
        lambda p: edit(p / "requirements.txt", "google-cloud-secret-manager==2.26.0\n", ""), {"gae.E006"}),
    "Pipfile": (lambda p: (p / "Pipfile").write_text("[packages]\ndjango = '*'\n"), {"gae.E007"}),
    "static_dir elsewhere": (lambda p: edit(_yaml(p), "static_dir: static/", "static_dir: staticfiles/"),
                             {"gae.E008"}),
    "collectstatic not run": (lambda p: shutil.rmtree(p / "static"), {"gae.E009"}),
    "SECRET_KEY literal": (lambda p: edit(_settings(p), "SECRET_KEY = os.environ['SECRET_KEY']",
                                          "SECRET_KEY = 'q8#v0z!r3m@k7w2j$e5t9y1u4i6o8p0a2s4d6f8g0h2j4k6l8z0x'"),
                           {"gae.E010"}),
    "SECRET_KEY in app.yaml": (lambda p: edit(_yaml(p), "env_variables:\n",
                                              "env_variables:\n  SECRET_KEY: 'tajne-v-app-yaml'\n"), {"gae.E010"}),
    "password in settings": (lambda p: edit(_settings(p), "'PASSWORD': unquote(parts.password or '')",
                                            "'PASSWORD': 'heslo123'"), {"gae.E011"}),
    "no .gcloudignore": (lambda p: (p / ".gcloudignore").unlink(), {"gae.E012"}),
    ".env uploaded": (lambda p: edit(p / ".gcloudignore", ".env\n", ""), {"gae.E012"}),
    "settings need a variable": (lambda p: edit(_settings(p), "DEBUG = os.environ.get('DEBUG') == '1'",
                                                "DEBUG = os.environ['DJANGO_DEBUG'] == '1'"), {"gae.E013"}),
    "DEBUG on by default": (lambda p: edit(_settings(p), "DEBUG = os.environ.get('DEBUG') == '1'",
                                           "DEBUG = os.environ.get('DEBUG', '1') == '1'"), {"gae.E014"}),
    "no HTTPS settings": (lambda p: edit(_settings(p), "    SECURE_HSTS_SECONDS = 3600\n", ""), {"gae.E015"}),
    "X-Frame-Options SAMEORIGIN": (lambda p: _settings(p).write_text(
        _settings(p).read_text() + "X_FRAME_OPTIONS = 'SAMEORIGIN'\n"), {"gae.E016"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_mistake_fails_its_check(project, checkers_home, mistake):
    change, expected = MISTAKES[mistake]
    change(project)
    result = check(checkers_home, project)
    assert result.rc == 1, result.stdout + result.stderr
    failed = {k for k, v in not_passed(result).items() if v == "failed"}
    assert failed == expected, not_passed(result)
    assert "tajne-v-app-yaml" not in result.stdout


def test_not_a_django_project_is_an_input_error(tmp_path, checkers_home):
    result = check(checkers_home, tmp_path)
    assert result.rc == 2
    assert "manage.py" in result.json["error"]["message"]
