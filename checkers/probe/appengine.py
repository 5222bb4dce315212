"""Profile "appengine": a Django project prepared for Google App Engine standard, from its files.

Runs where the project is (usually `--target local`). Reads app.yaml (as text, with the values
of env_variables and of secret-looking keys masked: the host parses it with PyYAML), main.py,
requirements.txt, .gcloudignore/.gitignore and the settings module (AST only: whether SECRET_KEY
and database credentials are literals, never the values). Then runs the project's Django in a
sandbox with production-like settings (the way App Engine runs it, without any Google service):
a random SECRET_KEY, DATABASE_URL pointing at a SQLite file that does not exist, no
GOOGLE_CLOUD_PROJECT, app.yaml's env_variables, a throw-away HOME; the same inspection as on the
course VM gives `check --deploy`, STATIC_ROOT and collectstatic's state.
"""

from __future__ import annotations

import ast
import os
import random
import re
import shutil
import string
import tempfile

from checkers.probe import app as app_mod
from checkers.probe.runtime import read_text
from checkers.probe.systemd import is_secret_name

MASK = "«skryto»"
FILES = ("app.yaml", "main.py", "requirements.txt", "Pipfile", "Pipfile.lock", ".gcloudignore", ".gitignore", ".env",
         "manage.py")
LOCAL_DB_SUFFIXES = (".sqlite3", ".sqlite", ".db")
MAX_LINES = 300
KEY_RE = re.compile(r"""^(\s*)(-\s+)?(["']?)([^\s:#"'][^:#"']*?)\3\s*:(\s+(.*))?$""")
REQ_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
ENV_FUNCS = ("env", "config", "getenv")  # django-environ's env(...), python-decouple's config(...)


def random_key(length: int = 50) -> str:
    chars = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    rng = random.SystemRandom()
    return "".join(rng.choice(chars) for _ in range(length))


def _unquote(value: str) -> str:
    """A YAML scalar as written on one line: quotes removed, a trailing # comment dropped."""
    value = value.strip()
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return value.split(" #", 1)[0].strip()


def redact_app_yaml(text: str) -> tuple:
    """(text with env_variables values and secret-looking values masked, private env dict)."""
    out, env = [], {}
    env_indent = None
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if env_indent is not None and stripped and not stripped.startswith("#") and indent <= env_indent:
            env_indent = None
        match = KEY_RE.match(line)
        if not match:
            out.append(line)
            continue
        lead, dash, _, key, _, value = match.groups()
        value = value or ""
        prefix = lead + (dash or "")
        if env_indent is not None:
            if value.strip():
                env[key] = _unquote(value)
                line = '%s%s: "%s"' % (prefix, key, MASK)
        elif key == "env_variables":
            flow = value.strip()
            if flow.startswith("{"):
                names = []
                for item in flow.strip("{} ").split(","):
                    name, sep, val = item.partition(":")
                    if sep and name.strip():
                        env[_unquote(name)] = _unquote(val)
                        names.append('%s: "%s"' % (_unquote(name), MASK))
                line = "%senv_variables: {%s}" % (prefix, ", ".join(names))
            elif not flow or flow.startswith("#"):
                env_indent = indent
        elif is_secret_name(key) and value.strip() and not value.strip().startswith("#"):
            line = '%s%s: "%s"' % (prefix, key, MASK)
        out.append(line)
    return "\n".join(out) + "\n", env


def main_py_facts(path: str) -> dict:
    source = read_text(path)
    if source is None:
        return {"exists": False}
    facts = {"exists": True, "defines_app": False, "app_from": None}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        facts["syntax_error"] = "%s (řádek %s)" % (exc.msg, exc.lineno)
        return facts
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets):
            facts["defines_app"] = True
            facts["app_from"] = ast.unparse(node.value)[:200] if hasattr(ast, "unparse") else "?"
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == "app":
                    facts["defines_app"] = True
                    facts["app_from"] = "%s.%s" % (node.module or "", alias.name)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == "app":
            facts["defines_app"] = True
            facts["app_from"] = "def app"
    return facts


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_facts(project: str, name: str = "requirements.txt", depth: int = 0) -> dict:
    text = read_text(os.path.join(project, name))
    if text is None:
        return {"exists": False, "packages": []}
    packages, includes = [], []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")) and depth < 2:
            included = line.split(None, 1)[1].strip()
            includes.append(included)
            packages += requirements_facts(project, os.path.join(os.path.dirname(name), included), depth + 1)["packages"]
            continue
        if line.startswith("-") or "://" in line.split("@")[0]:
            continue
        match = REQ_NAME_RE.match(line.split(";")[0].split(" @ ")[0])
        if match:
            packages.append({"name": normalize(match.group(1)), "extras": (match.group(2) or "").strip("[]"),
                             "spec": match.group(3).strip()[:60]})
    return {"exists": True, "packages": packages, "includes": includes}


