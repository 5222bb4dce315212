"""Where the repository's data and the per-user state live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES_DIR = REPO_ROOT / "exercises"
COURSE_FILE = EXERCISES_DIR / "course.toml"
BOOK_DIR = REPO_ROOT / "book"
BOOK_HTML_DIR = BOOK_DIR / "_build" / "html"
TEXTS_DIR = Path(__file__).resolve().parent / "texts"


def state_dir() -> Path:
    """The student's progress and caches; CHECKERS_HOME moves it (tests do)."""
    override = os.environ.get("CHECKERS_HOME")
    return Path(override) if override else REPO_ROOT / ".progress"


def cache_dir() -> Path:
    """Expensive, rebuildable things (VM images, wheels) live outside the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "django-v-produkci"
