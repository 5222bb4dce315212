"""gae.* checks on recorded facts (the reference solution on the starter), and the appengine probe's
file readers on real files: app.yaml masking, settings AST, requirements, main.py, .gcloudignore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers.checks.appengine import ignored
from checkers.probe.appengine import (main_py_facts, redact_app_yaml, requirements_facts, sandbox_env, settings_ast,
                                      settings_files)

from tests.helpers.recorded import recorded_facts, step_results


@pytest.fixture
def facts() -> dict:
    return recorded_facts("appengine-good")


def results(course, facts) -> dict:
    return step_results(course, facts, "appengine")


def test_recorded_reference_solution_passes(course, facts):
    found = results(course, facts)
    assert {r.status.value for r in found.values()} == {"passed"}, {k: r.message for k, r in found.items()}


def yaml_text(facts, text):
    facts["appengine"]["app_yaml"]["text"] = text
    return facts


GOOD_YAML = ("runtime: python313\nhandlers:\n- url: /static\n  static_dir: static/\n  secure: always\n"
             "- url: /.*\n  script: auto\n  secure: always\n")
CASES = [
    ("gae.E001", lambda f: f["appengine"]["files"].update({"app.yaml": False}), "failed", "chybí app.yaml"),
    ("gae.E002", lambda f: yaml_text(f, "runtime: [python313\n"), "failed", "není platný YAML"),
    ("gae.E002", lambda f: yaml_text(f, GOOD_YAML.replace("python313", "python39")), "failed", "nepodporuje"),
    ("gae.E002", lambda f: yaml_text(f, GOOD_YAML.replace("python313", "nodejs20")), "failed", "není Python 3"),
    ("gae.E003", lambda f: yaml_text(f, "env: flex\n" + GOOD_YAML), "failed", "flexible"),
    ("gae.E004", lambda f: f["appengine"]["main_py"].update({"defines_app": False}), "failed", "proměnnou app"),
    ("gae.E004", lambda f: yaml_text(f, "entrypoint: gunicorn my_project.wsgi\n" + GOOD_YAML), "failed", "$PORT"),
    ("gae.E004", lambda f: yaml_text(f, "entrypoint: gunicorn -b :$PORT my_project.wsgi\n" + GOOD_YAML), "passed",
     "entrypoint"),
    ("gae.E005", lambda f: yaml_text(f, "entrypoint: gunicorn -b :$PORT my_project.wsgi\n" + GOOD_YAML), "failed",
     "gunicorn"),
    ("gae.E006", lambda f: f["appengine"]["requirements"].update(packages=[{"name": "django"}]), "failed",
     "ovladač PostgreSQL"),
    ("gae.E006", lambda f: f["appengine"]["settings_ast"]["imports"].append("environ"), "failed", "django-environ"),
    ("gae.E007", lambda f: f["appengine"]["files"].update({"Pipfile.lock": True}), "failed", "Pipfile.lock"),
    ("gae.E008", lambda f: yaml_text(f, GOOD_YAML.replace("static_dir: static/", "static_dir: assets/")),
     "failed", "assets/"),
    ("gae.E008", lambda f: yaml_text(f, "runtime: python313\n"), "failed", "nemá handler"),
    ("gae.E009", lambda f: f["django"]["static"].update(root_exists=False), "failed", "neexistuje"),
    ("gae.E010", lambda f: f["appengine"]["settings_ast"].update(secret_key={"kind": "literal", "file": "settings.py",
                                                                             "line": 23}), "failed", "řádku 23"),
    ("gae.E010", lambda f: f["appengine"]["app_yaml"].update(env_names=["SECRET_KEY"]), "failed", "env_variables"),
    ("gae.E011", lambda f: f["appengine"]["settings_ast"].update(password_literals=["settings.py:80"]), "failed",
     "settings.py:80"),
    ("gae.E011", lambda f: f["appengine"]["app_yaml"].update(env_names=["DATABASE_URL"]), "failed", "DATABASE_URL"),
    ("gae.E012", lambda f: f["appengine"]["ignore"].update({".gcloudignore": ["#!include:.gitignore"],
                                                             ".gitignore": ["db.sqlite3"]}), "failed", ".env"),
    ("gae.E012", lambda f: f["appengine"]["ignore"].update({".gcloudignore": ["#!include:.gitignore"],
                                                             ".gitignore": [".env", "*.sqlite3"]}), "passed", ""),
    ("gae.E013", lambda f: f["django"].update(settings_error={"message": "KeyError: 'DJANGO_DEBUG'",
                                                              "file": "settings.py", "line": 30}), "failed",
     "DJANGO_DEBUG"),
    ("gae.E014", lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W018", "level": 30, "msg": "DEBUG", "silenced": False}), "failed", "W018"),
    ("gae.E015", lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W016", "level": 30, "msg": "CSRF", "silenced": False}), "failed", "W016"),
    ("gae.E015", lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W008", "level": 30, "msg": "SSL", "silenced": False}), "passed", ""),  # secure: always
    ("gae.E016", lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W019", "level": 30, "msg": "X_FRAME_OPTIONS", "silenced": False}), "failed", "W019"),
    ("gae.E016", lambda f: f["django"]["deploy_check"]["messages"].append(
        {"id": "security.W021", "level": 30, "msg": "preload", "silenced": False}), "passed", ""),
    ("gae.I001", lambda f: f["django"]["media"].update(root="/srv/x/media"), "passed", "jen pro čtení"),
]


@pytest.mark.parametrize("check_id, change, status, fragment", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_on_changed_facts(course, facts, check_id, change, status, fragment):
    change(facts)
    result = results(course, facts)[check_id]
    assert result.status.value == status, result.message
    assert fragment in result.message


def test_app_yaml_values_of_env_variables_and_secret_keys_are_masked():
    text = ("runtime: python313\nenv_variables:\n  APPENGINE_URL: x.appspot.com\n  SECRET_KEY: 'tajne' # nic\n"
            "  DATABASE_URL: \"postgres://u:heslo@//cloudsql/p:r:i/db\"\n\nvpc_access_connector:\n"
            "  name: projects/p/locations/r/connectors/c\napi_token: abc123\nhandlers:\n- url: /static\n"
            "  static_dir: static/\n")
    redacted, env = redact_app_yaml(text)
    assert env == {"APPENGINE_URL": "x.appspot.com", "SECRET_KEY": "tajne",
                   "DATABASE_URL": "postgres://u:heslo@//cloudsql/p:r:i/db"}
    for secret in ("tajne", "heslo", "x.appspot.com", "abc123"):
        assert secret not in redacted
    import yaml

    parsed = yaml.safe_load(redacted)
    assert parsed["handlers"][0]["static_dir"] == "static/"
    assert parsed["vpc_access_connector"]["name"].startswith("projects/")
    assert sorted(parsed["env_variables"]) == ["APPENGINE_URL", "DATABASE_URL", "SECRET_KEY"]
    flow, env = redact_app_yaml("env_variables: {A: b, SECRET_KEY: c}\n")
    assert env == {"A": "b", "SECRET_KEY": "c"} and "c}" not in flow


def test_settings_ast_sees_literals_env_and_files_never_values(tmp_path):
    package = tmp_path / "web"
    package.mkdir()
    (package / "base.py").write_text("SECRET_KEY = 'django-insecure-abc'\n")
    settings = package / "settings.py"
    settings.write_text('"""Example: postgres://user:password@host/db"""\nimport os\nfrom .base import *\n'
                        "from google.cloud import secretmanager\n"
                        "SECRET_KEY = os.environ['DJANGO_SECRET']\n"
                        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'PASSWORD': 'heslo'}}\n"
                        "URL = 'postgres://u:tajne@db/x'\nDEBUG = os.getenv('DEBUG', '') == '1'\n")
    files = settings_files(str(tmp_path), "web.settings")
    assert [Path(f).name for f in files] == ["settings.py", "base.py"]
    facts = settings_ast(files)
    assert facts["secret_key"] == {"kind": "env", "file": "settings.py", "line": 5}
    assert facts["insecure_literal"] == ["base.py"]
    assert facts["password_literals"] == ["settings.py:6"] and facts["url_literals"] == ["settings.py:7"]
    assert {e["name"]: e["default"] for e in facts["env_reads"]} == {"DJANGO_SECRET": False, "DEBUG": True}
    assert "google.cloud.secretmanager" in facts["imports"]
    assert "heslo" not in json.dumps(facts) and "tajne" not in json.dumps(facts)
    (package / "settings.py").write_text("SECRET_KEY = (BASE_DIR / 'key.txt').read_text()\n")
    assert settings_ast([str(package / "settings.py")])["secret_key"]["kind"] == "file"