def lines_of(path: str) -> list | None:
    text = read_text(path)
    if text is None:
        return None
    return [line.rstrip() for line in text.splitlines()][:MAX_LINES]


# ----------------------------------------------------------------------------- settings (AST)
def _call_name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return "%s.%s" % (_call_name(func.value), func.attr)
    return ""


def env_reads(tree) -> list:
    """Environment variables the settings read: [{name, default}] (names only)."""
    found = {}
    for node in ast.walk(tree):
        name, has_default = None, False
        if isinstance(node, ast.Subscript) and _call_name(node.value) in ("os.environ", "environ"):
            key = node.slice
            if type(key).__name__ == "Index":  # Python < 3.9 wraps subscripts
                key = key.value
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                name = key.value
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            called = _call_name(node.func)
            last = called.rsplit(".", 1)[-1]
            if called in ("os.environ.get", "os.getenv", "environ.get", "getenv") or called in ENV_FUNCS or (
                    called.startswith("env.") and last in ("str", "bool", "int", "float", "list", "db", "db_url",
                                                            "url", "json")):
                name = node.args[0].value
                has_default = len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)
        if name:
            entry = found.setdefault(name, {"name": name, "default": has_default})
            entry["default"] = entry["default"] and has_default
    return sorted(found.values(), key=lambda e: e["name"])


def _reads_environment(node) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Subscript) and _call_name(sub.value) in ("os.environ", "environ"):
            return True
        if isinstance(sub, ast.Call):
            called = _call_name(sub.func)
            if called in ("os.environ.get", "os.getenv", "getenv") or called in ENV_FUNCS or called.startswith("env."):
                return True
            if "secret" in called.lower():
                return True
    return False


def _reads_file(node) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _call_name(sub.func).rsplit(".", 1)[-1] in ("read_text", "read", "open"):
            return True
    return False


URL_WITH_PASSWORD = re.compile(r"^(postgres|postgresql|pgsql|mysql)://[^:/@\s]+:[^@\s]+@")


def settings_ast(paths: list) -> dict:
    facts = {"files": [], "secret_key": {"kind": "missing"}, "insecure_literal": [], "password_literals": [],
             "url_literals": [], "engines": [], "env_db": False, "env_reads": [], "imports": []}
    reads = {}
    for path in paths:
        source = read_text(path)
        if source is None:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            facts.setdefault("syntax_errors", []).append("%s: %s (řádek %s)" % (os.path.basename(path), exc.msg,
                                                                                 exc.lineno))
            continue
        facts["files"].append(path)
        base = os.path.basename(path)
        for entry in env_reads(tree):
            reads.setdefault(entry["name"], entry)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if node.value.startswith("django-insecure-") and base not in facts["insecure_literal"]:
                    facts["insecure_literal"].append(base)
                if URL_WITH_PASSWORD.match(node.value):
                    facts["url_literals"].append("%s:%s" % (base, node.lineno))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "PASSWORD" and isinstance(value, ast.Constant) \
                            and isinstance(value.value, str) and value.value:
                        facts["password_literals"].append("%s:%s" % (base, value.lineno))
                    if isinstance(key, ast.Constant) and key.value == "ENGINE" and isinstance(value, ast.Constant):
                        facts["engines"].append(str(value.value))
            elif isinstance(node, ast.Call):
                called = _call_name(node.func)
                if called.endswith((".db", ".db_url")) or "dj_database_url" in called:
                    facts["env_db"] = True
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                names = [module] if module else [a.name for a in node.names]
                if isinstance(node, ast.ImportFrom) and module in ("google.cloud",):
                    names = ["google.cloud.%s" % a.name for a in node.names]
                for name in names:
                    if name and name not in facts["imports"]:
                        facts["imports"].append(name)
        for node in tree.body if facts["secret_key"]["kind"] == "missing" else []:  # the settings module wins
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SECRET_KEY"
                                                    for t in node.targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    kind = "literal"
                elif isinstance(value, ast.JoinedStr):
                    kind = "literal"
                elif _reads_environment(value):
                    kind = "env"
                elif _reads_file(value):
                    kind = "file"
                else:
                    kind = "other"
                facts["secret_key"] = {"kind": kind, "file": base, "line": node.lineno}
    facts["env_reads"] = sorted(reads.values(), key=lambda e: e["name"])
    if "DATABASE_URL" in reads:
        facts["env_db"] = True
    return facts


