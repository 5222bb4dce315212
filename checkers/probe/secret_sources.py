"""Secret values a project holds, found WITHOUT Django loading its settings.

Django's inspection reports the real SECRET_KEY and database password once the settings have
loaded; settings that fail to import (or hang, or kill their interpreter) report nothing, yet their
error messages, tracebacks and printed output may quote secrets. So the probe also reads them from
the sources: string literals assigned to secret-looking names in the settings package (even when it
does not parse), the values of secret-looking names in the project's .env files, and passwords in
URLs (postgres://user:PASSWORD@host/db). They only ever serve as values to mask; never reported.
"""

from __future__ import annotations

import ast
import os
import re

SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "PASS", "CREDENTIAL", "PRIVATE")
# A string that names an environment variable (os.environ['DJANGO_SECRET_KEY']) is not a secret;
# one that does not look like a variable's name (os.environ['<the key itself>']) is.
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")  # django.contrib.auth.hashers.PBKDF2PasswordHasher
FILE_NAME = re.compile(r"^[\w.-]+\.(txt|key|env|json|pem|crt|cfg|ini|conf|ya?ml|toml|secret|py)$", re.IGNORECASE)
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'\"]*:(?P<password>[^\s@'\"/]+)@")
# NAME = …, 'NAME': …: where a name is given a value (up to the next such name on the line).
ASSIGNED_NAME = re.compile(r"""(?P<name>\b[A-Za-z_]\w*)['"]?\s*(?::|=(?!=))""")
QUOTED = re.compile(r"""(?P<q>['"])(?P<value>[^'"\n]*)(?P=q)""")
ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
ENV_LOOKUPS = {"get", "getenv", "setdefault", "pop", "env", "config", "str", "Env"}
MIN_LENGTH = 4
MAX_FILES = 40
MAX_BYTES = 1_000_000


# Names with a secret-looking word whose values are not secrets (a cache's KEY_PREFIX is often the
# project's name: masking it would blank the name everywhere).
NOT_SECRET_NAME = re.compile(r"KEY_PREFIX|KEY_FUNCTION|PASSWORD_(HASHERS|VALIDATORS|RESET)|(_FILE|_PATH|_DIR)$")


def is_secret_name(name) -> bool:
    if not isinstance(name, str):
        return False
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS) and not NOT_SECRET_NAME.search(upper)


def plausible(value, context: str = "") -> bool:
    """Could `value` be a secret? (not a variable's name, a dotted Python path or a file's name)"""
    if not isinstance(value, str) or len(value.strip()) < MIN_LENGTH:
        return False
    if DOTTED.match(value):
        return False
    if context == "env-name" and ENV_NAME.match(value):
        return False
    if context == "call" and ("/" in value or "\\" in value or FILE_NAME.match(value)):
        return False  # open('/etc/kurz/key.txt'), BASE_DIR / 'secret_key.txt'
    return True


def url_passwords(text: str) -> set:
    return {m.group("password") for m in URL_PASSWORD.finditer(text or "") if len(m.group("password")) >= MIN_LENGTH}


def _strings(node, context: str = "") -> set:
    """String constants of an expression assigned to a secret-looking name, with their context."""
    found = set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if plausible(node.value, context):
            found.add(node.value)
        return found
    if isinstance(node, ast.Subscript):  # os.environ['NAME']
        found |= _strings(node.value, context)
        found |= _strings(node.slice, "env-name")
        return found
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ENV_LOOKUPS and node.args:  # os.environ.get('NAME', 'default'), env('NAME')
            found |= _strings(node.args[0], "env-name")
            for arg in node.args[1:]:
                found |= _strings(arg, context)
        else:
            for arg in node.args:
                found |= _strings(arg, "call")
        for keyword in node.keywords:
            found |= _strings(keyword.value, "call")
        if isinstance(func, ast.Attribute):  # 'abc'.strip(), ''.join(...)
            found |= _strings(func.value, context)
        return found
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # BASE_DIR / 'key.txt'
        return _strings(node.left, "call") | _strings(node.right, "call")
    for child in ast.iter_child_nodes(node):
        found |= _strings(child, context)
    return found


