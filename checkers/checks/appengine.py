"""Bonus step `appengine`: a Django project ready for Google App Engine (standard environment).

Facts from the probe profile "appengine" (checkers/probe/appengine.py): facts['appengine'] (the
files: app.yaml as masked text, main.py, requirements, ignore files, settings AST) and
facts['django'] (the project's own Django, run with production-like settings in a sandbox).
app.yaml is parsed here with PyYAML (pure: the same text always gives the same result).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from functools import lru_cache

import yaml

from checkers.checks.base import Check, failed, passed, unknown, word
from checkers.checks.common import collectstatic_outcome, settings_problem
from checkers.factsview import Facts, fallback

MIN_RUNTIME = 310  # python39 and older are end of life: new deploys are refused
RUNTIME_RE = re.compile(r"^python3(\d{1,2})$")
SERVERS = ("gunicorn", "uvicorn", "waitress", "uwsgi", "daphne", "hypercorn")
DRIVERS = ("psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary", "psycopg-c", "pg8000", "asyncpg")
IMPORT_PACKAGES = {"environ": "django-environ", "google.cloud.secretmanager": "google-cloud-secret-manager",
                   "dj_database_url": "dj-database-url", "decouple": "python-decouple"}
LESSON_IDS = ("security.W009", "security.W018", "security.W020")
HTTPS_IDS = ("security.W004", "security.W008", "security.W012", "security.W016")
NOT_REQUIRED = ("security.W005", "security.W021")  # HSTS includeSubDomains/preload: appspot.com is shared
WARNING = 30
DB_NAME_WORDS = ("DATABASE", "PASSWORD", "PASSWD", "DB_PASS")


def _gae(facts: dict) -> dict:
    return Facts(facts).appengine


@lru_cache(maxsize=32)
def _parse(text: str):
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = word("yaml_line", line=mark.line + 1) if mark else ""
        return None, f"{getattr(exc, 'problem', None) or exc}{where}"


def app_yaml(facts: dict) -> tuple[dict | None, str | None]:
    text = Facts(facts).appengine.app_yaml.text
    if text is None:
        return None, "missing"
    data, error = _parse(text)
    if error:
        return None, error
    if not isinstance(data, dict):
        return None, word("app_yaml_not_mapping")
    return data, None


def handlers(data: dict) -> list:
    return [h for h in (data.get("handlers") or []) if isinstance(h, dict)]


def packages(facts: dict) -> dict:
    return {p["name"]: p for p in Facts(facts).appengine.requirements.packages or []}


# ----------------------------------------------------------------------------- checks
def project_ready(facts: dict):
    gae = _gae(facts)
    if not gae:
        return unknown("no_facts")
    if not gae.get("exists"):
        return failed("missing_dir", project=gae.get("project_dir", "?"))
    files = gae.get("files", {})
    if not files.get("manage.py"):
        return failed("no_manage", project=gae["project_dir"])
    if not files.get("app.yaml"):
        return failed("no_app_yaml", project=gae["project_dir"])
    return passed(project=gae["project_dir"])


def runtime(facts: dict):
    data, error = app_yaml(facts)
    if error:
        return failed("invalid", error=error)
    value = str(data.get("runtime") or "")
    if not value:
        return failed("no_runtime")
    match = RUNTIME_RE.match(value)
    if not match:
        return failed("not_python", runtime=value)
    if int("3" + match.group(1)) < MIN_RUNTIME:
        return failed("eol", runtime=value)
    return passed(runtime=value)


def standard_environment(facts: dict):
    data, _ = app_yaml(facts)
    env = str((data or {}).get("env") or "standard")
    if env in ("flex", "flexible"):
        return failed(env=env)
    return passed()


def _entrypoint(facts: dict) -> str:
    data, _ = app_yaml(facts)
    return str((data or {}).get("entrypoint") or "").strip()


def entrypoint(facts: dict):
    command = _entrypoint(facts)
    if command:
        if "$PORT" not in command and "${PORT}" not in command:
            return failed("no_port", entrypoint=command)
        return passed("entrypoint", entrypoint=command)
    main = Facts(facts).appengine.main_py
    if not main.get("exists"):
        return failed("no_main")
    if main.get("syntax_error"):
        return failed("main_syntax", error=main["syntax_error"])
    if not main.get("defines_app"):
        return failed("no_app")
    return passed("main", source=main.get("app_from") or "app")


def server_in_requirements(facts: dict):
    command = _entrypoint(facts)
    if not command:
        return passed("default")
    used = next((s for s in SERVERS if s in command.split()[0] or command.split()[0].endswith("/" + s)), None)
    if used is None:
        return passed("other", entrypoint=command)
    if not fallback(Facts(facts).appengine.requirements.exists, False):
        return failed("no_requirements", server=used)
    if used not in packages(facts):
        return failed(server=used)
    return passed("present", server=used)


def requirements(facts: dict):
    if not fallback(Facts(facts).appengine.requirements.exists, False):
        return failed("missing")
    present = packages(facts)
    if "django" not in present:
        return failed("no_django")
    if not any(d in present for d in DRIVERS):
        return failed("no_driver")
    imports = Facts(facts).appengine.settings_ast.imports or []
    missing = sorted({pkg for module, pkg in IMPORT_PACKAGES.items()
                      if any(i == module or i.startswith(module + ".") for i in imports) and pkg not in present})
    if missing:
        return failed("missing_import", packages=", ".join(missing))
    driver = next(d for d in DRIVERS if d in present)
    return passed(driver=driver)


def no_pipfile(facts: dict):
    files = Facts(facts).appengine.files
    found = [name for name in ("Pipfile", "Pipfile.lock") if files.get(name)]
    if found:
        return failed(files=", ".join(found))
    return passed()


def _static_url(facts: dict) -> str:
    url = Facts(facts).django.static.url or "/static/"
    if "://" in url:
        return url
    return "/" + url.strip("/")


def _relative_root(facts: dict, root: str) -> str:
    project = fallback(Facts(facts).appengine.project_dir, "")
    if os.path.isabs(root) and project:
        root = os.path.relpath(root, project)
    return posixpath.normpath(root.replace(os.sep, "/"))


def static_handler(facts: dict):
    data, _ = app_yaml(facts)
    root = Facts(facts).django.static.root
    if not root:
        return failed("no_static_root")
    url = _static_url(facts)
    wanted = _relative_root(facts, root)
    found = [h for h in handlers(data or {}) if str(h.get("url", "")).rstrip("/") == url.rstrip("/")]
    if not found:
        return failed("no_handler", url=url, root=wanted)
    static_dir = found[0].get("static_dir")
    if not static_dir:
        return failed("not_static_dir", url=url, root=wanted)
    have = posixpath.normpath(str(static_dir))
    if have.startswith("../") or have != wanted:
        return failed("mismatch", static_dir=static_dir, root=wanted)
    return passed(url=url, static_dir=static_dir)


def collected(facts: dict):
    return collectstatic_outcome(facts, lambda root: _relative_root(facts, root))


def _yaml_secret_names(facts: dict, words) -> list:
    return [n for n in Facts(facts).appengine.app_yaml.env_names or [] if any(w in n.upper() for w in words)]


def secret_key(facts: dict):
    ast_facts = Facts(facts).appengine.settings_ast
    if ast_facts.get("insecure_literal"):
        return failed("insecure", files=", ".join(ast_facts["insecure_literal"]))
    key = ast_facts.get("secret_key") or {}
    if key.get("kind") == "literal":
        return failed("literal", file=key.get("file", "?"), line=key.get("line", "?"))
    in_yaml = _yaml_secret_names(facts, ("SECRET", "KEY", "TOKEN"))
    if in_yaml:
        return failed("in_app_yaml", names=", ".join(in_yaml))
    if key.get("kind") == "missing":
        return failed("missing")
    return passed(key.get("kind", "other"))


def database_credentials(facts: dict):
    ast_facts = Facts(facts).appengine.settings_ast
    if ast_facts.get("password_literals"):
        return failed("password_literal", where=", ".join(ast_facts["password_literals"][:3]))
    if ast_facts.get("url_literals"):
        return failed("url_literal", where=", ".join(ast_facts["url_literals"][:3]))
    in_yaml = _yaml_secret_names(facts, DB_NAME_WORDS)
    if in_yaml:
        return failed("in_app_yaml", names=", ".join(in_yaml))
    return passed("env" if ast_facts.get("env_db") else "no_password")


def ignore_patterns(facts: dict) -> list[str]:
    ignore = (facts.get("appengine") or {}).get("ignore") or {}
    own = ignore.get(".gcloudignore") or []
    patterns = []
    for line in own:
        text = line.strip()
        if text == "#!include:.gitignore":
            patterns += [g.strip() for g in ignore.get(".gitignore") or []]
        elif text:
            patterns.append(text)
    return [p for p in patterns if p and not p.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """gitignore-style: the last matching pattern wins; a pattern without / matches any level."""
    result = False
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.rstrip("/")
        if body.startswith("/"):
            hit = fnmatch.fnmatchcase(path, body[1:])
        elif "/" in body:
            hit = fnmatch.fnmatchcase(path, body) or fnmatch.fnmatchcase(path, "*/" + body)
        else:
            hit = fnmatch.fnmatchcase(name, body)
        if hit:
            result = not negate
    return result


def gcloudignore(facts: dict):
    ignore = (facts.get("appengine") or {}).get("ignore") or {}
    if ignore.get(".gcloudignore") is None:
        return failed("missing")
    patterns = ignore_patterns(facts)
    leaks = [p for p in [".env"] if not ignored(p, patterns)]
    databases = list(dict.fromkeys(["db.sqlite3"] + (Facts(facts).appengine.local_databases or [])))
    leaks += [p for p in databases if not ignored(p, patterns)]
    if leaks:
        return failed("uploads", files=", ".join(leaks))
    return passed()


def settings_load(facts: dict):
    app = facts.get("app") or {}
    if not app.get("interpreter"):
        return failed("no_venv", project=app.get("project_dir", "?"))
    problem = settings_problem(facts)
    if problem:
        return problem
    return passed(module=fallback(Facts(facts).django.settings_module, "?"))


def _messages(facts: dict) -> list:
    return Facts(facts).django.deploy_check.messages or []


def deploy_lesson(facts: dict):
    check = Facts(facts).django.deploy_check
    if "error" in check:
        return failed("error", error=fallback(check.error.message, "?"))
    present = [m["id"] for m in _messages(facts) if m["id"] in LESSON_IDS]
    if present:
        return failed(ids=", ".join(present))
    return passed()


def _secure_always(facts: dict) -> bool:
    data, _ = app_yaml(facts)
    found = handlers(data or {})
    return bool(found) and all(str(h.get("secure", "")).lower() == "always" for h in found)


def deploy_https(facts: dict):
    present = [m["id"] for m in _messages(facts) if m["id"] in HTTPS_IDS]
    if "security.W008" in present and _secure_always(facts):
        present.remove("security.W008")
    if present:
        return failed(ids=", ".join(present))
    return passed()


def deploy_other(facts: dict):
    others = [m for m in _messages(facts) if m["id"] not in LESSON_IDS + HTTPS_IDS + NOT_REQUIRED
              and m["level"] >= WARNING and not m.get("silenced")]
    if others:
        return failed(ids=", ".join(m["id"] for m in others),
                      messages="; ".join(f"{m['id']}: {m['msg']}" for m in others[:3]))
    return passed()


def media_note(facts: dict):
    root = Facts(facts).django.media.root
    if root:
        return passed("local", root=root)
    return passed("none")


CHECKS = (
    Check("gae.E001", project_ready),
    Check("gae.E002", runtime, requires=("gae.E001",)),
    Check("gae.E003", standard_environment, requires=("gae.E002",)),
    Check("gae.E004", entrypoint, requires=("gae.E002",)),
    Check("gae.E005", server_in_requirements, requires=("gae.E004",)),
    Check("gae.E006", requirements, requires=("gae.E001",)),
    Check("gae.E007", no_pipfile, requires=("gae.E001",)),
    Check("gae.E008", static_handler, requires=("gae.E002", "gae.E013")),
    Check("gae.E009", collected, requires=("gae.E008",)),
    Check("gae.E010", secret_key, requires=("gae.E001",)),
    Check("gae.E011", database_credentials, requires=("gae.E001",)),
    Check("gae.E012", gcloudignore, requires=("gae.E001",)),
    Check("gae.E013", settings_load, requires=("gae.E001",)),
    Check("gae.E014", deploy_lesson, requires=("gae.E013",)),
    Check("gae.E015", deploy_https, requires=("gae.E013",)),
    Check("gae.E016", deploy_other, requires=("gae.E013",)),
    Check("gae.I001", media_note, requires=("gae.E013",)),
)