def settings_files(project: str, module: str | None) -> list:
    """The settings module's file, and the sibling modules it star-imports (one level)."""
    if not module:
        return []
    first = os.path.join(project, *module.split(".")) + ".py"
    files = [first]
    source = read_text(first) or ""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return files
    package = module.rsplit(".", 1)[0] if "." in module else ""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            if node.level == 1 and node.module:
                target = "%s.%s" % (package, node.module) if package else node.module
            elif node.level == 0 and node.module and node.module.startswith(package + "."):
                target = node.module
            else:
                continue
            path = os.path.join(project, *target.split(".")) + ".py"
            if path not in files:
                files.append(path)
    return files


# ----------------------------------------------------------------------------- the profile
def local_databases(project: str) -> list:
    try:
        names = sorted(os.listdir(project))
    except OSError:
        return []
    return [n for n in names if n.endswith(LOCAL_DB_SUFFIXES) and os.path.isfile(os.path.join(project, n))]


def sandbox_env(app_yaml_env: dict, reads: list, tmp: str) -> dict:
    """Production-like environment: App Engine's env_variables, random secrets, a DB that is not there."""
    env = {name: value for name, value in app_yaml_env.items() if isinstance(value, str)}
    database_url = "sqlite:///" + os.path.join(tmp, "neexistuje.sqlite3")
    for entry in reads:
        name = entry["name"]
        if "DATABASE_URL" in name:
            env[name] = database_url
        elif is_secret_name(name) and not entry.get("default") and name not in env:
            env[name] = random_key()
    env["SECRET_KEY"] = random_key()
    env["DATABASE_URL"] = database_url
    env["HOME"] = tmp
    for name in ("GOOGLE_CLOUD_PROJECT", "GAE_APPLICATION", "GAE_ENV", "GAE_SERVICE"):
        env.pop(name, None)
    return env


def collect(probe) -> dict:
    params = probe.params
    project = params["project"]
    exists = os.path.isdir(project)
    out = {"project_dir": project, "exists": exists,
           "files": {name: os.path.exists(os.path.join(project, name)) for name in FILES}}
    yaml_env = {}
    text = read_text(os.path.join(project, "app.yaml"), limit=200_000)
    if text is not None:
        redacted, yaml_env = redact_app_yaml(text)
        out["app_yaml"] = {"text": redacted, "env_names": sorted(yaml_env)}
        probe.scrub.update(v for k, v in yaml_env.items() if v and len(v) >= 4 and is_secret_name(k))
    out["main_py"] = probe.collect("main_py", main_py_facts, os.path.join(project, "main.py")) or {}
    out["requirements"] = probe.collect("requirements", requirements_facts, project) or {}
    out["ignore"] = {name: lines_of(os.path.join(project, name)) for name in (".gcloudignore", ".gitignore")}
    out["local_databases"] = local_databases(project)
    # App Engine imports main.py → <project>.wsgi, which takes DJANGO_SETTINGS_MODULE from app.yaml if set there.
    module = yaml_env.get("DJANGO_SETTINGS_MODULE") or (app_mod.settings_from_source(project, None) if exists else None)
    out["settings_module"] = module
    out["settings_ast"] = probe.collect("settings_ast", settings_ast, settings_files(project, module)) or {}

    interpreter = None
    for name in app_mod.VENV_NAMES:
        candidate = os.path.join(project, name, "bin", "python")
        if os.path.exists(candidate):
            interpreter = candidate
            break
    tmp = tempfile.mkdtemp(prefix="kurz-appengine-")
    try:
        env = sandbox_env(yaml_env, out["settings_ast"].get("env_reads", []), tmp)
        probe.scrub.update(v for k, v in env.items() if is_secret_name(k))
        app = {"source": "project", "unit": None, "project_dir": project, "exists": exists,
               "manage_py": os.path.isfile(os.path.join(project, "manage.py")), "interpreter": interpreter,
               "user": None, "group": None, "settings_module": module, "gunicorn": None,
               "env_names": sorted(env), "_env": env}
        django, scrub = probe.collect("django", app_mod.inspect_django, app,
                                      params.get("django_timeout", 90)) or ({}, [])
        probe.scrub.update(scrub)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    app.pop("_env")
    out["sandbox"] = {"env_names": sorted(env), "database_url": "sqlite (soubor neexistuje)"}
    return {"appengine": out, "app": app, "django": django}
