"""Part of the Django inspection (see django_inspect): finding the secrets the project holds (to
mask them, never to send them) and describing SECRET_KEY without its value.
"""

import ast
import os
import re
import subprocess
import sys


# Values copied from tutorials instead of generated (compared here, never sent anywhere).
PLACEHOLDER_KEYS = {"some-long-random-string", "your-secret-key", "secret", "changeme", "change-me",
                    "your-secret-key-here", "tajny-klic", "django-secret-key"}


SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "PASS", "CREDENTIAL", "PRIVATE")
NOT_SECRET_NAME = re.compile(r"KEY_PREFIX|KEY_FUNCTION|PASSWORD_(HASHERS|VALIDATORS|RESET)|(_FILE|_PATH|_DIR)$")
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'\"]*:(?P<password>[^\s@'\"/]+)@")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def is_secret_name(name):
    upper = str(name).upper()
    return any(word in upper for word in SECRET_WORDS) and not NOT_SECRET_NAME.search(upper)


def secret_values(name, value, found, depth=0):
    """Collect the secrets a (settings) variable holds: the value of a secret-looking name, the
    values of secret-looking keys of its dicts (DATABASES' PASSWORD), and passwords in URLs."""
    if depth > 5:
        return found
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if is_secret_name(name) and len(value) >= 4 and not DOTTED.match(value):
            found.append(value)
        found.extend(m.group("password") for m in URL_PASSWORD.finditer(value))
    elif isinstance(value, dict):
        for key, item in list(value.items())[:200]:
            secret_values(key if isinstance(key, str) else "", item, found, depth + 1)
            if is_secret_name(name) and isinstance(item, str):
                secret_values(name, item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in list(value)[:200]:
            secret_values(name, item, found, depth + 1)
    return found


def frame_secrets(exc, project_dir):
    """The secrets held by the project's frames an exception went through: settings that fail to
    import have already assigned SECRET_KEY or DATABASES (in the module's globals) when they fail,
    and their error message or printed output may quote them."""
    found, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            filename = frame.f_code.co_filename
            ours = filename.startswith(project_dir) or not filename.startswith(("<", sys.base_prefix, sys.prefix))
            if ours and "-packages" + os.sep not in filename:  # the project's code, not Django's
                for namespace in (frame.f_globals, frame.f_locals):
                    for name, value in list(namespace.items()):
                        if not name.startswith("__"):
                            secret_values(name, value, found)
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return found


def settings_secrets(settings):
    """Every secret-looking setting once the settings have loaded (EMAIL_HOST_PASSWORD, API tokens,
    old keys in SECRET_KEY_FALLBACKS…) and the module's own variables."""
    found = []
    module = sys.modules.get(getattr(settings, "SETTINGS_MODULE", None) or "")
    for name in dir(settings._wrapped) if hasattr(settings, "_wrapped") else []:
        if name.isupper():
            try:
                secret_values(name, getattr(settings, name), found)
            except Exception:
                continue
    for name, value in list(vars(module).items()) if module else []:
        if not name.startswith("__"):
            secret_values(name, value, found)
    return found


def masked_tree(value, secrets):
    if isinstance(value, str):
        return masked(value, secrets)
    if isinstance(value, dict):
        return {key: masked_tree(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked_tree(item, secrets) for item in value]
    return value


def masked(text, secrets):
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "\u00abskryto\u00bb")
    return text


def settings_literal(path, name):
    """Is `name` assigned a string literal in the settings source? (never returns the value)"""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                        return True
    return False


def list_tracked_files(project_dir):
    """Start `git ls-files` at once; the returned function waits for the names (None: no repository).
    Started before django.setup(), the command costs the inspection nothing."""
    try:
        proc = subprocess.Popen(["git", "-c", "safe.directory=*", "-C", project_dir, "ls-files", "-z"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except OSError:
        return lambda: None

    def names():
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
        if proc.returncode != 0:
            return None
        return [name for name in out.decode("utf-8", "replace").split("\0") if name]

    return names


def files_containing(project_dir, names, needle):
    hits = []
    data = needle.encode()
    for name in names:
        path = os.path.join(project_dir, name)
        try:
            if os.path.getsize(path) > 2_000_000:
                continue
            with open(path, "rb") as handle:
                if data in handle.read():
                    hits.append(name)
        except OSError:
            continue
    return hits


def secret_facts(settings, settings_file, project_dir, tracked_files, scrub):
    key = settings.SECRET_KEY
    if not isinstance(key, str):
        key = key.decode() if isinstance(key, bytes) else str(key)
    scrub.append(key)
    tracked = tracked_files()
    source_names = [os.path.relpath(settings_file, project_dir)] if settings_file else []
    in_env = [name for name, value in os.environ.items() if value == key and key]
    literal = settings_literal(settings_file, "SECRET_KEY") if settings_file else None
    return {
        "length": len(key),
        "distinct": len(set(key)),
        "insecure_prefix": key.startswith("django-insecure-"),
        "placeholder": key.strip().lower() in PLACEHOLDER_KEYS,
        "literal_in_settings": literal,
        "from_environment": bool(in_env),
        "git_repository": tracked is not None,
        "in_versioned_files": files_containing(project_dir, tracked, key) if tracked is not None and key else [],
        "in_settings_source": bool(files_containing(project_dir, source_names, key)) if key else False,
    }