def test_sandbox_gives_random_secrets_and_a_database_that_is_not_there(tmp_path):
    env = sandbox_env({"APPENGINE_URL": "x.appspot.com", "GOOGLE_CLOUD_PROJECT": "p"},
                      [{"name": "DJANGO_SECRET", "default": False}, {"name": "DEBUG", "default": True}],
                      str(tmp_path))
    assert len(env["SECRET_KEY"]) == 50 and len(env["DJANGO_SECRET"]) == 50 and env["SECRET_KEY"] != env["DJANGO_SECRET"]
    assert env["DATABASE_URL"].startswith("sqlite:////") and "DEBUG" not in env
    assert "GOOGLE_CLOUD_PROJECT" not in env and env["HOME"] == str(tmp_path)


def test_requirements_main_py_and_ignore_rules(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r base.txt\nDjango_Environ==0.11\npsycopg[binary]>=3.1  # db\n"
                                               "--index-url https://token@example.org/simple\n")
    (tmp_path / "base.txt").write_text("Django==5.2.19\n")
    names = [(p["name"], p["extras"]) for p in requirements_facts(str(tmp_path))["packages"]]
    assert names == [("django", ""), ("django-environ", ""), ("psycopg", "binary")]
    (tmp_path / "main.py").write_text("from mysite.wsgi import application as app\n")
    assert main_py_facts(str(tmp_path / "main.py"))["defines_app"]
    (tmp_path / "main.py").write_text("import mysite.wsgi\napplication = mysite.wsgi.application\n")
    assert not main_py_facts(str(tmp_path / "main.py"))["defines_app"]
    assert ignored(".env", [".env"]) and ignored("db.sqlite3", ["*.sqlite3"]) and ignored("db.sqlite3", ["/db.sqlite3"])
    assert not ignored(".env", ["*.env", "!.env"]) and not ignored(".env", ["venv/"])
