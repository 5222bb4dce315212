"""Real Django 5.2 projects for tests, each with its own .venv (a link to one cached venv)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from filelock import FileLock

DJANGO_VERSION = "5.2.19"
GUNICORN_VERSION = "27.0.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "django-v-produkci" / "test-venvs"
RANDOM_KEY = "q8#v0z!r3m@k7w2j$e5t9y1u4i6o8p0a2s4d6f8g0h2j4k6l8z0x"  # 52 chars, many distinct


def shared_venv() -> Path:
    """A venv with Django and gunicorn, built once per machine (pip from PyPI, then cached)."""
    venv = CACHE / f"django-{DJANGO_VERSION}-gunicorn-{GUNICORN_VERSION}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock"):
        if not (venv / ".complete").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"Django=={DJANGO_VERSION}",
                            f"gunicorn=={GUNICORN_VERSION}"], check=True)
            (venv / ".complete").touch()
    return venv


def make_django_project(
    root: Path,
    *,
    debug: bool = True,
    allowed_hosts: list[str] | None = None,
    secret: str = "insecure",  # insecure | file | env | literal | short
    static_root: str | None = None,  # an expression like "BASE_DIR / 'static'"
    media_root: str | None = None,
    staticfiles_dirs: str | None = None,
    git: bool = False,
    extra: str = "",
) -> Path:
    """`django-admin startproject my_project` in `root`, then the given settings appended."""
    venv = shared_venv()
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(venv / "bin" / "django-admin"), "startproject", "my_project", str(root)], check=True)
    (root / ".venv").symlink_to(venv)
    settings = root / "my_project" / "settings.py"
    lines = [f"DEBUG = {debug!r}"]
    if allowed_hosts is not None:
        lines.append(f"ALLOWED_HOSTS = {allowed_hosts!r}")
    if secret == "file":
        (root / "secret_key.txt").write_text(RANDOM_KEY + "\n")
        lines.append("SECRET_KEY = (BASE_DIR / 'secret_key.txt').read_text().strip()")
    elif secret == "env":
        lines.append("import os\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']")
    elif secret == "literal":
        lines.append(f"SECRET_KEY = {RANDOM_KEY!r}")
    elif secret == "short":
        lines.append("SECRET_KEY = 'kratky-klic'")
    if static_root:
        lines.append(f"STATIC_ROOT = {static_root}")
    if media_root:
        lines.append(f"MEDIA_ROOT = {media_root}")
    if staticfiles_dirs:
        lines.append(f"STATICFILES_DIRS = {staticfiles_dirs}")
    settings.write_text(settings.read_text() + "\n# --- test overrides ---\n" + "\n".join(lines) + "\n"
                        + textwrap.dedent(extra))
    if git:
        (root / ".gitignore").write_text(".venv\nsecret_key.txt\ndb.sqlite3\nstatic/\nmedia/\n")
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), "commit", "-qm", "start"], check=True, env=env)
    return root


def manage(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / ".venv" / "bin" / "python"), "manage.py", *args], cwd=root, check=True,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