def _target_names(target) -> list:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return [str(target.slice.value)]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    return []


def source_secrets(source: str) -> set:
    """Values assigned to secret-looking names in Python source, also when it does not parse."""
    found = url_passwords(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                if any(is_secret_name(n) for t in node.targets for n in _target_names(t)):
                    found |= _strings(node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                if any(is_secret_name(n) for n in _target_names(node.target)):
                    found |= _strings(node.value)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and is_secret_name(key.value):
                        found |= _strings(value)
            elif isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if is_secret_name(keyword.arg):
                        found |= _strings(keyword.value)
    else:  # a file that does not parse (its SyntaxError quotes the line): line by line
        for line in source.splitlines():
            names = list(ASSIGNED_NAME.finditer(line))
            for index, match in enumerate(names):
                if not is_secret_name(match.group("name")):
                    continue
                end = names[index + 1].start() if index + 1 < len(names) else len(line)
                found |= {q.group("value") for q in QUOTED.finditer(line, match.end(), end)
                          if plausible(q.group("value"), "env-name") and "/" not in q.group("value")
                          and not FILE_NAME.match(q.group("value"))}
    return found


def env_file_secrets(text: str) -> set:
    """Values of secret-looking names (and URL passwords) in a KEY=VALUE file (.env, EnvironmentFile)."""
    found = url_passwords(text)
    for line in text.splitlines():
        match = ENV_LINE.match(line)
        if not match or not is_secret_name(match.group("name")):
            continue
        value = match.group("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if len(value) >= MIN_LENGTH:
            found.add(value)
    return found


def environment_secrets(env: dict) -> set:
    found = set()
    for name, value in (env or {}).items():
        if not isinstance(value, str):
            continue
        if is_secret_name(name) and len(value) >= MIN_LENGTH:
            found.add(value)
        found |= url_passwords(value)
    return found


def _read(path: str):
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def project_secrets(project_dir, settings_module=None) -> set:
    """Secrets in the settings package's Python files and the project's .env files."""
    if not project_dir or not os.path.isdir(project_dir):
        return set()
    files = []
    if settings_module:
        parts = [p for p in str(settings_module).split(".") if p]
        module_file = os.path.join(project_dir, *parts) + ".py"
        package_dir = os.path.join(project_dir, *parts[:-1]) if len(parts) > 1 else None
        files.append(module_file)
        package_init = os.path.join(project_dir, *parts, "__init__.py")  # settings/ as a package
        if os.path.isfile(package_init):
            package_dir = os.path.join(project_dir, *parts)
        for directory in [d for d in (package_dir,) if d]:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                names = []
            files += [os.path.join(directory, n) for n in names if n.endswith(".py")]
    else:  # no module named anywhere: the usual places
        try:
            packages = sorted(n for n in os.listdir(project_dir) if not n.startswith("."))
        except OSError:
            packages = []
        for package in packages[:MAX_FILES]:
            files.append(os.path.join(project_dir, package, "settings.py"))
            directory = os.path.join(project_dir, package, "settings")
            if os.path.isdir(directory):
                try:
                    files += [os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith(".py")]
                except OSError:
                    pass
    found = set()
    for path in list(dict.fromkeys(files))[:MAX_FILES]:
        text = _read(path)
        if text is not None:
            found |= source_secrets(text)
    try:
        env_names = sorted(n for n in os.listdir(project_dir) if n == ".env" or n.startswith(".env.")
                           or n.endswith(".env"))
    except OSError:
        env_names = []
    for name in env_names[:MAX_FILES]:
        text = _read(os.path.join(project_dir, name))
        if text is not None:
            found |= env_file_secrets(text)
    return found
